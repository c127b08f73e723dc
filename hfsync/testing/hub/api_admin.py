"""The control endpoint, `/_testhub/...`: the `Control` API over HTTP, for out-of-process tests.

These requests need no token, are never logged and never hit by faults. JSON keys are the
Python keyword names (`retry_after`, `rate_limit_reset`, ...).
"""

from __future__ import annotations

from dataclasses import fields

from werkzeug.wrappers import Response

from .bodies import CONTROL_BODY_LIMIT
from .control import Fault
from .errors import HubError
from .routing import Params, Route, route
from .state import HubState
from .web import HubRequest, json_response

ADMIN_PREFIX = "/_testhub/"
_FAULT_FIELDS = {field.name for field in fields(Fault) if field.init}


def list_requests(hub: HubState, request: HubRequest, params: Params) -> Response:
    return json_response([record.to_json() for record in hub.control.requests()])


def clear_requests(hub: HubState, request: HubRequest, params: Params) -> Response:
    hub.control.clear_log()
    return json_response({})


def add_fault(hub: HubState, request: HubRequest, params: Params) -> Response:
    body = request.json_object(CONTROL_BODY_LIMIT)
    unknown = set(body) - _FAULT_FIELDS
    if unknown:
        raise HubError(400, f"Unknown fault fields: {', '.join(sorted(unknown))}")
    try:
        hub.control.add_fault(Fault(**body))
    except (TypeError, ValueError) as error:
        raise HubError(400, f"Invalid fault: {error}") from error
    return json_response({})


def clear_faults(hub: HubState, request: HubRequest, params: Params) -> Response:
    hub.control.clear_faults()
    return json_response({})


def set_commit_rate_limit(hub: HubState, request: HubRequest, params: Params) -> Response:
    body = request.json_object(CONTROL_BODY_LIMIT)
    limit, window = body.get("commits_per_hour"), body.get("window", 3600)
    if limit is not None and not (isinstance(limit, int) and limit >= 0):
        raise HubError(400, "`commits_per_hour` must be a non-negative integer or null")
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 < window <= 86400:
        raise HubError(400, "`window` must be a number of seconds in (0, 86400]")
    hub.control.set_commit_rate_limit(limit, float(window))
    return json_response({})


def set_next_build(hub: HubState, request: HubRequest, params: Params) -> Response:
    body = request.json_object(CONTROL_BODY_LIMIT)
    if not isinstance(body.get("error_message"), (str, type(None))):
        raise HubError(400, "`error_message` must be a string")
    try:
        hub.control.set_next_build_result(
            f"{params['namespace']}/{params['name']}",
            str(body.get("stage")),
            body.get("error_message"),
        )
    except ValueError as error:
        raise HubError(400, str(error)) from error
    return json_response({})


def reset(hub: HubState, request: HubRequest, params: Params) -> Response:
    hub.reset(repos=bool(request.json_object(CONTROL_BODY_LIMIT).get("repos", False)))
    return json_response({})


def routes() -> list[Route]:
    return [
        route("GET", "_testhub/requests", list_requests),
        route("DELETE", "_testhub/requests", clear_requests),
        route("POST", "_testhub/faults", add_fault),
        route("DELETE", "_testhub/faults", clear_faults),
        route("PUT", "_testhub/commit-rate-limit", set_commit_rate_limit),
        route("POST", "_testhub/spaces/{namespace}/{name}/next-build", set_next_build),
        route("POST", "_testhub/reset", reset),
    ]
