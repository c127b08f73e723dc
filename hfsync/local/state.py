"""Local state per target, in the git directory: a cache, never the truth.

It remembers, for the last head seen, which commit carries the base, so that a run whose remote
has not moved recovers the base without walking the history; and the paths a run found in sync
although the base says otherwise (see `BasePointer.settled`). Versioned, written atomically,
ignored when missing or corrupt.

Every cache in `.git/hfsync/` only saves time: when one cannot be written (a full disk, a
read-only folder) the run goes on without it and says so once (`cache_not_written`). The run
lock is no cache: a run that cannot take it stops (exit 2), naming the file and the cause.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.core.errors import ConfigError, TemporaryError

VERSION = 1
LOCK_NAME = "run.lock"
LOCK_WAIT_S = 600.0  # a run waits this long for another run on the same checkout


@dataclass(frozen=True)
class BasePointer:
    """At `head`, the base is recorded by commit `base_commit` (None: no hfsync commit yet)."""

    head: str
    base_commit: str | None
    base_message: str | None
    # What the walk that found it had to say (records it skipped), repeated on every run.
    notes: tuple[str, ...] = ()
    # This target was synced before (a base was found or written once): with no base reachable
    # now, its history was rewritten, and that is no first sync.
    seen_before: bool = False
    # Paths a run found in sync (source == remote) where the remote no longer held what the base
    # says: path -> (the remote's version then, None: absent; the source it agreed with: a
    # commit sha or "worktree"). See engine/settled.py.
    settled: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)


def state_dir(git_dir: Path) -> Path:
    """Where hfsync keeps its caches: inside the git directory, so never synced nor committed."""
    return git_dir / "hfsync"


_told: set[str] = set()  # caches' folders a failure to write in was reported for


def cache_not_written(directory: Path, error: OSError) -> None:
    """A cache under `directory` could not be written: the run goes on without it. Said once
    per process for hfsync's folder, naming it and the cause."""
    folder = next((p for p in (directory, *directory.parents) if p.name == "hfsync"), directory)
    if str(folder) in _told:
        return
    _told.add(str(folder))
    logging.getLogger("hfsync.state").warning(
        "warning: cannot write hfsync's caches in %s (%s); going on without them (they only "
        "save time; free space or make the folder writable)",
        folder,
        error.strerror or error,
    )


@contextmanager
def cache_write(directory: Path) -> Iterator[None]:
    """Write a cache under `directory` in the block: an OSError ends the block quietly (the
    cache is not written; `cache_not_written` says so once)."""
    try:
        yield
    except OSError as exc:
        cache_not_written(directory, exc)


def target_key(name: str, where: str, branch: str) -> str:
    """A file-name-safe key for one target (its name, remote and branch)."""
    digest = hashlib.sha1(f"{name}\0{where}\0{branch}".encode(), usedforsecurity=False).hexdigest()[
        :16
    ]
    return f"{name}-{digest}"


@contextmanager
def run_lock(git_dir: Path, wait_s: float = LOCK_WAIT_S) -> Iterator[bool]:
    """Hold the checkout's run lock (`.git/hfsync/run.lock`): one writing run at a time per
    checkout. Yields True when another run held it first (this one waited for it). The lock is
    the kernel's (flock): a run killed with -9 releases it."""
    from filelock import FileLock, Timeout

    directory = state_dir(git_dir)
    lock = FileLock(directory / LOCK_NAME)
    waited = False
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except Timeout:
        waited = True
        import logging

        logging.getLogger("hfsync.state").warning(
            "waiting for another hfsync run on this checkout to finish"
        )
        try:
            lock.acquire(timeout=wait_s)
        except Timeout:
            raise TemporaryError(
                f"another hfsync run on this checkout held {directory / LOCK_NAME} for more "
                f"than {wait_s:.0f} s; nothing was written, try again when it has finished"
            ) from None
    except OSError as exc:  # not a cache: without the lock two runs could write at once
        raise ConfigError(
            f"cannot take hfsync's run lock {directory / LOCK_NAME} ({exc.strerror or exc}); "
            f"nothing was written: free space or make {directory} writable, and run again"
        ) from None
    try:
        yield waited
    finally:
        lock.release()


class TargetState:
    """Read and write one target's cached base pointer."""

    def __init__(self, git_dir: Path, key: str) -> None:
        self.git_dir = git_dir
        self.path = state_dir(git_dir) / "targets" / f"{key}.json"

    def load(self) -> BasePointer | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                return None
            notes = data.get("notes", [])
            if not all(isinstance(note, str) for note in notes):
                return None
            seen = data.get("seen_before", False) is True or data["base_commit"] is not None
            settled = {
                path: (oid, seen_with) for path, (oid, seen_with) in data.get("settled", {}).items()
            }
            if not all(
                isinstance(path, str)
                and (oid is None or isinstance(oid, str))
                and isinstance(seen_with, str)
                for path, (oid, seen_with) in settled.items()
            ):
                return None
            return BasePointer(
                data["head"], data["base_commit"], data["base_message"], tuple(notes), seen, settled
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, pointer: BasePointer) -> None:
        """Write the pointer; when it cannot be written, go on without it (said once)."""
        with cache_write(self.path.parent):
            self._save(pointer)

    def _save(self, pointer: BasePointer) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "version": VERSION,
            "head": pointer.head,
            "base_commit": pointer.base_commit,
            "base_message": pointer.base_message,
            "notes": list(pointer.notes),
            "seen_before": pointer.seen_before,
            "settled": {path: list(value) for path, value in pointer.settled.items()},
        }
        import tempfile  # here: `hfsync run`'s replay of an answer imports this module

        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
