"""Endpoints outside any repo: whoami, README metadata validation, the agent-harness registry."""

from __future__ import annotations

from werkzeug.wrappers import Response

from .access import require_identity
from .errors import HubError
from .metadata import validate_readme
from .naming import REPO_TYPES
from .routing import Params, Route, route
from .state import HubState
from .web import HubRequest, json_response


def whoami(hub: HubState, request: HubRequest, params: Params) -> Response:
    user, can_write = require_identity(request)
    role = "write" if can_write else "read"
    return json_response(
        {
            "type": "user",
            "id": user,
            "name": user,
            "fullname": user,
            "email": f"{user}@users.testhub.invalid",
            "emailVerified": True,
            "isPro": False,
            "orgs": [],
            "auth": {
                "type": "access_token",
                "accessToken": {"displayName": f"{role} token", "role": role},
            },
        }
    )


def validate_yaml(hub: HubState, request: HubRequest, params: Params) -> Response:
    """The Hub's verdict on a README's metadata; the client needs a JSON answer (§5.1)."""
    body = request.json_object()
    content, repo_type = body.get("content"), body.get("repoType") or "model"
    if not isinstance(content, str) or repo_type not in REPO_TYPES:
        raise HubError(400, "Expected a string `content` and a `repoType`")
    verdict = validate_readme(content, repo_type)
    data = {
        "errors": [{"message": message} for message in verdict.errors],
        "warnings": [{"message": message} for message in verdict.warnings],
    }
    return json_response(data, status=400 if verdict.errors else 200)


def agent_harnesses(hub: HubState, request: HubRequest, params: Params) -> Response:
    """An empty registry: the client fetches it from `HF_ENDPOINT` unless telemetry is off."""
    return json_response({"standardEnvVars": [], "harnesses": {}})


def routes() -> list[Route]:
    return [
        route("GET", "api/whoami-v2", whoami),
        route("POST", "api/validate-yaml", validate_yaml),
        route("GET", "api/agent-harnesses", agent_harnesses),
    ]
