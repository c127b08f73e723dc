"""Where renamed repos went: the old id of each moved repo and its new one.

The Hub keeps answering requests to a repo's old id after `move_repo`: it redirects them to the
new id (307, so the method and the body are kept). The table is persisted as `<root>/moves.json`,
keyed case-insensitively like repo ids; a repo created again under an old id takes it back (the
store is looked up first). Moving a repo twice sends its first id straight to the last.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from .naming import RepoKey

_FILE = "moves.json"
_Folded = tuple[str, str, str]


def _folded(key: RepoKey) -> _Folded:
    return key.repo_type, key.namespace.lower(), key.name.lower()


class Moves:
    """Old repo id -> new repo id, for every repo moved on this hub."""

    def __init__(self, root: Path) -> None:
        self._file = root / _FILE
        self._lock = threading.Lock()
        self._table: dict[_Folded, RepoKey] = self._load()

    def record(self, old: RepoKey, new: RepoKey) -> None:
        """`old` now lives at `new` (and so does every id that led to `old`)."""
        with self._lock:
            for folded, target in list(self._table.items()):
                if _folded(target) == _folded(old):
                    self._table[folded] = new
            self._table[_folded(old)] = new
            self._table.pop(_folded(new), None)  # a moved-back repo is at home again
            self._save()

    def target(self, key: RepoKey) -> RepoKey | None:
        """Where the repo once called `key` went, if it moved."""
        with self._lock:
            return self._table.get(_folded(key))

    def clear(self) -> None:
        with self._lock:
            self._table.clear()
            self._file.unlink(missing_ok=True)

    def _load(self) -> dict[_Folded, RepoKey]:
        try:
            rows = json.loads(self._file.read_text())
        except FileNotFoundError:
            return {}
        table = {}
        for repo_type, old_ns, old_name, new_ns, new_name in rows:
            table[(repo_type, old_ns.lower(), old_name.lower())] = RepoKey(
                repo_type, new_ns, new_name
            )
        return table

    def _save(self) -> None:
        rows = [[*folded, key.namespace, key.name] for folded, key in self._table.items()]
        temp = self._file.with_suffix(".tmp")
        temp.write_text(json.dumps(rows))
        os.replace(temp, self._file)


def moved_location(raw_path: str, query: str, old: RepoKey, new: RepoKey) -> str | None:
    """The request's path and query with the repo's old id replaced by its new one: the relative
    `Location` of the redirect. None when the path does not name the repo (its id is in the
    body, as for `/api/repos/delete`): redirecting there would loop."""
    segments = raw_path.split("/")
    for index in range(len(segments) - 1):
        if segments[index].lower() != old.namespace.lower():
            continue
        for suffix in ("", ".git"):  # `/{ns}/{name}.git/info/lfs/...` for LFS routes
            if segments[index + 1].lower() == f"{old.name}{suffix}".lower():
                segments[index : index + 2] = [new.namespace, f"{new.name}{suffix}"]
                path = "/".join(segments)
                return f"{path}?{query}" if query else path
    return None
