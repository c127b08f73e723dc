"""The webhook's signature check and payload reading, and the HTTP endpoints' limits."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from hfsync.core.errors import ConfigError
from hfsync.daemons.endpoints import Endpoints, parse_address
from hfsync.daemons.monitor import Monitor
from hfsync.daemons.webhook import WebhookReceiver, pushed_ref, sign, signature_ok
from hfsync.ui.daemon_log import DaemonLog, SyncReporter

SECRET = b"s3cret"


def test_signature_is_the_hmac_of_the_exact_body() -> None:
    body = b'{"ref": "refs/heads/main"}'
    good = sign(SECRET, body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert signature_ok(SECRET, body, good)
    assert not signature_ok(SECRET, body + b"\n", good)
    assert not signature_ok(b"other", body, good)
    assert not signature_ok(SECRET, body, None)
    assert not signature_ok(SECRET, body, "")
    assert not signature_ok(SECRET, body, good.replace("sha256=", "sha1="))
    assert not signature_ok(SECRET, body, "sha256=\udcff")  # not ASCII: refused, no crash


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b'{"ref": "refs/heads/main"}', "application/json", "refs/heads/main"),
        (
            b"payload=" + quote('{"ref": "refs/heads/dev"}').encode(),
            "application/x-www-form-urlencoded",
            "refs/heads/dev",
        ),
        (b'{"ref": 7}', "application/json", None),
        (b"[1, 2]", "application/json", None),
        (b"not json", "application/json", None),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", None),
        (b"\xff\xfe", "application/x-www-form-urlencoded", None),
    ],
    ids=["json", "form", "ref not a string", "not an object", "garbage", "deep", "bad form"],
)
def test_pushed_ref(body: bytes, content_type: str, expected: str | None) -> None:
    assert pushed_ref(body, content_type) == expected


def test_parse_address() -> None:
    assert parse_address("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_address(":9000") == ("0.0.0.0", 9000)  # noqa: S104
    assert parse_address("[::1]:80") == ("::1", 80)
    for bad in ("8080", "host:", "host:http", "h:99999"):
        with pytest.raises(ConfigError, match="HOST:PORT"):
            parse_address(bad)


@pytest.fixture
def endpoints() -> Iterator[tuple[Endpoints, list[str]]]:
    pushes: list[str] = []
    monitor = Monitor(SyncReporter(DaemonLog()), None)
    receiver = WebhookReceiver(SECRET, "main", lambda: pushes.append("push"), lambda _m: None)
    server = Endpoints("127.0.0.1:0", monitor, receiver)
    server.start()
    try:
        yield server, pushes
    finally:
        server.close()


def request(
    server: Endpoints, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, bytes]:
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(method, path, body, headers)
    answer = connection.getresponse()
    return answer.status, answer.read()


def test_endpoints_answer_probes_and_refuse_what_they_cannot_take(
    endpoints: tuple[Endpoints, list[str]],
) -> None:
    server, pushes = endpoints
    assert request(server, "GET", "/healthz")[0] == 503  # the loop is not running
    assert json.loads(request(server, "GET", "/readyz")[1]) == {"status": "starting"}
    assert request(server, "GET", "/metrics")[0] == 404  # no metrics without --http's registry
    assert request(server, "GET", "/nothing")[0] == 404
    too_big = {"Content-Length": str(26 * 1024 * 1024)}
    assert request(server, "POST", "/webhook", **too_big)[0] == 413
    body = b'{"ref": "refs/heads/main"}'
    signed = {"X-Hub-Signature-256": sign(SECRET, body), "Content-Type": "application/json"}
    assert request(server, "POST", "/webhook", body, **signed)[0] == 202
    assert pushes == ["push"]
