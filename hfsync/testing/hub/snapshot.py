"""A commit's tree as the Hub lists it: files (regular or LFS) and folders, by path."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .git import TreeItem
from .lfs_store import parse_pointer, pointer_text

# Only blobs of a pointer's possible sizes need reading to tell LFS files apart.
_POINTER_SIZES = range(len(pointer_text("0" * 64, 0)), len(pointer_text("0" * 64, 10**20)) + 1)


@dataclass(frozen=True)
class LfsInfo:
    oid: str  # SHA-256 of the content
    size: int
    pointer_size: int


@dataclass(frozen=True)
class Entry:
    """A file or folder; for an LFS file `size` is the content's size and `oid` the pointer's."""

    path: str
    is_file: bool
    oid: str
    size: int
    mode: str
    lfs: LfsInfo | None = None

    @property
    def parent(self) -> str:
        return self.path.rpartition("/")[0]

    @property
    def hub_oid(self) -> str:
        """The id the Hub compares contents by: SHA-256 for LFS files, the blob SHA-1 otherwise."""
        return self.lfs.oid if self.lfs else self.oid

    def to_json(self) -> dict[str, Any]:
        """The tree/paths-info entry (hub-api §3.4), without `xetHash` (the handler adds it)."""
        if not self.is_file:
            return {"type": "directory", "oid": self.oid, "size": 0, "path": self.path}
        data: dict[str, Any] = {
            "type": "file",
            "oid": self.oid,
            "size": self.size,
            "path": self.path,
        }
        if self.lfs:
            data["lfs"] = {
                "oid": self.lfs.oid,
                "size": self.lfs.size,
                "pointerSize": self.lfs.pointer_size,
            }
        return data


class Snapshot:
    """Immutable listing of one commit (cached per commit id by the repo)."""

    def __init__(self, commit: str, entries: Iterable[Entry]) -> None:
        self.commit = commit
        self.entries = list(entries)
        self.by_path = {entry.path: entry for entry in self.entries}

    @classmethod
    def from_tree(
        cls, commit: str, items: list[TreeItem], candidates: dict[str, bytes]
    ) -> Snapshot:
        """Build from `git ls-tree` items and the content of their `pointer_candidates`."""
        entries = []
        for item in items:
            if item.kind != "blob":
                entries.append(Entry(item.path, False, item.oid, 0, item.mode))
                continue
            pointer = parse_pointer(candidates[item.oid]) if item.oid in candidates else None
            lfs = LfsInfo(pointer[0], pointer[1], item.size) if pointer else None
            size = lfs.size if lfs else item.size
            entries.append(Entry(item.path, True, item.oid, size, item.mode, lfs))
        return cls(commit, entries)

    @staticmethod
    def pointer_candidates(items: list[TreeItem]) -> list[str]:
        """The blobs whose size fits an LFS pointer: only those need reading."""
        return [item.oid for item in items if item.kind == "blob" and item.size in _POINTER_SIZES]

    def files(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.is_file]

    def file(self, path: str) -> Entry | None:
        entry = self.by_path.get(path)
        return entry if entry and entry.is_file else None

    def is_folder(self, path: str) -> bool:
        """Whether `path` is a folder; "" is the root."""
        if not path:
            return True
        entry = self.by_path.get(path)
        return entry is not None and not entry.is_file

    def listing(self, folder: str, recursive: bool) -> list[Entry]:
        """The entries under `folder` ("" = root): direct children, or everything below."""
        if recursive:
            prefix = f"{folder}/" if folder else ""
            return [entry for entry in self.entries if entry.path.startswith(prefix)]
        return [entry for entry in self.entries if entry.parent == folder]
