"""The one sync pipeline: every command and daemon syncs through `sync_targets`.

A request (the checkout, the config, the targets, the source, the options) goes in; one
`TargetOutcome` per target comes out. Inside, for each target in the config's order: open it, read
the source, plan, the plan checks (remote edits, `max_delete`), the checks before upload
(`hfsync/validate`), the backup, the pinned commit (`engine/sync.py`); then the build wait, the
remote edits' diffs, and the notifications. `run` renders the outcomes and exits; `check` and
`status` are the same call as a dry run (stopped before the first write), so they cannot disagree
with `run`; `watch` and `serve` choose what to do with an outcome (print a line and keep watching,
turn `/healthz` red), never which checks it passes.

A conflict or an error on one target never stops the later ones; the exit code is the most severe
of the targets' (`severity`). Library code: nothing is printed here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.errors import HfsyncError, Interrupted
from hfsync.engine.outcome import TargetOutcome, severity

if TYPE_CHECKING:
    from hfsync.config.model import Config, TargetConfig
    from hfsync.core.plan import Plan
    from hfsync.engine.sync_values import SyncOptions
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target


class Targets:
    """The configured targets of one checkout, each opened once and kept (a daemon syncs the
    same targets again and again: their remotes keep their caches)."""

    def __init__(self, repo_root: Path, config: Config) -> None:
        self.repo_root = repo_root
        self.config = config
        self._opened: dict[str, Target] = {}

    def open(self, target: TargetConfig) -> Target:
        opened = self._opened.get(target.name)
        if opened is None:
            from hfsync.config.scope import scope_for_target
            from hfsync.local.repository import git_dir
            from hfsync.remotes.target import open_target

            scope = scope_for_target(target, self.repo_root, self.config.path)
            opened = open_target(target, scope, self.repo_root, git_dir(self.repo_root))
            self._opened[target.name] = opened
        return opened


@dataclass(frozen=True)
class SyncRequest:
    """One sync of some targets of one checkout, from one source (`options.rev`; None: the
    working tree)."""

    targets: Targets
    chosen: Sequence[TargetConfig]  # in the config's order
    options: SyncOptions
    wait: bool = False  # wait for each Space's build (also: the target's wait_for_build)
    notify: bool = True  # send the config's notifications (never on a dry run)
    source_label: str = "working tree"  # what the notifications name as the source
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    on_start: Callable[[TargetConfig], None] = lambda config: None
    on_outcome: Callable[[TargetOutcome], None] = lambda outcome: None


@dataclass
class SyncReport:
    """The outcomes of one request, and what could not be said through them."""

    outcomes: list[TargetOutcome]
    warnings: list[str]  # notifications that could not be sent

    @property
    def exit_code(self) -> int:
        return severity(o.exit_code for o in self.outcomes)


def sync_targets(request: SyncRequest) -> SyncReport:
    """Sync each chosen target once; one outcome per target, in order."""
    outcomes = []
    for config in request.chosen:
        request.on_start(config)
        outcome = _sync_one(request, config)
        outcomes.append(outcome)
        request.on_outcome(outcome)
    warnings = []
    if request.notify and not request.options.dry_run:
        from hfsync.engine.notify import send

        notify = request.targets.config.notify
        warnings = send(notify, request.source_label, outcomes, request.environ)
    return SyncReport(outcomes, warnings)


def _sync_one(request: SyncRequest, config: TargetConfig) -> TargetOutcome:
    from hfsync.engine.hot_reload import with_report
    from hfsync.engine.sync import run_sync
    from hfsync.local.source import read_source

    options = request.options
    outcome = TargetOutcome(config)
    try:
        target = outcome.target = request.targets.open(config)
        root = request.targets.repo_root
        source = read_source(root, options.rev, target.scope.includes, options.meter)
        outcome.source = source
        outcome.result = with_report(target, run_sync(target, source, options))
        if (request.wait or config.wait_for_build) and not options.dry_run:
            from hfsync.engine.deploy import wait_for_build  # only when waiting (its imports)

            options.progress(f"{config.name}: waiting for the Space build")
            report = _stage_reporter(options, config)
            outcome.build = wait_for_build(target, outcome.result, report)
    except KeyboardInterrupt as exc:  # Ctrl-C ends the run, saying what was written
        raise Interrupted(_interrupted(options, outcome, exc)) from None
    except SystemExit:
        raise
    except Exception as exc:  # reported with the target's name; the next target still runs
        outcome.error = exc
    if outcome.target is not None and outcome.source is not None and outcome.plan is not None:
        outcome.diffs = _diffs(outcome.target, outcome.source, outcome.plan)
    return outcome


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


def _diffs(target: Target, source: Source, plan: Plan) -> list[str]:
    """The remote edits' diffs for the report; reading them must not hide the real outcome."""
    from hfsync.engine.patches import remote_edit_diffs

    if not plan.conflicts:
        return []
    try:
        return remote_edit_diffs(target, source, plan)
    except HfsyncError:
        return []
