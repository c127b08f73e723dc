"""Targets on one repo and branch must not overlap (design.md): two targets that could both manage
one remote path would each take the other's files for remote files it never wrote, and delete or
flag them (`--prune` made one target delete the other's files, and the other was then stuck on a
conflict). A config where they could is refused, naming both targets.

The check is on the config alone, so every command makes it, and it is sound: it may refuse two
targets that never meet, never accept two that do. Each target's remote paths lie under a few
folders (its roots): its `remote_dir`, narrowed by the literal leading folders of its `paths`
patterns (`app/**` lies under `app`); with `paths_ignore` or `from_workflow` (patterns not read
here) the whole `remote_dir`. Two targets overlap when a root of one lies in (or is) a root of
the other that its filter (`!FOLDER/**` last in `paths`, `FOLDER/**` in `paths_ignore`) or its
`exclude` does not leave out as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathspec import PathSpec


_SPECIAL = set("*?+[]\\")  # GitHub filter syntax: a part holding one is not a literal folder
_WORKFLOW_EXCLUDE = "/.github/"  # config/scope.py adds it to a scope read from a workflow


class TargetConfig(Protocol):
    """What this check reads of a target's config (`config/model.py` TargetConfig, which calls
    this check from its validator, so it is not imported here)."""

    @property
    def name(self) -> str: ...
    @property
    def repo(self) -> str | None: ...
    @property
    def repo_type(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def branch(self) -> str: ...
    @property
    def paths(self) -> list[str] | None: ...
    @property
    def paths_ignore(self) -> list[str] | None: ...
    @property
    def exclude(self) -> list[str]: ...
    @property
    def local_dir(self) -> str: ...
    @property
    def remote_dir(self) -> str: ...
    @property
    def from_workflow(self) -> str | None: ...
    @property
    def include_github(self) -> bool: ...


def overlap_problem(targets: Sequence[TargetConfig]) -> str | None:
    """The first pair of targets on one repo and branch whose scopes may overlap, as a message;
    None when there is none."""
    for index, first in enumerate(targets):
        for second in targets[index + 1 :]:
            if _where(first) != _where(second):
                continue
            shared = _shared_root(first, second)
            if shared is not None:
                place = f"'{shared}/'" if shared else "the whole repository"
                return (
                    f"targets '{first.name}' and '{second.name}' both write to "
                    f"{_describe(first)} and both could manage {place}: each would take the "
                    "other's files for files it never wrote; give them folders apart "
                    "(remote_dir, paths that do not overlap, or exclude), or make them one target"
                )
    return None


def _where(target: TargetConfig) -> tuple[str, ...]:
    if target.repo is not None:
        return ("hub", target.repo_type, target.repo.lower(), target.branch)
    return ("git", (target.url or "").rstrip("/"), target.branch)


def _describe(target: TargetConfig) -> str:
    where = f"{target.repo_type} {target.repo}" if target.repo is not None else target.url
    return f"{where} (branch {target.branch})"


def _shared_root(first: TargetConfig, second: TargetConfig) -> str | None:
    """A remote folder both targets could manage files in ('' for the root), or None."""
    for a in _roots(first):
        for b in _roots(second):
            if _inside(b, a) and not _leaves_out(first, b):
                return b
            if _inside(a, b) and not _leaves_out(second, a):
                return a
    return None


def _inside(path: str, folder: str) -> bool:
    """True when `path` is `folder` or lies under it ('' is the root)."""
    return not folder or path == folder or path.startswith(folder + "/")


def _roots(target: TargetConfig) -> set[str]:
    """Remote folders (or files) under which every remote path of the target lies."""
    if target.paths is None:
        return {target.remote_dir}
    roots = set()
    for pattern in target.paths:
        if pattern.startswith("!"):
            continue  # a negation only takes paths away
        local, folder = _literal_prefix(pattern), target.local_dir
        if _inside(local, folder):
            relative = local[len(folder) :].lstrip("/")
        elif _inside(folder, local):
            relative = ""  # the pattern reaches over the whole local_dir
        else:
            continue  # no file of local_dir can match it
        roots.add("/".join(part for part in (target.remote_dir, relative) if part))
    return roots


def _literal_prefix(pattern: str) -> str:
    """The leading parts of a GitHub filter pattern that are plain names (the whole pattern when
    it has no wildcard): every path it matches lies there."""
    parts = pattern.split("/")
    literal = []
    for part in parts:
        if not part or _SPECIAL.intersection(part):
            break
        literal.append(part)
    return "/".join(literal)


def _leaves_out(target: TargetConfig, remote: str) -> bool:
    """True when the target's filter or `exclude` provably leaves out everything under remote
    folder `remote`."""
    relative = remote[len(target.remote_dir) :].lstrip("/") if target.remote_dir else remote
    local = "/".join(part for part in (target.local_dir, relative) if part)
    if not local:
        return False
    return _filter_leaves_out(target, local) or _exclude_leaves_out(target, local)


def _filter_leaves_out(target: TargetConfig, local: str) -> bool:
    """True when the filter leaves out every path under local folder `local`: `paths` whose
    last pattern that could match there is `!FOLDER/**` over it, or `paths_ignore` with a
    `FOLDER/**` over it (and no negation, which could take a path back)."""
    if target.paths is not None:
        left_out = False
        for pattern in target.paths:
            if pattern.startswith("!"):
                left_out = left_out or _covers(pattern[1:], local)
            elif _inside(local, _literal_prefix(pattern)) or _inside(
                _literal_prefix(pattern), local
            ):
                left_out = False  # it could match a path there again
        return left_out
    ignored = target.paths_ignore
    if ignored is None or any(pattern.startswith("!") for pattern in ignored):
        return False
    return any(_covers(pattern, local) for pattern in ignored)


def _covers(pattern: str, local: str) -> bool:
    """True for a pattern `FOLDER/**` (FOLDER plain names) with `local` inside FOLDER."""
    folder = pattern.removesuffix("/**")
    return folder != pattern and _literal_prefix(folder) == folder and _inside(local, folder)


def _exclude_leaves_out(target: TargetConfig, local: str) -> bool:
    """True when the target's `exclude` leaves out the local folder `local` as a whole."""
    exclude = list(target.exclude)
    if target.from_workflow is not None and not target.include_github:
        exclude.append(_WORKFLOW_EXCLUDE)
    if not exclude or any(pattern.startswith("!") for pattern in exclude):
        return False  # a negation could take something back in: not provably left out
    return _spec(tuple(exclude)).match_file(local + "/")


def _spec(patterns: tuple[str, ...]) -> PathSpec:
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)
