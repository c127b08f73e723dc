"""The Hub's `.gitignore` rule: files matching the repo's root `.gitignore` are dropped from a
commit without a word, so hfsync must plan with it instead of uploading them on every run.

The file comes from the remote (or the source): untrusted input. It is read with limits (size,
lines, pattern length, wildcards per pattern) and matched by RE2 in linear time; a line beyond the
limits is left out, and the commit check then reports a file the Hub dropped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from hfsync.core.plan import Action, Operation, Plan

if TYPE_CHECKING:
    from pathspec import PathSpec

GITIGNORE = ".gitignore"
MAX_BYTES = 256 * 1024
MAX_LINES = 1000
MAX_PATTERN_CHARS = 512
MAX_WILDCARDS = 16
IGNORED_REASON = "ignored by the Space's .gitignore (the Hub drops it); not uploaded"


def parse_gitignore(data: bytes) -> PathSpec | None:
    """The rules of a `.gitignore` (gitwildmatch), or None when it has none within the limits.

    Matched with RE2 (linear time, whatever the patterns); rules RE2 cannot compile within its
    memory budget are given up as a whole (None).
    """
    import re2
    from pathspec import GitIgnoreSpec

    lines = []
    text = data[:MAX_BYTES].decode("utf-8", errors="replace")
    for line in text.splitlines()[:MAX_LINES]:
        if len(line) > MAX_PATTERN_CHARS or line.count("*") + line.count("?") > MAX_WILDCARDS:
            continue
        lines.append(line)
    try:
        spec = GitIgnoreSpec.from_lines(lines, backend="re2")
    except (ValueError, TypeError):  # pathspec refuses a malformed pattern: keep the valid ones
        try:
            spec = GitIgnoreSpec.from_lines([ln for ln in lines if _compiles(ln)], backend="re2")
        except re2.error:
            return None
    except re2.error:
        return None
    return spec if any(pattern.include is not None for pattern in spec.patterns) else None


def _compiles(line: str) -> bool:
    from pathspec import GitIgnoreSpec

    try:
        GitIgnoreSpec.from_lines([line], backend="simple")
    except (ValueError, TypeError):
        return False
    return True


def without_ignored(plan: Plan, ignored: PathSpec) -> Plan:
    """The plan with each upload the Hub would drop turned into an `ignored` operation (which
    keeps the path's base: hfsync did not write it)."""
    operations = tuple(
        _ignored(op) if op.action is Action.UPLOAD and ignored.match_file(op.path) else op
        for op in plan.operations
    )
    return replace(plan, operations=operations)


def _ignored(op: Operation) -> Operation:
    return replace(op, action=Action.IGNORED, reason=IGNORED_REASON)
