"""A Hub commit's tree: listed, or read back path by path, and cached.

Trees are immutable per commit, so they are cached on disk by commit id (a run whose remote has
not moved lists nothing), and the last one read is kept in memory (the head and the base are
often one commit).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.core.snapshot import RemoteFile
from hfsync.local.state import cache_write

if TYPE_CHECKING:
    from hfsync.remotes.hub_client import HubClient

PATHS_INFO_CHUNK = 500
TREE_CACHE_VERSION = 2
TREES_KEPT = 4  # cached trees kept on disk: the head's, and a few for backups and bases


class TreeCache:
    """The trees of one repo's commits: the last one in memory, the newest few on disk."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._last: dict[str, dict[str, RemoteFile]] = {}  # the last tree read, by commit

    def get(self, commit: str) -> dict[str, RemoteFile] | None:
        """The tree of `commit` from memory, else from disk; None when neither has it. The same
        dict may be returned again: do not change it."""
        if commit in self._last:
            return self._last[commit]
        cached = self._load(commit)
        if cached is not None:
            self._last = {commit: cached}
        return cached

    def put(self, commit: str, tree: dict[str, RemoteFile]) -> None:
        """Cache `commit`'s tree in memory and on disk; keep only the newest few on disk."""
        self._last = {commit: tree}
        with cache_write(self._folder):  # a cache: a full or read-only folder costs time only
            self._write(commit, tree)

    def _write(self, commit: str, tree: dict[str, RemoteFile]) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        data = {
            "version": TREE_CACHE_VERSION,
            "paths": list(tree),
            "oids": [entry.oid for entry in tree.values()],
            "sizes": [entry.size for entry in tree.values()],
        }
        fd, tmp = tempfile.mkstemp(dir=self._folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(tmp, self._folder / f"{commit}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        saved = sorted(self._folder.glob("*.json"), key=_mtime, reverse=True)
        for old in saved[TREES_KEPT:]:
            old.unlink(missing_ok=True)

    def _load(self, commit: str) -> dict[str, RemoteFile] | None:
        """The cached tree of `commit`, or None (missing, corrupt, another version)."""
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


def list_tree(client: HubClient, commit: str) -> dict[str, RemoteFile]:
    """Every file of `commit`, listed by the Hub."""
    from huggingface_hub.hf_api import RepoFile

    def listing() -> dict[str, RemoteFile]:
        files = {}
        for entry in client.api.list_repo_tree(
            client.repo_id, recursive=True, revision=commit, repo_type=client.repo_type
        ):
            if isinstance(entry, RepoFile):
                files[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
        return files

    return client.call(listing, "list the files")


def paths_info(client: HubClient, commit: str, paths: list[str]) -> dict[str, RemoteFile]:
    """The entries of these paths in `commit` (a path with no file there is left out)."""
    from huggingface_hub.hf_api import RepoFile

    found: dict[str, RemoteFile] = {}
    for start in range(0, len(paths), PATHS_INFO_CHUNK):
        chunk = paths[start : start + PATHS_INFO_CHUNK]
        entries = client.call(
            lambda chunk=chunk: client.api.get_paths_info(  # type: ignore[misc]
                client.repo_id, chunk, revision=commit, repo_type=client.repo_type
            ),
            "read file details",
        )
        for entry in entries:
            if isinstance(entry, RepoFile):
                found[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
    return found


def _remote_file(blob_id: str, size: int, lfs: Any) -> RemoteFile:
    if lfs is not None:
        return RemoteFile(oid=lfs.sha256, size=lfs.size)
    return RemoteFile(oid=blob_id, size=size)


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0
