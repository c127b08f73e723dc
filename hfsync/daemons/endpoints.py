"""The HTTP endpoints of `watch --http` and `serve`: /healthz, /readyz, /metrics, POST /webhook.

A small WSGI application, served by `http_server.HttpServer` (waitress, with hard limits on
connections, threads, request sizes and the time a request may take to arrive) in threads of
its own, so a slow or hostile client never holds the sync loop. This module imports no server
library: `parse_address` serves the CLI's option parsing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import ConfigError
from hfsync.core.redact import redact

if TYPE_CHECKING:
    from hfsync.daemons.http_server import HttpServer
    from hfsync.daemons.monitor import Monitor
    from hfsync.daemons.webhook import WebhookReceiver

TIMEOUT_VARIABLE = "HFSYNC_HTTP_TIMEOUT"
DEFAULT_TIMEOUT = 15.0  # GitHub waits 10 s for a delivery's answer
STATUS = {
    200: "200 OK",
    202: "202 Accepted",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    404: "404 Not Found",
    411: "411 Length Required",
    503: "503 Service Unavailable",
}


def parse_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:8080`, `0.0.0.0:8080`, `:8080` for every interface)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConfigError(
            f"--http {address!r}: use HOST:PORT with a port from 0 to 65535, "
            "e.g. 127.0.0.1:8080 or 0.0.0.0:8080"
        )
    # ':PORT' asks for every interface, as a container's probes need.
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104


def request_timeout(environ: Mapping[str, str]) -> float:
    """Seconds a request may take to arrive whole (HFSYNC_HTTP_TIMEOUT, default 15)."""
    value = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0.1 <= seconds <= 3600:
        raise ConfigError(f"{TIMEOUT_VARIABLE}={value!r}: use seconds from 0.1 to 3600, e.g. 15")
    return seconds


class Endpoints:
    """Listens at construction (a port in use is a ConfigError); serves from `start()` until
    `close()`; `url` says where."""

    def __init__(self, address: str, monitor: Monitor, webhook: WebhookReceiver | None) -> None:
        from hfsync.daemons.http_server import HttpServer

        self._server: HttpServer | None = HttpServer(
            parse_address(address),
            application(monitor, webhook),
            deadline=request_timeout(os.environ),
            log=lambda message: monitor.log.event("warning", "http", message),
        )
        host, port = self._server.address
        self.url = f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def start(self) -> None:
        if self._server is not None:
            self._server.start()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()


Respond = Callable[[str, list[tuple[str, str]]], Any]


def application(
    monitor: Monitor, webhook: WebhookReceiver | None
) -> Callable[[dict[str, Any], Respond], Iterable[bytes]]:
    """The WSGI application: the probes, the metrics and the webhook; 404 for anything else."""

    def app(environ: dict[str, Any], respond: Respond) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method == "GET" and path == "/healthz":
            return _json(respond, *monitor.health.health())
        if method == "GET" and path == "/readyz":
            return _json(respond, *monitor.health.readiness())
        if method == "GET" and path == "/metrics" and monitor.metrics is not None:
            from hfsync.daemons.metrics import CONTENT_TYPE

            return _send(respond, 200, monitor.metrics.render(), CONTENT_TYPE)
        if method == "POST" and path == "/webhook" and webhook is not None:
            if not environ.get("CONTENT_LENGTH"):
                return _json(respond, 411, {"error": "Content-Length required"})
            headers = {
                name[5:].replace("_", "-").lower(): value
                for name, value in environ.items()
                if name.startswith("HTTP_")
            }
            headers["content-type"] = environ.get("CONTENT_TYPE", "")
            client = environ.get("REMOTE_ADDR") or "-"
            answer = webhook.deliver(headers, environ["wsgi.input"], client)
            return _json(respond, answer.status, answer.body)
        return _json(respond, 404, {"error": "not found"})

    return app


def _json(respond: Respond, status: int, data: dict[str, Any]) -> list[bytes]:
    # Health reasons quote error messages: credentials masked as in any output.
    text = redact(json.dumps(data))
    return _send(respond, status, text.encode() + b"\n", "application/json")


def _send(respond: Respond, status: int, body: bytes, content_type: str) -> list[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    respond(STATUS.get(status, f"{status} Unknown"), headers)
    return [body]
