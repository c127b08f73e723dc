"""Remote edits as unified diffs that bring them into the repository (`git apply` them)."""

from __future__ import annotations

import difflib

from hfsync.core.plan import Plan
from hfsync.engine.sync import Target
from hfsync.local.source import Source


def remote_edit_diffs(target: Target, source: Source, plan: Plan) -> list[str]:
    """Unified diffs that bring each remote edit into the repository (`git apply` them)."""
    diffs = []
    for op in plan.conflicts:
        local_path = target.scope.to_local(op.path) or op.path
        ours = source.read_bytes(op.local.path) if op.local else b""
        theirs = target.remote.read_file(plan.head, op.path) if op.remote and plan.head else b""
        try:
            old, new = ours.decode("utf-8"), theirs.decode("utf-8")
        except UnicodeDecodeError:
            diffs.append(f"Binary files a/{local_path} and b/{local_path} differ\n")
            continue
        diffs.append(
            "".join(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    new.splitlines(keepends=True),
                    fromfile=f"a/{local_path}" if op.local else "/dev/null",
                    tofile=f"b/{local_path}" if op.remote else "/dev/null",
                )
            )
        )
    return diffs
