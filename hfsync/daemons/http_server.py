"""The HTTP server under `watch --http` and `serve --http`: waitress, held to hard limits.

waitress reads requests in one asynchronous loop and hands only complete ones to a fixed pool of
THREADS threads, so a slow client costs a connection, never a thread. Its settings bound the
connections (CONNECTION_LIMIT; more wait in the listen backlog), a request's headers (MAX_HEADER,
else 431) and body (over MAX_BODY: 413, from Content-Length, before any byte of the body is read);
a body past IN_MEMORY bytes waits in a temporary file. On top of them, here:

- a request must arrive whole within `deadline` seconds of its first byte, however slowly it
  trickles (waitress's own timeout counts from the last byte); an idle connection is closed after
  as long;
- the bodies being received on all connections together may declare at most BODY_BUDGET bytes
  (memory and temporary files); a request past it gets 503 before its body is read;
- waitress's log records become one line each of the daemon's log (no traceback), and a client
  that hangs up early is not worth a line.

The waitress classes extended here (server, channel, request parser) are the ones its own
`create_server` builds; tests/test_http_limits.py holds each limit to account.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher
from waitress.utilities import Error

from hfsync.core.errors import ConfigError
from hfsync.daemons.webhook import MAX_BODY

THREADS = 4
CONNECTION_LIMIT = 200  # each costs at most MAX_HEADER bytes of memory and no thread
MAX_HEADER = 32 * 1024  # GitHub's delivery headers are about 1 kB
IN_MEMORY = 64 * 1024  # per request; the rest of a body waits in a temporary file
BODY_BUDGET = 2 * MAX_BODY + 16 * 1024 * 1024
LOOP_WAIT = 0.2  # seconds the loop waits for sockets before it looks at `close()` again
CLOSE_WAIT = 5.0  # seconds `close()` waits for the loop's thread, and then for the workers

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class _Busy(Error):
    code = 503
    reason = "Service Unavailable"


class _BodyBudget:
    """Bytes of request bodies being received, over all connections."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._taken = 0
        self._lock = threading.Lock()  # taken in the loop's thread, given back in the workers'

    def take(self, size: int) -> bool:
        with self._lock:
            if self._taken + size > self._limit:
                return False
            self._taken += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self._taken -= size


class _Request(HTTPRequestParser):
    """A request being received: when it began, and its share of the body budget."""

    completed: bool
    error: Error | None

    def __init__(self, adj: Adjustments, budget: _BodyBudget) -> None:
        super().__init__(adj)
        self.started = time.time()  # waitress's clock for its own timeouts
        self._budget = budget
        self._reserved = 0

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if self.headers_finished and not self.completed and not self._reserved:
            # The headers are in, the body is to come: a chunked one may grow to the limit.
            size = self.adj.max_request_body_size if self.chunked else self.content_length
            if self._budget.take(size):
                self._reserved = size
            else:
                self.error = _Busy("too many request bodies at once; try again later")
                self.completed = True
        return consumed

    def close(self) -> None:
        reserved, self._reserved = self._reserved, 0
        if reserved:
            self._budget.give(reserved)
        super().close()


class _Channel(HTTPChannel):
    request: _Request | None

    def parser_class(self, adj: Adjustments) -> _Request:
        # waitress makes each request with `self.parser_class(self.adj)`.
        return _Request(adj, self.server.body_budget)

    def handle_close(self) -> None:
        request, self.request = self.request, None
        if request is not None:  # hung up while sending it: give its budget back
            request.close()
        super().handle_close()


class _Server(TcpWSGIServer):
    channel_class = _Channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.body_budget = _BodyBudget(BODY_BUDGET)
        super().__init__(*args, **kwargs)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections
        cutoff = now - self.adj.channel_timeout
        for channel in list(self.active_channels.values()):
            request = channel.request
            if request is not None and request.started < cutoff:
                channel.will_close = True  # too slow: closed on the loop's next turn


# A client that hangs up while its answer is written: waitress's loop may close the socket
# under the thread that writes it.
_HUNG_UP = (errno.EBADF, errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN, errno.ESHUTDOWN)


class _OneLine(logging.Handler):
    """waitress's log records as single lines of the daemon's log."""

    def __init__(self, write: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self._write = write

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                if isinstance(error, OSError) and error.errno in _HUNG_UP:
                    # the socket closed under the answer (the client went away): no fault
                    message = "a client hung up before its answer was sent"
                else:
                    message += f" ({type(error).__name__}: {error})"
            self._write("http server: " + " ".join(message.split()))
        except Exception:  # a log line must never break the server
            self.handleError(record)


class HttpServer:
    """Listens on `address` at construction; serves `app` from `start()` until `close()`."""

    def __init__(
        self,
        address: tuple[str, int],
        app: WsgiApp,
        *,
        deadline: float,
        log: Callable[[str], None],
    ) -> None:
        host, port = address
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.create_server((host, port), family=family, backlog=1024)
        except (OSError, OverflowError) as exc:
            code = getattr(exc, "errno", None)
            reason = os.strerror(code) if code else str(exc)
            raise ConfigError(f"cannot listen on {host}:{port}: {reason}") from None
        adj = Adjustments(
            sockets=[sock],
            threads=THREADS,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=deadline,
            cleanup_interval=min(1.0, deadline / 2),
            max_request_header_size=MAX_HEADER,
            max_request_body_size=MAX_BODY + 1,  # waitress refuses a body of this size or more
            inbuf_overflow=IN_MEMORY,
            log_socket_errors=False,
            ident="hfsync",
        )
        self._map: dict[int, Any] = {}
        self._dispatcher = ThreadedTaskDispatcher()
        self._dispatcher.set_thread_count(THREADS)
        sockinfo = (sock.family, sock.type, sock.proto, sock.getsockname())
        self._server = _Server(
            app,
            self._map,
            _sock=sock,
            dispatcher=self._dispatcher,
            adj=adj,
            bind_socket=False,
            sockinfo=sockinfo,
        )
        self.address: tuple[str, int] = sock.getsockname()[:2]
        self._log_handler = _OneLine(log)
        self._stopping = threading.Event()
        # `close()` wakes the loop through a pipe in the loop's map, which the loop closes on
        # its way out: the two never run at once (a wake on the closed pipe raised EBADF).
        self._waking = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        logger = logging.getLogger("waitress")
        logger.addHandler(self._log_handler)
        logger.propagate = False
        # One line per request queued while the threads are busy: noise under any burst.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
        self._thread = threading.Thread(target=self._loop, name="hfsync-http", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            wasyncore.loop(timeout=LOOP_WAIT, map=self._map, use_poll=True, count=1)
        with self._waking:
            wasyncore.close_all(self._map)

    def close(self) -> None:
        with self._waking:
            self._stopping.set()
            if self._thread is not None:
                self._server.pull_trigger()  # the loop stops now, not after LOOP_WAIT
        if self._thread is not None:
            # Bounded: a stop must not wait on a client; the loop's thread is a daemon, and the
            # process may end without it.
            self._thread.join(timeout=CLOSE_WAIT)
            self._thread = None
        else:
            wasyncore.close_all(self._map)
        self._dispatcher.shutdown(timeout=CLOSE_WAIT)
        logger = logging.getLogger("waitress")
        logger.removeHandler(self._log_handler)
        logger.propagate = True
