"""`hfsync watch`: sync the working tree when it changes, and notice remote edits by polling.

Threads: watchdog's threads only put each file system event, stamped with its arrival time, on a
queue. Every decision and every sync happens in the thread that calls `Watcher.run_until_stopped`
(the main thread, in the CLI), which waits on that queue with a timeout from the debouncer and the
poll clock: no timer thread. `Watcher.stop` sets a flag and puts a wake-up on the queue
(`SimpleQueue.put` is reentrant, so a signal handler may call it); the loop looks at the flag only
between syncs, so a sync in flight always runs to its end. watchdog is imported inside functions,
so that `hfsync --help` does not pay for it.

Each target's commits are paced (`pacing.Pacer`): a batch of changes that is due while the budget
says wait is held, and the changes arriving meanwhile join it. A failed sync is tried again
after a growing delay (after a 429, after the wait the Hub asked for); errors that no retry can
fix (a bad config, a rejected token, a missing repo) end the loop.

Git-ignored folders and `.git` are not watched (`watchplan`).
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

from hfsync.core.errors import ConfigError, RefusedError, SourceError, ValidationError
from hfsync.daemons.debounce import Debouncer
from hfsync.daemons.holding import Holding, Notice
from hfsync.daemons.pacing import HOUR, Pacer, rate_limit_wait
from hfsync.daemons.watchplan import ignored_folders, is_ignored, list_subfolders, plan_watches
from hfsync.engine.pipeline import SyncRequest, Targets, sync_targets
from hfsync.engine.sync_values import SyncOptions, SyncResult
from hfsync.local.listed_files import synced_paths

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers.api import BaseObserver

    from hfsync.config.model import TargetConfig

Report = Callable[[str, SyncResult | Exception, float], None]
"""Called in the watching thread after each sync of one target: its result or error, seconds."""

MAX_WAIT_DELAYS = 10  # a batch of changes waits at most this many delays after its first change
# The longest an idle loop blocks: a stop signal that lands on another thread (watchdog's, the
# HTTP server's) only flags the main thread, which runs the handler when its wait returns.
SIGNAL_CHECK = 0.5
# Errors that mean the watcher cannot work as configured: they end it. A source error only in
# the first sync: later, a file caught half-written is worth another try.
_FATAL = (ConfigError, RefusedError)
_FATAL_AT_START = (*_FATAL, SourceError)


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
        targets: Targets,
        chosen: Sequence[TargetConfig],
        *,
        debounce: float,
        poll: float,
        on_conflict: str | None,
        report: Report,
        force: bool = False,
        budget_window: float = HOUR,
        notify: Callable[[Notice], None] = lambda notice: None,
    ) -> None:
        self.repo_root = targets.repo_root
        # watchdog reports paths under what it watches
        self._root = os.path.realpath(targets.repo_root)
        self._opened = targets
        self._targets = {config.name: config for config in chosen}
        self._scopes = {c.name: targets.open(c).scope.includes for c in chosen}
        self._known: dict[str, list[str]] = {}
        self._poll = poll
        # The working tree; a Gradio Space hot-reloads Python changes (`hot_reload` of a target).
        self._options = SyncOptions(rev=None, on_conflict=on_conflict, force=force, hot_reload=True)
        self._report = report
        self._debouncer = Debouncer(debounce, max_wait=MAX_WAIT_DELAYS * debounce)
        self.pacers = {
            name: Pacer(c.commit_budget, budget_window, c.min_interval)
            for name, c in self._targets.items()
        }
        self._held: dict[str, float] = {}  # target -> when its pending changes may be synced
        self.holding = Holding()  # what waits, to say so (held, and not synced at stop)
        self._notify = notify
        self._inbox: queue.SimpleQueue[tuple[float, FileSystemEvent] | None] = queue.SimpleQueue()
        self._stop_requested = False
        self._observer: BaseObserver | None = None
        self._shallow: set[str] = set()  # folders watched without their subfolders
        self.syncing = False

    def start(self) -> None:
        """Start watching the repository; events queue up until `run_until_stopped` takes them."""
        from watchdog.observers import Observer

        observer = Observer()  # some observers start a reader thread right here
        try:
            plan = plan_watches(ignored_folders(self.repo_root), list_subfolders(self.repo_root))
            for folder, recursive in plan:
                self._schedule(observer, folder, recursive)
            observer.start()
        except BaseException:
            observer.stop()
            raise
        self._observer = observer

    def run_until_stopped(self) -> None:
        """Sync every target once, then each settled batch of changes and every `poll` seconds.

        Returns once `stop()` was called. A ConfigError, RefusedError, or a SourceError in the
        first sync, is raised: the watcher cannot work as configured. Every other error is
        reported and tried again later; `Interrupted` is raised when a second stop request cut a
        sync short.
        """
        everything = frozenset(self._targets)
        self._sync(everything, first=True)
        next_poll = time.monotonic() + self._poll if self._poll else None
        while not self._stop_requested:
            now = time.monotonic()
            until_poll = None if next_poll is None else next_poll - now
            until_held = min(self._held.values()) - now if self._held else None
            waits = [
                w
                for w in (self._debouncer.due_in(now), until_poll, until_held, SIGNAL_CHECK)
                if w is not None
            ]
            self._receive(max(0.0, min(waits)))
            if self._stop_requested:
                break
            now = time.monotonic()
            names = set(self._debouncer.take_due(now))
            if next_poll is not None and now >= next_poll:
                names |= everything - self._held.keys()  # a held target syncs when released
                next_poll = now + self._poll
            names |= {name for name, at in self._held.items() if at <= now}
            for name in sorted(names):
                ready = self.pacers[name].ready_at(now)
                if ready > now:  # the budget says wait: later changes join this batch
                    self._held[name] = ready
                    names.discard(name)
                    reason = self.pacers[name].why_wait(now)
                    self._tell(self.holding.hold(name, ready, now, reason))
                else:
                    self._held.pop(name, None)
                    self.holding.release(name)
            if names:
                self._sync(names)
        for notice in self.holding.unsynced():
            self._notify(notice)

    def stop(self) -> None:
        """End `run_until_stopped` after the sync in flight. Safe from a signal handler."""
        self._stop_requested = True
        self._inbox.put(None)

    @property
    def stopping(self) -> bool:
        return self._stop_requested

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

    def _schedule(self, observer: BaseObserver, folder: str, recursive: bool) -> None:
        from watchdog.events import (
            DirCreatedEvent,
            DirDeletedEvent,
            DirMovedEvent,
            FileCreatedEvent,
            FileDeletedEvent,
            FileModifiedEvent,
            FileMovedEvent,
        )

        if not recursive:
            self._shallow.add(folder)
        observer.schedule(
            _handler(self._inbox.put),
            os.path.join(self._root, folder),
            recursive=recursive,
            # Opened/closed/attribute events change no content: left out, our own reads of the
            # files would otherwise trigger the next sync. A created folder matters only where
            # its parent is watched without subfolders: it needs a watch of its own.
            event_filter=[
                FileCreatedEvent,
                FileModifiedEvent,
                FileDeletedEvent,
                FileMovedEvent,
                DirCreatedEvent,
                DirDeletedEvent,
                DirMovedEvent,
            ],
        )

    def _receive(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the queue, then empty it."""
        try:
            item = self._inbox.get(timeout=timeout)
            while True:
                if item is not None:
                    at, event = item
                    touched = self._touched(event)
                    self._debouncer.add(touched, at)
                    self.holding.saw(touched, self._paths(event))
                item = self._inbox.get_nowait()
        except queue.Empty:
            pass

    def _paths(self, event: FileSystemEvent) -> list[str]:
        raw = (os.fsdecode(event.src_path), os.fsdecode(event.dest_path))
        return [path for path in (relative_path(self._root, p) for p in raw) if path is not None]

    def _touched(self, event: FileSystemEvent) -> set[str]:
        paths = self._paths(event)
        if event.event_type == "created" and event.is_directory:
            return self._folder_created(paths)
        # Only deleted and moved directories pass the observer's event filter besides that.
        return touched_targets(paths, event.is_directory, self._scopes, self._known)

    def _folder_created(self, paths: list[str]) -> set[str]:
        """A new folder inside one watched without its subfolders: watch it unless ignored.

        Files may have been written into it before its watch began: those already there count
        as changed.
        """
        touched: set[str] = set()
        for path in paths:
            parent = path.rpartition("/")[0]
            observer = self._observer
            if observer is None or parent not in self._shallow:
                continue
            if not is_ignored(self.repo_root, path):
                self._schedule(observer, path, recursive=True)
                files = _files_under(self.repo_root, path)
                touched |= touched_targets(files, False, self._scopes, self._known)
        return touched

    def _sync(self, names: Collection[str], *, first: bool = False) -> None:
        for name, config in self._targets.items():  # in the config's order
            if name not in names:
                continue
            if self._stop_requested:
                return
            started = time.monotonic()
            request = SyncRequest(self._opened, [config], self._options)
            try:
                self.syncing = True
                (outcome,) = sync_targets(request).outcomes  # Ctrl-C: Interrupted, raised
            finally:
                self.syncing = False
            if outcome.source is not None:
                self._known[name] = synced_paths(outcome.source.files, self._known.get(name))
            error = outcome.error
            # A watcher outlives a failed sync (the next one retries) unless it cannot work as
            # configured.
            if error is not None and isinstance(error, _FATAL_AT_START if first else _FATAL):
                raise error
            finished = time.monotonic()
            answer = outcome.answer
            if isinstance(answer, SyncResult):
                self.holding.synced(name)
            self._paced(name, answer, finished)
            self._report(name, answer, finished - started)

    def _tell(self, notice: Notice | None) -> None:
        if notice is not None:
            self._notify(notice)

    def _paced(self, name: str, outcome: SyncResult | Exception, now: float) -> None:
        pacer = self.pacers[name]
        if isinstance(outcome, SyncResult):
            if outcome.commit:
                pacer.committed(now)
            else:
                pacer.succeeded()
            return
        if isinstance(outcome, ValidationError):
            return  # nothing to retry: the next change (or poll) syncs again
        wait = rate_limit_wait(outcome)
        if wait is not None:
            self._held[name] = pacer.rate_limited(now, wait)
        else:
            self._held[name] = pacer.failed(now)


def _files_under(repo_root: Path, folder: str) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(repo_root / folder):
        relative = os.path.relpath(root, repo_root).replace(os.sep, "/")
        found += [f"{relative}/{name}" for name in files]
    return found


def _handler(put: Callable[[tuple[float, FileSystemEvent]], None]) -> FileSystemEventHandler:
    """A watchdog handler that queues each event with its arrival time, and does nothing else."""
    from watchdog.events import FileSystemEventHandler

    class QueueingHandler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            put((time.monotonic(), event))

    return QueueingHandler()


@contextmanager
def stop_on_signals(
    stop: Callable[[], None],
    first: Callable[[], None] = lambda: None,
    busy: Callable[[], bool] = lambda: False,
) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM call `stop` (and `first`, the first time) instead of
    ending the process; a second SIGINT while `busy()` (a sync in flight) raises
    KeyboardInterrupt, cutting that sync short.

    Call from the main thread (Python runs signal handlers there); the previous handlers come back
    on leaving the block.
    """
    received: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if received and signum == signal.SIGINT and busy():
            raise KeyboardInterrupt
        if not received:
            first()
        received.append(signum)
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
