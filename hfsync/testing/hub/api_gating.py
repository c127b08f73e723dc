"""Access to gated repos over the API: `auth_check`, and the owner's access-request routes
(`grant_access`, `accept_`/`reject_`/`cancel_access_request`, `list_*_access_requests`).
See `gating.py` for the rules."""

from __future__ import annotations

from werkzeug.wrappers import Response

from .access import writable_repo
from .errors import HubError, bad_request
from .gating import STATUSES, downloadable_repo, requests, set_status
from .naming import is_valid_name
from .routing import Params, Route, api_routes
from .state import HubState
from .storage import Repo
from .web import HubRequest, json_response


def auth_check(hub: HubState, request: HubRequest, params: Params) -> Response:
    """200 when the token may download the repo's files; else RepoNotFound or GatedRepo."""
    downloadable_repo(hub, request, params)
    return json_response({})


def auth_check_write(hub: HubState, request: HubRequest, params: Params) -> Response:
    writable_repo(hub, request, params)
    return json_response({})


def grant(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = _gated(hub, request, params)
    user = _user(request.json_object().get("user"))
    with repo.lock:
        if requests(repo).get(user, {}).get("status") == "accepted":
            raise HubError(409, f"{user} already has access to the repo")
        set_status(repo, user, "accepted")
    return json_response({})


def handle(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = _gated(hub, request, params)
    body = request.json_object()
    status = body.get("status")
    if status not in STATUSES:
        raise bad_request(f"`status` must be one of {', '.join(STATUSES)}")
    with repo.lock:
        table = requests(repo)
        if "user" in body:
            user = _user(body.get("user"))
        else:
            wanted = body.get("requestId")
            user = next((u for u, e in table.items() if e.get("requestId") == wanted), "")
        if user not in table:
            raise HubError(404, "No access request found for this user")
        set_status(repo, user, status)
    return json_response({})


def list_requests(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = _gated(hub, request, params)
    status = params["status"]
    if status not in STATUSES:
        raise HubError(404, "Not Found")
    items = [
        {
            "user": {"user": user, "fullname": user},
            "requestId": entry.get("requestId"),
            "status": entry.get("status"),
            "timestamp": entry.get("timestamp"),
        }
        for user, entry in sorted(requests(repo).items())
        if entry.get("status") == status
    ]
    return json_response(items)


def _gated(hub: HubState, request: HubRequest, params: Params) -> Repo:
    """The repo, for its owner, if it is gated (access requests exist for gated repos only)."""
    repo = writable_repo(hub, request, params)
    if not repo.meta.gated:
        raise bad_request(f"{repo.key.repo_id} is not a gated repo")
    return repo


def _user(value: object) -> str:
    if not (isinstance(value, str) and is_valid_name(value)):
        raise bad_request("`user` must be a user name")
    return value


def routes() -> list[Route]:
    return [
        *api_routes("GET", "auth-check", auth_check),
        *api_routes("GET", "auth-check/write", auth_check_write),
        *api_routes("POST", "user-access-request/grant", grant),
        *api_routes("POST", "user-access-request/handle", handle),
        *api_routes("GET", "user-access-request/{status}", list_requests),
    ]
