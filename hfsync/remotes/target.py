"""A configured target, opened: its config, scope, remote kind and local state.

The one type every layer above the remotes passes around (the checks before upload, the engine,
the daemons); it sits here, below them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfsync.config.model import TargetConfig
from hfsync.core.scope import Scope
from hfsync.core.snapshot import LocalFile
from hfsync.local.source import Source
from hfsync.local.state import TargetState, state_dir, target_key
from hfsync.remotes import Remote
from hfsync.remotes.links import keep_links
from hfsync.remotes.own_repository import refuse_syncing_itself


@dataclass
class Target:
    """A configured target, opened: its scope, its remote and its local state."""

    config: TargetConfig
    scope: Scope
    remote: Remote
    state: TargetState


def open_target(target: TargetConfig, scope: Scope, repo_root: Path, git_dir: Path) -> Target:
    """Connect a configured target to its remote kind."""
    remote: Remote
    if target.url is not None:
        from hfsync.remotes.git import GitRemote

        remote = GitRemote(repo_root, target.url, target.branch, target.name, target.create)
        refuse_syncing_itself(scope, repo_root, remote.url)
        where = target.url
    else:
        from hfsync.remotes.hub import HubRemote

        # The config guarantees exactly one of `url` and `repo`; this narrows the type.
        assert target.repo is not None  # noqa: S101
        remote = HubRemote(
            target.repo,
            target.repo_type,
            target.branch,
            create=target.create,
            private=target.private,
            space_sdk=target.space_sdk,
            cache_dir=state_dir(git_dir) / "hub",
        )
        where = f"{target.repo_type}:{target.repo}"
    state = TargetState(git_dir, target_key(target.name, where, target.branch))
    return Target(config=target, scope=scope, remote=remote, state=state)


def local_files(target: Target, source: Source) -> dict[str, LocalFile]:
    """The source's files in scope, keyed by their remote path (symlinks kept as links where the
    remote keeps them, see `keep_links`)."""
    if not target.scope.maps_paths:
        files = dict(source.files.items())
    else:
        files = {target.scope.to_remote(path): file for path, file in source.files.items()}
    return keep_links(target.scope, files) if target.remote.keeps_links else files
