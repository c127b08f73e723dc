"""Space runtime, restart, secrets and variables (hub-api §9)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .access import readable_repo, writable_repo
from .control import BuildResult
from .errors import HubError
from .naming import space_subdomain
from .routing import Params, Route, api_routes
from .runtime import build_result_for
from .state import HubState
from .storage import DEFAULT_BRANCH, Repo
from .web import HubRequest, json_response


def start_space_build(hub: HubState, repo: Repo, commit: str) -> None:
    """Start building `commit` of the Space (after a commit to `main`, or a restart)."""
    hub.runtimes.start_build(repo.key.repo_id, commit, _result_for_tree(repo, commit))


def space_runtime(hub: HubState, repo: Repo) -> dict[str, Any]:
    """The runtime JSON; a Space we hold no state for (hub restarted) is taken as settled."""
    repo_id = repo.key.repo_id
    if not hub.runtimes.known(repo_id):
        commit = repo.resolve(DEFAULT_BRANCH)
        assert commit is not None
        hub.runtimes.settle(repo_id, commit, _result_for_tree(repo, commit))
    return hub.runtimes.runtime(repo_id, space_subdomain(repo.key), repo.meta.hardware)


def _result_for_tree(repo: Repo, commit: str) -> BuildResult:
    snapshot = repo.snapshot(commit)

    def read_text(path: str) -> str:
        entry = snapshot.file(path)
        return repo.read_blob(entry.oid).decode(errors="replace") if entry and not entry.lfs else ""

    return build_result_for({entry.path for entry in snapshot.files()}, read_text)


def get_runtime(hub: HubState, request: HubRequest, params: Params) -> Response:
    return json_response(space_runtime(hub, readable_repo(hub, request, params)))


def restart(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    commit = repo.resolve(DEFAULT_BRANCH)
    assert commit is not None
    start_space_build(hub, repo, commit)
    return json_response(space_runtime(hub, repo))


def _key_value(request: HubRequest, with_value: bool) -> tuple[str, str, str | None]:
    body = request.json_object()
    key, value, description = body.get("key"), body.get("value", ""), body.get("description")
    if not isinstance(key, str) or not key or (with_value and not isinstance(value, str)):
        raise HubError(400, "Expected a JSON body with a string `key` (and `value`)")
    return key, str(value), description if isinstance(description, str) else None


def get_secrets(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    return json_response(hub.space_settings.secrets(repo.key.repo_id))


def add_secret(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    key, value, description = _key_value(request, with_value=True)
    hub.space_settings.set_secret(repo.key.repo_id, key, value, description)
    return json_response({})


def delete_secret(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    key, _, _ = _key_value(request, with_value=False)
    hub.space_settings.delete_secret(repo.key.repo_id, key)
    return json_response({})


def get_variables(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    return json_response(hub.space_settings.variables(repo.key.repo_id))


def add_variable(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    key, value, description = _key_value(request, with_value=True)
    hub.space_settings.set_variable(repo.key.repo_id, key, value, description)
    return json_response(hub.space_settings.variables(repo.key.repo_id))


def delete_variable(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    key, _, _ = _key_value(request, with_value=False)
    hub.space_settings.delete_variable(repo.key.repo_id, key)
    return json_response(hub.space_settings.variables(repo.key.repo_id))


def routes() -> list[Route]:
    spaces = ("space",)
    return [
        *api_routes("GET", "runtime", get_runtime, spaces),
        *api_routes("POST", "restart", restart, spaces),
        *api_routes("GET", "secrets", get_secrets, spaces),
        *api_routes("POST", "secrets", add_secret, spaces),
        *api_routes("DELETE", "secrets", delete_secret, spaces),
        *api_routes("GET", "variables", get_variables, spaces),
        *api_routes("POST", "variables", add_variable, spaces),
        *api_routes("DELETE", "variables", delete_variable, spaces),
    ]
