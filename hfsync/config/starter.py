"""`hfsync init`: a starter hfsync.toml, optionally taking a workflow's trigger paths."""

from __future__ import annotations

import os
import tempfile
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
    """Write `hfsync.toml` at the repository root and return its path.

    Never through a symlink: a link at that name is refused (with or without `force`), the file
    is created only if no name is there (`force`: written beside it and moved over it, which
    replaces a name, never writes through one)."""
    path = repo_root / CONFIG_FILE
    if os.path.islink(path):
        raise ConfigError(
            f"{path} is a symlink; hfsync init writes no file through a link: remove the link "
            "(or put the file itself there) and run it again"
        )
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

        read_workflow_filter(workflow, repo_root)  # fail now, not at the first sync
        relative = workflow.resolve().relative_to(repo_root.resolve()).as_posix()
        filter_line = f'from_workflow = "{relative}"'
    else:
        filter_line = 'paths = ["**"]'
    text = _TEMPLATE.format(name=name, where=where, filter=filter_line)
    if force:
        _replace(path, text)
    else:
        try:
            with open(path, "x", encoding="utf-8") as handle:  # O_EXCL: no link is followed
                handle.write(text)
        except FileExistsError:
            raise ConfigError(f"{path} exists; pass --force to overwrite it") from None
    return path


def _replace(path: Path, text: str) -> None:
    """Write `text` to a new file beside `path`, then move it over `path` (whatever is there)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hfsync-init-", suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
