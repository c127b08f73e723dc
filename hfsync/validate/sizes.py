"""File sizes: the target's `max_file_mb`, and the Hub's 10 MB limit on files pushed by git
without LFS."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING

from hfsync.core.findings import Finding
from hfsync.validate.tree import is_hub_git_url

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

MB = 1_000_000
HUB_GIT_LIMIT = 10 * MB  # the Hub refuses a git push of a larger file that is not in LFS


def check(target: Target, source: Source, plan: Plan) -> list[Finding]:
    limit = target.config.max_file_mb * MB
    found = [
        Finding(
            "size",
            op.path,
            0,
            f"{op.local.size / MB:.1f} MB, over max_file_mb = {target.config.max_file_mb:g}",
            "exclude it, or raise the target's `max_file_mb`",
        )
        for op in plan.uploads
        if op.local is not None and op.local.size > limit
    ]
    if is_hub_git_url(target.config.url):
        big = [op for op in plan.uploads if op.local is not None and op.local.size > HUB_GIT_LIMIT]
        not_lfs = _not_in_lfs(source, [op.local.path for op in big if op.local is not None])
        found += [
            Finding(
                "lfs",
                op.path,
                0,
                f"{op.local.size / MB:.1f} MB without LFS: the Hub refuses git pushes of files "
                "over 10 MB that are not in LFS",
                f"run 'git lfs track {op.local.path}', or sync with `repo =` (the Hub API "
                "stores large files in LFS itself)",
            )
            for op in big
            if op.local is not None and op.local.path in not_lfs
        ]
    return found


def _not_in_lfs(source: Source, paths: list[str]) -> set[str]:
    """The paths whose git `filter` attribute is not `lfs`."""
    if not paths:
        return set()
    # git from PATH, an argument list (no shell); paths go through stdin.
    done = subprocess.run(
        ["git", "check-attr", "-z", "--stdin", "filter"],  # noqa: S607
        cwd=source.repo_root,
        input="\0".join(paths).encode() + b"\0",
        capture_output=True,
        check=True,
    )
    fields = done.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return {fields[i] for i in range(0, len(fields) - 2, 3) if fields[i + 2] != "lfs"}
