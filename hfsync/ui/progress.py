"""Phases and progress on stderr, readable live on a terminal and in a CI log alike.

A phase is announced on a line of its own before it starts ("planning space me/demo"). While it
lasts, a terminal shows a spinner with the elapsed time (rich, redrawn in place); anything else
(a CI log, a pipe) gets a plain line every `interval` seconds and never a `\\r` frame. Counted
work within a phase (`count`: files and bytes hashed) shows in the same place: files and bytes
done of the total, and the rate.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.live import Live
    from rich.spinner import Spinner


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
        self._status: Live | None = None  # the terminal's live line
        self._spinner: Spinner | None = None
        self._task: Counted | None = None
        self._drawn = 0.0  # when the terminal line was last redrawn for counted work

    def __enter__(self) -> Progress:
        if self.quiet:
            return self
        if self.terminal:
            from rich.console import Console
            from rich.live import Live
            from rich.spinner import Spinner

            from hfsync.ui.stdout_copy import keep_copying_through_proxy

            self._spinner = Spinner("dots", text="", style="status.spinner")
            console = Console(stderr=True)
            live = Live(self._spinner, console=console, transient=True, refresh_per_second=12.5)
            live.start()
            keep_copying_through_proxy()  # rich now routes stdout through the live line
            self._status = live
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
            self._status.stop()

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

            self._status.console.print(escape(message), highlight=False)
            self._show(escape(message))
        else:
            click.echo(message, err=True)

    def done(self) -> None:
        """The phase ended: no more reminders until the next one."""
        with self._lock:
            self._phase = None

    def count(self, what: str, files: int, size: int) -> Counted:
        """Count a piece of work within the current phase (a `Meter`, see core/meter.py)."""
        task = Counted(self, what, files, size)
        with self._lock:
            self._task = task
        self._draw(force=True)
        return task

    def _ended(self, task: Counted) -> None:
        with self._lock:
            if self._task is task:
                self._task = None
        self._draw(force=True)

    def _line(self) -> str | None:
        """What the phase is doing now: 'phase: hashing 3/10 files, ... (4 s)'."""
        with self._lock:
            phase, since, task = self._phase, self._since, self._task
        if phase is None:
            return None
        counted = f": {task.describe()}" if task is not None else ""
        return f"{phase}{counted} ({time.monotonic() - since:.0f} s)"

    def _draw(self, *, force: bool = False) -> None:
        """Redraw the terminal line (at most 10 times a second unless `force`d)."""
        if self._status is None:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        line = self._line()
        if line is not None:
            from rich.markup import escape

            self._show(escape(line))

    def _show(self, text: str) -> None:
        """The live line's new text, drawn now."""
        if self._status is not None and self._spinner is not None:
            self._spinner.update(text=text)
            self._status.refresh()

    def _tick(self) -> None:
        while not self._stop.wait(1.0 if self._status is not None else self.interval):
            with self._lock:
                phase, since = self._phase, self._since
            if phase is None:
                continue
            if self._status is not None:
                self._draw(force=True)
            elif time.monotonic() - since >= self.interval:
                click.echo(f"... {self._line()}", err=True)


class Counted:
    """Files and bytes done of a counted piece of work (a `Task`, see core/meter.py)."""

    def __init__(self, progress: Progress, what: str, files: int, size: int) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.what, self.files, self.size = what, files, size
        self.files_done = self.bytes_done = 0
        self._started = time.monotonic()

    def advance(self, size: int = 0, files: int = 0) -> None:
        with self._lock:
            self.bytes_done += size
            self.files_done += files
        self._progress._draw()

    def close(self) -> None:
        self._progress._ended(self)

    def describe(self) -> str:
        """'hashing 1,200/3,000 files, 52.0 MB/120.0 MB, 30.0 MB/s'."""
        with self._lock:
            files, done = self.files_done, self.bytes_done
        elapsed = time.monotonic() - self._started
        rate = f", {_size(done / elapsed)}/s" if elapsed >= 0.5 and done else ""
        return f"{self.what} {files:,}/{self.files:,} files, {_size(done)}/{_size(self.size)}{rate}"


def _size(size: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def _interval_from_env() -> float:
    """Seconds between reminder lines: HFSYNC_PROGRESS_INTERVAL, default 10."""
    try:
        value = float(os.environ.get("HFSYNC_PROGRESS_INTERVAL", "10"))
    except ValueError:
        return 10.0
    return value if 0.1 <= value <= 3600 else 10.0
