"""Prometheus metrics of a daemon (`/metrics`), in a registry of its own.

prometheus_client is imported here only: the CLI imports this module inside `watch` / `serve`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from hfsync.core.errors import ConflictError, ValidationError

if TYPE_CHECKING:
    from hfsync.engine.sync_values import SyncResult

CONTENT_TYPE = CONTENT_TYPE_LATEST
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


def outcome_of(outcome: SyncResult | Exception) -> str:
    """The `outcome` label of one sync: committed, nothing, conflict, rate_limited or error."""
    from hfsync.daemons.pacing import rate_limit_wait

    if isinstance(outcome, ConflictError):
        return "conflict"
    if isinstance(outcome, ValidationError):
        return "checks"
    if isinstance(outcome, Exception):
        return "rate_limited" if rate_limit_wait(outcome) is not None else "error"
    return "committed" if outcome.commit else "nothing"


class Metrics:
    """The counters, gauges and histogram a daemon exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.syncs = Counter(
            "hfsync_syncs", "Syncs by target and outcome.", ["target", "outcome"], registry=r
        )
        self.commits = Counter("hfsync_commits", "Commits written.", ["target"], registry=r)
        self.files = Counter("hfsync_uploaded_files", "Files uploaded.", ["target"], registry=r)
        self.bytes = Counter("hfsync_uploaded_bytes", "Bytes uploaded.", ["target"], registry=r)
        self.deleted = Counter("hfsync_deleted_files", "Files deleted.", ["target"], registry=r)
        self.conflicts = Counter(
            "hfsync_conflicts", "Remote edits found in the way of a sync.", ["target"], registry=r
        )
        self.findings = Counter(
            "hfsync_check_findings",
            "Files the checks before upload refused, by check (nothing was synced).",
            ["target", "check"],
            registry=r,
        )
        self.last_success = Gauge(
            "hfsync_last_success_timestamp_seconds",
            "When the last sync that succeeded ended (Unix time).",
            ["target"],
            registry=r,
        )
        self.duration = Histogram(
            "hfsync_sync_duration_seconds",
            "How long a sync took.",
            ["target"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.budget_left = Gauge(
            "hfsync_commit_budget_left",
            "Commits still allowed to this target in the current window.",
            ["target"],
            registry=r,
        )
        self.held = Gauge(
            "hfsync_held_changes",
            "Changed files `watch` holds back for the commit pacing (0: none).",
            ["target"],
            registry=r,
        )
        self.fetch_failures = Counter(
            "hfsync_source_fetch_failures",
            "Fetches of the source repository that failed.",
            registry=r,
        )

    def add_target(
        self, target: str, budget_left: Callable[[], float], held: Callable[[], float]
    ) -> None:
        """Export a target's series from the start (zero), its budget and the changes held
        back as they are read."""
        for outcome in ("committed", "nothing", "conflict", "rate_limited", "error"):
            self.syncs.labels(target, outcome)
        for counter in (self.commits, self.files, self.bytes, self.deleted, self.conflicts):
            counter.labels(target)
        self.budget_left.labels(target).set_function(budget_left)
        self.held.labels(target).set_function(held)

    def record_sync(self, target: str, outcome: SyncResult | Exception, seconds: float) -> None:
        self.syncs.labels(target, outcome_of(outcome)).inc()
        self.duration.labels(target).observe(seconds)
        if isinstance(outcome, ConflictError):
            self.conflicts.labels(target).inc(len(outcome.paths) or 1)
            return
        if isinstance(outcome, ValidationError):
            for finding in outcome.findings:
                self.findings.labels(target, finding.check).inc()
            return
        if isinstance(outcome, Exception):
            return
        self.last_success.labels(target).set(time.time())
        plan = outcome.plan
        self.conflicts.labels(target).inc(len(plan.conflicts))
        if outcome.commit:
            self.commits.labels(target).inc()
            self.files.labels(target).inc(len(plan.uploads))
            self.deleted.labels(target).inc(len(plan.deletes))
            self.bytes.labels(target).inc(
                sum(op.local.size for op in plan.uploads if op.local is not None)
            )

    def render(self) -> bytes:
        return generate_latest(self.registry)
