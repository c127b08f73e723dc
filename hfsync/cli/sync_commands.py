"""`run`: one call of the sync pipeline, each target's outcome rendered as it comes, then the
step outputs, the job summary and the JSON document."""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hfsync.cli.options import (
    config_option,
    in_ci,
    json_option,
    on_conflict_option,
    opened_targets,
    print_json,
    report_error,
    source_line,
    source_options,
    source_rev,
    target_option,
    verbosity_options,
)
from hfsync.core.errors import HfsyncError

if TYPE_CHECKING:
    from hfsync.config.model import TargetConfig
    from hfsync.core.plan import Plan
    from hfsync.engine.outcome import TargetOutcome
    from hfsync.engine.pipeline import SyncReport
    from hfsync.memo.replay import RunAnswer
    from hfsync.remotes.target import Target


@dataclass(frozen=True)
class RunArgs:
    """`run`'s command line."""

    config_path: Path | None
    target_name: str | None
    rev: str | None  # None: the working tree
    dry_run: bool
    as_json: bool
    on_conflict: str | None
    force: bool
    prune: bool
    wait: bool
    commit_message: str | None
    allow_older: bool
    verbose: bool
    quiet: bool

    @property
    def verbosity(self) -> int:
        return 1 if self.verbose else (-1 if self.quiet else 0)


@click.command()
@config_option
@target_option
@source_options("Sync")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@json_option
@on_conflict_option
@click.option("--force", is_flag=True, help="Allow more deletions than max_delete.")
@click.option(
    "--prune", is_flag=True, help="Also delete remote files in scope that hfsync did not write."
)
@click.option(
    "--wait", is_flag=True, help="Spaces: wait for the build (also: wait_for_build in the config)."
)
@click.option("--commit-message", help="The commit's title instead of hfsync's summary.")
@click.option(
    "--allow-older",
    is_flag=True,
    help="Sync a commit older than the one the target holds (an ancestor of it), on purpose.",
)
@verbosity_options
def run(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    worktree: bool,
    dry_run: bool,
    as_json: bool,
    on_conflict: str | None,
    force: bool,
    prune: bool,
    wait: bool,
    commit_message: str | None,
    allow_older: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Sync each target once: plan, check, back up, commit only what changed.

    Every target is synced and reported, whatever happens to the others; the exit code is the
    most severe of theirs. In GitHub Actions, also writes step outputs and a job summary.
    Ctrl-C stops the run (exit 130), saying whether the backup and the commit were written.
    """
    args = RunArgs(
        config_path,
        target_name,
        source_rev(rev, worktree),
        dry_run,
        as_json,
        on_conflict,
        force,
        prune,
        wait,
        commit_message,
        allow_older,
        verbose,
        quiet,
    )
    # A run is one pass over a bounded set of objects, almost none in a cycle: the collector
    # would walk them again and again to free nothing (~0.1 s of a first sync of 50,000 files).
    # It is off while the command runs (`watch` and `serve`, which go on, keep it); then the
    # run's objects are frozen out of its walks (turned on again, its first walk would visit
    # every one of them: as long again), for what comes after.
    gc.disable()
    try:
        code = _run_once(args, config_path, verbose)
    finally:
        gc.freeze()
        gc.enable()
    if code:
        raise SystemExit(code)


def _run_once(args: RunArgs, config_path: Path | None, verbose: bool) -> int:
    """The exit code of `run`: its last answer given again, or a run of the pipeline."""
    if args.rev is None and not args.wait and not in_ci() and "GITHUB_ACTIONS" not in os.environ:
        from hfsync.memo.replay import answer_or_run

        options = click.get_current_context().params
        absolute = None if config_path is None else str(config_path.absolute())
        return answer_or_run(
            {**options, "config_path": absolute},
            os.environ,
            config_given=config_path is not None,
            run=lambda: _run(args),
            echo=lambda text: click.echo(text, nl=False),
            say=lambda line: click.echo(line, err=True) if verbose else None,
        )
    return _run(args).exit_code


def _run(args: RunArgs) -> RunAnswer:
    """`run`'s work: one pipeline call, each outcome printed as it comes."""
    if args.verbose:  # say how each plan was made (incremental, or in full and why)
        logging.getLogger("hfsync.plan").setLevel(logging.INFO)
    from hfsync.cli.options import head_sha
    from hfsync.engine.links import source_url
    from hfsync.engine.pipeline import SyncRequest, sync_targets
    from hfsync.engine.sync_values import SyncOptions
    from hfsync.memo.replay import RunAnswer
    from hfsync.ui import render
    from hfsync.ui.github import write_job_summary
    from hfsync.ui.progress import Progress

    # hfsync reports progress itself: the Hub client's own bars would write \r frames to logs.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    outcomes: list[TargetOutcome] = []
    line = "working tree" if args.rev is None else args.rev
    try:
        targets = opened_targets(args.config_path)
        line = source_line(targets.repo_root, args.rev)
        if not args.as_json and not args.quiet:
            click.echo(f"source: {line}")
        with Progress(quiet=args.quiet or args.as_json) as progress:
            shown: set[str] = set()

            def on_plan(target: Target, plan: Plan) -> None:
                progress.done()
                if not args.as_json:
                    render.plan(target.config.name, plan, args.verbosity)
                    shown.add(target.config.name)
                if plan.uploads or plan.deletes:
                    progress(f"{target.config.name}: checking {len(plan.uploads):,} file(s)")

            def started(config: TargetConfig) -> None:
                where = f"git {config.url}" if config.url else f"{config.repo_type} {config.repo}"
                progress(f"planning {where}")

            def finished(outcome: TargetOutcome) -> None:
                outcomes.append(outcome)  # kept for the summary, even if a later target stops
                progress.done()
                outcome.plan_shown = outcome.name in shown
                _render_outcome(outcome, args)

            options = SyncOptions(
                rev=args.rev,
                dry_run=args.dry_run,
                on_conflict=args.on_conflict,
                force=args.force,
                prune=args.prune,
                commit_message=args.commit_message,
                allow_older=args.allow_older,
                source_url=source_url(head_sha(targets.repo_root, args.rev), os.environ),
                on_plan=on_plan,
                progress=progress,
                meter=None if args.quiet or args.as_json else progress.count,
            )
            report = sync_targets(
                SyncRequest(
                    targets=targets,
                    chosen=targets.config.selected(args.target_name),
                    options=options,
                    wait=args.wait,
                    source_label=line,
                    on_start=started,
                    on_outcome=finished,
                )
            )
    except HfsyncError as exc:
        write_job_summary(line, outcomes, str(exc))
        if args.as_json:
            print_json(_run_document(line, outcomes, exc.exit_code, str(exc)))
            report_error(str(exc))
            raise SystemExit(exc.exit_code) from None
        raise
    _finish(report, line, args.as_json)
    return RunAnswer(targets.config, report.outcomes, args.dry_run, report.exit_code)


def _render_outcome(outcome: TargetOutcome, args: RunArgs) -> None:
    from hfsync.ui import render

    if args.as_json:  # the JSON document has it all; stderr still says what failed
        if outcome.error is not None:
            render.error_line(outcome)
        return
    if outcome.error is not None:
        render.outcome_error(outcome, args.verbosity)
        return
    if outcome.result is not None:
        render.sync_result(outcome.result, args.verbosity)
    if outcome.build is not None:
        click.echo(f"{outcome.name}: Space is {outcome.build.stage}")


def _finish(report: SyncReport, line: str, as_json: bool) -> None:
    """After every target: step outputs, job summary, warnings, the JSON document, annotations."""
    from hfsync.core.redact import redact
    from hfsync.ui.github import (
        error_annotation,
        in_github_actions,
        write_job_summary,
        write_step_outputs,
    )

    write_step_outputs(report.outcomes)
    write_job_summary(line, report.outcomes)
    for warning in report.warnings:
        click.echo(redact(f"hfsync: warning: {warning}"), err=True)
    if as_json:
        print_json(_run_document(line, report.outcomes, report.exit_code, None))
    if in_github_actions():  # each failed target as an error annotation on the run's page
        for outcome in report.outcomes:
            if outcome.error is not None:
                click.echo(error_annotation(redact(f"{outcome.name}: {outcome.error}")), err=True)


def _run_document(
    source: str, outcomes: list[TargetOutcome], code: int, error: str | None
) -> dict[str, object]:
    """The one JSON document of a run: every target, errors included."""
    from hfsync.engine.links import commit_url

    entries = []
    for outcome in outcomes:
        entry: dict[str, object] = {"target": outcome.name, "exit_code": outcome.exit_code}
        if outcome.result is not None:
            entry.update(outcome.result.to_dict())
            entry["commit_url"] = commit_url(outcome.config, outcome.target, outcome.result.commit)
        elif outcome.plan is not None:
            entry["plan"] = outcome.plan.to_dict()
        entry["build"] = outcome.build.to_dict() if outcome.build else None
        entry["error"] = None if outcome.error is None else _error_dict(outcome.error)
        entry["diffs"] = outcome.diffs
        entries.append(entry)
    return {
        "source": source,
        "exit_code": code,
        "error": None if error is None else {"message": error},
        "targets": entries,
    }


def _error_dict(error: Exception) -> dict[str, object]:
    from hfsync.core.errors import BuildFailedError

    message = str(error) if isinstance(error, HfsyncError) else f"unexpected error: {error!r}"
    found = [str(f) for f in getattr(error, "findings", ())]
    entry: dict[str, object] = {"type": type(error).__name__, "message": message, "findings": found}
    if isinstance(error, BuildFailedError):
        entry["stage"] = error.stage
        entry["log"] = {"name": error.log_name, "lines": list(error.log), "note": error.log_note}
    return entry
