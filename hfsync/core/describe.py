"""How big an upload is, in the words of a phase line or a result line: '1 file, 21.0 MB', and
what travelled when it differs ('(68.0 kB sent)': Xet sends only the chunks the Hub lacks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.core.plan import Plan


def describe_change(plan: Plan) -> str:
    """The phase line before a write: 'uploading 501 files, 52.0 MB' (and the deletions)."""
    text = f"uploading {uploaded(plan)}"
    if plan.deletes:
        text += f"; deleting {len(plan.deletes):,}"
    return text


def uploaded(plan: Plan) -> str:
    """'1 file, 21.0 MB': the files a plan uploads."""
    uploads = [op.local for op in plan.uploads if op.local is not None]
    size = sum(file.size for file in uploads)
    return f"{len(uploads):,} file{'s' if len(uploads) != 1 else ''}, {human_size(size)}"


def travelled(plan: Plan, sent: int | None) -> str | None:
    """'1 file, 21.0 MB (68.0 kB sent)' when the bytes that travelled (`sent`, where measured:
    Xet sends only the chunks the Hub lacks) differ from the files' size; else None."""
    size = sum(op.local.size for op in plan.uploads if op.local is not None)
    if sent is None or human_size(sent) == human_size(size):
        return None
    return f"{uploaded(plan)} ({human_size(sent)} sent)"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
