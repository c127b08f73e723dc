"""`hfsync run` over every target: each one synced and reported, whatever happened to the others.

A conflict or an error on one target never stops the later ones; the run's exit code is the most
severe of its targets' (`severity`). Library code: nothing is printed here; the caller gets one
`TargetOutcome` per target, through `on_outcome` as soon as it is known and in the returned list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hfsync.core.errors import HfsyncError, Interrupted

if TYPE_CHECKING:
    from hfsync.config.model import TargetConfig
    from hfsync.core.plan import Plan
    from hfsync.engine.deploy import BuildReport
    from hfsync.engine.sync import SyncOptions, SyncResult
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

# From the least to the most severe: a code later in this list wins. A failure a retry may clear
# (6) ranks below one that needs a person (3 conflict, 5 build, 4 refused, 2 config), and a bug
# (1) above all.
SEVERITY = (0, 6, 3, 5, 4, 2, 1)


def severity(codes: Iterable[int]) -> int:
    """The most severe exit code of `codes` (0 when there are none)."""
    return max(codes, key=SEVERITY.index, default=0)


@dataclass
class TargetOutcome:
    """What happened to one target: its result, or the error that stopped it (and its plan)."""

    config: TargetConfig
    target: Target | None = None  # None when the target could not even be opened
    result: SyncResult | None = None
    build: BuildReport | None = None
    error: Exception | None = None
    diffs: list[str] = field(default_factory=list)  # remote edits, base -> remote
    plan_shown: bool = False  # set by a caller that showed the plan before the write

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def plan(self) -> Plan | None:
        if self.result is not None:
            return self.result.plan
        plan = getattr(self.error, "plan", None)
        return plan

    @property
    def exit_code(self) -> int:
        if self.error is None:
            return 0
        return self.error.exit_code if isinstance(self.error, HfsyncError) else 1


def run_targets(
    configs: Iterable[TargetConfig],
    open_target: Callable[[TargetConfig], Target],
    read_source: Callable[[Target], Source],
    options: SyncOptions,
    *,
    wait: bool,
    on_start: Callable[[TargetConfig], None] = lambda config: None,
    on_outcome: Callable[[TargetOutcome], None] = lambda outcome: None,
    remote_edits: Callable[[Target, Source, Plan], list[str]] | None = None,
) -> list[TargetOutcome]:
    """Open and sync each target once; return one outcome per target, in order."""
    from hfsync.engine.deploy import wait_for_build
    from hfsync.engine.sync import run_sync

    outcomes = []
    for config in configs:
        on_start(config)
        outcome = TargetOutcome(config)
        source = None
        try:
            target = outcome.target = open_target(config)
            source = read_source(target)
            outcome.result = run_sync(target, source, options)
            if (wait or config.wait_for_build) and not options.dry_run:
                options.progress(f"{config.name}: waiting for the Space build")
                report = _stage_reporter(options, config)
                outcome.build = wait_for_build(target, outcome.result, report)
        except KeyboardInterrupt as exc:  # Ctrl-C ends the run, saying what was written
            raise Interrupted(_interrupted(options, outcome, exc)) from None
        except SystemExit:
            raise
        except Exception as exc:  # reported with the target's name; the next target still runs
            outcome.error = exc
        if outcome.target is not None and source is not None and outcome.plan is not None:
            outcome.diffs = _diffs(remote_edits, outcome.target, source, outcome.plan)
        outcomes.append(outcome)
        on_outcome(outcome)
    return outcomes


def _interrupted(options: SyncOptions, outcome: TargetOutcome, exc: KeyboardInterrupt) -> str:
    """What was written when Ctrl-C stopped `outcome`'s target, read from the remote."""
    from hfsync.engine.interrupted import Written, what_was_written, written_by

    name = outcome.name
    result = outcome.result
    if outcome.target is None:
        return f"{name}: stopped before writing; nothing was written"
    if result is not None:  # the sync was done: it stopped while waiting for the build
        if result.commit is None:
            return f"{name}: stopped while waiting for the Space build; nothing needed writing"
        written = Written(created=result.created, backup=result.backup, commit=result.commit)
        return what_was_written(outcome.target, written, waiting=True)
    written = written_by(exc)
    if written.planned:
        options.progress(f"{name}: stopping; checking what was written (Ctrl-C again: quit now)")
    return what_was_written(outcome.target, written)


def _stage_reporter(options: SyncOptions, config: TargetConfig) -> Callable[[str], None]:
    def report(stage: str) -> None:
        options.progress(f"{config.name}: Space {stage}")

    return report


def _diffs(
    remote_edits: Callable[[Target, Source, Plan], list[str]] | None,
    target: Target,
    source: Source,
    plan: Plan,
) -> list[str]:
    """The remote edits' diffs for the report; reading them must not hide the real outcome."""
    if remote_edits is None or not plan.conflicts:
        return []
    try:
        return remote_edits(target, source, plan)
    except HfsyncError:
        return []
