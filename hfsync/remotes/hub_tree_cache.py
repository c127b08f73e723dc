"""The trees of one Hub repo's commits, cached on disk by commit id (trees are immutable per
commit: a run whose remote has not moved lists nothing), the last one read kept in memory.

A tree listed from the Hub is stored whole (`<commit>.json`). A commit hfsync wrote is stored as
a patch on its parent (`<commit>-on-<parent>.json`: the entries it wrote and the paths it
deleted), so that writing one file costs one small file, not a copy of the whole tree. Reading a
patched commit applies its chain of patches to the nearest whole tree, following at most
MAX_LINKS links; a chain MAX_LINKS_KEPT links long is then stored whole, so chains stay short. A
link missing, corrupt or too far: None, and the caller lists the tree.

What stays on disk: the newest TREES_KEPT files and every file their chains need (the whole
tree at the root of each), the rest is deleted. The parent is in the file's name, so keeping
reads no file.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from hfsync.core.snapshot import RemoteFile
from hfsync.local.state import cache_write

TREE_CACHE_VERSION = 2
TREES_KEPT = 4  # the newest cached commits kept on disk (with their chains): the head's, and a
# few for backups and bases
MAX_LINKS = 50  # patches followed to reach a whole tree; farther: listed again
MAX_LINKS_KEPT = 20  # a commit read through this many patches is stored whole
_COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_PATCH_RE = re.compile(r"([0-9a-f]{40}|[0-9a-f]{64})-on-([0-9a-f]{40}|[0-9a-f]{64})\.json")

Tree = dict[str, RemoteFile]


class TreeCache:
    """The trees of one repo's commits: the last one in memory, the newest few on disk."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._last: dict[str, Tree] = {}  # the last tree read, by commit

    def get(self, commit: str) -> Tree | None:
        """The tree of `commit` from memory, else from disk; None when neither has it. The same
        dict may be returned again: do not change it."""
        if commit in self._last:
            return self._last[commit]
        if not _COMMIT_RE.fullmatch(commit):
            return None  # an id the Hub sent is a file name only when it is one
        patches: list[dict[str, Any]] = []
        link = commit
        while True:
            base = self._last.get(link)
            if base is None:
                base = self._load_whole(link)
            if base is not None:
                break
            patch = self._load_patch(link)
            if patch is None or len(patches) == MAX_LINKS:
                return None
            patches.append(patch)
            link = patch["parent"]
        tree = dict(base) if patches else base
        for patch in reversed(patches):
            for path in patch["deletes"]:
                tree.pop(path, None)
            tree.update(
                (path, RemoteFile(oid, size)) for path, (oid, size) in patch["uploads"].items()
            )
        self._last = {commit: tree}
        if len(patches) >= MAX_LINKS_KEPT:
            with cache_write(self._folder):
                self._write(f"{commit}.json", _whole(tree))
        return tree

    def put(self, commit: str, tree: Tree) -> None:
        """Cache `commit`'s whole tree in memory and on disk."""
        self._last = {commit: tree}
        if _COMMIT_RE.fullmatch(commit):
            with cache_write(self._folder):  # a cache: a full or read-only folder costs time only
                self._write(f"{commit}.json", _whole(tree))

    def put_patch(
        self,
        commit: str,
        parent: str,
        written: Mapping[str, RemoteFile],
        deleted: Collection[str],
    ) -> None:
        """Cache `commit` as `parent`'s tree with the entries `written` and the paths `deleted`
        gone (on disk only: the tree in memory stays, and `get` applies the patch to it)."""
        if not (_COMMIT_RE.fullmatch(commit) and _COMMIT_RE.fullmatch(parent)):
            return
        data = {
            "version": TREE_CACHE_VERSION,
            "parent": parent,
            "uploads": {path: [entry.oid, entry.size] for path, entry in written.items()},
            "deletes": list(deleted),
        }
        with cache_write(self._folder):
            self._write(f"{commit}-on-{parent}.json", data)

    def _write(self, name: str, data: dict[str, Any]) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self._folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                # dumps, not dump: dump encodes in Python, ~4x slower (0.1 s at 50,000 paths)
                handle.write(json.dumps(data, separators=(",", ":")))
            os.replace(tmp, self._folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._prune()

    def _prune(self) -> None:
        """Keep the newest TREES_KEPT files and the files their chains need; delete the rest."""
        saved = sorted(self._folder.glob("*.json"), key=_mtime, reverse=True)
        names = {file.name for file in saved}
        keep: set[str] = set()
        for file in saved[:TREES_KEPT]:
            keep.update(_chain(file.name, names))
        for file in saved:
            if file.name not in keep:
                file.unlink(missing_ok=True)

    def _load_whole(self, commit: str) -> Tree | None:
        """The whole tree cached for `commit`, or None (missing, corrupt, another version)."""
        try:
            data = json.loads((self._folder / f"{commit}.json").read_text(encoding="utf-8"))
            if data["version"] != TREE_CACHE_VERSION:
                return None
            paths, oids, sizes = data["paths"], data["oids"], data["sizes"]
            if not len(paths) == len(oids) == len(sizes):
                return None
            # Columns, not one object per path: about 4x quicker to load at 100,000 paths.
            return dict(zip(paths, map(RemoteFile, oids, sizes), strict=True))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _load_patch(self, commit: str) -> dict[str, Any] | None:
        """The patch cached for `commit` (checked, its parent a commit id), or None."""
        found = sorted(self._folder.glob(f"{commit}-on-*.json"))
        match = _PATCH_RE.fullmatch(found[0].name) if found else None
        if match is None:
            return None
        try:
            data = json.loads(found[0].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if _valid_patch(data, match[2]) else None


def _valid_patch(data: Any, parent: str) -> bool:
    """True when `data` is a patch of this version on `parent`, every field of its type."""
    if not isinstance(data, dict) or data.get("version") != TREE_CACHE_VERSION:
        return False
    uploads, deletes = data.get("uploads"), data.get("deletes")
    return (
        data.get("parent") == parent
        and isinstance(uploads, dict)
        and isinstance(deletes, list)
        and all(isinstance(path, str) for path in deletes)
        and all(
            isinstance(entry, list)
            and len(entry) == 2
            and isinstance(entry[0], str)
            and type(entry[1]) is int
            for entry in uploads.values()
        )
    )


def _chain(name: str, names: set[str]) -> Iterator[str]:
    """The file `name` and the files its chain of patches reads, as far as `get` follows it."""
    for _ in range(MAX_LINKS + 1):
        yield name
        match = _PATCH_RE.fullmatch(name)
        if match is None:
            return
        parent = match[2]
        if f"{parent}.json" in names:
            yield f"{parent}.json"
            return
        patches = sorted(n for n in names if n.startswith(f"{parent}-on-"))
        if not patches:
            return
        name = patches[0]


def _whole(tree: Tree) -> dict[str, Any]:
    return {
        "version": TREE_CACHE_VERSION,
        "paths": list(tree),
        "oids": [entry.oid for entry in tree.values()],
        "sizes": [entry.size for entry in tree.values()],
    }


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0
