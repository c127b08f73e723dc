"""`hfsync rollback`: make the target's scope equal to what a backup holds there, with a new commit.

Only the target's scope is restored: paths of other targets on the same branch, and files added by
hand outside the scope, stay as they are at the head.

History is never rewritten: the rollback is a commit on top of the head, itself backed up first,
and an hfsync commit, so that the next sync deploys the source again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from hfsync.core.backups import Backup, list_backups
from hfsync.core.errors import ConfigError, RemoteError, RemoteMovedError
from hfsync.core.record import Proof, SyncRecord, commit_message, tree_digest
from hfsync.core.snapshot import RemoteFile
from hfsync.engine.backup import take_backup
from hfsync.engine.base import recover_base
from hfsync.engine.sync import MAX_ATTEMPTS
from hfsync.local.state import BasePointer
from hfsync.remotes.target import Target


@dataclass(frozen=True)
class RollbackResult:
    target: str
    restored: Backup
    commit: str | None
    backup: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "restored": self.restored.to_dict(),
            "commit": self.commit,
            "backup": self.backup,
        }


def rollback(
    target: Target,
    name: str | None,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> RollbackResult:
    """Make the target's scope equal to a backup's with a new commit, itself backed up first."""
    remote = target.remote
    backups = list_backups(remote.branches())
    if not backups:
        raise ConfigError(f"{remote.description} has no hfsync backups to roll back to")
    chosen = backups[0] if name is None else next((b for b in backups if b.name == name), None)
    if chosen is None:
        names = ", ".join(b.name for b in backups[:5])
        raise ConfigError(f"no backup named '{name}' on {remote.description} (newest: {names})")
    for _attempt in range(MAX_ATTEMPTS):
        head = remote.head()
        if head is None:
            raise RemoteError(f"{remote.description} has no branch to roll back")
        restored_tree = _in_scope(target, remote.tree(chosen.commit))
        current = _in_scope(target, remote.tree(head))
        paths = {
            p
            for p in restored_tree.keys() | current.keys()
            if current.get(p) != restored_tree.get(p)
        }
        if not paths:
            return RollbackResult(target.config.name, chosen, commit=None)
        base = recover_base(target, head).base
        kept: dict[str, str | None] = {
            path: None
            for path in restored_tree
            if (base is None or not base.known(path) or path not in base.entries)
        }
        proof = Proof(head, tree_digest(restored_tree, target.scope))
        record = SyncRecord(
            f"rollback:{chosen.name}",
            target.config.name,
            target.scope.spec,
            kept,
            proof=proof,
        )
        title, body = commit_message(
            f"hfsync: roll back to {chosen.name}", [], record, uuid.uuid4().hex
        )
        backup, _pruned = take_backup(target, head, now())
        try:
            commit = remote.restore(head, chosen.commit, paths, title, body)
        except RemoteMovedError:
            continue
        target.state.save(BasePointer(commit, commit, f"{title}\n\n{body}"))
        return RollbackResult(target.config.name, chosen, commit=commit, backup=backup)
    raise RemoteError(f"{remote.description} kept moving during the rollback; run it again")


def _in_scope(target: Target, tree: dict[str, RemoteFile]) -> dict[str, RemoteFile]:
    """The part of a tree a rollback of this target may change: other targets' paths and files
    added by hand outside the scope are never touched."""
    return {path: entry for path, entry in tree.items() if target.scope.includes_remote(path)}
