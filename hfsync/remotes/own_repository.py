"""A git target whose repository lies inside the source it syncs."""

from __future__ import annotations

from pathlib import Path

from hfsync.core.errors import ConfigError
from hfsync.core.scope import Scope
from hfsync.local.gitcmd import run_git


def refuse_syncing_itself(scope: Scope, repo_root: Path, url: str) -> None:
    """A git target whose repository lies inside the source, in the target's scope and not
    ignored by git, would copy itself into itself, a little more on every run."""
    from hfsync.remotes.git import is_local_path

    if url.startswith("file://") or not is_local_path(url):
        return
    root = repo_root.resolve()
    try:
        inside = Path(url).resolve().relative_to(root).as_posix()
    except ValueError:  # outside the repository
        return
    probe = f"{inside}/HEAD"  # every git repository has one
    if inside == "." or not scope.includes(probe):
        return
    ignored = run_git(root, "check-ignore", "-q", "--", probe)
    if ignored.returncode != 0:
        raise ConfigError(
            f"the target's repository {inside}/ is inside this repository and in its paths, so "
            "every run would copy it into itself; move it outside the repository, add it to "
            ".gitignore, or leave it out of 'paths'"
        )
