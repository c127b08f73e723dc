"""Create, delete and describe repos (hub-api §3.1, §3.6)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from .access import (
    readable_repo,
    require_identity,
    require_write_access,
    resolve_revision,
    writable_repo,
)
from .api_hot_reload import space_host
from .api_spaces import space_runtime
from .errors import HubError
from .metadata import front_matter
from .naming import REPO_TYPES, RepoKey, is_valid_name, is_valid_namespace, space_subdomain
from .routing import Params, Route, api_routes, route
from .runtime import BuildResult
from .snapshot import Entry
from .space_card import README, space_readme
from .state import HubState
from .storage import DEFAULT_BRANCH, Repo, RepoExistsError, RepoMeta, hub_date
from .web import HubRequest, json_response, list_field

SPACE_SDKS = ("gradio", "streamlit", "docker", "static")


def create_repo(hub: HubState, request: HubRequest, params: Params) -> Response:
    user, can_write = require_identity(request)
    body = request.json_object()
    repo_type = body.get("type") or "model"
    name, namespace = body.get("name"), body.get("organization") or user
    if isinstance(namespace, str) and namespace.lower() == user.lower():
        namespace = user  # the user's own spelling, as the Hub stores it
    if repo_type not in REPO_TYPES:
        raise HubError(400, f"Invalid repo type {repo_type!r}")
    if not (isinstance(name, str) and is_valid_name(name) and isinstance(namespace, str)):
        raise HubError(400, f"Invalid repo name {name!r}")
    if not is_valid_namespace(namespace):
        raise HubError(400, f"Invalid namespace {namespace!r}")
    key = RepoKey(repo_type, namespace, name)
    sdk = body.get("sdk")
    if repo_type == "space" and sdk not in SPACE_SDKS:
        raise HubError(400, f"Invalid Space SDK {sdk!r}: expected one of {', '.join(SPACE_SDKS)}")
    hardware = body.get("hardware")
    if not isinstance(hardware, (str, type(None))):
        raise HubError(400, "`hardware` must be a string")
    secrets, variables = _settings(body, "secrets"), _settings(body, "variables")
    identity = request.credentials.identity
    require_write_access(user, can_write, key, scope=identity.repo if identity else None)
    url = key.web_url(request.base_url)
    # The 2.x client sends `visibility`; a "protected" Space's files are private.
    private = body.get("private") is True or body.get("visibility") in ("private", "protected")
    meta = RepoMeta(
        private=private,
        created_at=hub_date(time.time()),
        sdk=sdk if repo_type == "space" else None,
        hardware=hardware if repo_type == "space" else None,
    )
    # A new Space starts with a README.md holding its configuration, as on the Hub.
    files = {README: space_readme(key, str(sdk))} if repo_type == "space" else None
    try:
        repo = hub.store.create(key, meta, files)
    except RepoExistsError:
        # The client reads `url` from the 409 body when `exist_ok=True` (hub-api §3.6): the
        # existing repo's, which may differ in case from the one asked for.
        existing = hub.store.get(key)
        if existing is not None:
            url = existing.key.web_url(request.base_url)
        raise HubError(
            409, f"You already created this {repo_type} repo", extra={"url": url}
        ) from None
    if repo_type == "space":
        commit = repo.resolve(DEFAULT_BRANCH)
        assert commit is not None
        hub.runtimes.settle(key.repo_id, commit, BuildResult("NO_APP_FILE"))
        for item in secrets:
            hub.space_settings.set_secret(key.repo_id, *item)
        for item in variables:
            hub.space_settings.set_variable(key.repo_id, *item)
    return json_response({"url": url, "name": key.repo_id, "id": key.repo_id})


def _settings(body: dict[str, Any], name: str) -> list[tuple[str, str, str | None]]:
    """Space secrets or variables of a create request: (key, value, description)."""
    items = []
    for item in list_field(body, name):
        key, value, description = item.get("key"), item.get("value"), item.get("description")
        if not (isinstance(key, str) and key and isinstance(value, str)):
            raise HubError(400, f"Each of `{name}` needs a string `key` and `value`")
        items.append((key, value, description if isinstance(description, str) else None))
    return items


def delete_repo(hub: HubState, request: HubRequest, params: Params) -> Response:
    require_identity(request)
    body = request.json_object()
    user = request.user
    name, namespace = body.get("name"), body.get("organization") or user
    repo_type = body.get("type") or "model"
    if repo_type not in REPO_TYPES or not isinstance(name, str) or not isinstance(namespace, str):
        raise HubError(400, "Invalid repo type or name")
    repo_params = {"repo_type": repo_type, "namespace": namespace, "name": name}
    repo = writable_repo(hub, request, repo_params)
    hub.store.delete(repo.key)
    hub.runtimes.forget(repo.key.repo_id)
    hub.space_settings.forget(repo.key.repo_id)
    return json_response({})


def repo_info(hub: HubState, request: HubRequest, params: Params) -> Response:
    """A repo's info at a revision. With `expand` (`repo_info(expand=[...])`), only the named
    properties this Hub has are returned, besides `_id` and `id`: `expand=sha` asks for the
    head alone, without a file list as long as the repo."""
    repo = readable_repo(hub, request, params)
    commit = resolve_revision(repo, params.get("revision", DEFAULT_BRANCH))
    expand = request.http.args.getlist("expand")
    wanted = set(expand) if expand else None
    data: dict[str, Any] = {"_id": repo.key.repo_id, "id": repo.key.repo_id}
    for name, value in repo_properties(
        hub, repo, commit, request.flag("blobs"), request.base_url
    ).items():
        if wanted is None or name in wanted:
            data[name] = value()
    return json_response(data)


def repo_properties(
    hub: HubState, repo: Repo, commit: str, blobs: bool = False, base_url: str = ""
) -> dict[str, Callable[[], Any]]:
    """The properties of a repo's info at `commit` this hub has, each computed on demand (repo
    info and listings show a part of them); `base_url`: this hub's, for a Space's app host."""
    key = repo.key
    properties: dict[str, Callable[[], Any]] = {
        "author": lambda: key.namespace,
        "sha": lambda: commit,
        "lastModified": lambda: hub_date(repo.log(commit, limit=1)[0].timestamp),
        "createdAt": lambda: repo.meta.created_at,
        "private": lambda: repo.meta.private,
        "gated": lambda: repo.meta.gated,
        "disabled": lambda: False,
        "likes": lambda: 0,
        "tags": lambda: [],
        "siblings": lambda: [_sibling(entry, blobs) for entry in repo.snapshot(commit).files()],
    }
    if key.repo_type == "space":
        subdomain = space_subdomain(key)
        properties.update(
            sdk=lambda: repo.meta.sdk,
            # The app's address on this hub (on the Hub: https://{subdomain}.hf.space).
            host=lambda: space_host(base_url, subdomain),
            subdomain=lambda: subdomain,
            cardData=lambda: _card_data(repo, commit),
            models=lambda: [],
            datasets=lambda: [],
            runtime=lambda: space_runtime(hub, repo),
        )
    return properties


def update_settings(hub: HubState, request: HubRequest, params: Params) -> Response:
    """`PUT .../settings` with `visibility` (public, private; protected for Spaces) and `gated`
    (False, "auto", "manual"): what `update_repo_settings` sends."""
    repo = writable_repo(hub, request, params)
    body = request.json_object()
    visibility, gated = body.get("visibility"), body.get("gated")
    allowed = (
        ("public", "private", "protected")
        if repo.key.repo_type == "space"
        else ("public", "private")
    )
    if visibility is not None and visibility not in allowed:
        raise HubError(400, f'"visibility" must be one of [{", ".join(allowed)}]')
    if "gated" in body and gated not in (False, "auto", "manual"):
        raise HubError(400, '"gated" must be one of [false, auto, manual]')
    if visibility is None and "gated" not in body:
        raise HubError(400, "Nothing to update: give `visibility` or `gated`")
    with repo.lock:
        if visibility is not None:
            repo.meta.private = visibility != "public"
        if "gated" in body:
            repo.meta.gated = gated if isinstance(gated, str) else False
        repo.save_meta()
    return json_response({})


def _card_data(repo: Repo, commit: str) -> dict[str, Any] | None:
    """README.md's metadata (`space_info().card_data`: `sdk_version`, ...)."""
    entry = repo.snapshot(commit).file("README.md")
    if entry is None or entry.lfs:
        return None
    return front_matter(repo.read_blob(entry.oid).decode(errors="replace"))


def _sibling(entry: Entry, blobs: bool) -> dict[str, Any]:
    if not blobs:
        return {"rfilename": entry.path}
    sibling: dict[str, Any] = {"rfilename": entry.path, "size": entry.size, "blobId": entry.oid}
    if entry.lfs:
        # Siblings name the LFS hash `sha256` where tree entries say `oid` (hub-api §3.1).
        sibling["lfs"] = {
            "sha256": entry.lfs.oid,
            "size": entry.lfs.size,
            "pointerSize": entry.lfs.pointer_size,
        }
    return sibling


def routes() -> list[Route]:
    return [
        route("POST", "api/repos/create", create_repo),
        route("DELETE", "api/repos/delete", delete_repo),
        *api_routes("GET", "", repo_info),
        *api_routes("GET", "revision/{revision*}", repo_info),
        *api_routes("PUT", "settings", update_settings),
    ]
