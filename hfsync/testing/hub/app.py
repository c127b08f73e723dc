"""The WSGI application: raw-path routing, injected faults, the request log and error answers."""

from __future__ import annotations

import logging
import secrets
import socket
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.wrappers import Request, Response

from . import (
    api_admin,
    api_cas,
    api_comments,
    api_commit,
    api_discussions,
    api_files,
    api_gating,
    api_hot_reload,
    api_lfs,
    api_listing,
    api_misc,
    api_move,
    api_oauth,
    api_refs,
    api_repos,
    api_space_logs,
    api_spaces,
    api_squash,
    api_tree,
    api_xet,
)
from .control import Fault, RequestRecord
from .errors import HubError
from .routing import Router
from .state import HubState
from .web import HubRequest, error_response, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)
_REDACTED = "<redacted>"


class HubApp:
    """A Hub-compatible WSGI app over a `HubState`."""

    def __init__(self, hub: HubState) -> None:
        self.hub = hub
        self.router = Router(
            [
                *api_misc.routes(),
                *api_repos.routes(),
                *api_refs.routes(),
                *api_tree.routes(),
                *api_commit.routes(),
                *api_discussions.routes(),
                *api_lfs.routes(),
                *api_files.routes(),
                *api_spaces.routes(),
                *api_space_logs.routes(),
                *api_xet.routes(),
                *api_cas.routes(),
                *api_hot_reload.routes(),
                *api_oauth.routes(),
                *api_squash.routes(),
                *api_move.routes(),
                *api_listing.routes(),
                *api_gating.routes(),
                *api_comments.routes(),
            ]
        )
        self.admin_router = Router([*api_admin.routes(), *api_oauth.admin_routes()])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self.respond(environ)
        # The Hub tags every answer; the client quotes it in its error messages.
        response.headers["X-Request-Id"] = _request_id()
        return response(environ, start_response)

    def respond(self, environ: WSGIEnvironment) -> Response:
        http = Request(environ)
        raw_path = _raw_path(environ)
        credentials = self.hub.tokens.authenticate(http.headers.get("Authorization"))
        request = HubRequest(http, raw_path, http.host_url.rstrip("/"), credentials)
        if raw_path.startswith(api_admin.ADMIN_PREFIX):
            return self._dispatch(self.admin_router, request)
        fault = self.hub.control.take_fault(http.method, raw_path)
        response = self._faulty(fault, request) if fault else None
        if response is None:
            response = self._dispatch(self.router, request)
        dropped = fault is not None and (fault.drop or fault.drop_after)
        if fault is not None and fault.drop_after:
            _drop_connection(environ)
        self.hub.control.record(
            RequestRecord(
                method=http.method,
                path=raw_path,
                query=http.query_string.decode("latin-1"),
                status=None if dropped else response.status_code,
                user=request.user,
                fault=fault is not None,
                headers=_loggable_headers(http),
                time=time.time(),
            )
        )
        return response

    def _faulty(self, fault: Fault, request: HubRequest) -> Response | None:
        """The fault's answer, or None to serve the request normally (after its latency)."""
        if fault.latency:
            self.hub.stopping.wait(fault.latency)
        if fault.drop:
            _drop_connection(request.http.environ)
            return Response(status=500)  # never reaches the client: the socket is shut
        if fault.status is not None:
            return error_response(fault.error())
        return None

    def _dispatch(self, router: Router, request: HubRequest) -> Response:
        try:
            route, params = router.find(request.http.method, request.raw_path)
            return route.handler(self.hub, request, params)
        except HubError as error:
            return error_response(error)
        except HTTPException as error:
            # werkzeug's own answers: 413 for a form over its limit, 416 for an unsatisfiable
            # Range, 400 when the client disconnects mid-body. Answered like any Hub error.
            return error_response(_from_werkzeug(error))
        except Exception as error:
            logger.exception("Test hub failed on %s %s", request.http.method, request.raw_path)
            return json_response({"error": f"Test hub internal error: {error!r}"}, status=500)


def _from_werkzeug(error: HTTPException) -> HubError:
    if isinstance(error, ClientDisconnected):
        # The body stopped short (the client went away, or stalled past the socket timeout):
        # a 408, which clients retry, as a load balancer in front of the Hub answers.
        return HubError(408, "Request Timeout: the request body did not arrive in full")
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return HubError(error.code or 500, error.name, headers=headers)


def _request_id() -> str:
    """An id shaped like the Hub's (`Root=1-<hex time>-<24 hex>`)."""
    return f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}"


def _raw_path(environ: WSGIEnvironment) -> str:
    """The path exactly as sent, still percent-encoded (werkzeug's server sets `RAW_URI`)."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw_uri:
        raise RuntimeError("The test hub needs a WSGI server that provides RAW_URI (werkzeug)")
    path = str(raw_uri).split("?", 1)[0]
    if "://" in path:  # absolute-form request target
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    return path or "/"


def _loggable_headers(http: Request) -> dict[str, str]:
    """Request headers for the log, with credentials replaced: tokens are never logged."""
    return {
        name.lower(): _REDACTED if name.lower() in ("authorization", "cookie") else value
        for name, value in http.headers.items()
    }


def _drop_connection(environ: WSGIEnvironment) -> None:
    """Shut the client's socket so it gets no answer at all (a dropped connection)."""
    connection = environ.get("werkzeug.socket")
    if connection is None:
        raise RuntimeError("Dropping connections needs werkzeug's server")
    connection.shutdown(socket.SHUT_RDWR)
