"""Text rendering of results for people (JSON goes through each result's `to_dict`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hfsync.core.errors import BuildFailedError, HfsyncError
from hfsync.core.plan import Action
from hfsync.core.redact import redact

if TYPE_CHECKING:
    from rich.console import Console

    from hfsync.core.findings import Finding
    from hfsync.core.plan import Operation, Plan
    from hfsync.engine.outcome import TargetOutcome
    from hfsync.engine.rollback import RollbackResult
    from hfsync.engine.rollback_choice import BackupState
    from hfsync.engine.sync_values import SyncResult


def _console() -> Console:
    from rich.console import Console  # here: most runs print no diff (rich costs ~40 ms)

    return Console(highlight=False, soft_wrap=True)


def _shown(plan: Plan) -> list[Operation]:
    """The operations worth a row: remote-only files left alone are only counted (--json lists
    them), or every run would repeat them."""
    return [op for op in plan.operations if op.action is not Action.KEEP]


def _summary(plan: Plan) -> str:
    # The Hub's own .gitattributes is left alone too, but --prune keeps it: not worth a hint.
    kept, ignored = len(plan.left_alone), len(plan.of(Action.IGNORED))
    return (
        f"{len(plan.uploads):,} to upload, {len(plan.deletes):,} to delete, "
        f"{len(plan.conflicts):,} remote edit(s), {plan.in_sync:,} in sync"
        + (f", {kept:,} remote-only left alone (--prune deletes them)" if kept else "")
        + (f", {ignored:,} ignored by the Space's .gitignore" if ignored else "")
        + (" (first sync)" if plan.first_sync else "")
        + (" (history rewritten)" if plan.history_rewritten else "")
    )


def notes(target: str, plan: Plan) -> None:
    """What the user should know about how the base was found (records not taken, say)."""
    for note in plan.notes:
        click.echo(f"{target}: note: {note}")


ROWS_BY_DEFAULT = 10  # more rows only with -v: a first sync of thousands of files stays short


def plan_rows(plan: Plan, verbosity: int) -> list[str]:
    """The plan's operations as plain lines (never truncated, whatever the width): none with
    -q, the first ROWS_BY_DEFAULT by default, every one with -v."""
    shown = _shown(plan)
    if verbosity < 0:
        return []
    limit = len(shown) if verbosity > 0 else ROWS_BY_DEFAULT
    rows = [f"  {op.action.value:<8} {op.path}  ({op.reason})" for op in shown[:limit]]
    if len(shown) > limit:
        rows.append(f"  ... and {len(shown) - limit:,} more (-v lists them all)")
    return rows


def plan_lines(target: str, plan: Plan, verbosity: int = 0) -> list[str]:
    """A summary line, then the rows `verbosity` asks for."""
    return [f"{target}: {_summary(plan)}", *plan_rows(plan, verbosity)]


def plan(target: str, planned: Plan, verbosity: int = 0) -> None:
    """A plan as text, before anything is written: its summary line and rows (a GitHub Actions
    log folds the rows into a group)."""
    from hfsync.ui.github import group

    lines = plan_lines(target, planned, verbosity)
    notes(target, planned)
    click.echo(lines[0])
    if len(lines) > 1:
        with group(f"{target}: plan ({len(_shown(planned))} operations)"):
            for line in lines[1:]:
                click.echo(line)


def sync_result(result: SyncResult, verbosity: int = 0) -> None:
    """What a sync wrote (its plan was printed before it wrote)."""
    from hfsync.core.describe import travelled

    plan = result.plan
    if result.created:
        click.echo(f"{result.target}: {result.created}")
    if result.note:
        click.echo(f"{result.target}: {result.note}")
    if result.dry_run:
        click.echo(f"{result.target}: dry run: nothing written")
    elif result.commit:
        click.echo(
            f"{result.target}: committed {result.commit[:12]}; "
            f"backup {result.backup or '(none: new branch)'}"
        )
        sent = travelled(result.plan, result.sent_bytes)
        if sent is not None:  # Xet sent less than the files' size
            click.echo(f"{result.target}: uploaded {sent}")
        if verbosity >= 0:
            for name in result.pruned_backups:
                click.echo(f"{result.target}: pruned old backup {name}")
    else:
        click.echo(f"{result.target}: nothing to do")
    if plan.conflicts and plan.policy.on_conflict == "skip":
        click.echo(
            f"{result.target}: skipped {len(plan.conflicts)} remote edit(s); they stay flagged "
            "until brought into the repository or overwritten"
        )


def status(
    target: str, plan: Plan, diffs: list[str], verbosity: int = 0, missing: str | None = None
) -> None:
    if missing:
        click.echo(f"{target}: would create {missing} (on a real run)")
    notes(target, plan)
    for line in plan_lines(target, plan, max(verbosity, 0) if plan.conflicts else verbosity):
        click.echo(line)
    console = _console()
    for diff in diffs:
        console.out(diff, end="" if diff.endswith("\n") else "\n", highlight=False)


def backups(target: str, found: list[BackupState]) -> None:
    """The backups, newest first, one a line, never cut (a name is copied from here): the one
    the remote's files in scope equal is marked `remote now`, the one `hfsync rollback` would
    restore `next rollback`."""
    if not found:
        click.echo(f"{target}: no backups")
        return
    width = max(len(state.backup.name) for state in found)
    click.echo(f"{'name':<{width}}  {'commit':<12}  created")
    for state in found:
        data = state.backup.to_dict()
        mark = "remote now" if state.current else ("next rollback" if state.next else "")
        line = f"{data['name']:<{width}}  {data['commit'][:12]:<12}  {data['created']:<20}  {mark}"
        click.echo(line.rstrip())


def rollback_result(result: RollbackResult) -> None:
    name, restored = result.target, result.restored.name
    if result.dry_run:
        click.echo(f"{name}: dry run: nothing written (would restore {restored})")
    elif result.commit is None:
        click.echo(f"{name}: the remote already holds {restored}'s files; nothing written")
    else:
        click.echo(f"{name}: restored {restored} in {result.commit[:12]}; backup {result.backup}")
    plan = result.plan
    if plan.conflicts and plan.policy.on_conflict == "skip":
        click.echo(f"{name}: skipped {len(plan.conflicts)} remote edit(s); they stay as they are")


def outcome_error(outcome: TargetOutcome, verbosity: int = 0) -> None:
    """A target that failed: its plan when there was one (a blocked dry run shows what it would
    have done), then the reason on stderr, naming the target; validation findings one a line."""
    if outcome.plan is not None and not outcome.plan_shown:
        plan(outcome.name, outcome.plan, verbosity)
    error_line(outcome)


def finding_warning(target: str, finding: Finding) -> None:
    """On stderr: a finding that would stop a sync, where nothing is being synced (`status`)."""
    click.echo(redact(f"hfsync: warning: {target}: {finding} (a sync would refuse it)"), err=True)


def error_line(outcome: TargetOutcome) -> None:
    """On stderr: `hfsync: error: TARGET: what is wrong; the fix`, then each finding."""
    error = outcome.error
    message = str(error) if isinstance(error, HfsyncError) else f"unexpected error: {error!r}"
    click.echo(redact(f"hfsync: error: {outcome.name}: {message}"), err=True)
    for finding in getattr(error, "findings", ()):
        click.echo(redact(f"  {finding}"), err=True)
    if isinstance(error, BuildFailedError):
        for line in build_log_lines(outcome.name, error):
            click.echo(redact(line), err=True)


def build_log_lines(name: str, error: BuildFailedError) -> list[str]:
    """The failed Space's log tail under its error: a heading and `  | line` rows, or one line
    saying why the log could not be read."""
    if error.log_note:
        return [f"{name}: {error.log_note}"]
    if not error.log:
        return []
    heading = f"{name}: the {error.log_name}'s last {len(error.log)} line(s):"
    return [heading, *(f"  | {line}" for line in error.log)]
