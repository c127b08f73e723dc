"""A configured target's scope: its filter (paths, paths-ignore or a workflow's trigger paths),
`exclude` list and folder mapping, built from the config, with bad patterns reported as config
errors that name the key."""

from __future__ import annotations

from pathlib import Path

from hfsync.config.model import TargetConfig
from hfsync.core.errors import ConfigError
from hfsync.core.filters import FilterError
from hfsync.core.scope import Scope, ScopeSpec

# A workflow's trigger paths usually name the workflow file itself: a scope read from one leaves
# the repository's `.github/` folder out (CI files are not an app's files), unless asked.
WORKFLOW_EXCLUDE = "/.github/"


def scope_for_target(target: TargetConfig, repo_root: Path, config_path: Path) -> Scope:
    """Build a target's scope, turning bad patterns into config errors that name the key."""
    index_hint = f"target '{target.name}'"
    if target.local_dir and not (repo_root / target.local_dir).is_dir():
        raise ConfigError(
            f"{config_path}: {index_hint}, local_dir: '{target.local_dir}' is not a folder in "
            f"{repo_root}; fix the path or create the folder"
        )
    try:
        if target.from_workflow is not None:
            from hfsync.config.workflow import read_workflow_filter

            workflow_filter = read_workflow_filter(repo_root / target.from_workflow, repo_root)
            kind, patterns = workflow_filter.kind, workflow_filter.patterns
        elif target.paths is not None:
            kind, patterns = "paths", tuple(target.paths)
        elif target.paths_ignore is not None:
            kind, patterns = "paths-ignore", tuple(target.paths_ignore)
        else:
            kind, patterns = "all", ()
        exclude = tuple(target.exclude)
        if target.from_workflow is not None and not target.include_github:
            exclude += (WORKFLOW_EXCLUDE,)
        spec = ScopeSpec(
            kind=kind,
            patterns=patterns,
            exclude=exclude,
            local_dir=target.local_dir,
            remote_dir=target.remote_dir,
        )
        return Scope.from_spec(spec)
    except FilterError as exc:
        key = target.from_workflow or ("paths" if target.paths is not None else "paths_ignore")
        raise ConfigError(f"{config_path}: {index_hint}, {key}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{config_path}: {index_hint}: {exc}") from None
