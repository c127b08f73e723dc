"""The persistent content-hash cache of the working tree (design.md, "Local index").

It lives in `<git-dir>/hfsync/hashindex.json`, so it is never synced nor committed, and maps a
repository path to the stat key and hashes of the file last read there. A file whose stat key
(size, mtime_ns, inode) is unchanged is not read again. It is a cache: a missing, corrupt or
other-version file is silently treated as empty, and losing it costs time, never correctness.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import NamedTuple

import filelock
import xxhash

from hfsync.core.errors import SourceError
from hfsync.local.state import cache_not_written, state_dir

VERSION = 1
INDEX_NAME = "hashindex.json"
LOCK_NAME = "hashindex.lock"
# Like git's racy-git rule: a file modified this close to the moment it was hashed may be
# modified again within the same mtime granularity without its stat key changing.
RACY_WINDOW_NS = 2_000_000_000
CHUNK_SIZE = 1 << 20
LOCK_TIMEOUT_S = 10.0
_READ_ATTEMPTS = 3
_ROW_TYPES: tuple[type | tuple[type, ...], ...] = (int, int, int, str, str, (str, type(None)), bool)

logger = logging.getLogger(__name__)


def git_blob_sha1(data: bytes) -> str:
    """The git blob id of `data` (what `git hash-object --no-filters` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


class FileHashes(NamedTuple):
    """What the index knows of one file: its stat key when hashed, and its hashes.

    `racy` marks an entry hashed while its mtime was within RACY_WINDOW_NS of the clock: the stat
    key alone cannot be trusted for it, so the next lookup reads the file again.
    """

    size: int
    mtime_ns: int
    inode: int
    xxh3: str
    sha1: str
    sha256: str | None
    racy: bool

    def fresh_for(self, st: os.stat_result) -> bool:
        """True when the file with stat `st` can be trusted to still hold these bytes."""
        return not self.racy and (self.size, self.mtime_ns, self.inode) == (
            st.st_size,
            st.st_mtime_ns,
            st.st_ino,
        )


class HashIndex:
    """The hash cache of one git directory. Load it, hash files through it, then `save`."""

    def __init__(self, directory: Path, entries: dict[str, FileHashes]) -> None:
        self._directory = directory
        self._entries = entries
        self._changed: set[str] = set()

    @classmethod
    def load(cls, git_dir: Path) -> HashIndex:
        """The index stored in `git_dir` (empty when missing, corrupt or of another version)."""
        directory = state_dir(git_dir)
        # No lock needed to read: writers replace the file atomically.
        return cls(directory, _read_entries(directory / INDEX_NAME))

    def needs_read(self, path: str, st: os.stat_result, *, sha256: bool) -> bool:
        """Whether `hash_file` would read the file (its entry is missing, stale or racy)."""
        old = self._entries.get(path)
        return old is None or not old.fresh_for(st) or (old.sha256 is None and sha256)

    def hash_file(
        self,
        path: str,
        file: str | Path,
        st: os.stat_result,
        *,
        sha256: bool,
        on_bytes: Callable[[int], None] | None = None,
    ) -> tuple[FileHashes, bool]:
        """The hashes of `file` (stored under repository path `path`, with stat `st`).

        Returns the entry and whether the file was read. The file is read only when its stat key
        changed, its entry is racy, or `sha256` is asked and not yet known; it is then read once,
        in chunks (`on_bytes` hears each chunk's size). When its content turns out unchanged
        (same xxh3), a known SHA-256 is kept.
        """
        old = self._entries.get(path)
        if old is not None and old.fresh_for(st) and (old.sha256 is not None or not sha256):
            return old, False
        new = _hash_file(path, file, sha256=sha256, on_bytes=on_bytes)
        if new.sha256 is None and old is not None and (old.xxh3, old.size) == (new.xxh3, new.size):
            new = new._replace(sha256=old.sha256)
        self._entries[path] = new
        self._changed.add(path)
        return new, True

    def save(self, keep: Collection[str] | None) -> None:
        """Write the index back, dropping entries for paths not in `keep` (the existing paths;
        None: keep every entry).

        Merges with what another hfsync process may have saved meanwhile, under a short file
        lock. Failing to save (read-only git directory, lock held too long) only costs time, so
        it is logged, not raised.
        """
        if not self._changed and (keep is None or all(path in keep for path in self._entries)):
            return
        try:
            self._directory.mkdir(parents=True, exist_ok=True)
            with filelock.FileLock(self._directory / LOCK_NAME, timeout=LOCK_TIMEOUT_S):
                on_disk = _read_entries(self._directory / INDEX_NAME)
                # The other process's entries are newer than ours, except those we just hashed.
                merged = {**self._entries, **on_disk}
                merged.update((path, self._entries[path]) for path in self._changed)
                self._entries = {
                    path: merged[path] for path in sorted(merged) if keep is None or path in keep
                }
                _write_entries(self._directory / INDEX_NAME, self._entries)
        except filelock.Timeout as err:  # another process held the index's lock too long
            logger.warning("hash index not saved in %s: %s", self._directory, err)
            return
        except OSError as err:  # a full disk, a read-only folder: said once for every cache
            cache_not_written(self._directory, err)
            return
        self._changed.clear()


def _hash_file(
    path: str, file: str | Path, *, sha256: bool, on_bytes: Callable[[int], None] | None = None
) -> FileHashes:
    """Read `file` once, computing xxh3-128, the git blob SHA-1 and (if asked) SHA-256."""
    for _ in range(_READ_ATTEMPTS):
        started_ns = time.time_ns()
        with open(file, "rb") as stream:
            before = os.fstat(stream.fileno())
            xxh3 = xxhash.xxh3_128()
            # The blob header needs the size up front; a size change is caught below.
            sha1 = hashlib.sha1(b"blob %d\0" % before.st_size, usedforsecurity=False)
            sha2 = hashlib.sha256() if sha256 else None
            size = 0
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                xxh3.update(chunk)
                sha1.update(chunk)
                if sha2 is not None:
                    sha2.update(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
            after = os.fstat(stream.fileno())
        unchanged = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
        if unchanged and size == before.st_size:
            return FileHashes(
                size=size,
                mtime_ns=before.st_mtime_ns,
                inode=before.st_ino,
                xxh3=xxh3.hexdigest(),
                sha1=sha1.hexdigest(),
                sha256=sha2.hexdigest() if sha2 is not None else None,
                racy=before.st_mtime_ns >= started_ns - RACY_WINDOW_NS,
            )
    raise SourceError(f"{path} kept changing while hfsync read it; run again once it is saved")


def _read_entries(index_file: Path) -> dict[str, FileHashes]:
    try:
        raw = json.loads(index_file.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or raw.get("version") != VERSION:
            return {}
        return {path: _entry(row) for path, row in raw["entries"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _entry(row: object) -> FileHashes:
    if not isinstance(row, list) or len(row) != len(_ROW_TYPES):
        raise ValueError("malformed hash index entry")
    for value, kind in zip(row, _ROW_TYPES, strict=True):  # a plain loop: this runs per file
        if not isinstance(value, kind):
            raise ValueError("malformed hash index entry")
    return FileHashes(*row)


def _write_entries(index_file: Path, entries: dict[str, FileHashes]) -> None:
    document = {
        "version": VERSION,
        "entries": entries,  # each entry, a NamedTuple, is written as a JSON list
    }
    fd, temp = tempfile.mkstemp(dir=index_file.parent, prefix=INDEX_NAME, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            # dumps, not dump: dump encodes in Python, several times slower
            stream.write(json.dumps(document, separators=(",", ":")))
        os.replace(temp, index_file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
