"""A commit's tree built from its parent's by rewriting only the folders that change: each folder
on the way to a changed path is listed (`git ls-tree`) and written again (`git mktree`), every
other folder is the parent's, shared by id. Two git processes per changed folder, whatever the
repository's size (a temporary index of the whole parent tree cost ~0.2 s at 100,000 files).

For a change touching many folders (a first sync, a large one) the temporary index is cheaper:
`patched_tree` then says None and the caller builds the tree that way. Either way the commit
check (`git_diff.py`) holds the tree to the plan.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.remotes.git_process import GitProcess

MAX_FOLDERS = 32  # more changed folders than this: the temporary index is cheaper

_Entry = tuple[str, str, str]  # (mode, type, object id)


def patched_tree(
    process: GitProcess,
    parent: str | None,
    uploads: Mapping[str, tuple[str, str]],
    deletes: Collection[str],
) -> str | None:
    """The tree of commit `parent` with `uploads` (path -> (mode, blob id)) written and
    `deletes` removed; None when the change touches too many folders (or has no parent)."""
    if parent is None:
        return None
    changed = {**dict.fromkeys(deletes), **uploads}
    folders = {""} | {path[:at] for path in changed for at in _slashes(path)}
    if len(folders) > MAX_FOLDERS:
        return None
    root = process.run("rev-parse", f"{parent}^{{tree}}").strip()
    tree = _folder(process, root, "", changed)
    return tree if tree is not None else _mktree(process, {})


def _folder(
    process: GitProcess,
    tree: str | None,
    prefix: str,
    changed: Mapping[str, tuple[str, str] | None],
) -> str | None:
    """The folder `prefix` (the tree `tree`, None: none yet) with `changed` (paths under it)
    applied; None when it ends up empty (git keeps no empty folder)."""
    entries: dict[str, _Entry] = {}
    if tree is not None:
        out = process.run("ls-tree", "-z", tree)
        for record in out.split("\0"):
            if record:
                meta, name = record.split("\t", 1)
                mode, kind, oid = meta.split(" ")
                entries[name] = (mode, kind, oid)
    below: dict[str, dict[str, tuple[str, str] | None]] = {}
    for path, new in changed.items():
        name, slash, _ = path[len(prefix) :].partition("/")
        if slash:
            below.setdefault(name, {})[path] = new
        elif new is None:
            entries.pop(name, None)
        else:
            entries[name] = (new[0], "blob", new[1])
    for name, under in below.items():
        old = entries.get(name)
        if old is not None and old[1] != "tree" and all(v is None for v in under.values()):
            continue  # deletions under a file: nothing there to delete
        subtree = old[2] if old is not None and old[1] == "tree" else None
        new_tree = _folder(process, subtree, f"{prefix}{name}/", under)
        if new_tree is None:
            entries.pop(name, None)
        else:
            entries[name] = ("040000", "tree", new_tree)
    if not entries:
        return None
    return _mktree(process, entries)


def _mktree(process: GitProcess, entries: Mapping[str, _Entry]) -> str:
    listing = b"".join(
        f"{mode} {kind} {oid}\t{name}\0".encode("utf-8", "surrogateescape")
        for name, (mode, kind, oid) in entries.items()
    )
    return process.run("mktree", "-z", stdin=listing).strip()


def _slashes(path: str) -> list[int]:
    found = []
    at = path.find("/")
    while at >= 0:
        found.append(at)
        at = path.find("/", at + 1)
    return found
