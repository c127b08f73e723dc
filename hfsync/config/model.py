"""Configuration: `hfsync.toml` (or `[tool.hfsync]` in pyproject.toml), validated by pydantic.

Every problem becomes one `ConfigError` line naming the file, the key and what is allowed.
Tokens are never read from here: only from `HF_TOKEN` or the huggingface_hub login.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hfsync.config.checks import (
    branch_problem,
    flow_depth_exceeds,
    read_config_text,
    refuse_link_out,
)
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


class TargetConfig(BaseModel):
    """One `[[targets]]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

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
    exclude: list[str] = Field(default_factory=list)
    on_conflict: ConflictPolicy = "abort"
    max_delete: int = Field(default=50, ge=0)
    backup_keep: int = Field(default=10, ge=1)
    create: bool = False
    private: bool = False
    space_sdk: SpaceSdk = "gradio"
    wait_for_build: bool = False
    rollback_on_failure: bool = False
    build_timeout: float = Field(default=900.0, gt=0, allow_inf_nan=False)
    commit_budget: int = Field(default=100, ge=1)
    hot_reload: bool = True  # `watch`: Python changes patch a running Gradio 6.1+ Space
    min_interval: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    # Checks before upload (hfsync/validate): deliberate exceptions, as "CHECK:PATTERN".
    allow: list[str] = Field(default_factory=list)
    max_file_mb: float = Field(default=1000.0, gt=0, allow_inf_nan=False)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME_RE.match(value):
            raise ValueError(
                "use letters, digits, '_', '.' or '-', starting with a letter or digit"
            )
        return value

    @field_validator("repo")
    @classmethod
    def _repo(cls, value: str | None) -> str | None:
        if value is not None and (
            not _REPO_ID_RE.match(value) or ".." in value or "--" in value or value.endswith(".git")
        ):
            raise ValueError("must be a Hub repo id such as 'owner/name'")
        return value

    @field_validator("allow")
    @classmethod
    def _allow(cls, value: list[str]) -> list[str]:
        from hfsync.core.findings import CHECKS

        for entry in value:
            check, colon, pattern = entry.partition(":")
            if check not in CHECKS or not colon or not pattern:
                raise ValueError(
                    f"{entry!r}: write 'CHECK:PATTERN' with CHECK one of {', '.join(CHECKS)}"
                )
        return value

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        problem = branch_problem(value)
        if problem is not None:
            raise ValueError(f"{problem}; use a plain branch name such as 'main'")
        return value

    @field_validator("exclude")
    @classmethod
    def _exclude(cls, value: list[str]) -> list[str]:
        from pathspec import GitIgnoreSpec

        for pattern in value:
            try:
                GitIgnoreSpec.from_lines([pattern])
            except (re.error, ValueError, TypeError) as exc:
                raise ValueError(f"pattern {pattern!r} is not gitignore syntax: {exc}") from None
        return value

    @field_validator("local_dir", "remote_dir")
    @classmethod
    def _dir(cls, value: str) -> str:
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

    @model_validator(mode="after")
    def _one_of(self) -> TargetConfig:
        if (self.repo is None) == (self.url is None):
            raise ValueError("set exactly one of 'repo' (a Hub repo id) or 'url' (a git remote)")
        given = [
            key
            for key in ("paths", "paths_ignore", "from_workflow")
            if getattr(self, key) is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"set only one of 'paths', 'paths_ignore', 'from_workflow' (got {', '.join(given)})"
            )
        if self.include_github and self.from_workflow is None:
            raise ValueError("'include_github' only applies to a scope read with 'from_workflow'")
        if self.rollback_on_failure and not self.wait_for_build:
            raise ValueError("'rollback_on_failure' needs 'wait_for_build = true'")
        return self


NotifyEvent = Literal["failure", "conflict", "build_failed", "rollback", "success"]
DEFAULT_EVENTS: tuple[NotifyEvent, ...] = ("failure", "conflict", "build_failed", "rollback")


class NotifyConfig(BaseModel):
    """`[notify]`: apprise URLs, read from the environment variables named here (a URL holds
    credentials, so never the file), and the events that send a message."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    urls_from_env: list[str] = Field(default_factory=list)
    events: list[NotifyEvent] = Field(default_factory=lambda: list(DEFAULT_EVENTS))

    @field_validator("urls_from_env")
    @classmethod
    def _variables(cls, value: list[str]) -> list[str]:
        for name in value:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ValueError(
                    f"{name[:60]!r} is not an environment variable name: name the variable "
                    "that holds the apprise URL (e.g. 'HFSYNC_NOTIFY_URL'), not the URL"
                )
        return value


class ConfigFile(BaseModel):
    """The whole file: a list of targets, and notifications."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    targets: list[TargetConfig] = Field(min_length=1)
    notify: NotifyConfig = Field(default_factory=NotifyConfig)

    @model_validator(mode="after")
    def _unique_names(self) -> ConfigFile:
        names = [t.name for t in self.targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"target names must be unique (repeated: {', '.join(duplicates)})")
        from hfsync.config.overlap import overlap_problem

        problem = overlap_problem(self.targets)
        if problem is not None:
            raise ValueError(problem)
        return self


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
        parsed = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, prefix)}") from None
    return Config(path=path, targets=tuple(parsed.targets), notify=parsed.notify)


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


def _describe(exc: ValidationError, prefix: str) -> str:
    """Every validation error as `key: what is allowed (got ...)`, joined with '; '.

    Target numbers are 1-based (`targets[1]` is the first `[[targets]]` table), and an unknown
    key close to a known one says which one was meant.
    """
    problems = [_describe_one(error, prefix) for error in exc.errors()]
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems: " + "; ".join(problems)


def _describe_one(error: Any, prefix: str) -> str:
    loc = error["loc"]
    key = prefix + _format_loc(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _allowed_keys(loc)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if close:
            return f"{key}: unknown key, did you mean '{close[0]}'?"
        return f"{key}: unknown key (allowed: {', '.join(known)})"
    if kind == "missing":
        return f"{key}: required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    where = f"{key}: " if key else ""
    if kind != "value_error" and "input" in error and not isinstance(error["input"], dict):
        return f"{where}{message} (got {_short(error['input'])})"
    return f"{where}{message}"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _format_loc(loc: tuple[int | str, ...]) -> str:
    text = ""
    for position, part in enumerate(loc):
        if isinstance(part, int):
            # 1-based for the targets list (people count tables from 1), as given for the rest
            number = part + 1 if position == 1 and loc[0] == "targets" else part
            text += f"[{number}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: type[BaseModel] = TargetConfig if "targets" in loc and len(loc) > 2 else ConfigFile
    if loc[:1] == ("notify",) and len(loc) > 1:
        model = NotifyConfig
    return list(model.model_fields)
