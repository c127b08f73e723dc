"""Text rendering of results for people (JSON goes through each result's `to_dict`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hfsync.core.errors import ConflictError, HfsyncError
from hfsync.core.plan import Action

if TYPE_CHECKING:
    from hfsync.core.backups import Backup
    from hfsync.core.plan import Operation, Plan
    from hfsync.engine.rollback import RollbackResult
    from hfsync.engine.sync import SyncResult

_STYLES = {"upload": "green", "delete": "red", "conflict": "bold yellow", "keep": "dim"}


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _shown(plan: Plan) -> list[Operation]:
    """The operations worth a row: remote-only files left alone are only counted (--json lists
    them), or every run would repeat them."""
    return [op for op in plan.operations if op.action is not Action.KEEP]


def plan_table(plan: Plan) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("action")
    table.add_column("path")
    table.add_column("reason", style="dim")
    for op in _shown(plan):
        style = _STYLES.get(op.action.value, "")
        # Text, not markup: a path such as `app/[id].py` must print as it is.
        table.add_row(Text(op.action.value, style=style), Text(op.path), Text(op.reason))
    return table


def _summary(plan: Plan) -> str:
    kept = len(plan.of(Action.KEEP))
    return (
        f"{len(plan.uploads)} to upload, {len(plan.deletes)} to delete, "
        f"{len(plan.conflicts)} remote edit(s), {plan.in_sync} in sync"
        + (f", {kept} remote-only left alone (--prune deletes them)" if kept else "")
        + (" (first sync)" if plan.first_sync else "")
    )


def sync_result(result: SyncResult) -> None:
    console = _console()
    plan = result.plan
    console.print(f"[bold]{result.target}[/]: {_summary(plan)}")
    if _shown(plan):
        console.print(plan_table(plan))
    if result.dry_run:
        console.print("dry run: nothing written")
    elif result.commit:
        console.print(
            f"committed {result.commit[:12]}; backup {result.backup or '(none: new branch)'}"
        )
        for name in result.pruned_backups:
            console.print(f"pruned old backup {name}", style="dim")
    else:
        console.print("nothing to do")
    if plan.conflicts and plan.policy.on_conflict == "skip":
        console.print(
            f"[yellow]skipped {len(plan.conflicts)} remote edit(s); they stay flagged until "
            "brought into the repository or overwritten[/]"
        )


def status(target: str, plan: Plan, diffs: list[str]) -> None:
    console = _console()
    console.print(f"[bold]{target}[/]: {_summary(plan)}")
    if _shown(plan):
        console.print(plan_table(plan))
    for diff in diffs:
        console.out(diff, end="" if diff.endswith("\n") else "\n", highlight=False)


def backups(target: str, found: list[Backup]) -> None:
    console = _console()
    if not found:
        console.print(f"{target}: no backups")
        return
    table = Table(show_edge=False, pad_edge=False, box=None)
    for column in ("name", "commit", "created"):
        table.add_column(column)
    for backup in found:
        data = backup.to_dict()
        table.add_row(data["name"], data["commit"][:12], data["created"])
    console.print(table)


def rollback_result(result: RollbackResult) -> None:
    console = _console()
    if result.commit is None:
        console.print(f"{result.target}: already at {result.restored.name}; nothing written")
    else:
        console.print(
            f"{result.target}: restored {result.restored.name} in {result.commit[:12]}; "
            f"backup {result.backup}"
        )


def watch_line(target: str, outcome: SyncResult | Exception) -> str:
    """The one line `hfsync watch` prints for one target's sync: its result, or its error.

    Plain text, not rich markup: a path such as `app/[id].py` must print as it is.
    """
    if isinstance(outcome, ConflictError):
        return f"{target}: conflict: {outcome}"
    if isinstance(outcome, HfsyncError):
        return f"{target}: error: {outcome}"
    if isinstance(outcome, Exception):
        return f"{target}: unexpected error: {type(outcome).__name__}: {outcome}"
    plan = outcome.plan
    if outcome.commit:
        line = (
            f"{target}: committed {outcome.commit[:12]} "
            f"({len(plan.uploads)} uploaded, {len(plan.deletes)} deleted)"
        )
    else:
        line = f"{target}: nothing to do"
    if plan.conflicts:  # only under `skip`: under `abort` they raise a ConflictError instead
        paths = [op.path for op in plan.conflicts]
        line += f"; skipped {len(paths)} remote edit(s): " + ", ".join(paths[:10])
        line += " ..." if len(paths) > 10 else ""
    return line
