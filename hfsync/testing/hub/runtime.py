"""Simulated Space runtime: each commit to a Space's `main` starts a build.

The stage is `BUILDING` for `build_seconds` (or for `build_polls` runtime reads, when set), then
the build's result. The result comes from a scripted one (`Control.set_next_build_result`), else
from the committed tree:

* no file besides `.gitattributes` -> `NO_APP_FILE` (no build phase);
* a root file `HFSYNC_TEST_BUILD_ERROR` -> `BUILD_ERROR`;
* a root file `HFSYNC_TEST_RUNTIME_ERROR` -> `RUNTIME_ERROR`;
* otherwise -> `RUNNING`.

A marker file's content, if any, becomes the runtime's `errorMessage`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from .control import BuildResult, Control
from .storage import hub_date

BUILD_ERROR_MARKER = "HFSYNC_TEST_BUILD_ERROR"
RUNTIME_ERROR_MARKER = "HFSYNC_TEST_RUNTIME_ERROR"
DEFAULT_HARDWARE = "cpu-basic"
_FREE_SLEEP = 48 * 3600
_RUNNING_STAGES = ("RUNNING", "RUNNING_BUILDING")


def build_result_for(paths: Collection[str], read_text: Callable[[str], str]) -> BuildResult:
    """What building a tree holding `paths` ends in (see the module docstring)."""
    if not set(paths) - {".gitattributes"}:
        return BuildResult("NO_APP_FILE")
    for marker, stage in (
        (BUILD_ERROR_MARKER, "BUILD_ERROR"),
        (RUNTIME_ERROR_MARKER, "RUNTIME_ERROR"),
    ):
        if marker in paths:
            message = read_text(marker).strip() or f"{stage} requested by the {marker} file"
            return BuildResult(stage, message)
    return BuildResult("RUNNING")


@dataclass
class _Build:
    sha: str
    result: BuildResult
    started: float
    polls_left: int
    started_at: float = field(default_factory=time.time)  # wall clock, for log timestamps
    paused: bool = False


class SpaceRuntimes:
    """The current build of every Space (in memory)."""

    def __init__(
        self,
        control: Control,
        build_seconds: float = 0.3,
        build_polls: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.control = control
        self.build_seconds = build_seconds
        self.build_polls = build_polls
        self._clock = clock
        self._builds: dict[str, _Build] = {}
        self._lock = threading.Lock()

    def start_build(self, repo_id: str, sha: str, result: BuildResult) -> None:
        """A new build of commit `sha`; a scripted result, if set, replaces `result`."""
        result = self.control.pop_next_build_result(repo_id) or result
        polls = 0 if result.stage == "NO_APP_FILE" else (self.build_polls or 0)
        with self._lock:
            self._builds[repo_id] = _Build(sha, result, self._clock(), polls)

    def settle(self, repo_id: str, sha: str, result: BuildResult) -> None:
        """Set the state directly, with no build phase (new Space, or state lost on restart)."""
        with self._lock:
            self._builds[repo_id] = _Build(sha, result, self._clock() - self.build_seconds, 0)

    def known(self, repo_id: str) -> bool:
        with self._lock:
            return repo_id in self._builds

    def current(self, repo_id: str) -> tuple[str, str] | None:
        """(stage, commit) the Space is at, without counting a poll; None when unknown."""
        with self._lock:
            build = self._builds.get(repo_id)
            return (self._peek_stage(build), build.sha) if build else None

    def hot_reloaded(self, repo_id: str, sha: str) -> None:
        """The running Space now runs `sha`, patched in place: no build, no restart."""
        with self._lock:
            self._builds[repo_id].sha = sha

    def pause(self, repo_id: str) -> None:
        """Stop the Space until its next restart (or commit)."""
        with self._lock:
            self._builds[repo_id].paused = True

    def runtime(
        self, repo_id: str, subdomain: str, hardware: str | None, sleep_time: int | None = None
    ) -> dict[str, Any]:
        """The runtime JSON of hub-api §9.1; each call counts as one poll of the build."""
        with self._lock:
            build = self._builds[repo_id]
            stage = self._current_stage(build)
        hardware = hardware or DEFAULT_HARDWARE
        return {
            "stage": stage,
            "hardware": {
                "current": hardware if stage in _RUNNING_STAGES else None,
                "requested": hardware,
            },
            "storage": None,
            # cpu-basic Spaces sleep after 48 hours, whatever was asked.
            "gcTimeout": _FREE_SLEEP if hardware == DEFAULT_HARDWARE else sleep_time,
            "replicas": {"current": 1, "requested": 1},
            "devMode": False,
            "domains": [{"domain": f"{subdomain}.hf.space", "stage": "READY"}],
            "sha": build.sha,
            "errorMessage": build.result.error_message if stage == build.result.stage else None,
        }

    def logs(self, repo_id: str, *, build: bool) -> list[tuple[str, str]]:
        """The (timestamp, line) of the current build's log, or of its run's log."""
        with self._lock:
            current = self._builds[repo_id]
            stage = self._peek_stage(current)
        result, started = current.result, hub_date(current.started_at)
        if result.stage == "NO_APP_FILE":
            return []
        message = (result.error_message or "").splitlines()
        if build:
            lines = [f"===== Build Queued at {started} / Commit SHA: {current.sha[:7]} ====="]
            lines.append("--> Building the Space's image")
            if stage == "BUILDING":
                return [(started, line) for line in lines]
            if result.stage == "BUILD_ERROR":
                lines += [f"ERROR: {line}" for line in message] + ["--> Build failed"]
            else:
                lines += ["--> Pushing image", "DONE"]
            return [(started, line) for line in lines]
        if stage not in ("RUNNING", "RUNTIME_ERROR", "PAUSED") or result.stage == "BUILD_ERROR":
            return []
        lines = [f"===== Application Startup at {started} ====="]
        if result.stage == "RUNTIME_ERROR":
            lines += ["Traceback (most recent call last):", *message]
        else:
            lines.append("Running on local URL:  http://0.0.0.0:7860")
        return [(started, line) for line in lines]

    def forget(self, repo_id: str) -> None:
        with self._lock:
            self._builds.pop(repo_id, None)

    def reset(self) -> None:
        with self._lock:
            self._builds.clear()

    def _peek_stage(self, build: _Build) -> str:
        """The stage without counting a poll."""
        if build.paused:
            return "PAUSED"
        if self.build_polls is not None:
            return "BUILDING" if build.polls_left > 0 else build.result.stage
        return self._current_stage(build)

    def _current_stage(self, build: _Build) -> str:
        if build.paused:
            return "PAUSED"
        if build.result.stage == "NO_APP_FILE":
            return "NO_APP_FILE"
        if self.build_polls is not None:
            if build.polls_left > 0:
                build.polls_left -= 1
                return "BUILDING"
            return build.result.stage
        if self._clock() - build.started < self.build_seconds:
            return "BUILDING"
        return build.result.stage
