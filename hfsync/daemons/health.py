"""What `/healthz` and `/readyz` answer: the daemon's loop and each target's last sync.

Healthy (200) while the loop runs, the source (for `serve`) could be fetched and the last sync of
every target succeeded or had nothing to do; otherwise 503 with the reasons. A 429 is not a
failure: the pacer waits it out. Ready once the first round of syncs has been tried. Written by
the loop's thread, read by the HTTP server's threads: every access holds the lock.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import ConflictError, RefusedError, ValidationError

if TYPE_CHECKING:
    from hfsync.engine.sync_values import SyncResult


def problem_of(exc: Exception) -> str:
    from hfsync.daemons.pacing import rate_limit_wait

    if isinstance(exc, ConflictError):
        return "conflict"
    if isinstance(exc, RefusedError):
        return "refused"  # a rejected token, no permission, a missing repo
    if isinstance(exc, ValidationError):
        return "checks"  # a file the checks before upload refused
    if rate_limit_wait(exc) is not None:
        return "rate_limited"
    return "error"


class Health:
    """The state behind `/healthz` and `/readyz`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = False
        self._ready = False
        self._targets: dict[str, dict[str, Any] | None] = {}
        self._source: str | None = None

    def set_running(self, running: bool) -> None:
        with self._lock:
            self._running = running

    def set_ready(self) -> None:
        with self._lock:
            self._ready = True

    def record(self, target: str, outcome: SyncResult | Exception) -> None:
        failure: dict[str, Any] | None = None
        if isinstance(outcome, Exception):
            problem = problem_of(outcome)
            if problem == "rate_limited":
                return
            failure = {
                "target": target,
                "problem": problem,
                "message": str(outcome),
            }
            if isinstance(outcome, ValidationError):
                failure["findings"] = [str(finding) for finding in outcome.findings]
        with self._lock:
            self._targets[target] = failure

    def source_failed(self, message: str) -> None:
        with self._lock:
            self._source = message

    def source_ok(self) -> None:
        with self._lock:
            self._source = None

    def health(self) -> tuple[int, dict[str, Any]]:
        with self._lock:
            reasons: list[dict[str, str]] = []
            if not self._running:
                reasons.append({"problem": "stopped", "message": "the sync loop is not running"})
            if self._source is not None:
                reasons.append({"problem": "source_fetch", "message": self._source})
            reasons += [failure for failure in self._targets.values() if failure is not None]
            targets = {name: failure is None for name, failure in self._targets.items()}
        if reasons:
            return 503, {"status": "failing", "reasons": reasons, "targets": targets}
        return 200, {"status": "ok", "targets": targets}

    def readiness(self) -> tuple[int, dict[str, Any]]:
        with self._lock:
            ready = self._ready and self._running
        return (200, {"status": "ready"}) if ready else (503, {"status": "starting"})
