"""When a burst of changes has settled: the watcher's debounce decision, kept pure.

The caller passes the clock, so the rule is tested without sleeping. Like watchdog's
`EventDebouncer`, every change restarts the wait and the whole batch is handed over at once;
unlike it, the batch is a set of target names (what to sync), not the events themselves.
"""

from __future__ import annotations

from collections.abc import Iterable


class Debouncer:
    """Pending target names, due once no change came for `delay` seconds.

    `max_wait` bounds the wait from the first pending change: a file in scope rewritten
    continuously (a log, a build writing for minutes) would otherwise postpone the sync forever.
    """

    def __init__(self, delay: float, max_wait: float) -> None:
        self.delay = delay
        self.max_wait = max_wait
        self._pending: set[str] = set()
        self._first = 0.0
        self._last = 0.0

    def add(self, names: Iterable[str], at: float) -> None:
        """Record a change touching `names` at time `at`; a change touching nothing is ignored."""
        new = set(names)
        if not new:
            return
        if not self._pending:
            self._first = at
        self._pending |= new
        self._last = max(self._last, at)

    def due_in(self, now: float) -> float | None:
        """Seconds until the pending batch is due (0 when due), or None when nothing is pending."""
        if not self._pending:
            return None
        deadline = min(self._last + self.delay, self._first + self.max_wait)
        return max(0.0, deadline - now)

    def take_due(self, now: float) -> frozenset[str]:
        """The pending names if they are due (and forget them), else an empty set."""
        if self.due_in(now) != 0.0:
            return frozenset()
        due = frozenset(self._pending)
        self._pending.clear()
        return due
