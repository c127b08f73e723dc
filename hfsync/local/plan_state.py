"""What the incremental plan needs from the last sync of a target, kept in the git directory: the
remote head hfsync wrote, the source commit it was synced from, the paths that were not in sync
there (with their source files), and the remote tree at that head as sorted text
(`core/tree_text`). A cache, never the truth: versioned, written atomically (the texts first,
then the file naming them), checked on load (sizes, types, a checksum of each text), and ignored
when anything is off: the plan is then made in full.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import xxhash

from hfsync.core.snapshot import LocalFile
from hfsync.core.tree_text import DigestLines, PathList, TreeText
from hfsync.local.state import cache_write, state_dir

VERSION = 1
MAX_STATE_BYTES = 64 << 20  # the JSON file (standing paths); the texts are checked by checksum
MAX_TEXT_BYTES = 1 << 30


@dataclass(frozen=True)
class PlanState:
    """The last sync of a target, as the incremental plan starts from it."""

    commit: str  # the remote head hfsync wrote, with its record's proof
    source: str  # the source's git commit or tree that sync was made from
    label: str  # the source as its record names it (a commit, or "worktree")
    config: str  # digest of everything else the plan depends on (see engine/incremental.py)
    digest: str  # the proof digest of `lines` (the record of `commit` carries it)
    # remote path -> its source file (None: none), for the paths every incremental plan looks at
    # again (not in sync at `commit`, kept by its record, the root .gitignore)
    standing: dict[str, LocalFile | None]
    tree: TreeText  # the remote tree at `commit`


class PlanStore:
    """One target's plan state, in `.git/hfsync/plans/<target key>/`."""

    def __init__(self, git_dir: Path, key: str) -> None:
        self.folder = state_dir(git_dir) / "plans" / key

    def load(self) -> PlanState | None:
        try:
            file = self.folder / "state.json"
            if file.stat().st_size > MAX_STATE_BYTES:
                return None
            data = json.loads(file.read_text(encoding="utf-8"))
            if data.get("version") != VERSION:
                return None
            lines = self._text(data["commit"], "lines", data["lines_xxh"])
            paths = self._text(data["commit"], "paths", data["paths_xxh"])
            if lines is None or paths is None:
                return None
            modes = data["modes"]
            if modes is not None and not all(
                isinstance(k, str) and isinstance(v, str) for k, v in modes.items()
            ):
                return None
            return PlanState(
                _str(data["commit"]),
                _str(data["source"]),
                _str(data["label"]),
                _str(data["config"]),
                _str(data["digest"]),
                {_str(p): _local(p, v) for p, v in data["standing"].items()},
                TreeText(DigestLines(lines), PathList(paths), modes),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def save(self, state: PlanState) -> None:
        """Write the state; when it cannot be written, the next run plans in full (said once)."""
        with cache_write(self.folder):
            self._save(state)

    def forget(self) -> None:
        """Drop the state (the next run plans in full)."""
        (self.folder / "state.json").unlink(missing_ok=True)

    def _save(self, state: PlanState) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines_xxh = self._write(f"{state.commit}.lines", state.tree.lines.chunks())
        paths_xxh = self._write(f"{state.commit}.paths", state.tree.paths.chunks())
        data = {
            "version": VERSION,
            "commit": state.commit,
            "source": state.source,
            "label": state.label,
            "config": state.config,
            "digest": state.digest,
            "standing": {p: _plain(local) for p, local in state.standing.items()},
            "modes": state.tree.modes,
            "lines_xxh": lines_xxh,
            "paths_xxh": paths_xxh,
        }
        self._write("state.json", (json.dumps(data).encode(),))
        for old in self.folder.iterdir():  # the texts of earlier states
            if old.suffix in (".lines", ".paths") and old.stem != state.commit:
                old.unlink(missing_ok=True)

    def _write(self, name: str, chunks: Iterable[bytes | memoryview]) -> str:
        """Write the file from its pieces (a patched text is never joined); its checksum."""
        checksum = xxhash.xxh3_64()
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    checksum.update(chunk)
            os.replace(tmp, self.folder / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return checksum.hexdigest()

    def _text(self, commit: object, kind: str, checksum: object) -> bytes | None:
        if not isinstance(commit, str) or not commit.isalnum():
            return None
        file = self.folder / f"{commit}.{kind}"
        if file.stat().st_size > MAX_TEXT_BYTES:
            return None
        data = file.read_bytes()
        return data if xxhash.xxh3_64_hexdigest(data) == checksum else None


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _plain(local: LocalFile | None) -> list[object] | None:
    if local is None:
        return None
    return [local.path, local.size, local.sha1, local.sha256, local.mode, local.link]


def _local(path: object, value: object) -> LocalFile | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 6:
        raise TypeError("not a file entry")
    name, size, sha1, sha256, mode, link = value
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError("not a size")
    return LocalFile(
        _str(name),
        size,
        _str(sha1),
        None if sha256 is None else _str(sha256),
        _str(mode),
        None if link is None else _str(link),
    )
