"""After a sync of a Space: wait for its build, and roll back when it fails (if asked to)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import BuildFailedError, RemoteError, RolledBackError
from hfsync.engine.rollback import RollbackOptions, rollback
from hfsync.engine.sync_values import SyncResult
from hfsync.remotes.space_logs import clean_line
from hfsync.remotes.target import Target

if TYPE_CHECKING:
    from hfsync.remotes.hub import HubRemote

# Stages a Space passes through while it builds or starts (huggingface_hub's wait_for_space).
BUSY_STAGES = frozenset({"BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"})
FAILED_STAGES = frozenset({"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE"})
POLL_INTERVAL = 1.0


@dataclass(frozen=True)
class BuildReport:
    """The Space's final stage after a sync."""

    target: str
    stage: str

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "stage": self.stage}


def _silent(stage: str) -> None:
    """The default stage report: nothing."""


def wait_for_build(
    target: Target, result: SyncResult, on_stage: Callable[[str], None] = _silent
) -> BuildReport | None:
    """Wait for the Space a sync just wrote to; raise BuildFailedError when its build fails.

    Returns None when there is nothing to wait for (not a Space, or nothing was committed).
    With `rollback_on_failure`, a failed build is rolled back to the sync's backup and waited for
    again before the error is raised, and the error says so. `on_stage` hears each stage the
    Space passes through (BUILDING, APP_STARTING, RUNNING ...) once.
    """
    from hfsync.remotes.hub import HubRemote

    remote = target.remote
    config = target.config
    if not isinstance(remote, HubRemote) or config.repo_type != "space" or result.commit is None:
        return None
    stage = _settled_stage(remote, config.build_timeout, on_stage)
    if stage not in FAILED_STAGES:
        return BuildReport(config.name, stage)
    failed = f"Space {config.repo} failed to build after commit {result.commit[:12]} ({stage})"
    reason = remote.space.error_message()
    if reason:
        failed += f": {clean_line(' '.join(reason.split()), 300)}"
    log = _log_tail(remote, stage)  # read before a rollback starts another build
    if not config.rollback_on_failure or result.backup is None:
        raise BuildFailedError(f"{failed}; fix it and sync again, or 'hfsync rollback'", **log)
    # Undoing the commit just made: its additions may be more than max_delete.
    restored = rollback(target, result.backup, RollbackOptions(force=True))
    after = _settled_stage(remote, config.build_timeout, on_stage)
    commit = restored.commit[:12] if restored.commit else "no change"
    raise RolledBackError(
        f"{failed}; rolled back to {result.backup} ({commit}): the Space is {after} again", **log
    )


def _log_tail(remote: HubRemote, stage: str) -> dict[str, Any]:
    """The failed Space's log for the error: the run log when the app crashed, else the build
    log. Reading it never changes the outcome: a failure becomes a note."""
    build = stage != "RUNTIME_ERROR"
    name = "build log" if build else "run log"
    found: dict[str, Any] = {"stage": stage, "log_name": name}
    if stage == "NO_APP_FILE":  # nothing was built
        return found
    try:
        found["log"] = tuple(remote.space.log_tail(build))
    except RemoteError as exc:
        found["log_note"] = f"could not read the {name}: {exc}"
    return found


def _settled_stage(remote: HubRemote, timeout: float, on_stage: Callable[[str], None]) -> str:
    """Poll the Space until it leaves the building stages; its final stage."""
    deadline = time.monotonic() + timeout
    stage = remote.space.stage()
    on_stage(stage)
    while stage in BUSY_STAGES:
        if time.monotonic() >= deadline:
            raise RemoteError(
                f"Space {remote.repo_id} still {stage} after {timeout:.0f} s; "
                "raise build_timeout or check the build logs"
            )
        time.sleep(POLL_INTERVAL)
        previous, stage = stage, remote.space.stage()
        if stage != previous:
            on_stage(stage)
    return stage
