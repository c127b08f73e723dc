"""The incremental plan: a sync whose cost follows the change, not the repository.

Two facts fix the plan of most syncs without reading either whole tree: the remote head is the
commit hfsync itself wrote last for this target from this checkout (one `ls-remote` or one request;
its record's proof digest matches the tree hfsync kept), and git says which source paths differ
from the source that sync was made from (`git diff-tree` between two commits or trees, which walks
only the trees that differ; the working tree as a tree: `local/worktree_tree.py`). Then every other
path is as that sync left it: in sync, or among the few paths that were not (kept in the plan state
with the tree, `local/plan_state.py`), which are planned again each time. Only the changed and
those standing paths are planned, by the same `make_plan`, with the remote's entries and the base
read from the kept tree text (`core/tree_text.py`).

Anything that breaks a fact falls back to the full plan, and `run -v` says which: no or corrupt
state, another head, another config/scope/version, a record that does not check out, paths the
remote and the source agreed on since (settled), a symlink or submodule in scope, a pull record in
the source, a working tree git would convert or does not check. `HFSYNC_FULL_PLAN=1` always plans
in full; `HFSYNC_VERIFY_PLAN=1` also plans in full and fails on any difference (the test suite runs
with it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hfsync.core.errors import HfsyncError
from hfsync.core.plan import Base, Plan, Policy, make_plan
from hfsync.core.pulled import PULL_RECORD, MalformedPullRecord
from hfsync.core.record import SyncRecord
from hfsync.core.remote_ignore import GITIGNORE
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.core.tree_text import TreeText
from hfsync.engine.base import pointer_record
from hfsync.local.commit_diff import changes_between
from hfsync.local.listed_files import ListedFiles
from hfsync.local.plan_state import PlanState, PlanStore
from hfsync.local.pulled_file import read_pull_record
from hfsync.local.state import BasePointer

if TYPE_CHECKING:
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

STATE_FORMAT = "1"
log = logging.getLogger("hfsync.plan")


class PlanMismatchError(HfsyncError):
    """The incremental plan differs from the full plan (HFSYNC_VERIFY_PLAN): a flaw in hfsync,
    found before any write (exit code 1)."""


def plan_store(target: Target) -> PlanStore:
    return PlanStore(target.state.git_dir, target.state.path.stem)


def config_digest(target: Target) -> str:
    """What else decides which paths are in sync: the target's config, its scope, hfsync's
    version (not the policy: it decides what to do with a path out of sync, never whether it
    is; the standing paths are planned again under each run's policy)."""
    import msgspec

    from hfsync import __version__

    parts = [
        STATE_FORMAT,
        __version__,
        msgspec.json.encode(target.config).decode(),
        target.scope.spec.to_json(),
        str(target.remote.keeps_modes),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Start:
    """Where an incremental plan starts: the state, the record of its commit, the pointer."""

    state: PlanState
    record: SyncRecord
    pointer: BasePointer


def starting_point(target: Target, source: Source, head: str | None) -> Start | str:
    """The state an incremental plan can start from at `head`, or why there is none."""
    if not isinstance(source.files, ListedFiles) or source.files.listed:
        return "this run has already read the source in full (an earlier plan of it)"
    state = plan_store(target).load()
    if state is None:
        return "no plan state from an earlier sync on this checkout (or it cannot be read)"
    if head is None or head != state.commit:
        return "the remote head is not the commit hfsync wrote last from this checkout"
    if state.config != config_digest(target):
        return "the target's config, scope or hfsync's version changed since"
    pointer = target.state.load()
    if pointer is None or pointer.head != head or pointer.base_commit != head:
        return "the base pointer does not name the head"
    if pointer.settled:
        return "the source and the remote agreed on paths since (settled paths)"
    record = pointer_record(pointer)
    if (
        record is None
        or record.proof is None
        or record.proof.tree != state.digest
        or record.target != target.config.name
        or record.source != state.label
        or record.scope != target.scope.spec
    ):
        return "the head's record does not match the kept tree"
    return Start(state, record, pointer)


class Known:
    """The entries an incremental plan reads, per remote path: the source file, the remote
    entry and the base, of the changed and the standing paths (the first given wins)."""

    def __init__(self, start: Start, target: Target) -> None:
        self.local: dict[str, LocalFile] = {}
        self.tree: dict[str, RemoteFile] = {}
        self.entries: dict[str, str] = {}
        self.paths: set[str] = set()
        self.start = start
        self._includes = target.scope.includes_remote

    def add(self, path: str, local: LocalFile | None) -> None:
        if path in self.paths:
            return
        self.paths.add(path)
        if local is not None:
            self.local[path] = local
        _remote_and_base(
            self.start.state.tree, self.start.record.kept, path, self.tree, self.entries
        )

    def base(self) -> Base:
        return Base(entries=self.entries, known=self._includes)


def _remote_and_base(
    tree: TreeText,
    kept: Mapping[str, str | None],
    path: str,
    remote: dict[str, RemoteFile],
    entries: dict[str, str],
) -> None:
    """Put `path`'s entry in `tree` into `remote` and its base into `entries`: what the commit's
    record kept for it, else the entry (the base `derive_base` gives an hfsync commit)."""
    entry = tree.entry(path)
    if entry is not None:
        remote[path] = entry
    oid = kept.get(path, entry.oid if entry else None)
    if oid is not None:
        entries[path] = oid


def incremental_plan(
    target: Target, source: Source, policy: Policy, head: str, start: Start, now: str
) -> tuple[Plan, Known] | str:
    """The plan of the changed and standing paths, or why it cannot be made so. `now`: the
    source's git tree (or commit)."""
    state, scope = start.state, target.scope
    files = source.files
    assert isinstance(files, ListedFiles)  # noqa: S101 (starting_point made sure)
    changes = changes_between(source.repo_root, state.source, now, scope.includes)
    if isinstance(changes, str):
        return changes
    try:
        if read_pull_record(source.repo_root, source.commit) is not None:
            return f"the source holds a pull record ({PULL_RECORD})"
    except MalformedPullRecord:
        return f"the source holds a pull record ({PULL_RECORD}) it cannot read"
    known = Known(start, target)
    given: dict[str, LocalFile | None] = {}
    for change in changes:
        given[change.path] = change.local
        known.add(scope.to_remote(change.path), change.local)
    for path, local in state.standing.items():
        if local is not None and local.path not in given:
            given[local.path] = local
        known.add(path, local)
    for path in start.record.kept:
        if scope.includes_remote(path):
            known.add(path, None)
    files.know(given)
    if fill_lfs_sha256(source, known.local, known.tree):
        known.local = {path: files[local.path] for path, local in known.local.items()}
    notes = (target.remote.notice,) if target.remote.notice else ()
    plan = make_plan(
        known.local,
        known.tree,
        known.base(),
        scope.includes_remote,
        head,
        policy,
        (*notes, *start.pointer.notes),
        remote_paths=state.tree.paths,
    )
    return replace(plan, in_sync=_in_sync(state.tree, known, plan)), known


def fill_lfs_sha256(
    source: Source, local: Mapping[str, LocalFile], tree: Mapping[str, RemoteFile]
) -> bool:
    """LFS entries are identified by SHA-256: compute it for local files of the same size.

    True when some were computed (the source's files changed)."""
    needed = [
        file.path
        for path, entry in tree.items()
        if entry.is_lfs
        and (file := local.get(path)) is not None
        and entry.size == file.size
        and file.sha256 is None
    ]
    if needed:
        source.fill_sha256(needed)
    return bool(needed)


def _in_sync(tree: TreeText, known: Known, plan: Plan) -> int:
    """The full plan's count of paths in sync: every path in scope on either side or in the
    base, less those with an operation. Paths off the remote are all among the known ones."""
    local, remote, entries = known.local, known.tree, known.entries
    off_remote = sum(1 for p in local if p not in remote)
    base_only = sum(1 for p in entries if p not in remote and p not in local)
    return len(tree.lines) + off_remote + base_only - len(plan.operations)


def standing_after(
    source: Source,
    plan: Plan,
    local: Mapping[str, LocalFile],
    looked_at: set[str],
    tree: TreeText,
    kept: Mapping[str, str | None],
    target: Target,
    written: bool,
) -> dict[str, LocalFile | None]:
    """The paths the next incremental plan must look at again, with their source files: those
    not in sync once `plan` is applied (`written`: its uploads and deletions were committed, so
    they are in sync; `tree`: the remote tree then, `kept`: its commit's kept base entries;
    `looked_at`: the other paths its plan read), those `kept` names, and the root .gitignore
    (which decides what the Hub drops)."""
    includes = target.scope.includes_remote
    done = {op.path for op in (*plan.uploads, *plan.deletes)} if written else set()
    paths = {op.path for op in plan.operations} | looked_at | {p for p in kept if includes(p)}
    paths -= done
    remote: dict[str, RemoteFile] = {}
    entries: dict[str, str] = {}
    for path in paths:
        _remote_and_base(tree, kept, path, remote, entries)
    sub_local = {p: local[p] for p in paths if p in local}
    if fill_lfs_sha256(source, sub_local, remote):  # an upload the remote stores as LFS, say
        sub_local = {p: source.files[file.path] for p, file in sub_local.items()}
    after = make_plan(
        sub_local,
        remote,
        Base(entries, includes),
        includes,
        plan.head,
        plan.policy,
        remote_paths=tree.paths,
    )
    standing = {op.path for op in after.operations} | {p for p in kept if includes(p)}
    if includes(GITIGNORE):
        standing.add(GITIGNORE)
    return {path: local.get(path) for path in sorted(standing)}


def differences(
    fast: Plan, full: Plan | None, fast_tree: TreeText, full_tree: TreeText | None, source: Source
) -> list[str]:
    """How the incremental plan departs from the full plan of the same sync (none: equal);
    with no full plan, how the source files it read from git's diff depart from the listing."""
    found = []
    if isinstance(source.files, ListedFiles):
        wrong = source.files.known_differences()
        if wrong:
            found.append(f"source files read from git's diff differ: {wrong[:5]}")
    if full is None or full_tree is None:
        return found
    if fast.to_dict() != full.to_dict():
        found.append(f"plan {_shown(fast.to_dict())} vs {_shown(full.to_dict())}")
    ops = [(op.path, op.local, op.remote, op.base) for op in fast.operations]
    full_ops = [(op.path, op.local, op.remote, op.base) for op in full.operations]
    if ops != full_ops:
        found.append(f"operations' entries {_shown(ops)} vs {_shown(full_ops)}")
    if fast_tree != full_tree:
        found.append("the kept remote tree differs from the remote's")
    return found


def _shown(value: object) -> str:
    return json.dumps(value, default=str)[:2000]
