"""The working tree listed from the tree git staged of it (`worktree_tree.py`: `git add -A` in a
copy of the index), as a commit is listed: git stated and hashed every file for that tree, so
listing it costs one `git ls-tree` (at 50,000 files ~0.15 s, reading the working tree ~0.45 s).
Only where nothing needs the disk: no symlink in scope (a link is checked where it is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from hfsync.core.errors import HfsyncError
from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, LocalFile
from hfsync.local.commit_reader import commit_tree
from hfsync.local.symlinks import MODE_LINK
from hfsync.local.unreadable import check_name

if TYPE_CHECKING:
    from git.cmd import Git


def tree_files(git: Git, tree: str, include: Callable[[str], bool]) -> dict[str, LocalFile] | None:
    """The files of `tree` that `include` keeps, as `read_commit` reads a commit's; None when a
    symlink is among them."""
    blobs, _ = commit_tree(git, tree)
    files: dict[str, LocalFile] = {}
    for path, blob in blobs.items():
        if not include(path):
            continue
        if blob.mode == MODE_LINK:
            return None
        check_name(path)
        mode = MODE_EXECUTABLE if blob.mode == MODE_EXECUTABLE else MODE_FILE
        files[path] = LocalFile(path, blob.size, blob.sha1, mode=mode)
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
