"""Read the pull record (`.hfsync/pulled.json`, see core/pulled.py) from the source: the working
tree's file, or the blob of a commit. Only a regular file, up to the record's size limit."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hfsync.core.pulled import MAX_RECORD_BYTES, PULL_RECORD, MalformedPullRecord
from hfsync.local.gitcmd import git_output, run_git

_REGULAR = ("100644", "100755")


def read_pull_record(repo_root: Path, commit: str | None) -> bytes | None:
    """The record's bytes in commit `commit` (None: the working tree); None when there is none.

    Raises MalformedPullRecord for something else at its path (a symlink, a folder, too big)."""
    if commit is not None:
        return _from_commit(repo_root, commit)
    file = repo_root / PULL_RECORD
    try:
        st = os.lstat(file)
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(st.st_mode):
        raise MalformedPullRecord("not a regular file")
    if st.st_size > MAX_RECORD_BYTES:
        raise MalformedPullRecord(f"larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
    with open(file, "rb") as handle:
        return handle.read(MAX_RECORD_BYTES + 1)


def _from_commit(repo_root: Path, commit: str) -> bytes | None:
    done = run_git(repo_root, "ls-tree", "-l", "-z", commit, "--", PULL_RECORD)
    listing = done.stdout.decode("utf-8", "replace").split("\0")[0] if done.returncode == 0 else ""
    if not listing:
        return None
    meta, _, _path = listing.partition("\t")
    mode, kind, oid, size = meta.split()
    if kind != "blob" or mode not in _REGULAR:
        raise MalformedPullRecord("not a regular file")
    if int(size) > MAX_RECORD_BYTES:
        raise MalformedPullRecord(f"larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
    return git_output(repo_root, "cat-file", "blob", oid)
