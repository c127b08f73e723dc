"""The tail of a Space's build or run log, read with limits: the log is untrusted, and its stream
may never end.

`GET {endpoint}/api/spaces/{repo_id}/logs/{build|run}` is Server-Sent Events, one
`data: {"data": "<text>", "timestamp": "<date>"}` event per log line, empty `data:` keep-alives,
and on the Hub the connection stays open to follow a live build (huggingface_hub's
`fetch_space_logs` reads it the same way; its no-follow mode stops on a quiet read, which
keep-alives never give). Here the read stops at whichever comes first: the end of the stream,
`quiet` seconds without a log line, `seconds` in all, or `max_bytes`; the last `lines` lines are
kept, each cleaned of terminal control sequences and cut to `width` characters.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from hfsync.core.errors import RemoteError

# CSI / OSC escape sequences (colours, cursor moves, titles), then any other control character.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MAX_EVENT = 64 << 10  # a longer SSE line is skipped, never buffered further


@dataclass(frozen=True)
class LogLimits:
    lines: int = 20
    width: int = 300
    max_bytes: int = 4 << 20
    seconds: float = 10.0
    quiet: float = 2.0


def log_url(endpoint: str, repo_id: str, build: bool) -> str:
    kind = "build" if build else "run"
    return f"{endpoint.rstrip('/')}/api/spaces/{quote(repo_id, safe='/')}/logs/{kind}"


def read_log_tail(
    url: str, headers: Mapping[str, str], limits: LogLimits = LogLimits()
) -> list[str]:
    """The last `limits.lines` lines of the log at `url`; RemoteError when it cannot be read."""
    import httpx2
    from huggingface_hub.utils import get_session

    timeout = httpx2.Timeout(5.0, read=limits.quiet)
    try:
        with get_session().stream("GET", url, headers=dict(headers), timeout=timeout) as response:
            if response.status_code != 200:
                raise RemoteError(f"the Hub answered {response.status_code}")
            return tail_of(_bounded(response.iter_bytes(), limits), limits)
    except httpx2.HTTPError as exc:
        raise RemoteError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from exc


def _bounded(chunks: Iterable[bytes], limits: LogLimits) -> Iterator[bytes]:
    """`chunks` until `max_bytes` or `seconds` are spent; a read that finds nothing for `quiet`
    seconds (the client's read timeout) ends the log as drained."""
    import httpx2

    deadline = time.monotonic() + limits.seconds
    spent = 0
    try:
        for chunk in chunks:
            spent += len(chunk)
            yield chunk
            if spent >= limits.max_bytes or time.monotonic() >= deadline:
                return
    except httpx2.ReadTimeout:
        return


def tail_of(chunks: Iterable[bytes], limits: LogLimits = LogLimits()) -> list[str]:
    """The last log lines in an SSE byte stream; stops once `quiet` seconds pass with keep-alives
    only (after the first log line: the log so far has been sent)."""
    kept: deque[str] = deque(maxlen=limits.lines)
    pending = b""
    skipping = False  # inside an over-long SSE line
    last_line = None
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            if skipping:
                skipping = False
                continue
            for text in _log_lines(raw):
                line = clean_line(text, limits.width)
                if line:
                    kept.append(line)
                last_line = time.monotonic()
        if len(pending) > _MAX_EVENT:
            pending, skipping = b"", True
        if last_line is not None and time.monotonic() - last_line >= limits.quiet:
            break
    return list(kept)


def _log_lines(raw: bytes) -> list[str]:
    """The log text of one SSE line (`data: {...}`), as lines; nothing for anything else."""
    if not raw.startswith(b"data:"):
        return []
    try:
        event = json.loads(raw[5:].strip() or b"null")
    except ValueError:
        return []
    text = event.get("data") if isinstance(event, dict) else None
    if not isinstance(text, str):
        return []
    return text.rstrip("\n").split("\n")


def clean_line(text: str, width: int) -> str:
    """One printable line: what a terminal would show last after `\\r`, without escapes."""
    text = _ESCAPES.sub("", text.rstrip("\r").rsplit("\r", 1)[-1])
    text = _CONTROLS.sub("", text).expandtabs(4).rstrip()
    return text if len(text) <= width else text[: width - 3] + "..."
