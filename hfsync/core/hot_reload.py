"""Hot reload in `watch`: whether a commit to a Gradio Space can patch the running app instead
of a rebuild (`decide`, pure), and what the Space reported back (values).

huggingface_hub 2.4's `create_commit(..., _hot_reload=True)` asks the Hub to hand the new Python
code to each replica of a running Gradio 6.1+ app, which updates its functions and UI in place
(`hf spaces hot-reload`). Only Python code can be patched so: packages, the Space's
configuration and deleted code need the build a normal commit starts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_GRADIO = (6, 1, 0)
README = "README.md"
DEFAULT_APP_FILE = "app.py"
# Files a Space's build reads: a change to one needs the build.
BUILD_FILES = {
    README: "README.md holds the Space's configuration",
    "requirements.txt": "requirements.txt lists the Space's packages",
    "pre-requirements.txt": "pre-requirements.txt lists the Space's packages",
    "packages.txt": "packages.txt lists the Space's system packages",
    "Dockerfile": "the Dockerfile builds the Space",
}
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)")
_PRE_RELEASE = re.compile(r"[.-]?(a|b|c|rc|alpha|beta|pre|preview|dev)\d*", re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    """Whether a commit goes out with hot reload; when not, why (one line). `quiet`: hot reload
    is not in play for this Space at all (not Gradio 6.1+), worth saying only when asked."""

    hot: bool
    reason: str | None = None
    quiet: bool = False


def space_reason(front_matter: Mapping[str, Any] | None) -> str | None:
    """Why a Space with this README.md front matter cannot hot-reload; None when it can."""
    if front_matter is None:
        return "README.md has no front matter naming the Space's SDK"
    sdk = front_matter.get("sdk")
    if sdk != "gradio":
        return f"the Space's SDK is {str(sdk)[:40]!r}; hot reload needs gradio"
    version = front_matter.get("sdk_version")
    if version is None:
        return "sdk_version is not set; hot reload needs Gradio 6.1 or later"
    if not gradio_allows(str(version)):
        return f"sdk_version {str(version)[:40]!r} is older than Gradio 6.1"
    return None


def gradio_allows(version: str) -> bool:
    """Whether a Gradio version is 6.1.0 or later (a pre-release of 6.1.0 is not), as
    huggingface_hub's `hf spaces hot-reload` checks it."""
    match = _VERSION.fullmatch(version.strip())
    if match is None:
        return False
    release = tuple(int(part or 0) for part in match.group(1, 2, 3))
    if release != MIN_GRADIO:
        return release > MIN_GRADIO
    return _PRE_RELEASE.match(match.group(4)) is None


def decide(
    front_matter: Mapping[str, Any] | None, uploads: Sequence[str], deletes: Sequence[str]
) -> Decision:
    """Whether a commit of `uploads` and `deletes` (Space paths) can be hot-reloaded by a Space
    whose README.md has `front_matter` (after the commit)."""
    reason = space_reason(front_matter)
    if reason is not None:
        return Decision(False, reason, quiet=True)
    assert front_matter is not None  # noqa: S101 (space_reason said so)
    app_file = str(front_matter.get("app_file") or DEFAULT_APP_FILE).removeprefix("./")
    reasons = [BUILD_FILES[path] for path in uploads if path in BUILD_FILES]
    reasons += [BUILD_FILES[path] + " (deleted)" for path in deletes if path in BUILD_FILES]
    reasons += [f"the app file {path} is deleted" for path in deletes if path == app_file]
    reasons += [
        f"{path} is deleted (a hot reload cannot remove code)"
        for path in deletes
        if path != app_file and path not in BUILD_FILES
    ]
    reasons += [
        f"{path} is not Python code"
        for path in uploads
        if not path.endswith(".py") and path not in BUILD_FILES
    ]
    if reasons:
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        return Decision(False, reasons[0] + more)
    if not uploads:
        return Decision(False, "nothing to reload")
    return Decision(True)


@dataclass(frozen=True)
class ReloadEvent:
    """One thing a replica did. `kind`: `file` (the file was written; `created`), `add` /
    `update` / `delete` (a function or class `name` of `object_type`), `run` (a statement at
    `line` run again), `ui` (`updated` or not), `exception` (at `path`, `line`: `message`),
    `error` (the reload itself failed: `message`)."""

    kind: str
    path: str | None = None
    name: str | None = None
    object_type: str | None = None
    line: int | None = None
    created: bool | None = None
    updated: bool | None = None
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.kind in ("exception", "error")

    def to_dict(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if value is not None}


@dataclass(frozen=True)
class Replica:
    """One replica of the Space: its status for the reload, and its events (or why they could
    not be read)."""

    id: str
    status: str | None
    events: tuple[ReloadEvent, ...] = ()
    problem: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != "created" or any(event.failed for event in self.events)


@dataclass(frozen=True)
class HotReloadReport:
    """What the Space said about a hot-reload commit: `status` (`created`; `canceled`: not
    hot-reloaded; None: not said) and each replica; `problem` when it could not be read."""

    status: str | None
    replicas: tuple[Replica, ...] = ()
    problem: str | None = None

    @property
    def failed(self) -> bool:
        return self.status != "created" or any(replica.failed for replica in self.replicas)


@dataclass(frozen=True)
class HotReload:
    """Hot reload for one commit of `watch`: the decision, then what the Space reported."""

    decision: Decision
    report: HotReloadReport | None = None
    files: tuple[str, ...] = field(default=())  # the Python files sent for hot reload

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"hot": self.decision.hot, "reason": self.decision.reason}
        if self.report is not None:
            data.update(
                status=self.report.status,
                problem=self.report.problem,
                replicas=[
                    {
                        "replica": replica.id,
                        "status": replica.status,
                        "problem": replica.problem,
                        "events": [event.to_dict() for event in replica.events],
                    }
                    for replica in self.report.replicas
                ],
            )
        return data
