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

# huggingface_hub 2.4's `SpaceHardware` values.
HARDWARE_FLAVORS = frozenset(
    (
        *("cpu-basic", "cpu-upgrade", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4"),
        *("l40sx1", "l40sx4", "l40sx8", "a10g-small", "a10g-large", "a10g-largex2"),
        *("a10g-largex4", "a100-large", "a100x4", "a100x8", "rtx-pro-6000", "rtx-pro-6000x2"),
        *("rtx-pro-6000x4", "rtx-pro-6000x8"),
    )
)


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
    runtime = hub.runtimes.runtime(
        repo_id, space_subdomain(repo.key), repo.meta.hardware, repo.meta.sleep_time
    )
    hot_reloading = hub.hot_reloads.hot_reloading(repo_id, runtime["sha"])
    if hot_reloading is not None:  # the running version was hot-reloaded (api_hot_reload.py)
        runtime["hotReloading"] = hot_reloading
    return runtime


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


def pause(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    space_runtime(hub, repo)
    hub.runtimes.pause(repo.key.repo_id)
    return json_response(space_runtime(hub, repo))


def request_hardware(hub: HubState, request: HubRequest, params: Params) -> Response:
    """A hardware change restarts the Space on the new flavor."""
    repo = writable_repo(hub, request, params)
    body = request.json_object()
    flavor, sleep_time = body.get("flavor"), body.get("sleepTimeSeconds")
    if flavor not in HARDWARE_FLAVORS:
        raise HubError(400, f'"flavor" must be one of [{", ".join(sorted(HARDWARE_FLAVORS))}]')
    with repo.lock:
        repo.meta.hardware = flavor
        if sleep_time is not None:
            repo.meta.sleep_time = _sleep_seconds(sleep_time)
        repo.save_meta()
    return restart(hub, request, params)


def set_sleep_time(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    seconds = _sleep_seconds(request.json_object().get("seconds"))
    with repo.lock:
        repo.meta.sleep_time = seconds
        repo.save_meta()
    return json_response(space_runtime(hub, repo))


def _sleep_seconds(value: object) -> int:
    """Seconds of inactivity before the Space sleeps; -1: never."""
    if isinstance(value, bool) or not isinstance(value, int) or not (value == -1 or value > 0):
        raise HubError(400, '"seconds" must be a positive number of seconds, or -1 (never)')
    return value


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
        *api_routes("POST", "pause", pause, spaces),
        *api_routes("POST", "hardware", request_hardware, spaces),
        *api_routes("POST", "sleeptime", set_sleep_time, spaces),
        *api_routes("GET", "secrets", get_secrets, spaces),
        *api_routes("POST", "secrets", add_secret, spaces),
        *api_routes("DELETE", "secrets", delete_secret, spaces),
        *api_routes("GET", "variables", get_variables, spaces),
        *api_routes("POST", "variables", add_variable, spaces),
        *api_routes("DELETE", "variables", delete_variable, spaces),
    ]
