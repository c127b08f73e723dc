"""A Space's build and run logs as Server-Sent Events (hub-api §9.1): `GET /api/spaces/{id}/logs/
{build|run}`, one `data: {"data": line, "timestamp": date}` event per line.

The lines tell the simulated build's story (see `runtime.py`): a failed build ends with its error
message, so a tool can show why a Space did not start. The stream ends once the current lines are
sent (the client's `follow=True` then reconnects and skips the events it saw).
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from .access import readable_repo
from .api_spaces import space_runtime
from .routing import Params, Route, api_routes
from .state import HubState
from .web import HubRequest


def build_logs(hub: HubState, request: HubRequest, params: Params) -> Response:
    return _logs(hub, request, params, build=True)


def run_logs(hub: HubState, request: HubRequest, params: Params) -> Response:
    return _logs(hub, request, params, build=False)


def _logs(hub: HubState, request: HubRequest, params: Params, *, build: bool) -> Response:
    repo = readable_repo(hub, request, params)
    space_runtime(hub, repo)  # a Space we hold no state for is taken as settled
    lines = hub.runtimes.logs(repo.key.repo_id, build=build)
    events = "".join(
        f"data: {json.dumps({'data': text + chr(10), 'timestamp': stamp})}\n\n"
        for stamp, text in lines
    )
    return Response(events, mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


def routes() -> list[Route]:
    spaces = ("space",)
    return [
        *api_routes("GET", "logs/build", build_logs, spaces),
        *api_routes("GET", "logs/run", run_logs, spaces),
    ]
