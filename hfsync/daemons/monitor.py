"""One place where a daemon's sync outcomes go: the log, `/healthz` and `/metrics`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hfsync.daemons.health import Health

if TYPE_CHECKING:
    from hfsync.daemons.holding import Notice
    from hfsync.daemons.metrics import Metrics
    from hfsync.daemons.pacing import Pacer
    from hfsync.engine.sync_values import SyncResult
    from hfsync.ui.daemon_log import SyncReporter


class Monitor:
    """Fans each outcome out; `metrics` is None when no HTTP endpoint was asked for."""

    def __init__(self, reporter: SyncReporter, metrics: Metrics | None) -> None:
        self.reporter = reporter
        self.log = reporter.log
        self.health = Health()
        self.metrics = metrics

    def add_target(self, target: str, pacer: Pacer, held: Callable[[], int] = lambda: 0) -> None:
        """Export a target's metrics; `held`: how many changes pacing holds back now."""
        if self.metrics is not None:
            self.metrics.add_target(target, lambda: pacer.left(time.monotonic()), held)

    def notice(self, notice: Notice) -> None:
        """What `watch` holds back, or did not sync at stop."""
        paths = list(notice.paths)
        if notice.kind == "held":
            self.reporter.held(notice.target, paths, notice.count, notice.wait_s, notice.reason)
        else:
            self.reporter.not_synced(notice.target, paths, notice.count)

    def sync_done(self, target: str, outcome: SyncResult | Exception, seconds: float) -> None:
        self.reporter.report(target, outcome)
        self.health.record(target, outcome)
        if self.metrics is not None:
            self.metrics.record_sync(target, outcome, seconds)

    def fetch_failed(self, message: str) -> None:
        self.health.source_failed(message)
        if self.metrics is not None:
            self.metrics.fetch_failures.inc()

    def fetch_ok(self) -> None:
        self.health.source_ok()
