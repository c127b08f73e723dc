"""The values of one sync of one target: its options in, its result out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.core.hot_reload import HotReload
    from hfsync.core.meter import Meter
    from hfsync.core.plan import Plan
    from hfsync.remotes.target import Target


def _quiet(message: str) -> None:
    """The default progress report: nothing."""


@dataclass(frozen=True)
class SyncOptions:
    rev: str | None = None
    dry_run: bool = False
    on_conflict: str | None = None
    force: bool = False
    prune: bool = False
    commit_message: str | None = None  # the commit's title instead of hfsync's summary
    source_url: str | None = None  # recorded as HFSync-Source-Url (a CI run or commit page)
    allow_older: bool = False  # sync a source older than the one the target holds, on purpose
    # Called with the plan after the plan checks, before the checks of the files and any write
    # (to show the plan); it decides nothing: the checks run whatever it does.
    on_plan: Callable[[Target, Plan], None] | None = None
    progress: Callable[[str], None] = _quiet  # phases, one line each ("uploading 3 files, 2 MB")
    meter: Meter | None = None  # counts large files' bytes as they are uploaded
    hot_reload: bool = False  # `watch`: a Gradio Space may patch Python changes in place


@dataclass(frozen=True)
class SyncResult:
    target: str
    source: str
    plan: Plan
    commit: str | None = None
    backup: str | None = None
    pruned_backups: tuple[str, ...] = ()
    dry_run: bool = False
    attempts: int = 1
    created: str | None = None  # what a real run created ("would create ..." on a dry run)
    note: str | None = None  # e.g. another run got there first
    hot_reload: HotReload | None = None  # whether the commit went out with hot reload, and why
    sent_bytes: int | None = None  # file content sent, where measured (Xet deduplicates)

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "target": self.target,
            "source": self.source,
            "commit": self.commit,
            "backup": self.backup,
            "pruned_backups": list(self.pruned_backups),
            "dry_run": self.dry_run,
            "attempts": self.attempts,
            "created": self.created,
            "note": self.note,
            "sent_bytes": self.sent_bytes,
            "plan": self.plan.to_dict(),
        }
        if self.hot_reload is not None:
            data["hot_reload"] = self.hot_reload.to_dict()
        return data
