"""`hfsync init`: a starter hfsync.toml, optionally taking a workflow's trigger paths."""

from __future__ import annotations

from pathlib import Path

from hfsync.config.model import CONFIG_FILE
from hfsync.core.errors import ConfigError

_TEMPLATE = """\
# hfsync configuration: see the README's config reference.
[[targets]]
name = "{name}"
{where}
branch = "main"
{filter}
# exclude = ["*.pyc", "secrets/**"]   # gitignore syntax: never uploaded
on_conflict = "abort"                  # abort | skip | overwrite
max_delete = 50
backup_keep = 10
"""


def write_starter_config(
    repo_root: Path,
    workflow: Path | None,
    repo: str | None,
    url: str | None,
    force: bool,
    create: bool = False,
) -> Path:
    """Write `hfsync.toml` at the repository root and return its path."""
    path = repo_root / CONFIG_FILE
    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    if repo and url:
        raise ConfigError("use --repo or --url, not both")
    if url:
        where = f'url = "{url}"\ncreate = true'
        name = "git"
    else:
        where = f'repo = "{repo or "OWNER/SPACE"}"\nrepo_type = "space"'
        if create:
            where += "\ncreate = true"
        name = "space"
    if workflow is not None:
        from hfsync.config.workflow import read_workflow_filter

        read_workflow_filter(workflow)  # fail now, not at the first sync
        resolved = workflow.resolve()
        if not resolved.is_relative_to(repo_root.resolve()):
            raise ConfigError(f"{workflow} is outside the repository {repo_root}")
        relative = resolved.relative_to(repo_root.resolve()).as_posix()
        filter_line = f'from_workflow = "{relative}"'
    else:
        filter_line = 'paths = ["**"]'
    path.write_text(_TEMPLATE.format(name=name, where=where, filter=filter_line), encoding="utf-8")
    return path
