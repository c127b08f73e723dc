"""The remote tree a target will have once a plan is applied (paths only), and what kind of
target it is."""

from __future__ import annotations

from collections.abc import Collection
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.core.tree_text import PathList
    from hfsync.remotes.target import Target


class TreeAfter:
    """The remote tree's paths once a plan is applied: the head's (`remote`), plus uploads,
    less deletions (as `remote.patched` makes them), asked about without making that list: a
    first sync of 50,000 files patched it (~0.05 s) and walked it for each folder's entries
    (as much again), twice."""

    def __init__(self, remote: PathList, plan: Plan) -> None:
        self._deletes = {op.path for op in plan.deletes}
        self._uploads = {op.path for op in plan.uploads} - self._deletes
        self._remote = remote

    @cached_property
    def _kept(self) -> PathList:
        """The remote's paths less the deletions."""
        return self._remote.patched((), self._deletes) if self._deletes else self._remote

    def has_file(self, path: str) -> bool:
        return path in self._uploads or self._kept.has_file(path)

    def entries_in(self, folders: Collection[str]) -> dict[str, int]:
        """How many files and subfolders lie directly in each of `folders` ("": the root):
        the remote's (less deletions) with the uploads', these from one pass over them."""
        leaves: dict[str, set[str]] = {}  # folder -> names of the uploads right in it
        for path in self._uploads:
            parent, _, name = path.rpartition("/")
            leaves.setdefault(parent, set()).add(name)
        names = {folder: set(leaves.get(folder, ())) for folder in folders}
        for parent in leaves:  # the folder each upload lies in, named in each folder above
            parts = parent.split("/") if parent else []
            for depth, name in enumerate(parts):
                folder = "/".join(parts[:depth])
                if folder in names:
                    names[folder].add(name)
        for folder, found in names.items():
            found |= self._kept.names_in(folder)
        return {folder: len(found) for folder, found in names.items()}


def is_hub_git_url(url: str | None) -> bool:
    """A git URL of a Hub repo (huggingface.co, or the HF_ENDPOINT's host)."""
    import os
    from urllib.parse import urlsplit

    if not url:
        return False
    host = urlsplit(url).hostname or ""
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT", "")).hostname or ""
    return host in ("huggingface.co", "hf.co") or (bool(endpoint) and host == endpoint)


def is_space(target: Target) -> bool:
    config = target.config
    if config.repo is not None:
        return config.repo_type == "space"
    return is_hub_git_url(config.url) and "/spaces/" in (config.url or "")
