"""`hfsync rollback`: make the target's scope equal to what a backup holds there, with a new commit.

A rollback is planned like a sync (core/plan.py), with the backup's files in scope as the source
side: the plan is shown before anything is written, `max_delete` and `--force` apply, and files
hfsync did not write are treated as `run` treats them (a file added by hand since is left alone
unless `--prune`; a remote edit hfsync would overwrite is a conflict, settled by the policy).
`--dry-run` shows the plan and writes nothing.

Only the target's scope is restored: paths of other targets on the same branch, and files added
by hand outside the scope, stay as they are at the head. Without a name, the backup is chosen so
that repeated rollbacks step back one deploy at a time (engine/rollback_choice.py).

History is never rewritten: the rollback is a commit on top of the head, itself backed up first,
and an hfsync commit (recording the backup it restored), so that the next sync deploys the source
again and the next rollback steps further back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from hfsync.core.backups import Backup, list_backups
from hfsync.core.errors import ConfigError, RemoteError, RemoteMovedError, TemporaryError
from hfsync.core.plan import Action, Base, Plan, Policy, make_plan
from hfsync.core.record import Proof, SyncRecord, commit_message, tree_digest
from hfsync.core.remote_paths import check_remote_paths
from hfsync.core.snapshot import MODE_FILE, LocalFile, RemoteFile
from hfsync.engine.backup import ensure_backup, prune_backups
from hfsync.engine.base import recover_base
from hfsync.engine.rollback_choice import ROLLBACK_SOURCE, choose_backup, in_scope
from hfsync.engine.sync import MAX_ATTEMPTS, REPLANNED, check_plan
from hfsync.local.state import BasePointer
from hfsync.remotes.target import Target

# The planner speaks of the source; in a rollback the backup plays that part.
_REASONS = {
    "new in the source": "in the backup",
    "changed in the source": "as in the backup",
    "deleted in the source": "not in the backup",
}


@dataclass(frozen=True)
class RollbackOptions:
    on_conflict: str | None = None  # default: the target's on_conflict
    force: bool = False  # allow more deletions than max_delete
    prune: bool = False  # also delete files in scope that hfsync did not write
    dry_run: bool = False
    # Called with the plan before it is checked and before any write (to show it).
    before_write: Callable[[Plan], None] | None = None


@dataclass(frozen=True)
class RollbackResult:
    target: str
    restored: Backup
    plan: Plan
    commit: str | None
    backup: str | None = None
    dry_run: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "restored": self.restored.to_dict(),
            "commit": self.commit,
            "backup": self.backup,
            "dry_run": self.dry_run,
            "plan": self.plan.to_dict(),
        }


def rollback(
    target: Target,
    name: str | None,
    options: RollbackOptions = RollbackOptions(),
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> RollbackResult:
    """Make the target's scope equal to a backup's with a new commit, itself backed up first.

    Raises ConflictError / TooManyDeletesError (nothing written) as a sync does."""
    remote = target.remote
    backups = list_backups(remote.branches())
    if not backups:
        raise ConfigError(f"{remote.description} has no hfsync backups to roll back to")
    named = None if name is None else next((b for b in backups if b.name == name), None)
    if name is not None and named is None:
        names = ", ".join(b.name for b in backups[:5])
        raise ConfigError(f"no backup named '{name}' on {remote.description} (newest: {names})")
    policy = Policy(
        on_conflict=options.on_conflict or target.config.on_conflict, prune=options.prune
    )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        head = remote.head()
        if head is None:
            raise RemoteError(f"{remote.description} has no branch to roll back")
        current = remote.tree(head)
        check_remote_paths(current, target.scope.includes_remote, remote.description)
        now_in_scope = in_scope(target, current)
        chosen = named or choose_backup(target, backups, head, now_in_scope)
        restored = in_scope(target, remote.tree(chosen.commit))
        check_remote_paths(restored, lambda path: True, f"backup {chosen.name}")
        recovery = recover_base(target, head)
        plan = make_plan(
            _as_source(restored),
            current,
            recovery.base,
            target.scope.includes_remote,
            head,
            policy,
            recovery.notes,
            recovery.rewritten,
        )
        plan = _in_rollback_words(plan)
        if attempt > 1:
            plan = plan.with_note(f"the remote moved during the rollback: {REPLANNED}")
        if options.before_write is not None:
            options.before_write(plan)
        check_plan(plan, target.config.max_delete, options.force)
        result = RollbackResult(target.config.name, chosen, plan, None, dry_run=options.dry_run)
        if options.dry_run or not plan.has_changes:
            return result
        title, body = _message(target, chosen, plan, current, restored, recovery.base)
        backup, branches = ensure_backup(target, head, now())
        paths = [op.path for op in (*plan.uploads, *plan.deletes)]
        try:
            commit = remote.restore(head, chosen.commit, paths, title, body)
        except RemoteMovedError:
            continue
        target.state.save(BasePointer(commit, commit, f"{title}\n\n{body}"))
        prune_backups(target, branches)  # after the commit, as a sync does
        return replace(result, commit=commit, backup=backup)
    raise TemporaryError(
        f"{remote.description} kept moving during the rollback ({MAX_ATTEMPTS} attempts); "
        "nothing was overwritten, run it again"
    )


def _as_source(tree: Mapping[str, RemoteFile]) -> dict[str, LocalFile]:
    """A backup's files as the source side of a plan (compared with the head by oid)."""
    return {
        path: LocalFile(
            path,
            entry.size,
            sha1=entry.oid,
            # An LFS entry compares by SHA-256 (its oid); a regular one never equals one.
            sha256=entry.oid if entry.is_lfs else "",
            mode=entry.mode or MODE_FILE,
        )
        for path, entry in tree.items()
    }


def _in_rollback_words(plan: Plan) -> Plan:
    operations = tuple(
        replace(op, reason=_REASONS.get(op.reason, op.reason)) for op in plan.operations
    )
    return replace(plan, operations=operations)


def _message(
    target: Target,
    chosen: Backup,
    plan: Plan,
    current: Mapping[str, RemoteFile],
    restored: Mapping[str, RemoteFile],
    base: Base | None,
) -> tuple[str, str]:
    """The rollback commit's title and body: what it restores and deletes, and its record (the
    backup it restored, what it leaves as the base, the proof)."""
    after = dict(current)
    for op in plan.uploads:
        after[op.path] = restored[op.path]
    for op in plan.deletes:
        after.pop(op.path, None)
    kept = plan.kept_base()
    # A file left as it is because the backup has it too stays what it was: not hfsync's
    # when hfsync had not written it (else the next sync would delete it without --prune).
    planned = {op.path for op in plan.operations}
    for path in restored:
        if path in current and path not in planned and not _written_by_hfsync(base, path):
            kept[path] = None
    record = SyncRecord(
        f"{ROLLBACK_SOURCE}{chosen.name}",
        target.config.name,
        target.scope.spec,
        kept,
        proof=Proof(plan.head, tree_digest(after, target.scope)),
    )
    details = [
        f"{'restore' if op.action is Action.UPLOAD else 'delete'}: {op.path}"
        for op in (*plan.uploads, *plan.deletes)
    ]
    return commit_message(f"hfsync: roll back to {chosen.name}", details, record, uuid.uuid4().hex)


def _written_by_hfsync(base: Base | None, path: str) -> bool:
    return base is not None and base.known(path) and path in base.entries
