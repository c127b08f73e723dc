"""Read the path filter of a GitHub Actions workflow, so a target can share its workflow's scope.

The filter is `on.push.paths` or `on.push.paths-ignore`; when `push` has neither, the same keys of
`pull_request`, then of `pull_request_target`. `branches`, `tags` and every other key are ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hfsync.config.checks import flow_depth_exceeds, read_config_text
from hfsync.core.errors import ConfigError
from hfsync.core.filters import FilterError, PathFilter

# In the order GitHub's path filters are looked for (the only events that take them).
_EVENTS = ("push", "pull_request", "pull_request_target")


class _StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys (GitHub does; PyYAML keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                continue  # an unhashable key: the base constructor reports it
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def read_workflow_filter(workflow_file: Path, repo_root: Path | None = None) -> PathFilter:
    """The `PathFilter` of the workflow at `workflow_file` (see the module docstring).

    Raises `ConfigError` (one line) when the file lies outside `repo_root` (symlinks followed),
    is not a regular file of a sane size, cannot be parsed (duplicate keys included), has no
    push or pull request event, when no such event has a path filter, or when one sets both
    `paths` and `paths-ignore` (GitHub rejects that too); `FilterError` for a pattern GitHub
    would reject.
    """
    if repo_root is not None:
        resolved = workflow_file.resolve()
        if not resolved.is_relative_to(repo_root.resolve()):
            raise ConfigError(
                f"workflow file {workflow_file} is outside the repository; name a workflow "
                "under .github/workflows/"
            )
    text = read_config_text(workflow_file, "workflow file")
    if flow_depth_exceeds(text):
        raise ConfigError(f"invalid YAML in {workflow_file}: nested too deeply")
    try:
        loader = _StrictLoader(text)
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML in {workflow_file}{_where(exc)}") from None
    except RecursionError:
        raise ConfigError(f"invalid YAML in {workflow_file}: nested too deeply") from None

    events = _events(workflow_file, document)
    for name in _EVENTS:
        settings = events.get(name)
        if settings is not None and not isinstance(settings, dict):
            raise ConfigError(f"{workflow_file}: 'on.{name}' must be a mapping of settings")
        if settings and "paths" in settings and "paths-ignore" in settings:
            raise ConfigError(
                f"{workflow_file}: 'on.{name}' sets both 'paths' and 'paths-ignore', which GitHub "
                "rejects; keep 'paths' and turn the ignored patterns into '!' entries"
            )

    for name in _EVENTS:
        settings = events.get(name) or {}
        for key in ("paths", "paths-ignore"):
            if key in settings:
                return _build(workflow_file, f"on.{name}.{key}", key, settings[key])

    if not any(name in events for name in _EVENTS):
        raise ConfigError(
            f"{workflow_file}: no push, pull_request or pull_request_target event under 'on', "
            "so it has no path filter; name another workflow, or set paths in hfsync's config"
        )
    raise ConfigError(
        f"{workflow_file}: neither 'paths' nor 'paths-ignore' is set under push, pull_request or "
        "pull_request_target; add one, or drop from_workflow to sync every file"
    )


def _events(workflow_file: Path, document: object) -> dict[str, Any]:
    """The workflow's `on` section as {event name: settings or None}."""
    if not isinstance(document, dict):
        raise ConfigError(f"{workflow_file}: a workflow must be a YAML mapping with an 'on' key")
    # YAML 1.1 (PyYAML) reads a bare `on:` key as the boolean True; GitHub reads it as "on".
    keys = [key for key in ("on", True) if key in document]
    if not keys:
        raise ConfigError(f"{workflow_file}: the workflow has no 'on' section")
    if len(keys) > 1:
        raise ConfigError(f"{workflow_file}: the workflow has two 'on' sections; keep one")
    on = document[keys[0]]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list) and all(isinstance(event, str) for event in on):
        return dict.fromkeys(on)
    if isinstance(on, dict):
        return {str(event): settings for event, settings in on.items()}
    raise ConfigError(
        f"{workflow_file}: 'on' must be an event name, a list of event names or a mapping"
    )


def _build(workflow_file: Path, where: str, key: str, value: object) -> PathFilter:
    """The filter for the `key` list found at `where` (a dotted path, for messages)."""
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise ConfigError(
            f"{workflow_file}: '{where}' must be a list of quoted patterns, as in ['docs/**']"
        )
    try:
        if key == "paths":
            return PathFilter.from_paths(value)
        return PathFilter.from_paths_ignore(value)
    except FilterError as exc:
        raise FilterError(f"{workflow_file}: {where}: {exc}") from None


def _where(exc: yaml.YAMLError) -> str:
    """' at line L, column C: problem' for a YAML error that carries a position."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
    if mark is None:
        return f": {problem}"
    return f" at line {mark.line + 1}, column {mark.column + 1}: {problem}"
