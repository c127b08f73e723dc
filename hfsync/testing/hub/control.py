"""What tests steer and observe: injected faults, the request log, the commit rate limit and the
result of the next Space build. Thread-safe; used in-process and through `/_testhub/...`.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import re2

from .errors import HubError

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a bad pattern is a ValueError, not a line on stderr
_METHOD = re.compile(r"\*|[A-Za-z]{1,16}")
_MAX_TEXT = 1000
_MAX_TIMES = 1_000_000
_MAX_WAIT = 86_400
_MAX_LATENCY = 600.0

BUILD_RESULTS = ("RUNNING", "BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE")
_HOUR = 3600.0


@dataclass
class Fault:
    """Misbehave on the next `times` requests whose method and path match.

    `method` is an HTTP method or "*"; `path` a regex searched in the raw request path (no query),
    matched by RE2 in linear time (no backreferences or lookarounds).
    In order: wait `latency` seconds, then drop the connection without an answer (`drop`), or
    answer `status` (plus `Retry-After: <retry_after>` and/or
    `RateLimit: "api";r=0;t=<rate_limit_reset>`), or, with neither, serve the request normally;
    `drop_after` serves it and then drops the connection, so the client never hears that it
    succeeded (a commit that landed while the network failed).
    """

    path: str
    method: str = "*"
    status: int | None = None
    times: int = 1
    latency: float = 0.0
    drop: bool = False
    drop_after: bool = False
    retry_after: int | None = None
    rate_limit_reset: int | None = None
    message: str | None = None
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        """Check every field (faults also arrive as JSON over the control endpoint)."""
        if not isinstance(self.path, str) or len(self.path) > _MAX_TEXT:
            raise ValueError(f"`path` must be a regex of at most {_MAX_TEXT} characters")
        try:
            self._pattern = re2.compile(self.path, _RE2_OPTIONS)
        except re2.error as error:
            reason = error.args[0] if error.args else error
            if isinstance(reason, bytes):  # RE2 reports its reason as bytes
                reason = reason.decode(errors="replace")
            raise ValueError(f"`path` is not a valid RE2 regex: {reason}") from None
        if not isinstance(self.method, str) or not _METHOD.fullmatch(self.method):
            raise ValueError("`method` must be an HTTP method or '*'")
        _check_int("status", self.status, 400, 599, optional=True)
        _check_int("times", self.times, 1, _MAX_TIMES)
        _check_int("retry_after", self.retry_after, 0, _MAX_WAIT, optional=True)
        _check_int("rate_limit_reset", self.rate_limit_reset, 0, _MAX_WAIT, optional=True)
        if isinstance(self.latency, bool) or not isinstance(self.latency, (int, float)):
            raise ValueError("`latency` must be a number of seconds")
        if not 0 <= self.latency <= _MAX_LATENCY:  # also refuses NaN
            raise ValueError(f"`latency` must be between 0 and {_MAX_LATENCY} seconds")
        for name in ("drop", "drop_after"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"`{name}` must be true or false")
        if self.message is not None and not (
            isinstance(self.message, str) and len(self.message) <= _MAX_TEXT
        ):
            raise ValueError(f"`message` must be a string of at most {_MAX_TEXT} characters")
        if self.status is None and not (self.drop or self.drop_after or self.latency):
            raise ValueError("A fault needs a status, drop=True, drop_after=True or a latency")

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method == "*" or self.method.upper() == method.upper()
        return method_ok and self._pattern.search(path) is not None

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        if self.rate_limit_reset is not None:
            headers["RateLimit"] = f'"api";r=0;t={self.rate_limit_reset}'
            headers["RateLimit-Policy"] = '"fixed window";"api";q=500;w=300'
        return headers

    def error(self) -> HubError:
        assert self.status is not None
        message = self.message or f"Injected fault: HTTP {self.status}"
        return HubError(self.status, message, headers=self.headers())


def _check_int(name: str, value: object, low: int, high: int, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"`{name}` must be an integer from {low} to {high}")


@dataclass(frozen=True)
class RequestRecord:
    """One request the hub answered (or dropped: `status` None). Never holds a token."""

    method: str
    path: str
    query: str
    status: int | None
    user: str | None
    fault: bool
    headers: dict[str, str]
    time: float

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "user": self.user,
            "fault": self.fault,
            "headers": self.headers,
            "time": self.time,
        }


@dataclass(frozen=True)
class BuildResult:
    stage: str
    error_message: str | None = None


class Control:
    """Faults, request log, commit rate limit and scripted Space builds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._log: list[RequestRecord] = []
        self._commits_per_hour: int | None = None
        self._commit_window = _HOUR
        self._commit_times: dict[str, deque[float]] = {}
        self._next_builds: dict[str, BuildResult] = {}

    # Faults ---------------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        """Arm `fault`; faults are tried in the order they were added."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def inject(self, path: str, **options: Any) -> Fault:
        """Shortcut: `control.inject("/preupload/", status=503, times=2)`."""
        return self.add_fault(Fault(path=path, **options))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching the request, counted as used (internal)."""
        with self._lock:
            for fault in self._faults:
                if fault.hits < fault.times and fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    # Request log ----------------------------------------------------------------------------
    def record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        """Logged requests, oldest first; filter by method and by a regex searched in the path."""
        with self._lock:
            records = list(self._log)
        return [
            record
            for record in records
            if (method is None or record.method == method.upper())
            and (path is None or re.search(path, record.path))
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.requests(method, path))

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # Commit rate limit ----------------------------------------------------------------------
    def set_commit_rate_limit(self, commits_per_hour: int | None, window: float = _HOUR) -> None:
        """Answer 429 once a repo got this many commits in the last `window` seconds (default an
        hour, as on the Hub; None: no limit). The 429 says in `Retry-After` when the oldest of
        those commits leaves the window."""
        with self._lock:
            self._commits_per_hour = commits_per_hour
            self._commit_window = window
            self._commit_times.clear()

    def check_commit_rate(self, repo_id: str) -> None:
        """Raise the Hub's 429 if `repo_id` is over the limit (internal)."""
        with self._lock:
            limit = self._commits_per_hour
            if limit is None:
                return
            now = time.monotonic()
            times = self._commit_times.setdefault(repo_id, deque())
            while times and times[0] <= now - self._commit_window:
                times.popleft()
            if len(times) >= limit:
                wait = math.ceil(times[0] + self._commit_window - now) if times else 1
                raise HubError(
                    429,
                    f"You have exceeded the rate limit for repository commits ({limit} per hour)",
                    headers={"Retry-After": str(max(1, wait))},
                )

    def record_commit(self, repo_id: str) -> None:
        with self._lock:
            if self._commits_per_hour is not None:
                self._commit_times.setdefault(repo_id, deque()).append(time.monotonic())

    # Space builds ---------------------------------------------------------------------------
    def set_next_build_result(
        self, repo_id: str, stage: str, error_message: str | None = None
    ) -> None:
        """The next build of Space `repo_id` ends in `stage` whatever its files say."""
        if stage not in BUILD_RESULTS:
            raise ValueError(f"Build result must be one of {', '.join(BUILD_RESULTS)}")
        with self._lock:
            self._next_builds[repo_id] = BuildResult(stage, error_message)

    def pop_next_build_result(self, repo_id: str) -> BuildResult | None:
        with self._lock:
            return self._next_builds.pop(repo_id, None)

    def reset(self) -> None:
        """Forget faults, the log, the rate limit and scripted builds."""
        with self._lock:
            self._faults.clear()
            self._log.clear()
            self._commits_per_hour = None
            self._commit_window = _HOUR
            self._commit_times.clear()
            self._next_builds.clear()
