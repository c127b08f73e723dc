"""How much one Hub commit may hold, and how a larger change is cut into several commits."""

from __future__ import annotations

from dataclasses import dataclass

from hfsync.core.snapshot import LocalFile
from hfsync.remotes import Change

REGULAR_FILE_LIMIT = 10 * 1024 * 1024  # larger files always go through LFS


@dataclass(frozen=True)
class CommitLimits:
    """What one Hub commit may hold (create_commit's documented limits)."""

    lfs_files: int = 25_000
    inline_bytes: int = 1_000_000_000


def split_change(change: Change, limits: CommitLimits) -> list[Change]:
    """`change` as the fewest commits within `limits`, in order; deletions go in the first.

    Files under 10 MiB are counted as inline content (the Hub may still store some as LFS, which
    only makes a part smaller than counted).
    """
    parts: list[Change] = []
    uploads: list[tuple[str, LocalFile]] = []
    inline = lfs = 0
    for path, local in change.uploads:
        is_lfs = local.size >= REGULAR_FILE_LIMIT
        too_big = (
            lfs + 1 > limits.lfs_files if is_lfs else inline + local.size > limits.inline_bytes
        )
        if uploads and too_big:
            parts.append(Change(tuple(uploads), change.deletes if not parts else ()))
            uploads, inline, lfs = [], 0, 0
        uploads.append((path, local))
        lfs += is_lfs
        inline += 0 if is_lfs else local.size
    parts.append(Change(tuple(uploads), change.deletes if not parts else ()))
    return parts
