"""README.md metadata (the YAML front matter) checked as the Hub checks it.

Errors fail `/api/validate-yaml` (the client then raises "Invalid metadata in README.md") and a
commit that adds such a README.md; warnings are answered with the validation (the client shows a
`UserWarning`). Messages follow the Hub's (Joi) wording: `"app_port" must be a number`.

The front matter is untrusted: at most 64 KiB, no YAML aliases (no "billion laughs").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_FRONT_MATTER = 64 * 1024
SPACE_SDKS = ("gradio", "streamlit", "docker", "static")
COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)(?:\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_VERSION = re.compile(r"\d+(\.\d+){0,3}([.-]?[A-Za-z0-9]+)*")
_CARD_DOCS = {
    "model": "https://huggingface.co/docs/hub/model-cards#model-card-metadata",
    "dataset": "https://huggingface.co/docs/hub/datasets-cards",
}


@dataclass
class Verdict:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases, so a small document cannot expand without bound."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.YAMLError("YAML aliases are not allowed in README.md metadata")
        return super().compose_node(parent, index)


def validate_readme(content: str, repo_type: str) -> Verdict:
    """The Hub's verdict on a README.md of a repo of `repo_type`."""
    verdict = Verdict()
    match = _FRONT_MATTER.match(content)
    metadata: Any = None
    if match:
        if len(match.group(1)) > MAX_FRONT_MATTER:
            verdict.errors.append(f"README.md metadata is limited to {MAX_FRONT_MATTER} bytes")
            return verdict
        try:
            metadata = yaml.load(match.group(1), Loader=_NoAliasLoader)  # noqa: S506 (safe loader)
        except (yaml.YAMLError, RecursionError) as error:
            verdict.errors.append(f"Invalid YAML in README.md metadata: {error}")
            return verdict
        if metadata is not None and not isinstance(metadata, dict):
            verdict.errors.append("README.md metadata must be a YAML mapping")
            return verdict
    if not metadata:
        if repo_type in _CARD_DOCS:
            verdict.warnings.append(
                f"empty or missing yaml metadata in repo card ({_CARD_DOCS[repo_type]})"
            )
        return verdict
    if repo_type == "space":
        verdict.errors.extend(space_config_errors(metadata))
    return verdict


def front_matter(content: str) -> dict[str, Any] | None:
    """A README.md's metadata as the Hub reads it (its `cardData`); None when there is none or
    the Hub would refuse it."""
    match = _FRONT_MATTER.match(content)
    if not match or len(match.group(1)) > MAX_FRONT_MATTER:
        return None
    try:
        metadata = yaml.load(match.group(1), Loader=_NoAliasLoader)  # noqa: S506 (safe loader)
    except (yaml.YAMLError, RecursionError):
        return None
    return metadata if isinstance(metadata, dict) and metadata else None


def space_config_errors(metadata: dict[str, Any]) -> list[str]:
    """What the Hub refuses in a Space's configuration (`sdk`, `app_file`, `app_port`, ...)."""
    errors = []
    sdk = metadata.get("sdk")
    if "sdk" in metadata and sdk not in SPACE_SDKS:
        errors.append(f'"sdk" must be one of [{", ".join(SPACE_SDKS)}]')
    app_file = metadata.get("app_file")
    if "app_file" in metadata:
        if not isinstance(app_file, str) or not app_file:
            errors.append('"app_file" must be a string')
        elif app_file.startswith("/") or ".." in app_file.split("/"):
            errors.append('"app_file" must be a relative path inside the repository')
    if "app_port" in metadata:
        port = metadata["app_port"]
        if isinstance(port, bool) or not isinstance(port, int):
            errors.append('"app_port" must be a number')
        elif not 1 <= port <= 65535:
            errors.append('"app_port" must be greater than or equal to 1 and less than 65536')
    for name in ("sdk_version", "python_version"):
        if name in metadata:
            value = metadata[name]
            if not isinstance(value, str):
                errors.append(f'"{name}" must be a string')
            elif not _VERSION.fullmatch(value):
                errors.append(f'"{name}" with value "{value}" fails to match the version pattern')
    for name in ("colorFrom", "colorTo"):
        if name in metadata and metadata[name] not in COLORS:
            errors.append(f'"{name}" must be one of [{", ".join(COLORS)}]')
    for name in ("title", "emoji", "short_description"):
        if name in metadata and not isinstance(metadata[name], str):
            errors.append(f'"{name}" must be a string')
    if "pinned" in metadata and not isinstance(metadata["pinned"], bool):
        errors.append('"pinned" must be a boolean')
    return errors
