"""Injected faults, the commit rate limit and the request log, as the real client meets them.

The client's own backoff sleeps 1, 2, 4... seconds (or Retry-After + 1): each test injects at most
one or two failures to stay fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import _http, get_session

from hfsync.testing.hub import TestHub

# The client as installed, read when this module is collected, before any test has run.
_BACKOFFS = (_http.http_backoff, _http.http_stream_backoff)
_SHIPPED_DEFAULTS = [dict(backoff.__kwdefaults__ or {}) for backoff in _BACKOFFS]


@pytest.fixture(autouse=True)
def client_as_shipped() -> Iterator[None]:
    """These tests are about the client's own retries. An in-process hfsync run earlier in the
    same worker turned them off for the whole process (`retry.configure_client`): put them
    back, and hfsync's session factory with them, for each test (and leave them as found)."""
    found = [dict(backoff.__kwdefaults__ or {}) for backoff in _BACKOFFS]
    for backoff, defaults in zip(_BACKOFFS, _SHIPPED_DEFAULTS, strict=True):
        backoff.__kwdefaults__ = dict(defaults)
    factory = _http._GLOBAL_CLIENT_FACTORY
    _http.set_client_factory(_http.default_client_factory)
    yield
    for backoff, defaults in zip(_BACKOFFS, found, strict=True):
        backoff.__kwdefaults__ = defaults
    _http.set_client_factory(factory)


@pytest.fixture
def repo(api: HfApi, hub: TestHub) -> str:
    api.create_repo("thing")
    hub.control.clear_log()
    return "user/thing"


def upload(api: HfApi, repo: str, path: str = "a.txt", content: bytes = b"a") -> str:
    return api.upload_file(path_or_fileobj=content, path_in_repo=path, repo_id=repo).oid


def test_client_retries_a_503_on_preupload(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.inject("/preupload/", status=503)

    upload(api, repo)

    statuses = [r.status for r in hub.control.requests("POST", "/preupload/")]
    assert statuses == [503, 200]
    assert api.list_repo_files(repo) == [".gitattributes", "a.txt"]


def test_429_with_retry_after_is_honoured(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.inject("/preupload/", status=429, retry_after=1)

    upload(api, repo)

    first, second = hub.control.requests("POST", "/preupload/")
    assert (first.status, second.status) == (429, 200)
    # The client slept Retry-After + 1 s, more than its first plain backoff step (1 s).
    assert second.time - first.time >= 1.9


def test_rate_limited_commit_reports_the_hub_rate_limit(
    api: HfApi, hub: TestHub, repo: str
) -> None:
    hub.control.inject("/commit/main$", method="POST", status=429, rate_limit_reset=42)

    with pytest.raises(HfHubHTTPError) as raised:
        upload(api, repo)

    assert raised.value.response.status_code == 429
    assert "Retry after 42 seconds" in str(raised.value)


def test_latency(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.inject("/api/models/user/thing$", method="GET", latency=0.3, times=2)

    started = time.monotonic()
    api.model_info(repo)
    api.model_info(repo)
    api.model_info(repo)

    assert time.monotonic() - started >= 0.6
    assert [r.fault for r in hub.control.requests("GET")] == [True, True, False]


def test_dropped_connection_on_a_retried_call_recovers(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.inject("/preupload/", drop=True)

    upload(api, repo)

    assert [r.status for r in hub.control.requests("POST", "/preupload/")] == [None, 200]


@pytest.mark.legacy_lfs
def test_dropped_lfs_upload_is_retried(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.inject("^/_lfs/[^/]+$", method="PUT", drop=True)

    upload(api, repo, "w.bin", b"\x00" * 1000)

    assert [r.status for r in hub.control.requests("PUT", "^/_lfs/")] == [None, 200]
    assert api.get_paths_info(repo, ["w.bin"])[0].lfs is not None


def test_unretried_call_surfaces_a_500(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.inject("/refs$", status=500, message="boom")

    with pytest.raises(HfHubHTTPError) as raised:
        api.list_repo_refs(repo)

    assert raised.value.response.status_code == 500
    assert raised.value.server_message == "boom"


def test_commit_rate_limit(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.set_commit_rate_limit(2)
    upload(api, repo, "1.txt")
    upload(api, repo, "2.txt")

    with pytest.raises(HfHubHTTPError) as raised:
        upload(api, repo, "3.txt")

    assert raised.value.response.status_code == 429
    assert (
        raised.value.server_message
        == "You have exceeded the rate limit for repository commits (2 per hour)"
    )
    assert "3.txt" not in api.list_repo_files(repo)
    assert 3500 <= int(raised.value.response.headers["Retry-After"]) <= 3600
    hub.control.set_commit_rate_limit(None)
    upload(api, repo, "3.txt")


def test_commit_rate_limit_window_says_when_to_retry(api: HfApi, hub: TestHub, repo: str) -> None:
    hub.control.set_commit_rate_limit(1, window=2.0)
    upload(api, repo, "1.txt")
    with pytest.raises(HfHubHTTPError) as raised:
        upload(api, repo, "2.txt")
    wait = int(raised.value.response.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait)
    upload(api, repo, "2.txt")  # the first commit left the window


def test_request_log_counts_a_flow(api: HfApi, hub: TestHub, repo: str) -> None:
    upload(api, repo)

    assert [(r.method, r.path, r.status) for r in hub.control.requests()] == [
        ("POST", "/api/models/user/thing/preupload/main", 200),
        ("POST", "/api/models/user/thing/commit/main", 200),
    ]
    assert hub.control.requests()[0].user == "user"
    hub.control.clear_log()
    assert hub.control.count() == 0


def test_control_endpoint_over_http(api: HfApi, hub: TestHub, repo: str) -> None:
    session = get_session()
    admin = f"{hub.url}/_testhub"

    session.post(
        f"{admin}/faults", json={"path": "/refs$", "status": 503, "times": 1}
    ).raise_for_status()
    with pytest.raises(HfHubHTTPError):
        api.list_repo_refs(repo)
    session.put(f"{admin}/commit-rate-limit", json={"commits_per_hour": 0}).raise_for_status()
    with pytest.raises(HfHubHTTPError, match="rate limit"):
        upload(api, repo)
    log = session.get(f"{admin}/requests").json()

    assert [(entry["path"], entry["status"]) for entry in log][-1] == (
        "/api/models/user/thing/commit/main",
        429,
    )
    session.post(f"{admin}/reset", json={"repos": True}).raise_for_status()
    assert session.get(f"{admin}/requests").json() == []
    assert not api.repo_exists(repo)
    bad = session.post(f"{admin}/faults", json={"path": "x", "colour": "red"})
    assert bad.status_code == 400


def test_drop_after_serves_the_commit_but_the_client_never_hears(
    api: HfApi, hub: TestHub, repo: str
) -> None:
    hub.control.inject("/commit/", method="POST", drop_after=True)

    with pytest.raises(httpx2.TransportError):  # no answer at all, not an HTTP error
        upload(api, repo, "landed.txt")

    assert [f.path for f in api.list_repo_tree(repo)] == [".gitattributes", "landed.txt"]
