"""Read both sides and plan: in full (`snapshot`), or, when the last sync's state proves it
equal, incrementally (`plan_snapshot`, see engine/incremental.py); and keep that state after a
sync, for the next one (`keep_plan_state`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

from hfsync.core.plan import Base, Plan, Policy, make_plan
from hfsync.core.record import SyncRecord
from hfsync.core.remote_paths import check_remote_paths
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.core.tree_text import TreeText
from hfsync.engine.base import Recovery, pointer_record, recover_base
from hfsync.engine.ignored import plan_without_ignored
from hfsync.engine.incremental import (
    Known,
    PlanMismatchError,
    Start,
    config_digest,
    differences,
    fill_lfs_sha256,
    incremental_plan,
    plan_store,
    standing_after,
    starting_point,
)
from hfsync.engine.patches import settle_brought_in
from hfsync.engine.pulled import TakenIn, taken_in
from hfsync.engine.settled import remember_settled, with_settled
from hfsync.local.listed_files import ListedFiles
from hfsync.local.plan_state import PlanState
from hfsync.local.switches import FULL_PLAN, enabled, verifying
from hfsync.local.worktree_tree import WorktreeTree
from hfsync.remotes.target import local_files

if TYPE_CHECKING:
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

log = logging.getLogger("hfsync.plan")


@dataclass(frozen=True)
class Snapshot:
    """The plan made from both sides and the base, and the remote head it was made on; also
    what it was made from (`hfsync pull` plans from the same reads). An incremental snapshot's
    `local`, `tree` and `base` hold only the paths it planned (`known`)."""

    head: str | None
    plan: Plan
    tree: dict[str, RemoteFile]
    text: TreeText  # the remote tree at `head`, as sorted text
    deployed: str | None = None  # the source the newest authentic hfsync commit was made from
    local: dict[str, LocalFile] = field(default_factory=dict)
    base: Base | None = None  # with what the source took in (settled, pulled)
    recovery: Recovery | None = None
    taken_in: TakenIn | None = None
    known: Known | None = None  # the incremental plan's paths (None: planned in full)
    source_tree: str | None = None  # the source's git commit or tree (None: none usable)


class _Unread(Enum):
    HEAD = "the head, not read yet"


def snapshot(
    target: Target, source: Source, policy: Policy, head: str | _Unread | None = _Unread.HEAD
) -> Snapshot:
    """Read the remote, recover the base and plan against the source, in full; `head`: the
    remote head already read (None: the remote is missing, not read again)."""
    remote = target.remote
    if head is _Unread.HEAD:
        head = remote.head()
    tree = remote.tree(head) if head else {}
    check_remote_paths(tree, target.scope.includes_remote, remote.description)
    local = local_files(target, source)
    if fill_lfs_sha256(source, local, tree):
        local = local_files(target, source)
    recovery = recover_base(target, head)
    pulled = taken_in(target, source, recovery, head, tree)
    base, pull_notes = pulled.base_over(with_settled(recovery, source), target, local)
    notices = (remote.notice,) if remote.notice else ()
    text = TreeText.of(tree, target.scope.includes_remote, remote.keeps_modes)
    plan = make_plan(
        local,
        tree,
        base,
        target.scope.includes_remote,
        head,
        policy,
        (*notices, *recovery.notes, *pulled.notes, *pull_notes),
        recovery.rewritten,
        remote_paths=text.paths,
    )
    remember_settled(target, recovery, base, local, tree, source)
    plan = settle_brought_in(target, source, plan)
    plan = pulled.mark_unresolved(plan, target, source)
    plan = plan_without_ignored(target, source, local, tree, plan)
    return Snapshot(head, plan, tree, text, recovery.deployed, local, base, recovery, pulled)


def plan_snapshot(target: Target, source: Source, policy: Policy) -> Snapshot:
    """The snapshot of a sync: incremental when the last sync's state allows, else in full; with
    HFSYNC_VERIFY_PLAN, the incremental one is held to the full one."""
    head, now = _head_and_tree(target, source)  # the tree is kept even when planned in full
    start: Start | str = f"{FULL_PLAN} is set"
    made: tuple[Plan, Known] | str = f"{FULL_PLAN} is set"
    if enabled():
        start = starting_point(target, source, head)
        if isinstance(now, WorktreeTree):
            made = now.why
        elif isinstance(start, str):
            made = start
        elif head is not None:
            made = incremental_plan(target, source, policy, head, start, now)
    if isinstance(made, str):
        log.info("%s: planned in full: %s", target.config.name, made)
        return replace(snapshot(target, source, policy, head), source_tree=_tree_id(now))
    assert isinstance(start, Start) and head is not None and isinstance(now, str)  # noqa: S101
    plan, known = made
    log.info(
        "%s: incremental plan: %d path(s) looked at since source %s",
        target.config.name,
        len(known.paths),
        start.state.source[:12],
    )
    if verifying():  # the files read from git's diff first: a wrong one may be read below
        _verified(differences(plan, None, start.state.tree, None, source))
    fast = _finish(target, source, plan, known, start, head, now)
    if verifying():
        full = snapshot(target, source, policy, head)
        _verified(differences(fast.plan, full.plan, fast.text, full.text, source))
    return fast


def _head_and_tree(target: Target, source: Source) -> tuple[str | None, str | WorktreeTree]:
    """The remote head, and the source as a git commit or tree id (`Source.git_tree`): for a
    working tree, git stages it (processes of its own, ~0.2 s at 50,000 files) while the head
    is read (a first request also makes the Hub client: ~0.15 s)."""
    if source.commit is not None:
        return target.remote.head(), source.commit
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="hfsync-stage") as pool:
        staged = pool.submit(source.git_tree)
        head = target.remote.head()
        return head, staged.result()


def _tree_id(now: str | WorktreeTree) -> str | None:
    return now if isinstance(now, str) else None


def _verified(found: list[str]) -> None:
    if found:
        raise PlanMismatchError(
            "the incremental plan differs from the full plan (HFSYNC_VERIFY_PLAN): "
            + "; ".join(found)
            + "; nothing was written"
        )


def _finish(
    target: Target, source: Source, plan: Plan, known: Known, start: Start, head: str, now: str
) -> Snapshot:
    """The incremental plan, with the steps the full plan takes after `make_plan`."""
    base = known.base()
    recovery = Recovery(
        base, start.pointer.notes, pointer=start.pointer, deployed=start.record.source
    )
    remember_settled(target, recovery, base, known.local, known.tree, source)
    plan = settle_brought_in(target, source, plan)
    plan = plan_without_ignored(target, source, known.local, known.tree, plan)
    return Snapshot(
        head,
        plan,
        known.tree,
        start.state.tree,
        start.record.source,
        known.local,
        base,
        recovery,
        TakenIn(entries={}),
        known,
        now,
    )


def keep_plan_state(
    target: Target,
    source: Source,
    snap: Snapshot,
    plan: Plan,
    written: tuple[str, TreeText, SyncRecord] | None = None,
) -> None:
    """Keep what the next sync's incremental plan starts from. `written`: the commit hfsync
    just made by `plan` (its id, remote tree and record); None: nothing was written, and the
    head is kept when it is hfsync's own last commit. Kept only where the plan was made from a
    source git can give as a tree, with no symlink in scope, so that a later incremental plan and
    the full plan agree; otherwise the state is dropped (the next sync plans in full)."""
    store = plan_store(target)
    files = source.files
    if snap.source_tree is None or not isinstance(files, ListedFiles):
        return store.forget()
    if snap.known is None and (not files.listed or files.has_links):
        return store.forget()
    if written is None:
        kept = snap.known.start.state if snap.known is not None else None
        if kept is not None and (kept.commit, kept.source) == (snap.head, snap.source_tree):
            return None  # nothing new to keep (a poll of `watch` that found no change)
        written = _head_as_written(snap)
        if written is None:
            return store.forget()
    commit, tree, record = written
    if record.proof is None or record.scope != target.scope.spec:
        return store.forget()
    looked_at = snap.known.paths if snap.known is not None else set()
    committed = commit != snap.head
    standing = standing_after(
        source, plan, snap.local, looked_at, tree, record.kept, target, committed
    )
    state = PlanState(
        commit,
        snap.source_tree,
        record.source,
        config_digest(target),
        record.proof.tree,
        standing,
        tree,
    )
    store.save(state)
    return None


def _head_as_written(snap: Snapshot) -> tuple[str, TreeText, SyncRecord] | None:
    """The head as hfsync's own last write, when it is one and this plan used its base as
    written (no paths settled since, no pull record at work)."""
    recovery = snap.recovery
    pointer = recovery.pointer if recovery is not None else None
    if (
        snap.head is None
        or pointer is None
        or pointer.base_commit != snap.head
        or pointer.settled
        or (snap.taken_in is not None and snap.taken_in.entry is not None)
    ):
        return None
    record = pointer_record(pointer)
    if record is None or record.proof is None:
        return None
    if snap.known is None and snap.text.lines.digest() != record.proof.tree:
        return None
    return snap.head, snap.text, record
