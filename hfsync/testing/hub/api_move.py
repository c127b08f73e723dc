"""Rename or transfer a repo: `POST /api/repos/move` with `{"fromRepo", "toRepo", "type"}`, what
`HfApi.move_repo` sends.

The owner may move a repo to another name in their own namespace (this hub has no organizations,
so a transfer to another user is refused, as the Hub refuses it). The repo keeps its history,
branches, discussions and Space settings; its old id then redirects to the new one (see
`moves.py`). A repo of the same type already at the new id: 409.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .access import readable_repo, require_identity, require_write_access
from .errors import HubError, bad_request
from .naming import REPO_TYPES, RepoKey, is_valid_name, is_valid_namespace
from .routing import Params, Route, route
from .state import HubState
from .storage import RepoExistsError
from .web import HubRequest, json_response


def move_repo(hub: HubState, request: HubRequest, params: Params) -> Response:
    user, can_write = require_identity(request)
    body = request.json_object()
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES:
        raise bad_request(f"Invalid repo type {repo_type!r}")
    old_namespace, old_name = _repo_id(body.get("fromRepo"), "fromRepo")
    namespace, name = _repo_id(body.get("toRepo"), "toRepo")
    repo = readable_repo(
        hub, request, {"repo_type": repo_type, "namespace": old_namespace, "name": old_name}
    )
    require_write_access(user, can_write, repo.key)
    if not is_valid_namespace(namespace):
        raise bad_request(f"Invalid namespace {namespace!r}")
    if namespace.lower() != user.lower():
        raise HubError(
            403,
            f"You cannot transfer a repo to {namespace}: you can only move it within your own "
            "namespace or to an organization you are part of",
        )
    new = RepoKey(repo_type, user, name)  # the user's own spelling, as create_repo stores it
    if new == repo.key:
        raise bad_request("The new repo id is the same as the old one")
    old = repo.key
    try:
        with repo.lock:  # no commit or ref change is half-way while the folder moves
            moved = hub.store.rename(old, new)
    except RepoExistsError:
        raise HubError(
            409, f"A {repo_type} repository called {new.repo_id} already exists"
        ) from None
    hub.moves.record(old, moved.key)
    if repo_type == "space":
        # The runtime is read again from the tree at the new id; secrets and variables follow.
        hub.runtimes.forget(old.repo_id)
        hub.space_settings.move(old.repo_id, moved.key.repo_id)
    return json_response({})


def _repo_id(value: Any, field: str) -> tuple[str, str]:
    """`namespace/name` of a body field, else the Hub's 400."""
    parts = value.split("/") if isinstance(value, str) else []
    if len(parts) != 2 or not all(is_valid_name(part) for part in parts):
        raise bad_request(f"`{field}` must be a repo id `namespace/name`, got {value!r}")
    return parts[0], parts[1]


def routes() -> list[Route]:
    return [route("POST", "api/repos/move", move_repo)]
