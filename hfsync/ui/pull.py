"""What `hfsync pull` prints: one line per file it brought home (or would), then what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from hfsync.core.pulled import PULL_RECORD
from hfsync.core.record import display_line

if TYPE_CHECKING:
    from hfsync.engine.pull import PullResult
    from hfsync.local.pull_journal import Applied


def pull_result(result: PullResult) -> None:
    name = result.target
    for note in result.notes:
        click.echo(f"{name}: note: {note}")
    if result.resumed:
        click.echo(f"{name}: finished the hfsync pull that was interrupted")
    if result.head is None:
        click.echo(f"{name}: nothing to pull: the remote has no commit yet")
        return
    if not result.files and not result.record_written:
        click.echo(f"{name}: nothing to pull: the working tree holds every remote edit")
        return
    verb = "would bring" if result.dry_run else "brought"
    click.echo(f"{name}: {verb} the remote's edits home from commit {result.head[:12]}")
    for file in result.files:
        click.echo(f"  {file.action:<9} {display_line(file.path)}  ({file.reason})")
    for path in result.left_alone:
        click.echo(f"  {'left':<9} {display_line(path)}  (changed meanwhile; not written)")
    if result.dry_run:
        return
    if result.conflicts or result.left_alone:
        count = len(result.conflicts) + len(result.left_alone)
        click.echo(
            f"{name}: {count} to resolve by hand (listed above); then commit, with "
            f"{PULL_RECORD}, and 'hfsync run' uploads the result"
        )
    else:
        click.echo(
            f"{name}: merged; commit the result with {PULL_RECORD} (git add -A && git commit) "
            "and 'hfsync run' uploads it; 'hfsync pull --undo' puts the files back as they were"
        )


def undo_result(applied: Applied) -> None:
    click.echo(f"undid the last hfsync pull: {len(applied.written)} file(s) put back")
    for path in applied.changed:
        click.echo(f"  left {display_line(path)}  (changed since the pull; not put back)")
