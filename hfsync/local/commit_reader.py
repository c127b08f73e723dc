"""Read one commit of the source repository: its files in scope, from git's object database alone
(sizes and blob ids from `git ls-tree`; no file is read), and blobs by one git process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.errors import SourceError
from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, LocalFile
from hfsync.local.gitcmd import git_output, run_git, split_z
from hfsync.local.symlinks import MODE_LINK, TreeBlob, direct_link, resolve_tree_link, tree_dirs
from hfsync.local.unreadable import check_name

if TYPE_CHECKING:
    from git.cmd import Git


def read_commit(
    repo_root: Path, git: Git, commit: str, include: Callable[[str], bool]
) -> tuple[dict[str, LocalFile], bool]:
    """The files of `commit` that `include` keeps (a symlink as the file it leads to), and
    whether a symlink is among them."""
    blobs, submodules = commit_tree(git, commit)
    in_scope = [path for path in blobs if include(path)]
    links: dict[str, str] = {}
    dirs: set[str] = set()
    has_links = any(blobs[path].mode == MODE_LINK for path in in_scope)
    if has_links:
        links = _link_targets(repo_root, blobs)
        dirs = tree_dirs(blobs, submodules)
    files: dict[str, LocalFile] = {}
    for path in in_scope:
        check_name(path)
        blob, text = blobs[path], None
        if blob.mode == MODE_LINK:
            final, blob = resolve_tree_link(path, blobs, dirs, links, include)
            text = direct_link(path, links[path], final)
        mode = MODE_EXECUTABLE if blob.mode == MODE_EXECUTABLE else MODE_FILE
        files[path] = LocalFile(path, blob.size, blob.sha1, mode=mode, link=text)
    return files, has_links


def commit_tree(git: Git, commit: str) -> tuple[dict[str, TreeBlob], set[str]]:
    """The blobs and symlinks of `commit` (sorted by path), and its submodules' paths."""
    blobs: dict[str, TreeBlob] = {}
    submodules: set[str] = set()
    for record in split_z(git.ls_tree("-r", "-l", "-z", "--full-tree", commit)):
        info, path = record.split("\t", 1)
        mode, kind, sha1, size = info.split()
        if kind == "blob":
            blobs[path] = TreeBlob(mode, sha1, int(size))
        else:
            submodules.add(path)
    return blobs, submodules


def _link_targets(repo_root: Path, blobs: dict[str, TreeBlob]) -> dict[str, str]:
    """Symlink path -> its target, for every link of the tree (one may lead through another)."""
    links = {path: blob.sha1 for path, blob in blobs.items() if blob.mode == MODE_LINK}
    targets = cat_blobs(repo_root, set(links.values()))
    return {path: os.fsdecode(targets[sha1]) for path, sha1 in links.items()}


def cat_blobs(repo_root: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """Blob id -> content, for these blobs of the repository, read by one git process."""
    wanted = sorted(shas)
    if not wanted:
        return {}
    out = git_output(
        repo_root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in wanted).encode()
    )
    blobs: dict[str, bytes] = {}
    at = 0
    for sha1 in wanted:  # each answer is "<sha> blob <size>\n<content>\n", in request order
        header_end = out.find(b"\n", at)
        header = out[at:header_end].split() if header_end >= 0 else []
        if len(header) != 3 or header[0] != sha1.encode() or header[1] != b"blob":
            raise SourceError(f"git cannot read blob {sha1} of {repo_root}")
        size = int(header[2])
        blobs[sha1] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return blobs


def resolve_commit(repo_root: Path, rev: str) -> str:
    """The commit `rev` names; SourceError when none does."""
    error = SourceError(
        f"unknown revision {rev!r}: no commit by that name in {repo_root}; "
        "give a branch, tag or commit sha"
    )
    if rev.startswith("-"):  # would be taken as an option
        raise error
    done = run_git(repo_root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if done.returncode != 0:
        raise error
    return done.stdout.decode("ascii").strip()
