"""Symlinks in the source: synced as the in-repository file they name, never followed out.

A working-tree link is checked on disk; a link in a commit is resolved within that commit's tree,
as the OS would resolve it (through other links and `..`), without reading any file.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from hfsync.core.errors import SourceError

MODE_LINK = "120000"
MAX_LINK_HOPS = 40  # as Linux's limit on nested symlinks


class TreeBlob(NamedTuple):
    """A file of a commit's tree, as `git ls-tree -r -l` gives it."""

    mode: str
    sha1: str
    size: int


def worktree_link(
    repo_real: Path, path: str, syncs: Callable[[str], bool]
) -> tuple[Path, os.stat_result]:
    """The in-repository regular file that symlink `path` names, and its stat.

    `syncs(target_path)` says whether this target syncs the file the link leads to (in its
    scope, not excluded, not git-ignored): a link must not carry out what the rules keep in.
    """
    link = repo_real / path
    target = os.readlink(link)
    real = Path(os.path.realpath(link))
    if not real.is_relative_to(repo_real):
        raise link_error(path, target, "leaves the repository")
    if real.relative_to(repo_real).parts[:1] == (".git",):
        raise link_error(path, target, "points into the .git directory")
    try:
        st = os.stat(real)
    except OSError:
        raise link_error(path, target, "does not point to an existing file") from None
    if stat.S_ISDIR(st.st_mode):
        raise link_error(path, target, "points to a directory")
    if not stat.S_ISREG(st.st_mode):
        raise link_error(path, target, "does not point to a regular file")
    final = real.relative_to(repo_real).as_posix()
    if not syncs(final):
        raise unsynced_target_error(path, target, final)
    return real, st


def tree_dirs(blobs: dict[str, TreeBlob], submodules: set[str]) -> set[str]:
    """The directories of a tree ("" for its root); a submodule counts as one for a link."""
    dirs = {""} | submodules
    for path in blobs:
        parts = path.split("/")[:-1]
        dirs.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
    return dirs


def resolve_tree_link(
    path: str,
    blobs: dict[str, TreeBlob],
    dirs: set[str],
    links: dict[str, str],
    syncs: Callable[[str], bool],
) -> tuple[str, TreeBlob]:
    """The path and blob of the regular file of the tree that symlink `path` leads to, resolved
    as the OS would.

    As for `worktree_link`, the file must be one this target syncs (`syncs`).
    """

    def refuse(why: str) -> SourceError:
        return link_error(path, links[path], why)

    def parts(target: str) -> list[str]:
        if target.startswith("/"):
            raise refuse("leaves the repository")
        return target.split("/")

    resolved = path.split("/")[:-1]  # the directories reached so far, all known to exist
    pending = parts(links[path])
    hops = 0
    while pending:
        part = pending.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise refuse("leaves the repository")
            resolved.pop()
            continue
        candidate = "/".join([*resolved, part])
        if candidate in links:  # a link on the way: go on along its target, from `resolved`
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise refuse("does not point to an existing file")
            pending = parts(links[candidate]) + pending
            continue
        if pending and candidate not in dirs:
            raise refuse("does not point to an existing file")
        resolved.append(part)
    final = "/".join(resolved)
    if final in blobs:
        if not syncs(final):
            raise unsynced_target_error(path, links[path], final)
        return final, blobs[final]
    raise refuse("points to a directory" if final in dirs else "does not point to an existing file")


def unsynced_target_error(path: str, target: str, final: str) -> SourceError:
    return link_error(
        path,
        target,
        f"points to {final!r}, which this target does not sync (excluded, git-ignored or "
        "outside its paths)",
    )


def link_error(path: str, target: str, why: str) -> SourceError:
    return SourceError(
        f"symlink {path!r} -> {target!r} {why}; exclude it from this target's paths "
        "or replace it with the file itself"
    )


def direct_link(path: str, target: str, final: str) -> str | None:
    """`target` when the text of symlink `path` names `final` as it is written (relative, no
    other link on the way), so that the link stays right wherever both files go together."""
    if target.startswith("/"):
        return None
    lexical = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return target if lexical == final else None
