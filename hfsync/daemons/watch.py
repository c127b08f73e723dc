"""`hfsync watch`: sync the working tree when it changes, and notice remote edits by polling.

Threads: watchdog's threads only put each file system event, stamped with its arrival time, on a
queue. Every decision and every sync happens in the thread that calls `Watcher.run_until_stopped`
(the main thread, in the CLI), which waits on that queue with a timeout from the debouncer and the
poll clock: no timer thread. `Watcher.stop` sets a flag and puts a wake-up on the queue
(`SimpleQueue.put` is reentrant, so a signal handler may call it); the loop looks at the flag only
between syncs, so a sync in flight always runs to its end. watchdog is imported inside functions,
so that `hfsync --help` does not pay for it.
"""

from __future__ import annotations

import bisect
import os
import queue
import signal
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from hfsync.core.errors import ConfigError, SourceError
from hfsync.daemons.debounce import Debouncer
from hfsync.engine.sync import SyncOptions, SyncResult, Target, run_sync
from hfsync.local.source import read_source

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers.api import BaseObserver

Report = Callable[[str, SyncResult | Exception], None]
"""Called in the watching thread after each sync of one target, with its result or its error."""

MAX_WAIT_DELAYS = 10  # a batch of changes waits at most this many delays after its first change
# Errors in the first sync that mean the watcher cannot work as configured: they end it.
_FATAL_AT_START = (ConfigError, SourceError)


def relative_path(root: str, path: str) -> str | None:
    """The repository-relative, '/'-separated form of an event's path.

    None for no path, the root itself, a path outside it, and anything inside `.git`: git writes
    there on every command (hfsync's own fetches and hash index included), and it is never synced.
    """
    if not path:
        return None
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    if relative in (".", "..") or relative.startswith("../"):
        return None
    if relative == ".git" or relative.startswith(".git/"):
        return None
    return relative


def touched_targets(
    paths: Iterable[str],
    directory_gone: bool,
    scopes: Mapping[str, Callable[[str], bool]],
    known: Mapping[str, Sequence[str]],
) -> set[str]:
    """The targets a change to these repository-relative paths may affect.

    A file counts for a target whose scope includes it (`scopes`: name -> `Scope.includes`). A
    directory deleted or moved away counts for a target whose last read source (`known`: name ->
    sorted local paths) had files under it: watchdog reports no event for the files inside then.
    """
    touched = set()
    for path in paths:
        for name, includes in scopes.items():
            if directory_gone:
                files, prefix = known.get(name, ()), path + "/"
                at = bisect.bisect_left(files, prefix)
                if at < len(files) and files[at].startswith(prefix):
                    touched.add(name)
            elif includes(path):
                touched.add(name)
    return touched


class Watcher:
    """Keeps targets in sync with the working tree until stopped.

    `start()` starts watchdog's threads (nothing starts in `__init__`); `run_until_stopped()` syncs
    every target once and then each settled batch of changes, in the calling thread; `stop()`, from
    any thread or a signal handler, ends that loop after the sync in flight; `close()` stops and
    joins watchdog's threads. As a context manager it starts, then stops and closes.
    """

    def __init__(
        self,
        repo_root: Path,
        targets: Sequence[Target],
        *,
        debounce: float,
        poll: float,
        on_conflict: str | None,
        report: Report,
    ) -> None:
        self.repo_root = repo_root
        self._root = os.path.realpath(repo_root)  # watchdog reports paths under what it watches
        self._targets = {target.config.name: target for target in targets}
        self._scopes = {name: target.scope.includes for name, target in self._targets.items()}
        self._known: dict[str, list[str]] = {}
        self._poll = poll
        self._options = SyncOptions(rev=None, on_conflict=on_conflict)  # always the working tree
        self._report = report
        self._debouncer = Debouncer(debounce, max_wait=MAX_WAIT_DELAYS * debounce)
        self._inbox: queue.SimpleQueue[tuple[float, FileSystemEvent] | None] = queue.SimpleQueue()
        self._stop_requested = False
        self._observer: BaseObserver | None = None

    def start(self) -> None:
        """Start watching the repository; events queue up until `run_until_stopped` takes them."""
        from watchdog.events import (
            DirDeletedEvent,
            DirMovedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
        )
        from watchdog.observers import Observer

        observer = Observer()  # some observers start a reader thread right here
        try:
            observer.schedule(
                _handler(self._inbox.put),
                self._root,
                recursive=True,
                # Opened/closed/attribute events change no content: left out, our own reads of
                # the files would otherwise trigger the next sync. Created or modified
                # directories carry no content either; their files have events of their own.
                event_filter=[
                    FileCreatedEvent,
                    FileModifiedEvent,
                    FileDeletedEvent,
                    FileMovedEvent,
                    DirDeletedEvent,
                    DirMovedEvent,
                ],
            )
            observer.start()
        except BaseException:
            observer.stop()
            raise
        self._observer = observer

    def run_until_stopped(self) -> None:
        """Sync every target once, then each settled batch of changes and every `poll` seconds.

        Returns once `stop()` was called. A ConfigError or SourceError in the first sync is raised:
        the watcher cannot work as configured. Every other error, and every later one, is reported
        and the loop goes on: the next change or poll tries again.
        """
        everything = frozenset(self._targets)
        self._sync(everything, first=True)
        next_poll = time.monotonic() + self._poll if self._poll else None
        while not self._stop_requested:
            now = time.monotonic()
            until_poll = None if next_poll is None else next_poll - now
            waits = [w for w in (self._debouncer.due_in(now), until_poll) if w is not None]
            self._receive(max(0.0, min(waits)) if waits else None)
            if self._stop_requested:
                break
            now = time.monotonic()
            names = set(self._debouncer.take_due(now))
            if next_poll is not None and now >= next_poll:
                names |= everything
                next_poll = now + self._poll
            if names:
                self._sync(names)

    def stop(self) -> None:
        """End `run_until_stopped` after the sync in flight. Safe from a signal handler."""
        self._stop_requested = True
        self._inbox.put(None)

    def close(self) -> None:
        """Stop watching and join watchdog's threads; idempotent."""
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self.close()

    def _receive(self, timeout: float | None) -> None:
        """Wait up to `timeout` seconds (None: for ever) for the queue, then empty it."""
        try:
            item = self._inbox.get(timeout=timeout)
            while True:
                if item is not None:
                    at, event = item
                    self._debouncer.add(self._touched(event), at)
                item = self._inbox.get_nowait()
        except queue.Empty:
            pass

    def _touched(self, event: FileSystemEvent) -> set[str]:
        raw = (os.fsdecode(event.src_path), os.fsdecode(event.dest_path))
        paths = [path for path in (relative_path(self._root, p) for p in raw) if path is not None]
        # Only deleted and moved directories pass the observer's event filter.
        return touched_targets(paths, event.is_directory, self._scopes, self._known)

    def _sync(self, names: Collection[str], *, first: bool = False) -> None:
        for name, target in self._targets.items():  # in the config's order
            if name not in names:
                continue
            if self._stop_requested:
                return
            outcome: SyncResult | Exception
            try:
                source = read_source(self.repo_root, None, target.scope.includes)
                self._known[name] = sorted(source.files)
                outcome = run_sync(target, source, self._options)
            except Exception as exc:  # a watcher outlives a failed sync; the next one retries
                if first and isinstance(exc, _FATAL_AT_START):
                    raise
                outcome = exc
            self._report(name, outcome)


def _handler(put: Callable[[tuple[float, FileSystemEvent]], None]) -> FileSystemEventHandler:
    """A watchdog handler that queues each event with its arrival time, and does nothing else."""
    from watchdog.events import FileSystemEventHandler

    class QueueingHandler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            put((time.monotonic(), event))

    return QueueingHandler()


@contextmanager
def stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM call `stop` instead of ending the process.

    Call from the main thread (Python runs signal handlers there); the previous handlers come back
    on leaving the block.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
