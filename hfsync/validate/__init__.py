"""Checks before any write: what is about to be uploaded must not leak a secret, exceed a size,
break a Space's configuration or name a path the Hub refuses.

`hfsync check` runs them alone; `hfsync run` runs them on each plan before its first write. Each
check is a module with one job; each finding names a file (and a line where there is one), says
how to fix it, and never shows the secret it found. A target's `allow` list (`"CHECK:PATTERN"`,
gitignore-style patterns over remote paths) lets a deliberate exception through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfsync.core.errors import ValidationError
from hfsync.core.findings import Finding

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pathspec import PathSpec

    from hfsync.core.plan import Plan
    from hfsync.core.tree_text import PathList
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target
    from hfsync.validate.secrets import Scanned


def findings_for(
    target: Target, source: Source, plan: Plan, remote: PathList, scanned: Scanned | None = None
) -> list[Finding]:
    """Every finding on what `plan` would write to `target` (whose paths at the plan's head are
    `remote`), less what its `allow` list lets through. Only the files the plan uploads are read
    (a no-change plan reads nothing). `scanned`: the secret scan's answers so far in this sync,
    by path and content (a sync that creates its repo checks its plan again once it exists)."""
    from hfsync.validate import paths, secrets, sizes, space
    from hfsync.validate.tree import TreeAfter

    after = TreeAfter(remote, plan)
    found = [
        *secrets.check(target, source, plan, scanned),
        *sizes.check(target, source, plan),
        *paths.check(target, plan, after),
        *space.check(target, source, plan, after),
    ]
    if not found:
        return []  # the usual case: no need to build the `allow` matcher
    allowed = _allow_matcher(target.config.allow)
    return [f for f in found if not allowed(f)]


def validate(
    target: Target, source: Source, plan: Plan, remote: PathList, scanned: Scanned | None = None
) -> None:
    """Raise ValidationError (exit 2, nothing written) when the plan has findings."""
    found = findings_for(target, source, plan, remote, scanned)
    if found:
        noun = "problem" if len(found) == 1 else "problems"
        raise ValidationError(
            f"{len(found)} {noun} in the files to upload; nothing was written. Fix them, or "
            'let a deliberate one through with the target\'s `allow = ["CHECK:PATH"]`',
            tuple(found),
            plan,
        )


def _allow_matcher(entries: list[str]) -> _Allowed:
    from pathspec import GitIgnoreSpec  # as the config checks the patterns (config/model.py)

    by_check: dict[str, list[str]] = {}
    for entry in entries:
        check, _, pattern = entry.partition(":")
        by_check.setdefault(check, []).append(pattern)
    specs = {check: GitIgnoreSpec.from_lines(patterns) for check, patterns in by_check.items()}
    return _Allowed(specs)


class _Allowed:
    def __init__(self, specs: Mapping[str, PathSpec]) -> None:
        self._specs = specs

    def __call__(self, finding: Finding) -> bool:
        spec = self._specs.get(finding.check)
        return spec is not None and spec.match_file(finding.path)
