"""A copy of everything `hfsync run` writes to stdout, for its memo (memo/answer.py).

On a terminal, rich's live progress line (ui/progress.py) routes stdout through its own
`FileProxy` while it is shown, which prints to the progress console instead of the stream it
wraps: `keep_copying_through_proxy` puts a copy over that proxy too, so nothing printed then is
missed.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def stdout_kept(keep: bool) -> Iterator[list[str]]:
    """Everything written to `sys.stdout` inside the block, still written through."""
    kept: list[str] = []
    if not keep:
        yield kept
        return
    real = sys.stdout
    sys.stdout = StdoutCopy(real, kept)
    try:
        yield kept
    finally:
        sys.stdout = real


def keep_copying_through_proxy() -> None:
    """After rich put its `FileProxy` over a `StdoutCopy`, copy what the proxy is given too."""
    proxied = getattr(sys.stdout, "rich_proxied_file", None)
    if isinstance(proxied, StdoutCopy):
        sys.stdout = StdoutCopy(sys.stdout, proxied.kept)


class StdoutCopy(io.TextIOBase):
    """A text stream writing through to `real` and keeping a copy in `kept`."""

    def __init__(self, real: Any, kept: list[str]) -> None:
        self._real = real
        self.kept = kept

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # as a text stream refuses bytes (click tries b"")
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.kept.append(text)
        written: int = self._real.write(text)
        return written

    def flush(self) -> None:
        self._real.flush()

    def isatty(self) -> bool:
        return bool(self._real.isatty())

    def fileno(self) -> int:
        return int(self._real.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(self._real.encoding)

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        errors: str | None = self._real.errors
        return errors
