"""After a hot-reload commit to a Space: what the Hub and each replica say happened.

Read as huggingface_hub 2.4's `hf spaces hot-reload` reads it (its `_hot_reload` package): the
Space's info (`sha`, `host`, `subdomain`, `runtime.hotReloading`: a status and each replica's),
then each replica's reload server, `POST <host with "<subdomain>--7887">/--replicas/+<hash>/
get-reload` with `{"reloadId": <commit>}`, which answers Server-Sent Events, one
`data: {"data": {"kind": ...}}` each (204 while the replica does not know the reload yet).

Everything read is untrusted: bounded in time and bytes, checked for type, cleaned for printing;
the token goes only to the Hub's own host or an `https://*.hf.space` host. `read_report` never
raises: what could not be read is the report's `problem`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from hfsync.core.hot_reload import HotReloadReport, ReloadEvent, Replica
from hfsync.remotes.space_logs import clean_line

RELOAD_PORT = 7887
KINDS = frozenset({"file", "add", "update", "delete", "run", "ui", "exception", "error"})
_REPLICA_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_SUBDOMAIN = re.compile(r"[a-z0-9-]{1,128}")
_FRAME = re.compile(r'File "([^"\n]{1,500})", line (\d{1,9})')
_MAX_REPLICAS = 64
_WIDTH = 300


@dataclass(frozen=True)
class ReadLimits:
    seconds: float = 15.0  # for the whole report
    poll: float = 0.25  # between reads while the Space or a replica is not there yet
    info_bytes: int = 16 << 20
    stream_bytes: int = 1 << 20  # per replica
    events: int = 500  # per replica
    event_bytes: int = 64 << 10


@dataclass(frozen=True)
class _SpaceInfo:
    sha: str | None
    host: str | None
    subdomain: str | None
    hot_reloading: Mapping[str, Any] | None


def read_report(
    endpoint: str,
    repo_id: str,
    token: str | None,
    commit: str,
    files: Iterable[str],
    limits: ReadLimits = ReadLimits(),
) -> HotReloadReport:
    """What the Hub and each replica report for hot-reload commit `commit`, which sent the
    Python `files` (their events are told apart in path order)."""
    from huggingface_hub.utils import build_hf_headers

    deadline = time.monotonic() + limits.seconds
    headers = build_hf_headers(token=token)
    paths = list(files)
    info, problem = None, "the Space's info was not read"
    while True:
        info, problem = _space_info(endpoint, repo_id, headers, limits)
        if info is not None and info.sha == commit:
            break
        if info is not None:
            problem = f"the Space still runs {str(info.sha)[:12]}, not the new commit"
        if time.monotonic() + limits.poll >= deadline:
            return HotReloadReport(None, problem=problem)
        time.sleep(limits.poll)
    hot = info.hot_reloading
    if hot is None:
        return HotReloadReport(None, problem="the Hub did not hot-reload it; the Space rebuilds")
    said = hot.get("status")
    status = clean_line(said, 40) if isinstance(said, str) else None
    statuses = _replica_statuses(hot.get("replicaStatuses"))
    if status != "created":
        return HotReloadReport(status, tuple(Replica(r, s) for r, s in statuses))
    base, refusal = _reload_server(endpoint, info)
    replicas = []
    for replica, replica_status in statuses:
        if replica_status != "created" or base is None:
            replicas.append(Replica(replica, replica_status, problem=refusal))
            continue
        url = f"{base}/--replicas/+{quote(replica, safe='')}/get-reload"
        replicas.append(_replica(url, replica, commit, headers, paths, deadline, limits))
    return HotReloadReport(status, tuple(replicas))


def _space_info(
    endpoint: str, repo_id: str, headers: Mapping[str, str], limits: ReadLimits
) -> tuple[_SpaceInfo | None, str]:
    """The Space's info as `space_info()` asks it (no `expand`: `host` is only sent whole)."""
    import httpx2
    from huggingface_hub.utils import get_session

    url = f"{endpoint.rstrip('/')}/api/spaces/{quote(repo_id, safe='/')}"
    try:
        with get_session().stream("GET", url, headers=dict(headers), timeout=10.0) as response:
            if response.status_code != 200:
                return None, f"the Hub answered {response.status_code} for the Space's info"
            body = _capped(response.iter_bytes(), limits.info_bytes)
    except httpx2.HTTPError as exc:
        return None, f"the Space's info could not be read ({type(exc).__name__})"
    if body is None:
        return None, f"the Space's info is over {limits.info_bytes >> 20} MB"
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return None, "the Space's info is not a JSON object"
    runtime = data.get("runtime")
    hot = runtime.get("hotReloading") if isinstance(runtime, dict) else None
    return (
        _SpaceInfo(
            _text(data.get("sha")),
            _text(data.get("host")),
            _text(data.get("subdomain")),
            hot if isinstance(hot, dict) else None,
        ),
        "",
    )


def _replica_statuses(value: object) -> list[tuple[str, str | None]]:
    """`[[hash, status], ...]`, keeping well-formed entries only."""
    found: list[tuple[str, str | None]] = []
    for item in value[:_MAX_REPLICAS] if isinstance(value, list) else []:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            continue
        if _REPLICA_ID.fullmatch(item[0]):
            status = item[1] if isinstance(item[1], str) else None
            found.append((item[0], clean_line(status, 40) if status else None))
    return found


def _reload_server(endpoint: str, info: _SpaceInfo) -> tuple[str | None, str | None]:
    """The replicas' reload server (the host with `--7887` after the subdomain), or why the
    token is not sent there."""
    host, subdomain = info.host or "", info.subdomain or ""
    if not (_SUBDOMAIN.fullmatch(subdomain) and subdomain in host):
        return None, "the Space's info names no usable host"
    where = urlsplit(host)
    hub = urlsplit(endpoint)
    on_hub = where.hostname == hub.hostname and where.scheme == hub.scheme
    on_spaces = where.scheme == "https" and (where.hostname or "").endswith(".hf.space")
    if not (on_hub or on_spaces):
        return None, f"the Space's host {clean_line(host, 100)} is not the Hub's; no token sent"
    return host.rstrip("/").replace(subdomain, f"{subdomain}--{RELOAD_PORT}", 1), None


def _replica(
    url: str,
    replica: str,
    commit: str,
    headers: Mapping[str, str],
    files: list[str],
    deadline: float,
    limits: ReadLimits,
) -> Replica:
    """One replica's events for the reload; 204 (not known there yet) is asked again."""
    import httpx2
    from huggingface_hub.utils import get_session

    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return Replica(replica, "created", problem="its events did not come in time")
        timeout = httpx2.Timeout(min(5.0, left), read=left)
        try:
            with get_session().stream(
                "POST", url, json={"reloadId": commit}, headers=dict(headers), timeout=timeout
            ) as response:
                if response.status_code == 200:
                    chunks = _bounded(response.iter_bytes(), deadline, limits)
                    return Replica(replica, "created", events_of(chunks, files, limits))
                status = response.status_code
        except httpx2.HTTPError as exc:
            return Replica(replica, "created", problem=f"{type(exc).__name__} reading its events")
        if status != 204:
            return Replica(replica, "created", problem=f"its reload server answered {status}")
        time.sleep(min(limits.poll, max(0.0, deadline - time.monotonic())))


def _capped(chunks: Iterable[bytes], limit: int) -> bytes | None:
    """The whole body, or None when it is longer than `limit`."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _bounded(chunks: Iterable[bytes], deadline: float, limits: ReadLimits) -> Iterator[bytes]:
    import httpx2

    spent = 0
    try:
        for chunk in chunks:
            spent += len(chunk)
            yield chunk
            if spent >= limits.stream_bytes or time.monotonic() >= deadline:
                return
    except httpx2.ReadTimeout:
        return


def events_of(
    chunks: Iterable[bytes], files: list[str], limits: ReadLimits = ReadLimits()
) -> tuple[ReloadEvent, ...]:
    """A replica's reload events, read from its SSE byte stream (untrusted: bounded, checked),
    each named after its file: a `file` event starts the next one of `files` (in path order);
    with one file, every event is about it."""
    return tuple(_attributed(_events(chunks, limits), sorted(files)))


def _events(chunks: Iterable[bytes], limits: ReadLimits) -> Iterator[dict[str, Any]]:
    """The `data` objects of an SSE stream's `message` events, at most `limits.events`."""
    pending, name, count = b"", "message", 0
    data: list[str] = []
    skipping = False  # inside an over-long line, which is dropped
    for chunk in chunks:
        pending += chunk
        *lines, pending = pending.split(b"\n")
        if len(pending) > limits.event_bytes:
            pending, skipping = b"", True
        for raw in lines:
            if skipping:
                skipping = False
                continue
            line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
            if line:
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "data" and sum(map(len, data)) < limits.event_bytes:
                    data.append(value)
                elif field == "event":
                    name = value
                continue
            if data and name == "message":
                parsed = _json("\n".join(data))
                if isinstance(parsed, dict) and isinstance(parsed.get("data"), dict):
                    yield parsed["data"]
                    count += 1
                    if count >= limits.events:
                        return
            data, name = [], "message"


def _attributed(events: Iterable[dict[str, Any]], files: list[str]) -> Iterator[ReloadEvent]:
    current = files[0] if len(files) == 1 else None
    seen_files = 0
    for data in events:
        kind = data.get("kind")
        if kind not in KINDS:
            continue
        if kind == "file":
            seen_files += 1
            if len(files) > 1:
                current = files[seen_files - 1] if seen_files <= len(files) else None
        yield _reload_event(kind, data, current)


def _reload_event(kind: str, data: Mapping[str, Any], path: str | None) -> ReloadEvent:
    line = _first_line(data.get("region"))
    if kind == "file":
        return ReloadEvent(kind, path, created=data.get("created") is True)
    if kind in ("add", "update", "delete"):
        name = _text(data.get("objectName"))
        kind_of = _text(data.get("objectType"))
        return ReloadEvent(
            kind,
            path,
            name=clean_line(name, 100) if name else "?",
            object_type=clean_line(kind_of, 40) if kind_of else None,
            line=line,
        )
    if kind == "run":
        return ReloadEvent(kind, path, line=line)
    if kind == "ui":
        return ReloadEvent(kind, path, updated=data.get("updated") is True)
    text = _text(data.get("traceback")) or ""
    frames = _FRAME.findall(text[-20_000:])
    if kind == "exception" and frames:
        path, line = clean_line(frames[-1][0], 200), int(frames[-1][1])
    last = next((s for s in reversed(text.splitlines()) if s.strip()), "")
    return ReloadEvent(kind, path, line=line, message=clean_line(last, _WIDTH) or kind)


def _first_line(region: object) -> int | None:
    """The region's first line, read as huggingface_hub's CLI reads it (`startLine - 1`)."""
    start = region.get("startLine") if isinstance(region, dict) else None
    if isinstance(start, bool) or not isinstance(start, int) or not 1 < start < 10**8:
        return None
    return start - 1


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
