"""`pull`: the remote's edits brought into the working tree (`engine/pull.py`)."""

from __future__ import annotations

import os
from pathlib import Path

import click

from hfsync.cli.options import (
    config_option,
    json_option,
    opened_targets,
    print_json,
    target_option,
)


@click.command()
@config_option
@target_option
@click.option("--dry-run", is_flag=True, help="Say what would be brought home; write nothing.")
@click.option(
    "--undo", is_flag=True, help="Put back the files the last pull wrote (finished or not)."
)
@json_option
def pull(
    config_path: Path | None, target_name: str | None, dry_run: bool, undo: bool, as_json: bool
) -> None:
    """Bring the remote's edits into the working tree, merged with your uncommitted work.

    A 3-way merge against what hfsync last wrote (git's own merge); conflicts get git's
    markers, a binary edited on both sides gets the remote's copy beside yours. Commit the result
    with .hfsync/pulled.json and 'hfsync run' uploads it, here or in CI. Exit 3 while conflicts
    remain. An interrupted pull is finished by the next 'hfsync pull', or undone with --undo.
    """
    from hfsync.engine.pull import pull as do_pull
    from hfsync.engine.pull import undo_pull
    from hfsync.local.repository import git_dir
    from hfsync.ui.progress import Progress
    from hfsync.ui.pull import pull_result, undo_result

    targets = opened_targets(config_path)
    repo_root = targets.repo_root
    if undo:
        applied = undo_pull(repo_root, git_dir(repo_root))
        if as_json:
            print_json(applied.__dict__)
        else:
            undo_result(applied)
        return
    chosen = targets.config.selected(target_name)
    if len(chosen) > 1:
        raise click.UsageError("pull brings one target home at a time: add --target NAME")
    target = targets.open(chosen[0])
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    with Progress(quiet=as_json) as progress:
        result = do_pull(target, repo_root, git_dir(repo_root), dry_run=dry_run, progress=progress)
    if as_json:
        print_json(result.to_dict())
    else:
        pull_result(result)
    if result.exit_code:
        raise SystemExit(result.exit_code)
