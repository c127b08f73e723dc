"""Commit pacing: how long a daemon waits before its next commit to one target. Pure; the caller
passes the clock.

The Hub limits commits per repository per hour (about 128), and a Space rebuilds on each one. A
`Pacer` counts this process's commits in a sliding window against a budget (default 100 an
hour) and, as the budget runs low, spreads what is left over the rest of the window: while more
than half is left, a commit may happen at once (after `min_interval`); below half, the next one
waits `(oldest + window - last) / left`. The changes that arrive meanwhile wait too and go into
that one commit: nothing is lost, the debounce just widens. A 429 teaches the pacer the real
budget (what it managed in the window), and the pending changes are tried again after the wait
the Hub asked for.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

HOUR = 3600.0
DEFAULT_BUDGET = 100
MAX_RETRY_DELAY = 300.0
DEFAULT_RATE_LIMIT_WAIT = 60.0


@dataclass
class Pacer:
    """The commit budget of one target."""

    budget: int = DEFAULT_BUDGET
    window: float = HOUR
    min_interval: float = 0.0
    _commits: deque[float] = field(default_factory=deque)
    _retry_at: float | None = None  # after a failed sync: when to try again, whatever the budget
    _failures: int = 0

    def left(self, now: float) -> int:
        """Commits still allowed in the window ending now."""
        self._expire(now)
        return max(0, self.budget - len(self._commits))

    def ready_at(self, now: float) -> float:
        """The earliest time the next commit may be made (`now` or later)."""
        if self._retry_at is not None:
            return max(now, self._retry_at)
        left = self.left(now)
        candidates = [now]
        if self._commits:
            oldest, last = self._commits[0], self._commits[-1]
            candidates.append(last + self.min_interval)
            if left == 0:
                candidates.append(oldest + self.window)
            elif left * 2 <= self.budget:
                candidates.append(last + (oldest + self.window - last) / left)
        return max(candidates)

    def why_wait(self, now: float) -> str:
        """What makes the next commit wait (for the line saying so)."""
        if self._retry_at is not None and self._retry_at > now:
            return "a retry after the last failure"
        left = self.left(now)
        if self._commits and left * 2 > self.budget:
            return f"min_interval = {self.min_interval:g} s"
        return f"commit budget: {left} of {self.budget} left in the window"

    def committed(self, at: float) -> None:
        self._commits.append(at)
        self.succeeded()

    def succeeded(self) -> None:
        self._failures = 0
        self._retry_at = None

    def rate_limited(self, now: float, wait: float) -> float:
        """The remote answered 429: learn the budget it allows, wait as long as it asked.

        Returns the time the pending changes are tried again; later commits are paced on the
        budget learnt."""
        self._expire(now)
        self.budget = max(1, min(self.budget, len(self._commits)))
        self._retry_at = now + wait
        return self._retry_at

    def failed(self, now: float) -> float:
        """A sync failed for another reason: retry after a delay that doubles, up to 5 minutes."""
        self._failures += 1
        self._retry_at = now + min(MAX_RETRY_DELAY, 2.0 ** (self._failures - 1))
        return self._retry_at

    def _expire(self, now: float) -> None:
        while self._commits and self._commits[0] <= now - self.window:
            self._commits.popleft()


def rate_limit_wait(exc: BaseException) -> float | None:
    """For an error caused by a 429 (anywhere in its causes): the seconds the remote asked to
    wait, or the window's default (60 s) when it did not say; None for any other error."""
    from hfsync.remotes.hub_errors import retry_after, status_of

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Exception) and status_of(seen) == 429:
            wait = retry_after(seen)
            return DEFAULT_RATE_LIMIT_WAIT if wait is None else wait
        seen = seen.__cause__ or seen.__context__
    return None
