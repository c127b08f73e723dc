"""`hfsync pull`: bring every remote edit home into the working tree, keeping all local work.

The remote, the base and the working tree are read as a sync reads them (`snapshot`: the same
scope, folder mapping, base recovery, settled agreements and pull record); `core/pull_plan`
decides per path; this module reads the contents (checked against the ids the remote lists),
merges with git (`local/merge_file`), records the journal (`local/pull_journal`), writes, and
updates the pull record (`.hfsync/pulled.json`) that the developer commits with the merge.

A file is written only if it is still what the plan read: a file that changed meanwhile, a
file git ignores, a symlink or a folder in the way is left alone and listed. Conflicts: text
edited on the same lines on both sides gets git's conflict markers; a binary file edited on both
sides keeps yours and gets the remote's beside it (`logo.remote.png`). Both are recorded as
unresolved until they change (`engine/pulled.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from hfsync.core.errors import RemoteError, SourceError
from hfsync.core.plan import Policy
from hfsync.core.pull_plan import PullAction, PullPlan, PullStep, make_pull_plan, sha256_needed
from hfsync.core.pulled import PULL_RECORD, MalformedPullRecord, PullEntry, dump_pull_record
from hfsync.core.snapshot import MODE_EXECUTABLE, SHA256_HEX_LEN
from hfsync.engine.planning import Snapshot, snapshot
from hfsync.engine.pulled import remote_name
from hfsync.local import pull_journal
from hfsync.local.gitcmd import run_git
from hfsync.local.hashindex import git_blob_sha1
from hfsync.local.merge_file import is_binary, merge_file
from hfsync.local.pull_journal import Journal, Write, disk_state
from hfsync.local.pulled_file import read_pull_record
from hfsync.local.source import read_source
from hfsync.local.state import run_lock
from hfsync.remotes.target import local_files

if TYPE_CHECKING:
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

MB = 1_000_000
CONFLICTS = frozenset({"conflict", "beside", "kept", "restored", "skipped"})


@dataclass(frozen=True)
class PulledFile:
    """One line of a pull's report: what happened to a working tree file, and why."""

    action: str  # took, deleted, merged, conflict, beside, kept, restored, skipped
    path: str
    reason: str

    @property
    def conflict(self) -> bool:
        return self.action in CONFLICTS

    def to_dict(self) -> dict[str, object]:
        return {"action": self.action, "path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class PullResult:
    target: str
    head: str | None
    files: tuple[PulledFile, ...] = ()
    dry_run: bool = False
    resumed: bool = False  # this run finished a pull that was interrupted
    left_alone: tuple[str, ...] = ()  # files to write that changed meanwhile
    notes: tuple[str, ...] = ()
    record_written: bool = False

    @property
    def conflicts(self) -> tuple[PulledFile, ...]:
        return tuple(file for file in self.files if file.conflict)

    @property
    def exit_code(self) -> int:
        return 3 if self.conflicts or self.left_alone else 0

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "head": self.head,
            "dry_run": self.dry_run,
            "resumed": self.resumed,
            "files": [file.to_dict() for file in self.files],
            "conflicts": len(self.conflicts),
            "left_alone": list(self.left_alone),
            "notes": list(self.notes),
            "record": PULL_RECORD if self.record_written else None,
            "exit_code": self.exit_code,
        }


@dataclass
class _Writes:
    """What the pull will write, built before anything is."""

    writes: list[Write] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)
    files: list[PulledFile] = field(default_factory=list)
    unresolved: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, str | None] = field(default_factory=dict)  # remote path -> local before
    dropped: set[str] = field(default_factory=set)  # remote paths not taken in after all
    reserved: set[str] = field(default_factory=set)  # local paths a beside copy must avoid

    def add(
        self, path: str, before: str | None, data: bytes | None, executable: bool | None = None
    ) -> str:
        """Plan writing `data` at `path` (None: deleting it); the blob id written ("": none)."""
        sha1 = None
        if data is not None:
            sha1 = git_blob_sha1(data)
            self.contents[sha1] = data
        self.writes.append(Write(path, before, sha1, executable))
        return sha1 or ""


def pull(
    target: Target,
    repo_root: Path,
    git_dir: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda line: None,
) -> PullResult:
    """Bring `target`'s remote edits into the working tree (or say what would be done)."""
    with run_lock(git_dir):
        journal = pull_journal.load(git_dir)
        if journal is not None and not journal.done:
            if dry_run:
                raise SourceError(_UNFINISHED)
            return _finish(repo_root, git_dir, journal)
        source = read_source(repo_root, None, target.scope.includes)
        snap = snapshot(target, source, Policy(on_conflict="skip"))
        name = target.config.name
        if snap.head is None:
            return PullResult(name, None, dry_run=dry_run, notes=snap.plan.notes)
        plan = _pull_plan(target, source, snap)
        if plan.steps:
            progress(f"{name}: bringing {len(plan.steps)} remote edit(s) home")
        prepared = _prepare(target, source, snap, plan)
        record = _record(target, source, snap, plan, prepared)
        if record is not None:
            before = disk_state(repo_root, PULL_RECORD)
            if before == pull_journal.OTHER:
                raise SourceError(
                    f"{PULL_RECORD} is not a file hfsync can write (a folder, a symlink, or "
                    ".hfsync is a file); move it away and pull again; nothing was written"
                )
            prepared.add(PULL_RECORD, before, record)
        result = PullResult(
            name, snap.head, tuple(prepared.files), dry_run, notes=snap.plan.notes,
            record_written=record is not None and not dry_run,
        )  # fmt: skip
        if dry_run or not prepared.writes:
            return result
        steps = tuple((f.action, f.path, f.reason) for f in prepared.files)
        journal = Journal(name, snap.head, tuple(prepared.writes), steps)
        pull_journal.record(repo_root, git_dir, journal, prepared.contents)
        applied = pull_journal.apply(repo_root, git_dir, journal)
        return replace(result, left_alone=tuple(applied.changed))


_UNFINISHED = (
    "an interrupted hfsync pull is unfinished: 'hfsync pull' finishes it, 'hfsync pull --undo' "
    "puts the files it wrote back"
)


def undo_pull(repo_root: Path, git_dir: Path) -> pull_journal.Applied:
    """Put back the files the last pull wrote (finished or interrupted) that are still as it
    left them; raises SourceError when there is no pull to undo."""
    with run_lock(git_dir):
        journal = pull_journal.load(git_dir)
        if journal is None:
            raise SourceError("there is no hfsync pull to undo (its journal is gone)")
        return pull_journal.undo(repo_root, git_dir, journal)


def _finish(repo_root: Path, git_dir: Path, journal: Journal) -> PullResult:
    applied = pull_journal.apply(repo_root, git_dir, journal)
    files = tuple(PulledFile(action, path, reason) for action, path, reason in journal.steps)
    return PullResult(
        journal.target, journal.head, files, resumed=True, left_alone=tuple(applied.changed),
        record_written=any(write.path == PULL_RECORD for write in journal.writes),
    )  # fmt: skip


def _pull_plan(target: Target, source: Source, snap: Snapshot) -> PullPlan:
    local = snap.local
    needed = sha256_needed(local, snap.tree, snap.base)
    if needed:
        source.fill_sha256(needed)
        local = local_files(target, source)
    assert snap.head is not None  # noqa: S101 (the caller checked)
    scope = target.scope
    return make_pull_plan(
        local, snap.tree, snap.base, snap.head, scope.includes_remote, scope.to_local,
        int(target.config.max_file_mb * MB),
    )  # fmt: skip


def _prepare(target: Target, source: Source, snap: Snapshot, plan: PullPlan) -> _Writes:
    """Every write of the pull, its content read and merged, before any is made."""
    repo = source.repo_root
    prepared = _Writes(reserved=set(source.files) | {step.local_path for step in plan.steps})
    for step in plan.steps:
        before = step.local.sha1 if step.local is not None else None
        if step.action is PullAction.SKIP:
            prepared.dropped.add(step.path)
            prepared.files.append(PulledFile("skipped", step.local_path, step.reason))
            continue
        if step.action is PullAction.KEEP:
            prepared.files.append(PulledFile("kept", step.local_path, step.reason))
            continue
        in_the_way = _in_the_way(repo, step.local_path, before)
        if in_the_way is not None:
            prepared.dropped.add(step.path)
            prepared.files.append(PulledFile("skipped", step.local_path, in_the_way))
            continue
        if step.action is PullAction.DELETE:
            prepared.add(step.local_path, before, None)
            prepared.replaced[step.path] = before
            prepared.files.append(PulledFile("deleted", step.local_path, step.reason))
        elif step.action in (PullAction.TAKE, PullAction.RESTORE):
            theirs = _remote_bytes(target, plan.head, step)
            mode = step.remote.mode if step.remote is not None else None
            executable = None if mode is None else mode == MODE_EXECUTABLE
            prepared.add(step.local_path, before, theirs, executable=executable)
            action = "took" if step.action is PullAction.TAKE else "restored"
            if step.action is PullAction.TAKE:
                prepared.replaced[step.path] = before
            prepared.files.append(PulledFile(action, step.local_path, step.reason))
        else:
            _merge(target, source, snap, plan.head, step, prepared)
    return prepared


def _merge(
    target: Target, source: Source, snap: Snapshot, head: str, step: PullStep, into: _Writes
) -> None:
    path = step.local_path
    assert step.local is not None  # noqa: S101 (a merge has both sides)
    ours = source.read_bytes(path)
    theirs = _remote_bytes(target, head, step)
    base = _base_bytes(target, source, snap, step)
    if is_binary(ours, base or b"", theirs):
        beside = _beside(source.repo_root, path, into.reserved)
        into.reserved.add(beside)
        into.unresolved[beside] = into.add(beside, None, theirs)
        into.replaced[step.path] = step.local.sha1
        reason = f"{step.reason}, binary: yours is kept, the remote's is in {beside}"
        into.files.append(PulledFile("beside", path, reason))
        return
    labels = ("yours", "base", f"remote ({target.config.name} {head[:12]})")
    merged = merge_file(source.repo_root, ours, base or b"", theirs, labels)
    if merged.content != ours:
        sha1 = into.add(path, step.local.sha1, merged.content)
        into.replaced[step.path] = step.local.sha1
        if merged.conflicts:
            into.unresolved[path] = sha1
    if merged.conflicts:
        why = "" if base is not None else " (no base to merge against)"
        reason = f"{step.reason}, the same lines{why}: resolve the conflict markers"
        into.files.append(PulledFile("conflict", path, reason))
    else:
        into.files.append(PulledFile("merged", path, f"{step.reason}; merged, yours kept"))


def _in_the_way(repo: Path, path: str, expected: str | None) -> str | None:
    """Why `path` cannot be written (None: it can): something other than what the plan read."""
    state = disk_state(repo, path)
    if state == expected:
        return None
    if state == pull_journal.OTHER:
        return "a symlink or a folder is in the way here; not brought home"
    if expected is None:
        return "a file git ignores (or does not list) is in the way here; not brought home"
    return "changed while hfsync pull was reading it; not brought home (run hfsync pull again)"


def _beside(repo: Path, path: str, reserved: set[str]) -> str:
    """A free name beside `path` that says it holds the remote's version: logo.remote.png."""
    pure = PurePosixPath(path)
    stem, suffix = (pure.stem, pure.suffix) if pure.suffix and pure.stem else (pure.name, "")
    number = 1
    while True:
        tag = "remote" if number == 1 else f"remote-{number}"
        name = str(pure.with_name(f"{stem}.{tag}{suffix}"))
        if name not in reserved and disk_state(repo, name) is None:
            return name
        number += 1


def _remote_bytes(target: Target, head: str, step: PullStep) -> bytes:
    """The remote's content at `head`, checked against the id its tree lists."""
    assert step.remote is not None  # noqa: S101 (only steps that read the remote's version)
    data = target.remote.read_file(head, step.path)
    if _oid_of(data, step.remote.oid) != step.remote.oid:
        raise RemoteError(
            f"{step.path} as read from {target.remote.description} is not the content its tree "
            f"lists ({step.remote.oid[:12]}); nothing was written, run hfsync pull again"
        )
    return data


def _oid_of(data: bytes, like: str) -> str:
    if len(like) == SHA256_HEX_LEN:
        return hashlib.sha256(data).hexdigest()
    return git_blob_sha1(data)


def _base_bytes(target: Target, source: Source, snap: Snapshot, step: PullStep) -> bytes | None:
    """The base's content of a path (None: unknown, or no longer to be found): from this
    repository's objects, else from a remote commit that held it (hfsync's base, the last pull)."""
    oid = step.base
    if oid is None or not step.base_known:
        return None
    if len(oid) != SHA256_HEX_LEN:
        done = run_git(source.repo_root, "cat-file", "blob", oid)
        if done.returncode == 0:
            return done.stdout
    commits = []
    if snap.recovery is not None and snap.recovery.pointer is not None:
        commits.append(snap.recovery.pointer.base_commit)
    if snap.taken_in is not None and snap.taken_in.entry is not None:
        commits.append(snap.taken_in.entry.head)
    for commit in commits:
        if commit is None:
            continue
        found = target.remote.tree(commit).get(step.path)
        if found is not None and found.oid == oid:
            data = target.remote.read_file(commit, step.path)
            return data if _oid_of(data, oid) == oid else None
    return None


def _record(
    target: Target, source: Source, snap: Snapshot, plan: PullPlan, prepared: _Writes
) -> bytes | None:
    """The pull record with this pull in it; None when it stays as it is."""
    repo = source.repo_root
    try:
        old = read_pull_record(repo, None)
    except MalformedPullRecord:
        old = None
    taken_in = snap.taken_in
    entries = dict(taken_in.entries or {}) if taken_in is not None else {}
    previous = taken_in.entry if taken_in is not None else None
    usable = previous is not None and taken_in is not None and taken_in.usable
    taken = dict(previous.taken) if previous is not None and usable else {}
    taken.update({p: oid for p, oid in plan.taken.items() if p not in prepared.dropped})
    replaced = dict(previous.replaced) if previous is not None and usable else {}
    replaced.update(prepared.replaced)
    unresolved = {
        path: sha1
        for path, sha1 in (previous.unresolved if previous is not None else {}).items()
        if disk_state(repo, path) == sha1
    }
    unresolved.update(prepared.unresolved)
    if not prepared.unresolved and all(p in prepared.dropped for p in plan.taken):
        return None  # nothing new taken in: the record stays as it is
    recovery = snap.recovery
    pointer = recovery.pointer if recovery is not None and recovery.base is not None else None
    assert snap.head is not None  # noqa: S101 (the caller checked)
    entries[target.config.name] = PullEntry(
        remote_name(target.config),
        snap.head,
        pointer.base_commit if pointer is not None else None,
        taken,
        replaced,
        unresolved,
    )
    data = dump_pull_record(entries)
    return None if data == old else data
