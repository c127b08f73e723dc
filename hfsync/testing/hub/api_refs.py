"""Refs, history, branches and tags (hub-api §3.2, §3.3, §4)."""

from __future__ import annotations

import html
from typing import Any

from werkzeug.wrappers import Response

from .access import readable_repo, resolve_revision, writable_repo
from .errors import HubError, revision_not_found
from .git import LogEntry, is_valid_ref_name
from .routing import Params, Route, api_routes
from .state import HubState
from .storage import DEFAULT_BRANCH, hub_date
from .web import HubRequest, json_response


def list_refs(hub: HubState, request: HubRequest, params: Params) -> Response:
    refs = readable_repo(hub, request, params).refs()

    def under(prefix: str, keep_prefix: bool = False) -> list[dict[str, str]]:
        return [
            {"name": ref if keep_prefix else ref[len(prefix) :], "ref": ref, "targetCommit": commit}
            for ref, commit in sorted(refs.items())
            if ref.startswith(prefix)
        ]

    # `converts` is required by the client even for Spaces (hub-api §3.2).
    data: dict[str, Any] = {
        "branches": under("refs/heads/"),
        "converts": [],
        "tags": under("refs/tags/"),
    }
    if request.flag("include_prs"):
        data["pullRequests"] = under("refs/pr/", keep_prefix=True)
    return json_response(data)


def list_commits(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    commit = resolve_revision(repo, params["revision"])
    cursor, page_size = request.cursor(), hub.page_size
    entries = repo.log(commit, skip=cursor, limit=page_size + 1)
    formatted = request.http.args.get("expand[]") == "formatted"
    items = [commit_json(entry, formatted) for entry in entries[:page_size]]
    headers = request.next_page_link(cursor + page_size) if len(entries) > page_size else {}
    return json_response(items, headers=headers)


def commit_json(entry: LogEntry, formatted: bool = False) -> dict[str, Any]:
    """`title` is the message's first line, `message` the rest (the commit description)."""
    title, _, body = entry.message.strip("\n").partition("\n")
    body = body.strip("\n")
    data: dict[str, Any] = {
        "id": entry.oid,
        "title": title,
        "message": body,
        "date": hub_date(entry.timestamp),
        "authors": [{"user": entry.author}],
    }
    if formatted:
        data["formatted"] = {"title": html.escape(title), "message": html.escape(body)}
    return data


def create_branch(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    branch = params["branch"]
    if branch.startswith("refs/") or not is_valid_ref_name(f"refs/heads/{branch}"):
        raise HubError(400, f"Invalid reference for a branch: {branch}")
    starting_point = request.json_object().get("startingPoint") or DEFAULT_BRANCH
    if not isinstance(starting_point, str):
        raise HubError(400, "`startingPoint` must be a revision")
    commit = resolve_revision(repo, starting_point)
    with repo.lock:
        if f"refs/heads/{branch}" in repo.refs():
            raise HubError(409, f"Reference refs/heads/{branch} already exists")
        repo.create_ref(f"refs/heads/{branch}", commit)
    return json_response({})


def delete_branch(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    branch = params["branch"]
    if branch == DEFAULT_BRANCH:
        raise HubError(403, f"Cannot delete refs/heads/{DEFAULT_BRANCH}")
    with repo.lock:
        if f"refs/heads/{branch}" not in repo.refs():
            raise revision_not_found(branch)
        repo.delete_ref(f"refs/heads/{branch}")
    return json_response({})


def create_tag(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    commit = resolve_revision(repo, params["revision"])
    body = request.json_object()
    tag, message = body.get("tag"), body.get("message")
    if (
        not isinstance(tag, str)
        or tag.startswith("refs/")
        or not is_valid_ref_name(f"refs/tags/{tag}")
    ):
        raise HubError(400, f"Invalid tag name: {tag!r}")
    with repo.lock:
        if f"refs/tags/{tag}" in repo.refs():
            raise HubError(409, f"Reference refs/tags/{tag} already exists")
        repo.create_tag(
            tag, commit, message if isinstance(message, str) else None, request.user or ""
        )
    return json_response({})


def delete_tag(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = writable_repo(hub, request, params)
    tag = params["tag"]
    with repo.lock:
        if f"refs/tags/{tag}" not in repo.refs():
            raise revision_not_found(tag)
        repo.delete_ref(f"refs/tags/{tag}")
    return json_response({})


def routes() -> list[Route]:
    return [
        *api_routes("GET", "refs", list_refs),
        *api_routes("GET", "commits/{revision*}", list_commits),
        *api_routes("POST", "branch/{branch*}", create_branch),
        *api_routes("DELETE", "branch/{branch*}", delete_branch),
        *api_routes("POST", "tag/{revision*}", create_tag),
        *api_routes("DELETE", "tag/{tag*}", delete_tag),
    ]
