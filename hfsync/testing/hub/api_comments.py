"""Editing and hiding a discussion comment: `POST .../discussions/{num}/comment/{id}/edit` with
`{"content"}` and `.../comment/{id}/hide`, what `edit_discussion_comment` and
`hide_discussion_comment` send. Both answer `{"updatedComment": <the comment event>}`.

Only the comment's author edits it (an edited comment keeps its id and gets `edited: true`, its
new text in `latest` and the older versions in `history`); its author or the repo's owner hides
it (the text is then gone for good, as on the Hub).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from .access import readable_repo, require_contributor
from .errors import HubError, bad_request
from .routing import Params, Route, api_routes
from .state import HubState
from .storage import Repo, hub_date
from .web import HubRequest, json_response

_HIDDEN = "This comment has been hidden"


def edit(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    user = require_contributor(request)
    content = request.json_object().get("content")
    if not isinstance(content, str) or not content.strip():
        raise bad_request("`content` must be a non-empty string")

    def change(comment: dict[str, Any]) -> None:
        if comment["author"]["name"] != user:
            raise HubError(403, "Only the comment's author can edit it")
        if comment["data"]["hidden"]:
            raise HubError(403, "A hidden comment cannot be edited")
        data = comment["data"]
        data.setdefault("history", []).insert(0, data["latest"])
        data["edited"] = True
        data["latest"] = _version(content, user)

    return json_response({"updatedComment": _update(hub, repo, params, change)})


def hide(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    user = require_contributor(request)

    def change(comment: dict[str, Any]) -> None:
        if comment["author"]["name"] != user and not repo.key.owned_by(user):
            raise HubError(403, "Only the comment's author or the repo's owner can hide it")
        data = comment["data"]
        data.update(hidden=True, latest=_version(_HIDDEN, user), history=[])

    return json_response({"updatedComment": _update(hub, repo, params, change)})


def _update(
    hub: HubState, repo: Repo, params: Params, change: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Apply `change` to the comment the route names (404 if none) and store it."""
    number, comment_id = params["num"], params["comment"].lower()
    with repo.lock:
        discussion = hub.discussions.get(repo.git_dir, int(number)) if number.isdigit() else None
        if discussion is None:
            raise HubError(404, f"Discussion {number} not found")
        events = discussion.events
        comment = next(
            (e for e in events if e["id"] == comment_id and e["type"] == "comment"), None
        )
        if comment is None:
            raise HubError(404, f"Comment {comment_id} not found")
        change(comment)
        hub.discussions.update(repo.git_dir, discussion.num, events=events)
    return comment


def _version(text: str, user: str) -> dict[str, Any]:
    """One version of a comment's text, as the Hub shows it."""
    return {
        "raw": text,
        "html": f"<p>{html.escape(text)}</p>\n",
        "updatedAt": hub_date(time.time()),
        "author": {"name": user},
    }


def routes() -> list[Route]:
    return [
        *api_routes("POST", "discussions/{num}/comment/{comment}/edit", edit),
        *api_routes("POST", "discussions/{num}/comment/{comment}/hide", hide),
    ]
