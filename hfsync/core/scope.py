"""A target's scope: which local files it takes and where they land remotely.

The scope is the path filter (GitHub dialect), the `exclude` list (gitignore dialect, via pathspec)
and the `local_dir` -> `remote_dir` mapping. hfsync never reads, changes or deletes a remote path
outside it. A `ScopeSpec` is the serialisable definition, recorded in hfsync's commits so that a
later run can tell which paths an earlier run managed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hfsync.core.errors import ConfigError
from hfsync.core.filters import FilterError, PathFilter
from hfsync.core.pulled import PULL_RECORD

if TYPE_CHECKING:
    from pathspec import PathSpec

_REMEMBERED_PATHS = 1_000_000


@dataclass(frozen=True)
class ScopeSpec:
    """The plain-data definition of a scope."""

    kind: str  # "paths" | "paths-ignore" | "all"
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    local_dir: str = ""
    remote_dir: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "patterns": list(self.patterns),
                "exclude": list(self.exclude),
                "local_dir": self.local_dir,
                "remote_dir": self.remote_dir,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> ScopeSpec:
        data = json.loads(text)
        return cls(
            kind=data["kind"],
            patterns=tuple(data["patterns"]),
            exclude=tuple(data["exclude"]),
            local_dir=data["local_dir"],
            remote_dir=data["remote_dir"],
        )


@dataclass(frozen=True)
class Scope:
    """A compiled scope: predicates and path mapping.

    Each path's answer is computed once and remembered: one sync asks about the same path from
    the source listing, the remote tree, the base and the plan.
    """

    spec: ScopeSpec
    path_filter: PathFilter
    exclude: PathSpec | None = field(default=None, compare=False)
    _included: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_spec(cls, spec: ScopeSpec) -> Scope:
        if spec.kind == "paths":
            path_filter = PathFilter.from_paths(spec.patterns)
        elif spec.kind == "paths-ignore":
            path_filter = PathFilter.from_paths_ignore(spec.patterns)
        else:
            path_filter = PathFilter.everything()
        exclude = None
        if spec.exclude:
            from pathspec import GitIgnoreSpec

            try:
                # RE2: linear time whatever the pattern (pathspec's default backtracks).
                exclude = GitIgnoreSpec.from_lines(spec.exclude, backend="re2")
            except (ValueError, re.error) as exc:
                raise FilterError(f"invalid 'exclude' pattern: {exc}") from None
        return cls(spec=spec, path_filter=path_filter, exclude=exclude)

    def includes(self, local_path: str) -> bool:
        """True for a repository-relative local path this target syncs."""
        included = self._included.get(local_path)
        if included is None:
            if len(self._included) >= _REMEMBERED_PATHS:  # a long-running watch sees many names
                self._included.clear()
            included = self._included[local_path] = self._decide(local_path)
        return included

    def _decide(self, local_path: str) -> bool:
        if local_path == PULL_RECORD:  # `hfsync pull`'s record: the source's, never synced
            return False
        local_dir = self.spec.local_dir
        if local_dir and not local_path.startswith(local_dir + "/"):
            return False
        if not self.path_filter.includes(local_path):
            return False
        return self.exclude is None or not self.exclude.match_file(local_path)

    def to_remote(self, local_path: str) -> str:
        """The remote path of a local path in scope."""
        local_dir, remote_dir = self.spec.local_dir, self.spec.remote_dir
        relative = local_path[len(local_dir) + 1 :] if local_dir else local_path
        return f"{remote_dir}/{relative}" if remote_dir else relative

    def to_local(self, remote_path: str) -> str | None:
        """The local path a remote path maps to, or None when it lies outside `remote_dir`."""
        local_dir, remote_dir = self.spec.local_dir, self.spec.remote_dir
        if remote_dir:
            if not remote_path.startswith(remote_dir + "/"):
                return None
            remote_path = remote_path[len(remote_dir) + 1 :]
        return f"{local_dir}/{remote_path}" if local_dir else remote_path

    @property
    def maps_paths(self) -> bool:
        """True when a local path and its remote path differ (a folder mapping is set)."""
        return bool(self.spec.local_dir or self.spec.remote_dir)

    def select_remote(self, remote_paths: Iterable[str]) -> list[str]:
        """The remote paths inside this scope, in the given order (`includes_remote` on each)."""
        if self.maps_paths:
            return [path for path in remote_paths if self.includes_remote(path)]
        known = self._included  # answers already given, without a call per path
        return [
            path
            for path in remote_paths
            if (answer := known.get(path)) or (answer is None and self.includes(path))
        ]

    def includes_remote(self, remote_path: str) -> bool:
        """True for a remote path inside this scope."""
        if not self.maps_paths:
            return self.includes(remote_path)  # the same path on both sides
        local = self.to_local(remote_path)
        return local is not None and self.includes(local)


def valid_dir(value: str) -> bool:
    """True for a folder as the config keeps it: relative, `/`-separated, without `.` or `..`
    parts (empty: the root)."""
    if not value:
        return True
    return value.isprintable() and all(part not in ("", ".", "..") for part in value.split("/"))


def scope_from_patterns(paths: tuple[str, ...], paths_ignore: tuple[str, ...]) -> Scope:
    """A scope given on the command line (`--paths` / `--paths-ignore`)."""
    if paths and paths_ignore:
        raise ConfigError("use --paths or --paths-ignore, not both (GitHub rejects that too)")
    if paths:
        return Scope.from_spec(ScopeSpec(kind="paths", patterns=paths))
    if paths_ignore:
        return Scope.from_spec(ScopeSpec(kind="paths-ignore", patterns=paths_ignore))
    return Scope.from_spec(ScopeSpec(kind="all"))
