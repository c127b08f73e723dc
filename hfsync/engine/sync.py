"""The sync engine: read both sides, plan, back up, commit once, retry when the remote moved.

Everything with effects lives here; deciding lives in `plan` (pure). The engine returns result
values; the CLI renders them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from hfsync.core.describe import describe_change
from hfsync.core.errors import (
    ConflictError,
    RemoteError,
    RemoteMovedError,
    TemporaryError,
    TooManyDeletesError,
)
from hfsync.core.hot_reload import HotReload
from hfsync.core.plan import Action, Plan, Policy
from hfsync.core.record import Proof, SyncRecord, commit_message, display_line
from hfsync.core.snapshot import RemoteFile
from hfsync.core.tree_text import TreeText
from hfsync.engine.backup import ensure_backup, prune_backups
from hfsync.engine.direction import refuse_going_back
from hfsync.engine.hot_reload import hot_reload_decision
from hfsync.engine.interrupted import SyncInterrupted, Written
from hfsync.engine.planning import Snapshot, keep_plan_state, plan_snapshot
from hfsync.engine.sync_values import SyncOptions, SyncResult
from hfsync.local.source import Source
from hfsync.local.state import BasePointer, run_lock
from hfsync.remotes import Change
from hfsync.remotes.target import Target
from hfsync.validate import validate

if TYPE_CHECKING:
    from hfsync.validate.secrets import Scanned

MAX_ATTEMPTS = 3
REPLANNED = "another commit landed first, so nothing was written; planned again on the new head"
log = logging.getLogger("hfsync.sync")


def run_sync(
    target: Target,
    source: Source,
    options: SyncOptions,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> SyncResult:
    """One sync of one target. Raises ConflictError / TooManyDeletesError before writing.

    A real run holds the checkout's run lock, so two runs on one checkout take turns; a dry
    run takes no lock and writes nothing remote (a missing target is reported, not created).
    """
    if options.dry_run:
        return _sync(target, source, options, now, waited=False)
    with run_lock(target.state.git_dir) as waited:
        return _sync(target, source, options, now, waited)


def _sync(
    target: Target,
    source: Source,
    options: SyncOptions,
    now: Callable[[], datetime],
    waited: bool,
) -> SyncResult:
    policy = Policy(
        on_conflict=options.on_conflict or target.config.on_conflict, prune=options.prune
    )
    written = Written()
    try:
        return _write(target, source, options, now, waited, policy, written)
    except KeyboardInterrupt:
        raise SyncInterrupted(written) from None


def _write(
    target: Target,
    source: Source,
    options: SyncOptions,
    now: Callable[[], datetime],
    waited: bool,
    policy: Policy,
    written: Written,
) -> SyncResult:
    scanned: Scanned = {}  # the secret scan's answers: a plan checked again scans no file twice
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            snap = plan_snapshot(target, source, policy)
            if target.remote.missing is not None:
                if options.dry_run:
                    written.created = f"would create {target.remote.missing}"
                else:  # a repo is created only for a plan that passes every check
                    check_plan(snap.plan, target.config.max_delete, options.force)
                    validate(target, source, snap.plan, snap.text.paths, scanned)
                    written.planned, written.planned_head = True, None  # creating: check after
                    written.created = target.remote.create_missing()
                    snap = plan_snapshot(target, source, policy)
            plan = snap.plan
            if attempt > 1:  # said with the plan printed again, so that it is not a mystery
                plan = plan.with_note(f"the remote moved while hfsync was writing: {REPLANNED}")
            written.planned, written.planned_head = True, snap.head
            if not options.allow_older:
                refuse_going_back(source, snap.deployed, target.config.name)
            check_plan(plan, target.config.max_delete, options.force)
            note = _note(attempt, waited, plan.has_changes)
            result = SyncResult(
                target.config.name,
                source.label,
                plan,
                dry_run=options.dry_run,
                attempts=attempt,
                created=written.created,
                note=note,
            )
            if options.on_plan is not None:
                options.on_plan(target, plan)
            validate(target, source, plan, snap.text.paths, scanned)
            if options.dry_run:
                return result
            if not plan.has_changes:
                keep_plan_state(target, source, snap, plan)
                return result
            source.check_readable(op.local.path for op in plan.uploads if op.local is not None)
            options.progress(describe_change(plan))
            hot = hot_reload_decision(target, source, plan) if options.hot_reload else None
            written.backing_up = True
            written.backup, branches = ensure_backup(target, snap.head, now())
            change = Change(
                uploads=tuple((op.path, op.local) for op in plan.uploads if op.local is not None),
                deletes=tuple(op.path for op in plan.deletes),
                hot_reload=hot is not None and hot.hot,
                # The entries at the head the plan was made on, of the paths it writes.
                before={
                    op.path: op.remote
                    for op in (*plan.uploads, *plan.deletes)
                    if op.remote is not None
                },
            )
            after = _tree_after(
                target, snap, change, target.remote.prepare(change, source, options.meter)
            )
            record = _record(target, source, plan, Proof(snap.head, after.lines.digest()))
            title, body = _message(target, source, plan, options, record)
            written.sent = body
            try:
                commit = target.remote.commit(snap.head, change, source, title, body)
            except RemoteMovedError:  # nothing written; plan again on the new head
                written.backing_up, written.sent = False, None
                continue
        except RemoteError as exc:
            raise written.explain(exc) from exc.__cause__
        written.commit = commit
        target.state.save(BasePointer(commit, commit, f"{title}\n\n{body}"))
        keep_plan_state(target, source, snap, plan, (commit, after, record))
        return SyncResult(
            target.config.name,
            source.label,
            plan,
            commit=commit,
            backup=written.backup,
            pruned_backups=prune_backups(target, branches),
            attempts=attempt,
            created=written.created,
            note=note,
            hot_reload=HotReload(hot, files=tuple(p for p, _ in change.uploads)) if hot else None,
            sent_bytes=target.remote.sent_bytes,
        )
    raise written.explain(
        TemporaryError(
            f"{target.remote.description} kept moving while hfsync was writing "
            f"({MAX_ATTEMPTS} attempts); nothing was overwritten, run hfsync again"
        )
    )


def _note(attempt: int, waited: bool, has_changes: bool) -> str | None:
    if has_changes:
        return None
    if waited:
        return "another hfsync run on this checkout synced first"
    if attempt > 1:
        return "another writer got there first; the remote already holds these changes"
    return None


def check_plan(plan: Plan, max_delete: int, force: bool) -> None:
    """Stop before writing when remote edits block the sync or too many deletions are planned."""
    if plan.blocked and plan.collisions:
        paths = tuple(op.path for op in plan.collisions)
        raise ConflictError(
            f"{len(paths)} path(s) collide with the remote: {plan.collisions[0].path}: "
            f"{plan.collisions[0].reason}; nothing written",
            paths,
        )
    if plan.blocked and plan.unresolved:
        paths = tuple(op.path for op in plan.unresolved)
        raise ConflictError(
            f"{len(paths)} file(s) still hold what 'hfsync pull' wrote for a conflict: "
            f"{_shown(paths)}; resolve them (edit out the conflict markers, or keep one of a "
            "binary file and the remote's copy beside it) and run again; nothing written",
            paths,
            plan=plan,
        )
    if plan.blocked:
        paths = tuple(op.path for op in plan.conflicts)
        shown = _shown(paths)
        if plan.history_rewritten:
            shown += " (the remote's history was rewritten: hfsync cannot tell who changed them)"
        raise ConflictError(
            f"{len(paths)} remote edit(s) would be overwritten: {shown}; bring them "
            "home with 'hfsync pull' (then commit) or use --on-conflict skip|overwrite",
            paths,
            plan=plan,
        )
    deletes = len(plan.deletes)
    if deletes > max_delete and not force:
        raise TooManyDeletesError(
            f"the plan deletes {deletes} files, more than max_delete = {max_delete}; "
            "check the filter, or pass --force to delete them",
            plan=plan,
        )


def _shown(paths: tuple[str, ...]) -> str:
    return ", ".join(display_line(p) for p in paths[:10]) + (" ..." if len(paths) > 10 else "")


def _tree_after(
    target: Target, snap: Snapshot, change: Change, uploaded: dict[str, RemoteFile]
) -> TreeText:
    """The remote tree the commit produces, as text: the head's, less the deletions, plus the
    uploads as the remote will list them. Its digest within scope is the commit's proof."""
    includes = target.scope.includes_remote
    modes = {path: local.mode for path, local in change.uploads}
    return snap.text.after(
        {path: entry for path, entry in uploaded.items() if includes(path)},
        modes,
        {path for path in change.deletes if includes(path)},
    )


def _record(target: Target, source: Source, plan: Plan, proof: Proof) -> SyncRecord:
    return SyncRecord(
        source=source.label,
        target=target.config.name,
        scope=target.scope.spec,
        kept=plan.kept_base(),
        proof=proof,
    )


def _message(
    target: Target, source: Source, plan: Plan, options: SyncOptions, record: SyncRecord
) -> tuple[str, str]:
    uploads, deletes = plan.uploads, plan.deletes
    parts = []
    if uploads:
        parts.append(f"upload {len(uploads)} file{'s' if len(uploads) != 1 else ''}")
    if deletes:
        parts.append(f"delete {len(deletes)} file{'s' if len(deletes) != 1 else ''}")
    summary = f"hfsync: {' and '.join(parts)} from {source.label[:12]}"
    details = [
        f"{op.action.value}: {op.path}"
        for op in plan.operations
        if op.action in (Action.UPLOAD, Action.DELETE)
    ]
    title, body = commit_message(
        options.commit_message or summary, details, record, uuid.uuid4().hex
    )
    if options.source_url:
        body += f"HFSync-Source-Url: {options.source_url}\n"
    return title, body
