"""What a git commit changes, read from git's diff of the two trees rather than from listing them:
the entries, before and after, of the paths that changed and of the paths the plan names. This is
what the commit check (core/commit_check.py) is fed, at a cost that follows the change, not the
repository."""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import TYPE_CHECKING

from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, MODE_LINK, RemoteFile

if TYPE_CHECKING:
    from hfsync.remotes.git_process import GitProcess

LOOKUP_CHUNK = 500  # paths per `ls-tree` (a command line stays well under the system's limit)
_MODES = {mode: mode for mode in (MODE_FILE, MODE_EXECUTABLE, MODE_LINK)}
_ABSENT = "000000"
_GITLINK = "160000"  # a submodule: not a file (listings leave it out too)
# Paths are names, not patterns: `*`, `?` or a leading `:` in a file name match only that name.
_LITERAL = {"GIT_LITERAL_PATHSPECS": "1"}

Entries = dict[str, RemoteFile]


def changed_entries(
    process: GitProcess, parent: str | None, tree: str, planned: Collection[str]
) -> tuple[Entries, Entries]:
    """The entries before (at `parent`, or none for a first commit) and after (in `tree`) of
    every path that differs between the two, and of every path in `planned` (a planned path
    the diff does not show is the same in both, and is looked up in `tree`).

    Sizes are not read (0): the check compares blob ids and modes."""
    old = parent if parent is not None else empty_tree(process)
    out = process.run("diff-tree", "-r", "-z", "--no-renames", old, tree)
    before, after = parse_diff(out)
    unseen = [path for path in planned if path not in before and path not in after]
    same = lookup(process, tree, unseen)
    before.update(same)
    after.update(same)
    return before, after


def parse_diff(out: str) -> tuple[Entries, Entries]:
    """`git diff-tree -r -z` records (`:old_mode new_mode old_oid new_oid status`, NUL, path)
    as the entries before and after of each path."""
    before: Entries = {}
    after: Entries = {}
    records = out.split("\0")
    for meta, path in zip(records[0::2], records[1::2], strict=False):
        if not meta.startswith(":"):
            raise ValueError(f"unexpected git diff-tree output: {meta[:80]!r}")
        old_mode, new_mode, old_oid, new_oid = meta[1:].split()[:4]
        if old_mode not in (_ABSENT, _GITLINK):
            before[path] = RemoteFile(old_oid, 0, _MODES.get(old_mode, old_mode))
        if new_mode not in (_ABSENT, _GITLINK):
            after[path] = RemoteFile(new_oid, 0, _MODES.get(new_mode, new_mode))
    return before, after


def lookup(process: GitProcess, tree: str, paths: list[str]) -> Entries:
    """The entries of these paths in `tree` (a path with no file there is left out)."""
    wanted = set(paths)
    found: Entries = {}
    for start in range(0, len(paths), LOOKUP_CHUNK):
        chunk = paths[start : start + LOOKUP_CHUNK]
        out = process.run("ls-tree", "-z", tree, "--", *chunk, env=_LITERAL)
        for record in out.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, oid = meta.split()
            if kind == "blob" and path in wanted:
                found[path] = RemoteFile(oid, 0, _MODES.get(mode, mode))
    return found


def empty_tree(process: GitProcess) -> str:
    """The id of the empty tree in this repository's object format."""
    return process.run("hash-object", "-t", "tree", os.devnull).strip()
