"""`check` and `status`: the sync pipeline as a dry run (stopped before the first write), so
what they report is what `run` would do and refuse."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hfsync.cli.options import (
    EXIT_USAGE,
    config_option,
    json_option,
    opened_targets,
    print_json,
    source_options,
    source_rev,
    target_option,
)

if TYPE_CHECKING:
    from hfsync.engine.pipeline import SyncReport, Targets


def _dry_run(
    targets: Targets, target_name: str | None, rev: str | None, on_conflict: str | None
) -> SyncReport:
    """The pipeline stopped before the first write, for `check` and `status`."""
    from hfsync.engine.pipeline import SyncRequest, sync_targets
    from hfsync.engine.sync_values import SyncOptions

    options = SyncOptions(rev=rev, dry_run=True, on_conflict=on_conflict)
    chosen = targets.config.selected(target_name)
    return sync_targets(SyncRequest(targets=targets, chosen=chosen, options=options, notify=False))


@click.command()
@config_option
@target_option
@source_options("Check")
@json_option
def check(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    worktree: bool,
    as_json: bool,
) -> None:
    """Check what a sync would upload, and write nothing: secrets, sizes, the Space's README
    configuration, paths the Hub refuses. Exit 2 when anything is found (`run` checks the same,
    as `run --dry-run` shows)."""
    from hfsync.core.redact import redact
    from hfsync.ui import render

    targets = opened_targets(config_path)
    # Remote edits are `status`'s business: the checks look at every file a sync would upload.
    report = _dry_run(targets, target_name, source_rev(rev, worktree), "skip")
    reports, total = [], 0
    for outcome in report.outcomes:
        found = outcome.findings
        if outcome.error is not None and not found:
            render.error_line(outcome)  # not a finding: the target could not be checked
            continue
        total += len(found)
        reports.append({"target": outcome.name, "findings": [f.to_dict() for f in found]})
        if not as_json:
            checked = len(outcome.plan.uploads) if outcome.plan is not None else 0
            problems = f"{len(found)} problem(s)"
            click.echo(f"{outcome.name}: {checked} file(s) to upload checked, {problems}")
            for finding in found:
                click.echo(redact(f"hfsync: error: {outcome.name}: {finding}"), err=True)
    if as_json:
        print_json({"problems": total, "targets": reports})
    code = report.exit_code if total == 0 else EXIT_USAGE
    if code:
        raise SystemExit(code)


@click.command()
@config_option
@target_option
@source_options("Compare")
@click.option(
    "--patch",
    "as_patch",
    is_flag=True,
    help="Print only the remote edits as one patch from base to remote "
    "(bring them in with 'git apply --3way'); one target at a time.",
)
@json_option
@click.option(
    "--exit-code",
    is_flag=True,
    help="Exit 1 when a target differs from the source, 3 on remote edits (a CI drift check).",
)
def status(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    worktree: bool,
    as_patch: bool,
    as_json: bool,
    exit_code: bool,
) -> None:
    """Show what a sync would do, and remote edits as a patch; write nothing."""
    from hfsync.engine.outcome import severity
    from hfsync.engine.patches import diffs_of, remote_patch
    from hfsync.ui import render

    targets = opened_targets(config_path)
    if as_patch and len(targets.config.selected(target_name)) > 1:
        raise click.UsageError("--patch shows one target at a time: add --target NAME")
    # The target's own policy: a blocked plan is what `run` would stop on.
    report = _dry_run(targets, target_name, source_rev(rev, worktree), None)
    reports, plans = [], []
    for outcome in report.outcomes:
        plan, target, source = outcome.plan, outcome.target, outcome.source
        if plan is None or target is None or source is None:
            render.error_line(outcome)  # the target could not be planned
            continue
        plans.append(plan)
        for finding in outcome.findings:  # what `run` would refuse
            render.finding_warning(outcome.name, finding)
        # Plain status shows the conflicts; the patch to apply also brings remote-only files.
        patch = remote_patch(target, source, plan, created=as_patch)
        if as_patch:
            for note in plan.notes:
                click.echo(f"{outcome.name}: note: {note}", err=True)
            sys.stdout.buffer.write(patch)
            sys.stdout.flush()
        elif as_json:
            reports.append(
                {
                    "target": outcome.name,
                    "would_create": target.remote.missing,
                    "plan": plan.to_dict(),
                    "diffs": diffs_of(patch),
                }
            )
        else:
            render.status(outcome.name, plan, diffs_of(patch), missing=target.remote.missing)
    if as_json:
        print_json(reports)
    failed = severity(o.exit_code for o in report.outcomes if o.plan is None)
    if failed:
        raise SystemExit(failed)
    if exit_code and any(plan.conflicts for plan in plans):
        raise SystemExit(3)
    if exit_code and any(plan.has_changes for plan in plans):
        raise SystemExit(1)
