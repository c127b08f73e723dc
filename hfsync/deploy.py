"""After a sync of a Space: wait for its build, and roll back when it fails (if asked to)."""

from __future__ import annotations

from dataclasses import dataclass

from hfsync.errors import BuildFailedError
from hfsync.sync import SyncResult, Target, rollback


@dataclass(frozen=True)
class BuildReport:
    """The Space's final stage after a sync."""

    target: str
    stage: str

    def to_dict(self) -> dict[str, str]:
        return {"target": self.target, "stage": self.stage}


def wait_for_build(target: Target, result: SyncResult) -> BuildReport | None:
    """Wait for the Space a sync just wrote to; raise BuildFailedError when its build fails.

    Returns None when there is nothing to wait for (not a Space, or nothing was committed).
    With `rollback_on_failure`, a failed build is rolled back to the sync's backup and waited for
    again before the error is raised, and the error says so.
    """
    from hfsync.remotes.hub import FAILED_STAGES, HubRemote

    remote = target.remote
    config = target.config
    if not isinstance(remote, HubRemote) or config.repo_type != "space" or result.commit is None:
        return None
    stage = remote.wait_for_build(config.build_timeout)
    if stage not in FAILED_STAGES:
        return BuildReport(config.name, stage)
    failed = f"Space {config.repo} failed to build after commit {result.commit[:12]} ({stage})"
    if not config.rollback_on_failure or result.backup is None:
        raise BuildFailedError(f"{failed}; fix it and sync again, or 'hfsync rollback'")
    restored = rollback(target, result.backup)
    after = remote.wait_for_build(config.build_timeout)
    commit = restored.commit[:12] if restored.commit else "no change"
    raise BuildFailedError(
        f"{failed}; rolled back to {result.backup} ({commit}): the Space is {after} again"
    )
