"""Remote edits the source's own history already took in (design.md, "resolved by bringing the
edit into the repository").

A path is a remote edit when the remote changed it since hfsync last wrote it. When the source,
in a commit after the one that base was synced from, held exactly the remote's version (the same
blob, or the path deleted as the remote deleted it), the person brought that edit in and then
changed the path again: uploading the source loses nothing of the remote's, and the edit is no
longer a conflict. Without this, a remote edit matched by the source in a run that had nothing
else to write (so no hfsync commit recorded the new base) came back as a conflict as soon as the
source changed the path again: `abort` refused the sync, `skip` left the source's change out.

Only the commits between the base's source commit and the source commit count (the base's must
be an ancestor); a working tree source, or a shallow clone lacking the base's commit, has no such
history, and its remote edits stay conflicts.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.plan import Action, Plan

if TYPE_CHECKING:
    from hfsync.engine.sync import Target
    from hfsync.local.source import Source

_COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_ABSENT = "0" * 40
_PATHS_PER_CALL = 500  # well under the argument list limit
_GITLINK = "160000"


def settle_taken_in_history(
    target: Target, source: Source, plan: Plan, base_source: str | None
) -> Plan:
    """The plan, with each remote edit whose version the source held since the base turned into
    the source's upload or deletion."""
    if not plan.conflicts or source.commit is None or base_source is None:
        return plan
    if not _COMMIT_RE.fullmatch(base_source) or base_source == source.commit:
        return plan
    repo = source.repo_root
    if not _is_ancestor(repo, base_source, source.commit):
        return plan
    local_paths = {
        op.path: (op.local.path if op.local else target.scope.to_local(op.path) or op.path)
        for op in plan.conflicts
    }
    held = _versions_since(repo, base_source, source.commit, sorted(set(local_paths.values())))
    operations = []
    for op in plan.operations:
        if op.action is Action.CONFLICT:
            remote = op.remote.oid if op.remote is not None else None
            if (remote is None or len(remote) == 40) and remote in held.get(
                local_paths[op.path], ()
            ):
                what = "deleted" if remote is None else "edited"
                reason = f"{what} on the remote; the source took that in, then changed it again"
                action = Action.UPLOAD if op.local is not None else Action.DELETE
                op = replace(op, action=action, reason=reason)
        operations.append(op)
    return replace(plan, operations=tuple(operations))


def _versions_since(
    repo: Path, since: str, until: str, paths: list[str]
) -> dict[str, set[str | None]]:
    """Each path's versions (blob id; None: deleted) in the commits after `since` up to `until`
    (merges are not diffed: what only a merge brought in does not count)."""
    versions: dict[str, set[str | None]] = {}
    for start in range(0, len(paths), _PATHS_PER_CALL):
        chunk = paths[start : start + _PATHS_PER_CALL]
        out = _git(
            repo,
            "--literal-pathspecs",
            "log",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "-z",
            "--format=",
            f"{since}..{until}",
            "--",
            *chunk,
        )
        tokens = os.fsdecode(out).split("\0")
        at = 0
        while at < len(tokens) - 1:
            meta = tokens[at].lstrip("\n")
            if not meta.startswith(":"):
                at += 1
                continue
            fields = meta[1:].split(" ")
            path = tokens[at + 1]
            at += 2
            if len(fields) < 4 or fields[1] == _GITLINK:
                continue
            new = fields[3]
            versions.setdefault(path, set()).add(None if new == _ABSENT else new)
    return versions


def _is_ancestor(repo: Path, older: str, newer: str) -> bool:
    # git from PATH, as everywhere in hfsync; the arguments are commit ids.
    done = subprocess.run(  # noqa: S603
        ["git", "merge-base", "--is-ancestor", older, newer],  # noqa: S607
        cwd=repo,
        capture_output=True,
    )
    return done.returncode == 0  # 1: not an ancestor; 128: unknown commit (a shallow clone)


def _git(repo: Path, *args: str) -> bytes:
    # git from PATH, as everywhere in hfsync; an argument list, no shell.
    done = subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=repo,
        capture_output=True,
        check=True,
    )
    return done.stdout
