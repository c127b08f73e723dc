"""The journal of `hfsync pull`: what it will write, recorded before the first write.

Before it touches the working tree, a pull stores every file's content before and after (by git
blob SHA-1, in `.git/hfsync/pull/blobs/`) and the list of writes (`journal.json`), each flushed
to disk. Then it writes the files one by one. A pull killed half-way leaves the journal
unfinished: the next `hfsync pull` finishes it (`apply`), `hfsync pull --undo` puts every file it
wrote back as it was (`undo`). Both look at each file first and touch only one that is exactly as
the journal expects (before or after): a file edited since is left alone and named. The journal
of the last finished pull is kept until the next pull, so `--undo` works after it too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from hfsync.core.errors import SourceError
from hfsync.core.pulled import valid_path
from hfsync.local.hashindex import git_blob_sha1
from hfsync.local.state import state_dir

VERSION = 1
_SHA1 = re.compile(r"[0-9a-f]{40}")
OTHER = "other"  # not a regular file: a folder, a symlink, a file where a folder should be
# Used by the tests only: the process kills itself (SIGKILL) after writing this many files.
KILL_AFTER_ENV = "HFSYNC_TEST_PULL_KILL_AFTER"


@dataclass(frozen=True)
class Write:
    """One file of the working tree: its blob before (None: absent) and after (None: deleted)."""

    path: str
    before: str | None
    after: str | None
    executable: bool | None = None  # for a new file: its mode; None keeps the file's own


@dataclass(frozen=True)
class Journal:
    target: str
    head: str
    writes: tuple[Write, ...]
    # What the pull has to say, kept for the run that finishes it: (action, path, reason).
    steps: tuple[tuple[str, str, str], ...] = ()
    done: bool = False


@dataclass
class Applied:
    """What `apply` or `undo` did: paths written, already as wanted, and left alone."""

    written: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)


def journal_dir(git_dir: Path) -> Path:
    return state_dir(git_dir) / "pull"


def disk_state(repo: Path, path: str) -> str | None:
    """The blob SHA-1 of the regular file at `path`, None when there is none, OTHER when
    something else is there or on the way (a symlink, a folder, a file where a folder is)."""
    parts = path.split("/")
    current = repo
    for part in parts[:-1]:
        current = current / part
        try:
            mode = os.lstat(current).st_mode
        except FileNotFoundError:
            return None
        if not stat.S_ISDIR(mode):
            return OTHER
    try:
        mode = os.lstat(repo / path).st_mode
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(mode):
        return OTHER
    return git_blob_sha1((repo / path).read_bytes())


def record(repo: Path, git_dir: Path, journal: Journal, contents: Mapping[str, bytes]) -> None:
    """Store the journal, flushed to disk, in place of the last one: the content each write
    puts (`contents`: blob id -> bytes) and the content it replaces (read here). Raises
    SourceError, nothing written, when a file is no longer what the journal says it was."""
    directory = journal_dir(git_dir)
    shutil.rmtree(directory, ignore_errors=True)
    blobs = directory / "blobs"
    blobs.mkdir(parents=True)
    for sha1, data in contents.items():
        _write_synced(blobs / sha1, data)
    for write in journal.writes:
        if write.before is None or (blobs / write.before).exists():
            continue
        try:
            data = (repo / write.path).read_bytes()
        except OSError:
            data = b""
        if git_blob_sha1(data) != write.before:
            shutil.rmtree(directory, ignore_errors=True)
            raise SourceError(
                f"{write.path} changed while hfsync pull was reading it; nothing was written, "
                "run hfsync pull again"
            )
        _write_synced(blobs / write.before, data)
    _save(directory, journal)


def load(git_dir: Path) -> Journal | None:
    """The journal of the last pull, or None. Raises SourceError when it cannot be read."""
    file = journal_dir(git_dir) / "journal.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise _damaged(git_dir, str(exc)) from None
    try:
        if data["version"] != VERSION:
            raise ValueError(f"version {data['version']!r}")
        writes = tuple(
            Write(w["path"], w["before"], w["after"], w["executable"]) for w in data["writes"]
        )
        for write in writes:
            if not valid_path(write.path):
                raise ValueError(f"path {write.path!r}")
            for blob in (write.before, write.after):
                if blob is not None and not _SHA1.fullmatch(blob):
                    raise ValueError(f"blob id {blob!r}")
        steps = tuple((str(a), str(p), str(r)) for a, p, r in data["steps"])
        return Journal(str(data["target"]), str(data["head"]), writes, steps, data["done"] is True)
    except (KeyError, TypeError, ValueError) as exc:
        raise _damaged(git_dir, str(exc)) from None


def apply(repo: Path, git_dir: Path, journal: Journal) -> Applied:
    """Write every file of the journal that is still as it was before; then mark it done."""
    applied = Applied()
    kill_after = int(os.environ.get(KILL_AFTER_ENV, "0") or 0)
    for write in journal.writes:
        state = disk_state(repo, write.path)
        if state == write.after:
            applied.already.append(write.path)
        elif state == write.before:
            _put(repo, git_dir, write.path, write.after, write.executable)
            applied.written.append(write.path)
            if kill_after and len(applied.written) >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
        else:
            applied.changed.append(write.path)
    _save(journal_dir(git_dir), replace(journal, done=True))
    return applied


def undo(repo: Path, git_dir: Path, journal: Journal) -> Applied:
    """Put back every file the journal wrote that is still as the pull left it; then forget
    the journal."""
    applied = Applied()
    for write in reversed(journal.writes):
        state = disk_state(repo, write.path)
        if state == write.before:
            applied.already.append(write.path)
        elif state == write.after:
            _put(repo, git_dir, write.path, write.before, None)
            applied.written.append(write.path)
        else:
            applied.changed.append(write.path)
    shutil.rmtree(journal_dir(git_dir), ignore_errors=True)
    return applied


def _put(repo: Path, git_dir: Path, path: str, sha1: str | None, executable: bool | None) -> None:
    file = repo / path
    if sha1 is None:
        file.unlink()
        _remove_empty_parents(repo, file.parent)
        return
    data = (journal_dir(git_dir) / "blobs" / sha1).read_bytes()
    if git_blob_sha1(data) != sha1:
        raise _damaged(git_dir, f"the stored content of {path} is not blob {sha1}")
    file.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.lstat(file).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    if executable is not None:
        readable = (mode & 0o444) >> 2
        mode = (mode | readable) if executable else (mode & ~0o111)
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".hfsync-pull-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, file)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_empty_parents(repo: Path, folder: Path) -> None:
    """As git does when it deletes a file: folders left empty go too (never the root)."""
    while folder != repo and repo in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _save(directory: Path, journal: Journal) -> None:
    data = {
        "version": VERSION,
        "target": journal.target,
        "head": journal.head,
        "done": journal.done,
        "writes": [write.__dict__ for write in journal.writes],
        "steps": [list(step) for step in journal.steps],
    }
    tmp = directory / "journal.json.tmp"
    _write_synced(tmp, json.dumps(data, indent=1).encode())
    os.replace(tmp, directory / "journal.json")


def _write_synced(file: Path, data: bytes) -> None:
    with open(file, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _damaged(git_dir: Path, why: str) -> SourceError:
    return SourceError(
        f"the journal of the last hfsync pull cannot be read ({why}); the working tree is as it "
        f"is, remove {journal_dir(git_dir)} to start again"
    )
