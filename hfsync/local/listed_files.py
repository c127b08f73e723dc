"""A source's files in scope, listed only when a caller needs more than the paths it was given."""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, Mapping, MutableMapping
from dataclasses import replace

from hfsync.core.snapshot import LocalFile


class ListedFiles(MutableMapping[str, LocalFile]):
    """The files in scope of a source (a commit or the working tree), listed only when needed.

    A sync that knows what changed since a source it synced before (the incremental plan) gives
    the entries it needs (`know`); any other question (a path it was not given, iterating, the
    count) lists the whole source once, as a full read does, and from then on that listing
    answers: a caller that needs more than the plan's paths still sees every file.
    """

    def __init__(self, load: Callable[[], tuple[dict[str, LocalFile], bool]]) -> None:
        self._load = load
        self._known: dict[str, LocalFile | None] = {}
        self._all: dict[str, LocalFile] | None = None
        self._links = False

    def know(self, entries: Mapping[str, LocalFile | None]) -> None:
        """Entries found without listing the commit (None: no such file in scope)."""
        self._known.update(entries)

    @property
    def listed(self) -> bool:
        return self._all is not None

    def every(self) -> dict[str, LocalFile]:
        """Every file in scope (the source is listed once)."""
        if self._all is None:
            self._all, self._links = self._load()
            for path, local in self._known.items():  # sha256 filled in meanwhile
                if local is not None and self._all.get(path) == replace(local, sha256=None):
                    self._all[path] = local
        return self._all

    def known_differences(self) -> list[str]:
        """Paths whose entry given by `know` differs from the listing (lists the source)."""
        every = self.every()
        return sorted(
            path
            for path, local in self._known.items()
            if (every.get(path) and replace(every[path], sha256=None))
            != (local and replace(local, sha256=None))
        )

    @property
    def has_links(self) -> bool:
        """Whether a symlink is in scope (lists the source)."""
        self.every()
        return self._links

    def __getitem__(self, path: str) -> LocalFile:
        if self._all is None and path in self._known:
            local = self._known[path]
            if local is None:
                raise KeyError(path)
            return local
        return self.every()[path]

    def __setitem__(self, path: str, local: LocalFile) -> None:
        if self._all is None:
            self._known[path] = local
        else:
            self._all[path] = local

    def __delitem__(self, path: str) -> None:
        raise TypeError("a source's files do not change")

    def given(self) -> tuple[set[str], set[str]]:
        """The paths `know` was told about: (with a file, without)."""
        return (
            {p for p, local in self._known.items() if local is not None},
            {p for p, local in self._known.items() if local is None},
        )

    def __iter__(self) -> Iterator[str]:
        return iter(self.every())

    def items(self) -> ItemsView[str, LocalFile]:
        """The listing's items (the source is listed once): `dict(files.items())` copies it in
        one pass, where `dict(files)` asked `__getitem__` for each path (~50 ms at 50,000)."""
        return self.every().items()

    def __len__(self) -> int:
        return len(self.every())


def synced_paths(files: Mapping[str, LocalFile], known: list[str] | None) -> list[str]:
    """A source's paths in scope after a sync, sorted: its listing, or, when the incremental plan
    did not list it, the paths `known` before with the changes it was given applied."""
    if known is None or not isinstance(files, ListedFiles) or files.listed:
        return sorted(files)
    present, gone = files.given()
    return sorted((set(known) - gone) | present)
