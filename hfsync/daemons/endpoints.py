"""The HTTP endpoints of `watch --http` and `serve`: /healthz, /readyz, /metrics, POST /webhook.

The standard library's ThreadingHTTPServer, in a thread of its own; each request gets a read
timeout and bodies are size-capped, so a slow or hostile client costs one thread for a while and
never the sync loop.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import ConfigError
from hfsync.core.redact import redact
from hfsync.daemons.webhook import MAX_BODY

if TYPE_CHECKING:
    from hfsync.daemons.monitor import Monitor
    from hfsync.daemons.webhook import WebhookReceiver

REQUEST_TIMEOUT = 15.0


def parse_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:8080`, `0.0.0.0:8080`, `:8080` for every interface)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"--http {address!r}: use HOST:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
    # ':PORT' asks for every interface, as a container's probes need.
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104


class Endpoints:
    """Started by `start()`, stopped by `close()`; `url` once started."""

    def __init__(self, address: str, monitor: Monitor, webhook: WebhookReceiver | None) -> None:
        self._address = parse_address(address)
        self._monitor = monitor
        self._webhook = webhook
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the endpoints are not started")
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def start(self) -> None:
        try:
            server = ThreadingHTTPServer(self._address, _handler(self._monitor, self._webhook))
        except OSError as exc:
            host, port = self._address
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="hfsync-http"
        )
        self._thread.start()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _handler(monitor: Monitor, webhook: WebhookReceiver | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = REQUEST_TIMEOUT
        server_version = "hfsync"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                self._json(*monitor.health.health())
            elif path == "/readyz":
                self._json(*monitor.health.readiness())
            elif path == "/metrics" and monitor.metrics is not None:
                from hfsync.daemons.metrics import CONTENT_TYPE

                self._send(200, monitor.metrics.render(), CONTENT_TYPE)
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] != "/webhook" or webhook is None:
                self._json(404, {"error": "not found"})
                return
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                self._json(411, {"error": "Content-Length required"})
                return
            if not 0 <= length <= MAX_BODY:
                self._json(413, {"error": f"body over {MAX_BODY} bytes"})
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = webhook.deliver(headers, body, self.client_address[0])
            self._json(answer.status, answer.body)

        def _json(self, status: int, data: dict[str, Any]) -> None:
            # Health reasons quote error messages: credentials masked as in any output.
            text = redact(json.dumps(data))
            self._send(status, text.encode() + b"\n", "application/json")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Requests are not logged: probes would fill the log; rejections are, elsewhere."""

    return Handler
