"""What changed in scope between two commits of the source, from git alone: `git diff-tree`
walks only the trees that differ, so its cost follows the change, not the repository."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, LocalFile
from hfsync.local.gitcmd import git_output
from hfsync.local.unreadable import check_name

_ABSENT = "000000"
_REGULAR = (MODE_FILE, MODE_EXECUTABLE)


@dataclass(frozen=True)
class PathChange:
    """One path in scope that differs: whether the old commit had a file there, and the new
    commit's file (None: none)."""

    path: str
    before: bool
    local: LocalFile | None


def changes_between(
    repo_root: Path, old: str, new: str, include: Callable[[str], bool]
) -> list[PathChange] | str:
    """The paths in scope whose file differs between commits `old` and `new`; or why git's diff
    cannot tell it alone (a symlink or a submodule changed: the file a link leads to is another
    path's content)."""
    try:
        out = git_output(repo_root, "diff-tree", "-r", "-z", "--no-renames", old, new, "--")
    except subprocess.CalledProcessError:
        return f"git cannot compare {old[:12]} with {new[:12]} (history rewritten or gone?)"
    fields = out.split(b"\0")
    found: list[tuple[str, str, str, str]] = []  # (path, old mode, new mode, new sha)
    for at in range(0, len(fields) - 1, 2):
        meta, path = fields[at].decode("ascii"), os.fsdecode(fields[at + 1])
        old_mode, new_mode, _, sha, _ = meta.lstrip(":").split(" ")
        if not include(path):
            continue
        for mode in (old_mode, new_mode):
            if mode != _ABSENT and mode not in _REGULAR:
                return f"{path} is or was a symlink or submodule"
        check_name(path)
        found.append((path, old_mode, new_mode, sha))
    sizes = _blob_sizes(repo_root, [sha for _, _, mode, sha in found if mode != _ABSENT])
    return [
        PathChange(
            path,
            old_mode != _ABSENT,
            None if new_mode == _ABSENT else LocalFile(path, sizes[sha], sha, mode=new_mode),
        )
        for path, old_mode, new_mode, sha in found
    ]


def _blob_sizes(repo_root: Path, shas: list[str]) -> dict[str, int]:
    if not shas:
        return {}
    out = git_output(
        repo_root, "cat-file", "--batch-check", stdin="".join(f"{s}\n" for s in shas).encode()
    )
    sizes = {}
    for line in out.decode("ascii").splitlines():
        sha, _, size = line.split(" ")
        sizes[sha] = int(size)
    return sizes
