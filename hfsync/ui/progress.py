"""Phases and progress on stderr, readable live on a terminal and in a CI log alike.

A phase is announced on a line of its own before it starts ("planning space me/demo"). While it
lasts, a terminal shows a spinner with the elapsed time (rich, redrawn in place); anything else
(a CI log, a pipe) gets a plain line every `interval` seconds and never a `\\r` frame.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType

import click


class Progress:
    """The current phase of a run, reported on stderr. Use as a context manager."""

    def __init__(self, *, quiet: bool = False, interval: float | None = None) -> None:
        self.quiet = quiet
        self.interval = interval if interval is not None else _interval_from_env()
        self.terminal = sys.stderr.isatty()
        self._phase: str | None = None
        self._since = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._status: object | None = None

    def __enter__(self) -> Progress:
        if self.quiet:
            return self
        if self.terminal:
            from rich.console import Console

            status = Console(stderr=True).status("", spinner="dots")
            status.start()
            self._status = status
        self._ticker = threading.Thread(target=self._tick, name="hfsync-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self._status is not None:
            self._status.stop()  # type: ignore[attr-defined]

    @property
    def phase(self) -> str | None:
        return self._phase

    def __call__(self, message: str) -> None:
        """Announce a phase: one line now, then periodic reminders while it lasts."""
        from hfsync.core.redact import redact

        message = redact(message)
        with self._lock:
            self._phase = message
            self._since = time.monotonic()
        if self.quiet:
            return
        if self._status is not None:
            from rich.markup import escape

            self._status.console.print(escape(message), highlight=False)  # type: ignore[attr-defined]
            self._status.update(escape(message))  # type: ignore[attr-defined]
        else:
            click.echo(message, err=True)

    def done(self) -> None:
        """The phase ended: no more reminders until the next one."""
        with self._lock:
            self._phase = None

    def _tick(self) -> None:
        while not self._stop.wait(1.0 if self._status is not None else self.interval):
            with self._lock:
                phase, since = self._phase, self._since
            if phase is None:
                continue
            elapsed = time.monotonic() - since
            if self._status is not None:
                from rich.markup import escape

                self._status.update(f"{escape(phase)} ({elapsed:.0f} s)")  # type: ignore[attr-defined]
            elif elapsed >= self.interval:
                click.echo(f"... {phase} ({elapsed:.0f} s)", err=True)


def _interval_from_env() -> float:
    """Seconds between reminder lines: HFSYNC_PROGRESS_INTERVAL, default 10."""
    try:
        value = float(os.environ.get("HFSYNC_PROGRESS_INTERVAL", "10"))
    except ValueError:
        return 10.0
    return value if 0.1 <= value <= 3600 else 10.0
