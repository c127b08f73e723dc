"""What the commands share: their common options, the config and the source they read, and the
one-line error report."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from hfsync.config.model import Config
    from hfsync.engine.pipeline import Targets
    from hfsync.remotes.target import Target

F = TypeVar("F", bound=Callable[..., Any])
EXIT_USAGE = 2


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Config file (default: hfsync.toml at the repository root, or [tool.hfsync] in "
        "pyproject.toml).",
    )(func)


def target_option(func: F) -> F:
    return click.option("--target", "target_name", help="Only this target (by name).")(func)


def on_conflict_option(func: F) -> F:
    return click.option(
        "--on-conflict",
        type=click.Choice(["abort", "skip", "overwrite"]),
        help="How to treat remote edits (default: the target's on_conflict).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")(func)


def verbosity_options(func: F) -> F:
    func = click.option("-q", "--quiet", is_flag=True, help="Only results and errors.")(func)
    return click.option("-v", "--verbose", is_flag=True, help="List every planned operation.")(func)


def source_options(verb: str) -> Callable[[F], F]:
    """--rev and --worktree, for a command that reads the source to `verb` it."""

    def add(func: F) -> F:
        func = click.option(
            "--worktree", is_flag=True, help=f"{verb} the working tree (default outside CI)."
        )(func)
        return click.option(
            "--rev", help=f"{verb} the files of this commit (default in CI: HEAD)."
        )(func)

    return add


def repo_and_config(config_path: Path | None) -> tuple[Path, Config]:
    from hfsync.local.repository import find_repo_root

    repo_root = find_repo_root(Path.cwd())
    return repo_root, load_config(repo_root, config_path)


def load_config(repo_root: Path, given: Path | None) -> Config:
    from hfsync.config.model import config_path
    from hfsync.config.model import load_config as load

    return load(config_path(repo_root, given), repo_root)


def opened_targets(config_path: Path | None) -> Targets:
    """The config's targets, to be opened as they are used."""
    from hfsync.engine.pipeline import Targets

    repo_root, config = repo_and_config(config_path)
    return Targets(repo_root, config)


def one_target(config_path: Path | None, name: str | None) -> Target:
    """The target a one-target command works on: the named one, or the only one."""
    targets = opened_targets(config_path)
    return targets.open(targets.config.target(name))


def source_rev(rev: str | None, worktree: bool) -> str | None:
    if rev and worktree:
        raise click.UsageError("use --rev or --worktree, not both")
    if rev:
        return rev
    if worktree:
        return None
    return "HEAD" if in_ci() else None


def in_ci() -> bool:
    """`CI` set to anything but empty, 0, false or no (CI=false must not switch the source)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def head_sha(repo_root: Path, rev: str | None) -> str | None:
    """The commit `rev` names, or None (the working tree; a bad name is reported later)."""
    if rev is None or rev.startswith("-"):
        return None
    # git from PATH, an argument list (no shell); `rev` cannot be an option (checked above).
    done = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"],  # noqa: S607
        cwd=repo_root,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or None


def source_line(repo_root: Path, rev: str | None) -> str:
    """'HEAD 1a2b3c4' or 'working tree': every run says what it reads."""
    sha = head_sha(repo_root, rev)
    return "working tree" if rev is None else f"{rev} {(sha or '')[:7]}".strip()


def report_error(message: str) -> None:
    """One line on stderr; in GitHub Actions also an error annotation."""
    from hfsync.core.redact import redact
    from hfsync.ui.github import error_annotation, in_github_actions

    message = redact(message)
    click.echo(f"hfsync: error: {message}", err=True)
    if in_github_actions():
        click.echo(error_annotation(message), err=True)


def print_json(document: object) -> None:
    import json

    from hfsync.core.redact import redact

    click.echo(redact(json.dumps(document, indent=2)))
