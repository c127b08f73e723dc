"""A remote tree kept as sorted text, so that a sync of a few changed paths can look up, patch and
digest it without one Python object per file (issue: a sync whose cost follows the change).

Two texts, each a bytes value sorted by path (Python's `str` order, as `sorted` gives):

- `DigestLines`: the in-scope entries as the commit proof hashes them (`tree_digest`), one line
  each, `"<json path> <oid> <size>\\n"`; the sha256 of the text is the digest.
- `PathList`: every path of the tree (in scope or not), each followed by a NUL (no git path holds
  one), to tell file/folder collisions and count a folder's entries.

Lookups are binary searches over the text (a probe decodes one line), patches copy the text once
with the changes spliced in: O(changes x log files), plus one copy made in C.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping

from hfsync.core.snapshot import MODE_FILE, RemoteFile

_NUL = b"\0"
_NL = b"\n"


def digest_line(path: str, entry: RemoteFile) -> bytes:
    """One entry as the proof digest hashes it."""
    return f"{json.dumps(path)} {entry.oid} {entry.size}\n".encode()


def _line_path(line: bytes) -> str:
    cut = line.rindex(b" ", 0, line.rindex(b" "))
    path = json.loads(line[:cut])
    if not isinstance(path, str):
        raise ValueError("not a digest line")
    return path


def _record_path(record: bytes) -> str:
    return record.decode("utf-8", "surrogateescape")


def _search(text: bytes, end: bytes, key: Callable[[bytes], str], path: str) -> int:
    """The offset of the first record whose path is >= `path` (len(text): none)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi) // 2
        start = max(lo, text.rfind(end, 0, mid) + 1)
        stop = text.index(end, start)
        if key(text[start:stop]) < path:
            lo = stop + 1
        else:
            hi = start
    return lo


def _record_at(text: bytes, end: bytes, at: int) -> bytes:
    return text[at : text.index(end, at)] if at < len(text) else b""


def _spliced(
    text: bytes,
    end: bytes,
    key: Callable[[bytes], str],
    records: Mapping[str, bytes | None],
) -> bytes:
    """`text` with each path's record replaced (bytes), inserted, or removed (None)."""
    pieces: list[bytes] = []
    at = 0
    for path in sorted(records):
        found = _search(text, end, key, path)
        if found < at:  # a record equal to an earlier path's: already passed
            found = at
        pieces.append(text[at:found])
        at = found
        record = _record_at(text, end, at)
        if at < len(text) and key(record) == path:
            at += len(record) + 1
        new = records[path]
        if new is not None:
            pieces.append(new)
    pieces.append(text[at:])
    return b"".join(pieces)


class DigestLines:
    """The in-scope entries of a tree, as the commit proof hashes them."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text

    @classmethod
    def of(cls, tree: Mapping[str, RemoteFile], includes: Callable[[str], bool]) -> DigestLines:
        return cls(
            b"".join(digest_line(p, tree[p]) for p in sorted(p for p in tree if includes(p)))
        )

    def digest(self) -> str:
        return hashlib.sha256(self.text).hexdigest()

    def __len__(self) -> int:
        return self.text.count(_NL)

    def get(self, path: str) -> RemoteFile | None:
        """The entry of `path` (oid and size; no mode), or None."""
        at = _search(self.text, _NL, _line_path, path)
        line = _record_at(self.text, _NL, at)
        if not line or _line_path(line) != path:
            return None
        _, oid, size = line.rsplit(b" ", 2)
        return RemoteFile(oid.decode("ascii"), int(size))

    def patched(self, uploads: Mapping[str, RemoteFile], deletes: Iterable[str]) -> DigestLines:
        """The lines after writing `uploads` and deleting `deletes` (all in scope)."""
        records: dict[str, bytes | None] = dict.fromkeys(deletes)
        records.update((path, digest_line(path, entry)) for path, entry in uploads.items())
        return DigestLines(_spliced(self.text, _NL, _line_path, records))


class PathList:
    """Every path of a tree, sorted: file/folder questions without a set of every folder."""

    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text

    @classmethod
    def of(cls, paths: Iterable[str]) -> PathList:
        return cls(b"".join(p.encode("utf-8", "surrogateescape") + _NUL for p in sorted(paths)))

    def __len__(self) -> int:
        return self.text.count(_NUL)

    def has_file(self, path: str) -> bool:
        at = _search(self.text, _NUL, _record_path, path)
        return at < len(self.text) and _record_path(_record_at(self.text, _NUL, at)) == path

    def files_under(self, folder: str) -> int:
        """How many files lie under `folder/` (any depth)."""
        prefix = folder + "/"
        start = _search(self.text, _NUL, _record_path, prefix)
        # Every path under the folder sorts before prefix with '/' raised to '0'.
        stop = _search(self.text, _NUL, _record_path, folder + "0")
        return self.text.count(_NUL, start, stop) if stop > start else 0

    def entries_in(self, folder: str) -> int:
        """How many files and subfolders lie directly in `folder` ("" = the root); each
        subfolder is stepped over with one search, not walked."""
        prefix = folder + "/" if folder else ""
        at = _search(self.text, _NUL, _record_path, prefix) if prefix else 0
        count = 0
        while at < len(self.text):
            path = _record_path(_record_at(self.text, _NUL, at))
            if not path.startswith(prefix):
                break
            count += 1
            name, slash, _ = path[len(prefix) :].partition("/")
            if slash:  # a subfolder: step past everything under it
                at = _search(self.text, _NUL, _record_path, f"{prefix}{name}0")
            else:
                at = self.text.index(_NUL, at) + 1
        return count

    def patched(self, added: Iterable[str], removed: Collection[str]) -> PathList:
        records: dict[str, bytes | None] = dict.fromkeys(removed)
        records.update(
            (p, p.encode("utf-8", "surrogateescape") + _NUL) for p in added if p not in removed
        )
        return PathList(_spliced(self.text, _NUL, _record_path, records))


class TreeText:
    """A remote tree at one commit as the incremental plan keeps it: the in-scope entries
    (`lines`), every path (`paths`), and, where the remote keeps file modes (git), the in-scope
    modes other than 100644 (`modes`; None: a remote that keeps none, the Hub)."""

    __slots__ = ("lines", "modes", "paths")

    def __init__(self, lines: DigestLines, paths: PathList, modes: dict[str, str] | None) -> None:
        self.lines = lines
        self.paths = paths
        self.modes = modes

    @classmethod
    def of(
        cls, tree: Mapping[str, RemoteFile], includes: Callable[[str], bool], keeps_modes: bool
    ) -> TreeText:
        modes = None
        if keeps_modes:
            modes = {
                p: e.mode
                for p, e in tree.items()
                if e.mode not in (None, MODE_FILE) and includes(p)
            }
        return cls(DigestLines.of(tree, includes), PathList.of(tree), modes)

    def entry(self, path: str) -> RemoteFile | None:
        """The entry of an in-scope path, as the remote's tree lists it."""
        found = self.lines.get(path)
        if found is None or self.modes is None:
            return found
        return found._replace(mode=self.modes.get(path, MODE_FILE))

    def after(
        self, uploads: Mapping[str, RemoteFile], modes: Mapping[str, str], deletes: Collection[str]
    ) -> TreeText:
        """The tree once `uploads` (in-scope path -> entry, with `modes` their file modes) are
        written and `deletes` deleted."""
        new_modes = None
        if self.modes is not None:
            new_modes = {p: m for p, m in self.modes.items() if p not in deletes}
            for path in uploads:
                mode = modes.get(path, MODE_FILE)
                if mode == MODE_FILE:
                    new_modes.pop(path, None)
                else:
                    new_modes[path] = mode
        return TreeText(
            self.lines.patched(uploads, deletes), self.paths.patched(uploads, deletes), new_modes
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeText)
            and self.lines.text == other.lines.text
            and self.paths.text == other.paths.text
            and self.modes == other.modes
        )

    __hash__ = None  # type: ignore[assignment]
