"""Commands that do not sync: `ls-files`, `backups`, `rollback`, `init`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from hfsync.core.plan import Plan

from hfsync.cli.options import (
    config_option,
    json_option,
    load_config,
    on_conflict_option,
    one_target,
    print_json,
    target_option,
    verbosity_options,
)


@click.command("ls-files")
@config_option
@target_option
@click.option("--rev", help="List the files of this commit instead of the working tree.")
@click.option("--paths", "paths", multiple=True, help="A `paths` pattern (repeatable, in order).")
@click.option(
    "--paths-ignore", "paths_ignore", multiple=True, help="A `paths-ignore` pattern (repeatable)."
)
def ls_files(
    config_path: Path | None,
    target_name: str | None,
    rev: str | None,
    paths: tuple[str, ...],
    paths_ignore: tuple[str, ...],
) -> None:
    """Print the repository paths in scope, one per line, sorted.

    With --paths / --paths-ignore the patterns are GitHub Actions filters and no config is read;
    otherwise the target's scope from the config is used.
    """
    from hfsync.config.scope import scope_for_target
    from hfsync.core.scope import scope_from_patterns
    from hfsync.local.repository import find_repo_root
    from hfsync.local.source import list_paths

    repo_root = find_repo_root(Path.cwd())
    if paths or paths_ignore:
        scope = scope_from_patterns(paths, paths_ignore)
    else:
        config = load_config(repo_root, config_path)
        scope = scope_for_target(config.target(target_name), repo_root, config.path)
    for path in list_paths(repo_root, rev):
        if scope.includes(path):
            click.echo(path)


@click.command()
@config_option
@target_option
@json_option
def backups(config_path: Path | None, target_name: str | None, as_json: bool) -> None:
    """List hfsync's backup branches of a target, newest first: which one the remote's files
    in scope equal now, and which one `hfsync rollback` would restore."""
    from hfsync.engine.rollback_choice import backup_states
    from hfsync.ui import render

    target = one_target(config_path, target_name)
    found = backup_states(target)
    if as_json:
        print_json([b.to_dict() for b in found])
    else:
        render.backups(target.config.name, found)


@click.command()
@click.argument("backup", required=False)
@config_option
@target_option
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@on_conflict_option
@click.option("--force", is_flag=True, help="Allow more deletions than max_delete.")
@click.option("--prune", is_flag=True, help="Also delete files in scope hfsync did not write.")
@json_option
@verbosity_options
def rollback(
    backup: str | None,
    config_path: Path | None,
    target_name: str | None,
    dry_run: bool,
    on_conflict: str | None,
    force: bool,
    prune: bool,
    as_json: bool,
    verbose: bool,
    quiet: bool,
) -> None:
    """Make the target's files equal to a backup's with a new commit, backed up first, after
    showing the plan (max_delete and the conflict policy apply, as for run).

    Without BACKUP, step back one deploy: the newest backup that differs from the remote, and
    after a rollback the one before the backup it restored (v3 -> v2 -> v1)."""
    from hfsync.engine.rollback import RollbackOptions
    from hfsync.engine.rollback import rollback as do_rollback
    from hfsync.ui import render

    target = one_target(config_path, target_name)
    verbosity = 1 if verbose else (-1 if quiet else 0)

    def show(plan: Plan) -> None:
        if not as_json:
            render.plan(target.config.name, plan, verbosity)

    options = RollbackOptions(
        on_conflict=on_conflict, force=force, prune=prune, dry_run=dry_run, before_write=show
    )
    result = do_rollback(target, backup, options)
    if as_json:
        print_json(result.to_dict())
    else:
        render.rollback_result(result)


@click.command()
@click.option(
    "--from-workflow",
    "workflow",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Take the trigger paths of this GitHub workflow file.",
)
@click.option("--repo", help="Hub repo id of the target (owner/name).")
@click.option("--url", help="A git remote URL or local path instead of a Hub repo.")
@click.option("--force", is_flag=True, help="Overwrite an existing hfsync.toml.")
@click.option("--create", is_flag=True, help="Create the Hub repo on the first run.")
def init(
    workflow: Path | None, repo: str | None, url: str | None, force: bool, create: bool
) -> None:
    """Write a starter hfsync.toml at the repository root."""
    from hfsync.config.starter import write_starter_config
    from hfsync.local.repository import find_repo_root

    repo_root = find_repo_root(Path.cwd())
    path = write_starter_config(
        repo_root, workflow=workflow, repo=repo, url=url, force=force, create=create
    )
    click.echo(f"wrote {path}")
