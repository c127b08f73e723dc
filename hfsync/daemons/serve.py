"""`hfsync serve`: follow a source git repository and sync its newest commit to every target.

One loop, in the thread that calls `Server.run_until_stopped` (the main thread in the CLI): fetch
the source branch (`SourceClone`), read the targets from that commit's config (unless a config
path was given), sync each target from the commit (`--rev` semantics: reproducible, no working
tree), then wait for the next poll, a webhook's wake-up or the end of a pacing wait. A webhook
only sets a flag: deliveries arriving while a round runs make one more round, which fetches the
newest commit, so a burst of pushes costs one sync.

Replicas on several machines need nothing from each other: every commit is pinned to the head its
plan was made on, so when another replica wrote first, this one re-plans and finds nothing left
to do. Nothing here is fatal: a bad config in a commit, a rejected token or a failing fetch is
reported (log, `/healthz`) and tried again on the next round.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from hfsync.config.model import TargetConfig, config_path, load_config
from hfsync.core.errors import HfsyncError
from hfsync.daemons.monitor import Monitor
from hfsync.daemons.pacing import HOUR, Pacer, rate_limit_wait
from hfsync.daemons.source_clone import SourceClone
from hfsync.daemons.watch import SIGNAL_CHECK
from hfsync.engine.pipeline import SyncRequest, Targets, sync_targets
from hfsync.engine.sync_values import SyncOptions

SETTLE = 0.5  # after a webhook, wait this long for more deliveries before fetching
MAX_SETTLE = 5.0


class Server:
    """Keeps every target in sync with the newest commit of the source branch."""

    def __init__(
        self,
        clone: SourceClone,
        *,
        config_path: Path | None,
        poll: float,
        monitor: Monitor,
        on_conflict: str | None = None,
        budget_window: float = HOUR,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clone = clone
        self._config_path = config_path
        self._poll = poll
        self._monitor = monitor
        self._on_conflict = on_conflict
        self._budget_window = budget_window
        self._clock = clock
        self._wake = threading.Event()
        self._stop_requested = False
        self._last_delivery = 0.0
        self._first_delivery: float | None = None
        self._config_key: tuple[str, str] | None = None
        self._targets: Targets | None = None
        self._chosen: list[TargetConfig] = []
        self.pacers: dict[str, Pacer] = {}
        self._held: dict[str, float] = {}
        self.syncing = False

    # -- other threads ---------------------------------------------------------------------

    def request_fetch(self) -> None:
        """A webhook delivery: fetch soon. Safe from any thread."""
        now = self._clock()
        self._last_delivery = now
        if self._first_delivery is None:
            self._first_delivery = now
        self._wake.set()

    def stop(self) -> None:
        """End `run_until_stopped` after the sync in flight. Safe from a signal handler."""
        self._stop_requested = True
        self._wake.set()

    # -- the loop ----------------------------------------------------------------------------

    def run_until_stopped(self) -> None:
        while not self._stop_requested:
            self._wake.clear()
            self._first_delivery = None
            self._round()
            self._monitor.health.set_ready()
            self._wait()

    def _wait(self) -> None:
        """Until the next poll, the end of a pacing wait, or a settled burst of deliveries."""
        start = self._clock()
        deadline = start + self._poll
        # Held targets' times count only if still ahead: one that passed during a round that
        # could not sync them (a failing fetch) waits for the next poll, not a busy loop.
        ahead = [at for at in self._held.values() if at > start]
        while not self._stop_requested:
            now = self._clock()
            until = min([deadline, *ahead]) - now
            if until <= 0:
                return
            if self._wake.wait(timeout=min(until, SIGNAL_CHECK)):
                if self._stop_requested:
                    return
                first = self._first_delivery or now
                settled_at = min(self._last_delivery + SETTLE, first + MAX_SETTLE)
                if self._clock() >= settled_at:
                    return
                self._wake.clear()
                deadline = min(deadline, settled_at)

    def _round(self) -> None:
        try:
            commit = self.clone.fetch()
        except HfsyncError as exc:
            self._monitor.fetch_failed(str(exc))
            self._monitor.reporter.failed("source", exc)
            return
        self._monitor.fetch_ok()
        self._monitor.reporter.succeeded("source")
        try:
            self._load_targets(commit)
        except HfsyncError as exc:
            for name in [c.name for c in self._chosen] or ["config"]:
                self._monitor.sync_done(name, exc, 0.0)
            return
        for config in self._chosen:
            if self._stop_requested:
                return
            name = config.name
            now = self._clock()
            ready = self.pacers[name].ready_at(now)
            if ready > now:
                self._held[name] = ready
                continue
            self._held.pop(name, None)
            self._sync(config, commit)

    def _sync(self, config: TargetConfig, commit: str) -> None:
        if self._targets is None:
            return
        name = config.name
        started = self._clock()
        options = SyncOptions(rev=commit, on_conflict=self._on_conflict)
        try:
            self.syncing = True
            (outcome,) = sync_targets(SyncRequest(self._targets, [config], options)).outcomes
        finally:
            self.syncing = False
        finished = self._clock()
        answer = outcome.answer
        pacer = self.pacers[name]
        if not isinstance(answer, Exception):
            if answer.commit:
                pacer.committed(finished)
            else:
                pacer.succeeded()
        else:
            wait = rate_limit_wait(answer)
            at = pacer.rate_limited(finished, wait) if wait is not None else pacer.failed(finished)
            self._held[name] = at
        self._monitor.sync_done(name, answer, finished - started)

    def _load_targets(self, commit: str) -> None:
        """Open the targets of the config (read again only when its file changed)."""
        root = self.clone.directory
        path = config_path(root, self._config_path)  # a symlink out of the clone: refused
        key = (str(path), path.read_text(encoding="utf-8", errors="replace"))
        if key == self._config_key:
            return
        config = load_config(path, root)
        targets = Targets(root, config)
        for target_config in config.targets:  # each opened now: a bad scope is a config error
            targets.open(target_config)
            name = target_config.name
            if name not in self.pacers:
                self.pacers[name] = Pacer(
                    target_config.commit_budget, self._budget_window, target_config.min_interval
                )
                self._monitor.add_target(name, self.pacers[name])
        self._targets, self._chosen, self._config_key = targets, list(config.targets), key
        names = ", ".join(c.name for c in config.targets)
        self._monitor.log.info("config", f"targets from {path.name} at {commit[:12]}: {names}")
