"""The working tree listed from the tree git staged of it (`worktree_tree.py`: `git add -A` in a
copy of the index), as a commit is listed: git stated and hashed every file for that tree, so
listing it costs one `git ls-tree` (at 50,000 files ~0.15 s, reading the working tree ~0.45 s).
Only where nothing needs the disk: no symlink in scope (a link is checked where it is).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from hfsync.core.errors import HfsyncError
from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, LocalFile
from hfsync.local.gitcmd import git_output, split_z
from hfsync.local.symlinks import MODE_LINK
from hfsync.local.unreadable import check_name

_MODES = {MODE_EXECUTABLE: MODE_EXECUTABLE}  # a blob's git mode as LocalFile keeps it


def tree_files(
    repo_root: Path, tree: str, include: Callable[[str], bool]
) -> dict[str, LocalFile] | None:
    """The files of `tree` that `include` keeps, as `read_commit` reads a commit's (names
    decoded as `read_worktree` decodes them); None when a symlink is among them."""
    out = os.fsdecode(git_output(repo_root, "ls-tree", "-r", "-l", "-z", "--full-tree", tree))
    check_names = not out.isascii()  # ASCII names are valid UTF-8 already
    files: dict[str, LocalFile] = {}
    for record in split_z(out):
        info, path = record.split("\t", 1)
        mode, kind, sha1, size = info.split()
        if kind != "blob" or not include(path):
            continue  # a submodule, or out of scope
        if mode == MODE_LINK:
            return None
        if check_names:
            check_name(path)
        files[path] = LocalFile(path, int(size), sha1, mode=_MODES.get(mode, MODE_FILE))
    return files


def check_same(staged: Mapping[str, LocalFile], read: Mapping[str, LocalFile]) -> None:
    """HFSYNC_VERIFY_PLAN: the listing from the staged tree must be the working tree read (but
    for SHA-256s the hash index had kept: the staged tree has none)."""

    def bare(local: LocalFile | None) -> LocalFile | None:
        return local and replace(local, sha256=None)

    wrong = sorted(
        p for p in staged.keys() | read.keys() if bare(staged.get(p)) != bare(read.get(p))
    )
    if wrong:
        raise HfsyncError(
            "the working tree as git staged it differs from the working tree read "
            f"(HFSYNC_VERIFY_PLAN): {wrong[:5]}; nothing was written"
        )
