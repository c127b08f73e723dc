"""Configuration: `hfsync.toml` (or `[tool.hfsync]` in pyproject.toml), as msgspec Structs.

config/validation.py builds them from the TOML tables: every problem becomes part of one
`ConfigError` line naming the file, each key and what is allowed. The rules of a key are in
the `checks` of its Struct, the rules across keys in its `problem()`. Tokens are never read
from here: only from `HF_TOKEN` or the huggingface_hub login.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, Struct

from hfsync.config.checks import (
    branch_problem,
    flow_depth_exceeds,
    read_config_text,
    refuse_link_out,
)
from hfsync.config.validation import ConfigProblems, KeyCheck, build
from hfsync.core.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

CONFIG_FILE = "hfsync.toml"
ConflictPolicy = Literal["abort", "skip", "overwrite"]
RepoType = Literal["space", "model", "dataset"]
SpaceSdk = Literal["gradio", "streamlit", "docker", "static"]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_REPO_ID_RE = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")
_TOKEN_KEYS = {"token", "hf_token", "api_key", "password"}
MAX_SHOWN = 10  # problems listed in the one line of a bad config


def _name(value: str) -> str:
    if not _NAME_RE.match(value):
        raise ValueError("use letters, digits, '_', '.' or '-', starting with a letter or digit")
    return value


def _repo(value: str | None) -> str | None:
    if value is not None and (
        not _REPO_ID_RE.match(value) or ".." in value or "--" in value or value.endswith(".git")
    ):
        raise ValueError("must be a Hub repo id such as 'owner/name'")
    return value


def _allow(value: list[str]) -> list[str]:
    from hfsync.core.findings import CHECKS

    for entry in value:
        check, colon, pattern = entry.partition(":")
        if check not in CHECKS or not colon or not pattern:
            raise ValueError(
                f"{entry!r}: write 'CHECK:PATTERN' with CHECK one of {', '.join(CHECKS)}"
            )
    return value


def _branch(value: str) -> str:
    problem = branch_problem(value)
    if problem is not None:
        raise ValueError(f"{problem}; use a plain branch name such as 'main'")
    return value


def _exclude(value: list[str]) -> list[str]:
    from pathspec import GitIgnoreSpec

    for pattern in value:
        try:
            GitIgnoreSpec.from_lines([pattern])
        except (re.error, ValueError, TypeError) as exc:
            raise ValueError(f"pattern {pattern!r} is not gitignore syntax: {exc}") from None
    return value


def _folder(value: str) -> str:
    """A folder relative to the repository root, as stored: no leading './', no end '/'."""
    if value.startswith("/") or "\0" in value:
        raise ValueError("must be a folder relative to the repository root, not absolute")
    cleaned = value.strip("/")
    if cleaned.startswith("./"):
        cleaned = cleaned[2:]
    if cleaned in (".",):
        cleaned = ""
    if any(part in ("", "..", ".") for part in cleaned.split("/")) and cleaned:
        raise ValueError("must be a relative folder inside the repository, without '..'")
    if cleaned.split("/")[0] == ".git" or "/.git/" in f"/{cleaned}/":
        raise ValueError("must not be inside '.git', which git never stores")
    return cleaned


def _finite(value: float) -> float:
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"must be a finite number (got {value})")
    return value


def _variables(value: list[str]) -> list[str]:
    for name in value:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ValueError(
                f"{name[:60]!r} is not an environment variable name: name the variable "
                "that holds the apprise URL (e.g. 'HFSYNC_NOTIFY_URL'), not the URL"
            )
    return value


class TargetConfig(Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One `[[targets]]` table."""

    checks: ClassVar[Mapping[str, KeyCheck]]  # each key's own rule (config/validation.py)

    name: str
    repo: str | None = None
    repo_type: RepoType = "space"
    url: str | None = None
    branch: str = "main"
    paths: list[str] | None = None
    paths_ignore: list[str] | None = None
    from_workflow: str | None = None
    include_github: bool = False
    local_dir: str = ""
    remote_dir: str = ""
    exclude: list[str] = msgspec.field(default_factory=list)
    on_conflict: ConflictPolicy = "abort"
    max_delete: Annotated[int, Meta(ge=0)] = 50
    backup_keep: Annotated[int, Meta(ge=1)] = 10
    create: bool = False
    private: bool = False
    space_sdk: SpaceSdk = "gradio"
    wait_for_build: bool = False
    rollback_on_failure: bool = False
    build_timeout: Annotated[float, Meta(gt=0)] = 900.0
    commit_budget: Annotated[int, Meta(ge=1)] = 100
    hot_reload: bool = True  # `watch`: Python changes patch a running Gradio 6.1+ Space
    min_interval: Annotated[float, Meta(ge=0)] = 0.0
    # Checks before upload (hfsync/validate): deliberate exceptions, as "CHECK:PATTERN".
    allow: list[str] = msgspec.field(default_factory=list)
    max_file_mb: Annotated[float, Meta(gt=0)] = 1000.0

    def problem(self) -> str | None:
        """What is wrong across keys, once each key is good."""
        if (self.repo is None) == (self.url is None):
            return "set exactly one of 'repo' (a Hub repo id) or 'url' (a git remote)"
        given = [
            key
            for key in ("paths", "paths_ignore", "from_workflow")
            if getattr(self, key) is not None
        ]
        if len(given) > 1:
            return (
                f"set only one of 'paths', 'paths_ignore', 'from_workflow' (got {', '.join(given)})"
            )
        if self.include_github and self.from_workflow is None:
            return "'include_github' only applies to a scope read with 'from_workflow'"
        if self.rollback_on_failure and not self.wait_for_build:
            return "'rollback_on_failure' needs 'wait_for_build = true'"
        return None


TargetConfig.checks = {
    "name": _name,
    "repo": _repo,
    "allow": _allow,
    "branch": _branch,
    "exclude": _exclude,
    "local_dir": _folder,
    "remote_dir": _folder,
    "build_timeout": _finite,
    "min_interval": _finite,
    "max_file_mb": _finite,
}

NotifyEvent = Literal["failure", "conflict", "build_failed", "rollback", "success"]
DEFAULT_EVENTS: tuple[NotifyEvent, ...] = ("failure", "conflict", "build_failed", "rollback")


class NotifyConfig(Struct, frozen=True, forbid_unknown_fields=True):
    """`[notify]`: apprise URLs, read from the environment variables named here (a URL holds
    credentials, so never the file), and the events that send a message."""

    checks: ClassVar[Mapping[str, KeyCheck]]

    urls_from_env: list[str] = msgspec.field(default_factory=list)
    events: list[NotifyEvent] = msgspec.field(default_factory=lambda: list(DEFAULT_EVENTS))


NotifyConfig.checks = {"urls_from_env": _variables}


class ConfigFile(Struct, frozen=True, forbid_unknown_fields=True):
    """The whole file: a list of targets, and notifications."""

    targets: Annotated[list[TargetConfig], Meta(min_length=1)]
    notify: NotifyConfig = msgspec.field(default_factory=NotifyConfig)

    def problem(self) -> str | None:
        """Target names that repeat, or targets whose scopes may overlap."""
        names = [t.name for t in self.targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            return f"target names must be unique (repeated: {', '.join(duplicates)})"
        from hfsync.config.overlap import overlap_problem

        return overlap_problem(self.targets)


@dataclass(frozen=True)
class Config:
    """A loaded configuration and where it came from."""

    path: Path
    targets: tuple[TargetConfig, ...]
    notify: NotifyConfig = field(default_factory=NotifyConfig)

    def target(self, name: str | None) -> TargetConfig:
        """The target called `name`; without a name, the only target (an error if several)."""
        if name is None:
            if len(self.targets) > 1:
                names = ", ".join(t.name for t in self.targets)
                raise ConfigError(
                    f"{self.path}: several targets ({names}); choose one with --target"
                )
            return self.targets[0]
        for target in self.targets:
            if target.name == name:
                return target
        names = ", ".join(t.name for t in self.targets)
        raise ConfigError(f"{self.path}: no target named '{name}' (targets: {names})")

    def selected(self, name: str | None) -> tuple[TargetConfig, ...]:
        """All targets, or the one named."""
        return self.targets if name is None else (self.target(name),)


def config_path(repo_root: Path, given: Path | None) -> Path:
    """The config file to read: `given` (`--config`), else the one `find_config` finds; a file
    of the repository that is a symlink leading out of it is refused, reading nothing."""
    if given is None:
        return find_config(repo_root)
    refuse_link_out(given, repo_root, "config file")
    return given


def find_config(repo_root: Path) -> Path:
    """`hfsync.toml` at the repository root, else a pyproject.toml that has `[tool.hfsync]`.

    Either one, when it is a symlink leading out of the repository, is refused (ConfigError)
    before anything is read through it."""
    candidate = repo_root / CONFIG_FILE
    if os.path.lexists(candidate):
        refuse_link_out(candidate, repo_root, "config file")
    if candidate.is_file():
        return candidate
    pyproject = repo_root / "pyproject.toml"
    if os.path.lexists(pyproject):
        refuse_link_out(pyproject, repo_root, "config file")
    if (
        pyproject.is_file()
        and "tool" in _read_toml(pyproject)
        and "hfsync" in _read_toml(pyproject).get("tool", {})
    ):
        return pyproject
    raise ConfigError(
        f"no {CONFIG_FILE} in {repo_root}: run 'hfsync init' to write one, or pass --config PATH"
    )


def load_config(path: Path, repo_root: Path | None = None) -> Config:
    """Read and validate a config file (`hfsync.toml` or a pyproject.toml with `[tool.hfsync]`).

    With `repo_root`, a config file of the repository that is a symlink leading out of it is
    refused before it is read."""
    if repo_root is not None:
        refuse_link_out(path, repo_root, "config file")
    if not path.exists():
        raise ConfigError(f"{path}: config file not found; pass an existing file with --config")
    data = _read_toml(path)
    prefix = ""
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        table = tool.get("hfsync") if isinstance(tool, dict) else None
        prefix = "tool.hfsync."
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: no [tool.hfsync] table; add one or use {CONFIG_FILE}")
        data = table
    _reject_tokens(path, data, prefix)
    try:
        parsed = build(data, ConfigFile, prefix)
    except ConfigProblems as exc:
        raise ConfigError(f"{path}: {_shown(exc.problems)}") from None
    return Config(path=path, targets=tuple(parsed.targets), notify=parsed.notify)


def _shown(problems: list[str]) -> str:
    """The problems on one line; past MAX_SHOWN, how many more (a hostile file may hold
    thousands)."""
    if len(problems) == 1:
        return problems[0]
    more = len(problems) - MAX_SHOWN
    listed = "; ".join(problems[:MAX_SHOWN]) + (f"; and {more} more" if more > 0 else "")
    return f"{len(problems)} problems: {listed}"


def _read_toml(path: Path) -> dict[str, Any]:
    text = read_config_text(path, "config file")
    if flow_depth_exceeds(text):
        raise ConfigError(f"{path}: not valid TOML: nested too deeply")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def _reject_tokens(path: Path, data: dict[str, Any], prefix: str) -> None:
    targets = data.get("targets")
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        if isinstance(target, dict):
            for key in sorted(_TOKEN_KEYS.intersection(target)):
                raise ConfigError(
                    f"{path}: {prefix}targets[{index + 1}].{key}: tokens are never read from the "
                    "config file; set HF_TOKEN or run 'hf auth login'"
                )
