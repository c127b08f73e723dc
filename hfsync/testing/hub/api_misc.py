"""Endpoints outside any repo: whoami, README metadata validation, the agent-harness registry."""

from __future__ import annotations

import re

import yaml
from werkzeug.wrappers import Response

from .access import require_identity
from .routing import Params, Route, route
from .state import HubState
from .web import HubRequest, json_response

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.DOTALL)


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
    """Check that a README's YAML front matter parses; the client needs a JSON answer (§5.1)."""
    content = request.json_object().get("content")
    match = _FRONT_MATTER.match(content) if isinstance(content, str) else None
    if match:
        try:
            metadata = yaml.safe_load(match.group(1))
        except yaml.YAMLError as error:
            message = f"Invalid YAML in README.md metadata: {error}"
            return json_response({"errors": [{"message": message}], "warnings": []}, status=400)
        if metadata is not None and not isinstance(metadata, dict):
            message = "README.md metadata must be a YAML mapping"
            return json_response({"errors": [{"message": message}], "warnings": []}, status=400)
    return json_response({"errors": [], "warnings": []})


def agent_harnesses(hub: HubState, request: HubRequest, params: Params) -> Response:
    """An empty registry: the client fetches it from `HF_ENDPOINT` unless telemetry is off."""
    return json_response({"standardEnvVars": [], "harnesses": {}})


def routes() -> list[Route]:
    return [
        route("GET", "api/whoami-v2", whoami),
        route("POST", "api/validate-yaml", validate_yaml),
        route("GET", "api/agent-harnesses", agent_harnesses),
    ]
