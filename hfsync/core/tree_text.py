"""A remote tree kept as sorted text, so that a sync of a few changed paths can look up, patch and
digest it without one Python object per file (issue: a sync whose cost follows the change).

Two texts, each a bytes value sorted by path (Python's `str` order, as `sorted` gives):

- `DigestLines`: the in-scope entries as the commit proof hashes them (`tree_digest`), one line
  each, `"<json path> <oid> <size>\\n"`; the sha256 of the text is the digest.
- `PathList`: every path of the tree (in scope or not), each followed by a NUL (no git path holds
  one), to tell file/folder collisions and count a folder's entries.

Lookups are binary searches over the text (a probe decodes one line). A patched text is the old
one plus the changes, held as slices (`_Splice`): its lookups ask the changes first, its digest
and its file are made piece by piece, and it is joined only when asked for whole: O(changes x log
files), and no copy of the tree.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from json.encoder import encode_basestring_ascii

from hfsync.core.snapshot import MODE_FILE, RemoteFile

_NUL = b"\0"
_NL = b"\n"
_FEW_CHANGES = 256  # a patched path list with more changes is joined once for its questions


def digest_line(path: str, entry: RemoteFile) -> bytes:
    """One entry as the proof digest hashes it. The path as `json.dumps(path)` writes it, by
    the function it calls for a string (a third of the cost: one line per file uploaded)."""
    return f"{encode_basestring_ascii(path)} {entry.oid} {entry.size}\n".encode()


def _line_path(line: bytes) -> str:
    cut = line.rindex(b" ", 0, line.rindex(b" "))
    path = json.loads(line[:cut])
    if not isinstance(path, str):
        raise ValueError("not a digest line")
    return path


def _record_path(record: bytes) -> str:
    return record.decode("utf-8", "surrogateescape")


def _search(text: bytes, end: bytes, key: Callable[[bytes], str], path: str, lo: int = 0) -> int:
    """The offset of the first record whose path is >= `path` (len(text): none), searched from
    `lo` (a record's start: every record before it is known to be < `path`)."""
    hi = len(text)
    while lo < hi:
        mid = (lo + hi) // 2
        start = max(lo, text.rfind(end, 0, mid) + 1)
        stop = text.index(end, start)
        if key(text[start:stop]) < path:
            lo = stop + 1
        else:
            hi = start
    return lo


def _walk(text: bytes, end: bytes, key: Callable[[bytes], str], path: str, lo: int = 0) -> int:
    """As `_search`, by stepping over the records from `lo` one by one: for a run of searches
    in order that asks about most of the text, each record is read once, not log(n) times."""
    while lo < len(text):
        stop = text.index(end, lo)
        if key(text[lo:stop]) >= path:
            break
        lo = stop + 1
    return lo


def _record_at(text: bytes, end: bytes, at: int) -> bytes:
    return text[at : text.index(end, at)] if at < len(text) else b""


class _Splice:
    """A sorted text with some records replaced, inserted or removed (None), held as slices of
    the text and the new records, never copied whole: a patched tree's digest and file are made
    piece by piece (a copy of each text at 100,000 files was ~10 MB more at the peak)."""

    def __init__(
        self,
        text: bytes,
        end: bytes,
        key: Callable[[bytes], str],
        records: Mapping[str, bytes | None],
        walk: bool | None = None,
    ) -> None:
        """`walk`: find the records' places by one walk over the text (True) or a binary
        search each (False); None: whichever reads fewer records."""
        view = memoryview(text)
        self.pieces: list[bytes | memoryview] = []
        self.existed: set[str] = set()  # the paths that had a record in `text`
        at = 0
        paths = sorted(records)
        if walk is None:  # a search reads about log2(n) records, a walk all n once
            count = text.count(end)
            walk = len(paths) * max(1, count.bit_length()) > count
        seek = _walk if walk else _search
        for number, path in enumerate(paths):
            if at == len(text):  # the rest go after the text's end (a first sync's uploads)
                self.pieces += [new for p in paths[number:] if (new := records[p]) is not None]
                break
            # Records are placed in order: each is sought after the one before.
            found = seek(text, end, key, path, at)
            if found > at:
                self.pieces.append(view[at:found])
            at = found
            record = _record_at(text, end, at)
            if at < len(text) and key(record) == path:
                at += len(record) + 1
                self.existed.add(path)
            new = records[path]
            if new is not None:
                self.pieces.append(new)
        self.pieces.append(view[at:])

    def count_change(self, records: Mapping[str, bytes | None]) -> int:
        """How many records more (or fewer) than the text's."""
        added = sum(1 for p, r in records.items() if r is not None and p not in self.existed)
        return added - sum(1 for p in self.existed if records[p] is None)


class _Sorted:
    """A sorted text of records, whole; each record ends with `_END`."""

    _END = _NL

    def __init__(self, text: bytes) -> None:
        self._text = text

    def __len__(self) -> int:
        return self._text.count(self._END)

    @property
    def text(self) -> bytes:
        return self._text

    def chunks(self) -> Sequence[bytes | memoryview]:
        """The text, in pieces (a patched one is never joined unless asked for `text`)."""
        return (self._text,)


class _Patched:
    """A sorted text patched: the slices of its base and the changes, joined only when asked."""

    def _patch(
        self,
        base: _Sorted,
        end: bytes,
        key: Callable[[bytes], str],
        records: dict[str, bytes | None],
    ) -> None:
        self._base = base
        self._records = records
        self._splice = _Splice(base.text, end, key, records)
        self._joined: bytes | None = None

    @property
    def text(self) -> bytes:
        if self._joined is None:
            self._joined = b"".join(self._splice.pieces)
        return self._joined

    def chunks(self) -> Sequence[bytes | memoryview]:
        return self._splice.pieces

    def __len__(self) -> int:
        return len(self._base) + self._splice.count_change(self._records)


class DigestLines(_Sorted):
    """The in-scope entries of a tree, as the commit proof hashes them."""

    @classmethod
    def of(cls, tree: Mapping[str, RemoteFile], includes: Callable[[str], bool]) -> DigestLines:
        in_scope = sorted(p for p in tree if includes(p))
        return cls(b"".join(digest_line(p, tree[p]) for p in in_scope))

    def digest(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def get(self, path: str) -> RemoteFile | None:
        """The entry of `path` (oid and size; no mode), or None."""
        at = _search(self._text, _NL, _line_path, path)
        line = _record_at(self._text, _NL, at)
        if not line or _line_path(line) != path:
            return None
        return _entry(line)

    def patched(self, uploads: Mapping[str, RemoteFile], deletes: Iterable[str]) -> DigestLines:
        """The lines after writing `uploads` and deleting `deletes` (all in scope)."""
        records: dict[str, bytes | None] = dict.fromkeys(deletes)
        records.update((path, digest_line(path, entry)) for path, entry in uploads.items())
        return _PatchedLines(self, records)


class _PatchedLines(_Patched, DigestLines):
    def __init__(self, base: DigestLines, records: dict[str, bytes | None]) -> None:
        self._patch(base, _NL, _line_path, records)
        self._lines = base

    def get(self, path: str) -> RemoteFile | None:
        if path in self._records:
            line = self._records[path]
            return None if line is None else _entry(line.rstrip(_NL))
        return self._lines.get(path)

    def patched(self, uploads: Mapping[str, RemoteFile], deletes: Iterable[str]) -> DigestLines:
        records = dict(self._records)
        records.update(dict.fromkeys(deletes))
        records.update((path, digest_line(path, entry)) for path, entry in uploads.items())
        return _PatchedLines(self._lines, records)


def _entry(line: bytes) -> RemoteFile:
    _, oid, size = line.rsplit(b" ", 2)
    return RemoteFile(oid.decode("ascii"), int(size))


class PathList(_Sorted):
    """Every path of a tree, sorted: file/folder questions without a set of every folder."""

    _END = _NUL

    @classmethod
    def of(cls, paths: Iterable[str]) -> PathList:
        return cls(b"".join(p.encode("utf-8", "surrogateescape") + _NUL for p in sorted(paths)))

    def __iter__(self) -> Iterator[str]:
        """Every path, in order (the text is joined and split: for a pass over all of them)."""
        return map(_record_path, self.text.split(_NUL)[:-1])

    def has_file(self, path: str) -> bool:
        at = _search(self._text, _NUL, _record_path, path)
        return at < len(self._text) and _record_path(_record_at(self._text, _NUL, at)) == path

    def files_under(self, folder: str) -> int:
        """How many files lie under `folder/` (any depth)."""
        text = self._text
        prefix = folder + "/"
        start = _search(text, _NUL, _record_path, prefix)
        if not _record_path(_record_at(text, _NUL, start)).startswith(prefix):
            return 0  # the usual answer, for a file's path: one search, not two
        # Every path under the folder sorts before prefix with '/' raised to '0'.
        stop = _search(text, _NUL, _record_path, folder + "0")
        return text.count(_NUL, start, stop) if stop > start else 0

    def entries_in(self, folder: str) -> int:
        """How many files and subfolders lie directly in `folder` ("" = the root)."""
        return len(self.names_in(folder))

    def names_in(self, folder: str) -> set[str]:
        """The names of the files and subfolders directly in `folder`; each subfolder is stepped
        over with one search, not walked."""
        text = self._text
        prefix = folder + "/" if folder else ""
        at = _search(text, _NUL, _record_path, prefix) if prefix else 0
        names = set()
        while at < len(text):
            path = _record_path(_record_at(text, _NUL, at))
            if not path.startswith(prefix):
                break
            name, slash, _ = path[len(prefix) :].partition("/")
            names.add(name)
            if slash:  # a subfolder: step past everything under it
                at = _search(text, _NUL, _record_path, f"{prefix}{name}0")
            else:
                at = text.index(_NUL, at) + 1
        return names

    def patched(self, added: Iterable[str], removed: Collection[str]) -> PathList:
        records: dict[str, bytes | None] = dict.fromkeys(removed)
        records.update(
            (p, p.encode("utf-8", "surrogateescape") + _NUL) for p in added if p not in removed
        )
        return _PatchedPaths(self, records)


class _PatchedPaths(_Patched, PathList):
    """Answered from the changes over the old text while they are few; joined (one copy) for a
    change of many paths, where asking each change would cost changes x changes."""

    def __init__(self, base: PathList, records: dict[str, bytes | None]) -> None:
        self._patch(base, _NUL, _record_path, records)
        self._paths = base
        self._whole = PathList(self.text) if len(records) > _FEW_CHANGES else None

    def has_file(self, path: str) -> bool:
        if path in self._records:
            return self._records[path] is not None
        return self._paths.has_file(path)

    def files_under(self, folder: str) -> int:
        if self._whole is not None:
            return self._whole.files_under(folder)
        prefix = folder + "/"
        under = self._paths.files_under(folder)
        for path, record in self._records.items():
            if path.startswith(prefix):
                under += (record is not None) - (path in self._splice.existed)
        return under

    def names_in(self, folder: str) -> set[str]:
        if self._whole is not None:
            return self._whole.names_in(folder)
        prefix = folder + "/" if folder else ""
        names = self._paths.names_in(folder)
        for path in self._records:
            if path.startswith(prefix):
                name = path[len(prefix) :].partition("/")[0]
                there = self.has_file(prefix + name) or self.files_under(prefix + name) > 0
                if there:
                    names.add(name)
                else:
                    names.discard(name)
        return names

    def patched(self, added: Iterable[str], removed: Collection[str]) -> PathList:
        records = dict(self._records)
        records.update(dict.fromkeys(removed))
        records.update(
            (p, p.encode("utf-8", "surrogateescape") + _NUL) for p in added if p not in removed
        )
        return _PatchedPaths(self._paths, records)


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
