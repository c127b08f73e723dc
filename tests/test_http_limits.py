"""The limits of the daemons' HTTP server (daemons/http_server.py), in-process over loopback:
request sizes, the body budget and its return, the deadline's setting, a busy port, signed
payloads too large to read for their branch."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfsync.core.errors import ConfigError
from hfsync.daemons.endpoints import Endpoints, request_timeout
from hfsync.daemons.http_server import BODY_BUDGET, LOOP_WAIT, MAX_HEADER, HttpServer
from hfsync.daemons.monitor import Monitor
from hfsync.daemons.webhook import KEEP, MAX_BODY, WebhookReceiver, sign
from hfsync.ui.daemon_log import DaemonLog, SyncReporter
from tests.helpers_git import hfsync

SECRET = b"a-secret-of-the-http-limit-tests"


class Served:
    def __init__(self, endpoints: Endpoints, pushes: list[str]) -> None:
        self.endpoints = endpoints
        self.pushes = pushes
        host, port = endpoints.url.removeprefix("http://").rsplit(":", 1)
        self.host, self.port = host, int(port)

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=20)

    def post(self, body: bytes, **headers: str) -> tuple[int, dict[str, str]]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=20)
        connection.request("POST", "/webhook", body, headers)
        answer = connection.getresponse()
        data = answer.read()
        return answer.status, (json.loads(data) if answer.status != 503 else {})


@pytest.fixture
def served() -> Iterator[Served]:
    pushes: list[str] = []
    monitor = Monitor(SyncReporter(DaemonLog()), None)
    receiver = WebhookReceiver(SECRET, "main", lambda: pushes.append("push"), lambda _m: None)
    endpoints = Endpoints("127.0.0.1:0", monitor, receiver)
    endpoints.start()
    try:
        yield Served(endpoints, pushes)
    finally:
        endpoints.close()


def status_of(sock: socket.socket) -> int:
    line = sock.recv(200).split(b"\r\n", 1)[0]
    return int(line.split(b" ")[1])


def announce(served: Served, size: int) -> socket.socket:
    """A delivery that announces a body of `size` bytes and sends none of it yet."""
    sock = served.connect()
    sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
    return sock


def test_headers_over_the_limit_are_refused(served: Served) -> None:
    sock = served.connect()
    sock.sendall(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * MAX_HEADER + b"\r\n\r\n")
    assert status_of(sock) == 431
    sock.close()


def test_bodies_past_the_budget_wait_for_none_and_the_budget_comes_back(served: Served) -> None:
    """Bodies announced at once beyond BODY_BUDGET get 503 before a byte of them is read;
    what a hung-up or a finished delivery had taken is given back."""
    holders = [announce(served, MAX_BODY) for _ in range(BODY_BUDGET // MAX_BODY)]
    over = announce(served, MAX_BODY)
    assert status_of(over) == 503
    over.close()
    for sock in holders:  # hang up halfway through their bodies
        sock.sendall(b"x" * 1000)
        sock.close()
    # Back: as many full bodies as before go through, one after the other, then a small one.
    for _ in range(BODY_BUDGET // MAX_BODY + 1):
        body = b"{" + b" " * (MAX_BODY - 2) + b"}"
        assert served.post(body)[0] == 401  # read whole, refused for its signature
    body = b'{"ref": "refs/heads/main"}'
    assert served.post(body, **{"X-Hub-Signature-256": sign(SECRET, body)})[0] == 202
    assert served.pushes == ["push"]


def test_a_body_of_the_largest_size_is_read_one_byte_more_is_not(served: Served) -> None:
    sock = announce(served, MAX_BODY + 1)
    assert status_of(sock) == 413
    sock.close()
    body = b" " * MAX_BODY
    status, answer = served.post(body, **{"X-Hub-Signature-256": sign(SECRET, body)})
    assert (status, answer) == (202, {"status": "queued", "reason": f"payload over {KEEP} bytes"})
    assert served.pushes == ["push"]  # signed, too large to read for its branch: fetch anyway


def test_a_chunked_delivery_is_read_as_one(served: Served) -> None:
    body = json.dumps({"ref": "refs/heads/main", "pad": "x" * 100_000}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:70_000], body[70_000:]))
    sock = served.connect()
    sock.sendall(
        b"POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"X-Hub-Signature-256: " + sign(SECRET, body).encode() + b"\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    assert status_of(sock) == 202
    sock.close()
    assert served.pushes == ["push"]


def test_the_request_timeout_setting() -> None:
    assert request_timeout({}) == 15.0
    assert request_timeout({"HFSYNC_HTTP_TIMEOUT": "2.5"}) == 2.5
    for bad in ("0", "-1", "abc", "1e9", "nan"):
        with pytest.raises(ConfigError, match="HFSYNC_HTTP_TIMEOUT"):
            request_timeout({"HFSYNC_HTTP_TIMEOUT": bad})


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        env = {"HFSYNC_STATE": str(tmp_path / "state")}
        done = hfsync(tmp_path, "serve", "--source", "src", "--http", f"127.0.0.1:{port}", env=env)
    assert done.returncode == 2
    assert (done.stdout + done.stderr).splitlines() == [
        f"hfsync: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


class _SlowToSet(threading.Event):
    """An event whose `set` lets other threads run for a while after setting it: the loop
    then sees the stop, and closes what it serves, before `close()` goes on to wake it."""

    def set(self) -> None:
        super().set()
        time.sleep(LOOP_WAIT * 3)


def test_close_never_wakes_a_loop_that_already_closed_its_sockets() -> None:
    """`close()` wakes the loop through a pipe the loop closes on its way out; a loop that saw
    the stop first made the wake fail with EBADF (seen once in CI, at a test's teardown)."""
    served = HttpServer(("127.0.0.1", 0), lambda environ, start: [], deadline=5, log=print)
    served._stopping = _SlowToSet()  # the interleaving under test
    served.start()
    served.close()  # no OSError
