"""Trusted Publishers over HTTP: the Hub's token endpoint and the test Hub's id-token issuer.

* `POST /oauth/token`: RFC 8693 token exchange, as huggingface_hub 2.4 sends it (`_oidc.py`:
  a JSON body; a form body is read too). 200 `{"access_token": "hf_jwt_...", "token_type":
  "bearer", "expires_in": 3600, "issued_token_type": ...}`; 400 `{"error": "invalid_grant",
  "error_description": ...}` when the id token is bad or no publisher matches it.
* `POST /_testhub/trusted-publishers` `{"resource": "spaces/OWNER/NAME", "sub": "..."}`:
  register a publisher.
* `POST /_testhub/oidc/id-token` `{"sub": ..., "aud": optional, the Hub's URL by default}`:
  `{"value": "<JWT>"}`, an id token the test Hub signs as the issuer.
* `POST /_testhub/oidc/runtime` `{"sub": ...}`: `{"url": ..., "token": ...}`, the values of
  `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` for a job whose id
  tokens carry that subject; then
* `GET /_testhub/oidc/id-token?audience=...` with `Authorization: Bearer <that token>`:
  `{"value": "<JWT>"}`, the way GitHub's Actions runtime serves a job's id token (the client
  replaces the URL's query with `audience`, so the job is known by its bearer).
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from .bodies import CONTROL_BODY_LIMIT
from .errors import HubError
from .oidc import OAuthError
from .routing import Params, Route, route
from .state import HubState
from .web import HubRequest, json_response

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
_NO_STORE = {"Cache-Control": "no-store"}
_EXCHANGE_FIELDS = {"grant_type", "subject_token_type", "subject_token", "resource"}


def token(hub: HubState, request: HubRequest, params: Params) -> Response:
    try:
        body = _exchange_body(request)
        if body.get("grant_type") != GRANT_TYPE:
            raise OAuthError("unsupported_grant_type", f"Only {GRANT_TYPE} is supported")
        if body.get("subject_token_type") != ID_TOKEN_TYPE:
            raise OAuthError("invalid_request", f"`subject_token_type` must be {ID_TOKEN_TYPE}")
        access_token, lifetime = hub.oidc.exchange(
            request.base_url, body.get("subject_token"), body.get("resource")
        )
    except OAuthError as error:
        return json_response(
            {"error": error.error, "error_description": error.description}, 400, _NO_STORE
        )
    return json_response(
        {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": lifetime,
            "issued_token_type": ACCESS_TOKEN_TYPE,
        },
        headers=_NO_STORE,
    )


def _exchange_body(request: HubRequest) -> dict[str, object]:
    """The request's fields, from a JSON object or a form; OAuthError when unreadable."""
    if request.http.mimetype == "application/x-www-form-urlencoded":
        form = request.form()
        return {name: form.get(name) for name in _EXCHANGE_FIELDS}
    try:
        return request.json_object(CONTROL_BODY_LIMIT)
    except HubError as error:
        raise OAuthError("invalid_request", error.message) from None


def register_publisher(hub: HubState, request: HubRequest, params: Params) -> Response:
    body = request.json_object(CONTROL_BODY_LIMIT)
    unknown = set(body) - {"resource", "sub"}
    if unknown:
        raise HubError(400, f"Unknown fields: {', '.join(sorted(unknown))}")
    try:
        hub.oidc.register(body.get("resource"), body.get("sub"))
    except ValueError as error:
        raise HubError(400, str(error)) from error
    return json_response({})


def mint_id_token(hub: HubState, request: HubRequest, params: Params) -> Response:
    body = request.json_object(CONTROL_BODY_LIMIT)
    unknown = set(body) - {"sub", "aud"}
    if unknown:
        raise HubError(400, f"Unknown fields: {', '.join(sorted(unknown))}")
    return _id_token(hub, request, body.get("sub"), body.get("aud"))


def start_job(hub: HubState, request: HubRequest, params: Params) -> Response:
    body = request.json_object(CONTROL_BODY_LIMIT)
    unknown = set(body) - {"sub"}
    if unknown:
        raise HubError(400, f"Unknown fields: {', '.join(sorted(unknown))}")
    try:
        token = hub.oidc.runtime(body.get("sub"))
    except ValueError as error:
        raise HubError(400, str(error)) from error
    return json_response({"url": f"{request.base_url}/_testhub/oidc/id-token", "token": token})


def runtime_id_token(hub: HubState, request: HubRequest, params: Params) -> Response:
    """As GitHub's runtime answers `ACTIONS_ID_TOKEN_REQUEST_URL`: for the job its bearer names."""
    scheme, _, bearer = request.http.headers.get("Authorization", "").partition(" ")
    subject = hub.oidc.runtime_subject(bearer.strip()) if scheme.lower() == "bearer" else None
    if subject is None:
        raise HubError(401, "The id-token request needs a job's ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    return _id_token(hub, request, subject, request.http.args.get("audience"))


def _id_token(hub: HubState, request: HubRequest, sub: object, audience: object) -> Response:
    try:
        value = hub.oidc.mint(request.base_url, sub, audience or request.base_url)
    except ValueError as error:
        raise HubError(400, str(error)) from error
    return json_response({"value": value}, headers=_NO_STORE)


def routes() -> list[Route]:
    return [route("POST", "oauth/token", token)]


def admin_routes() -> list[Route]:
    return [
        route("POST", "_testhub/trusted-publishers", register_publisher),
        route("POST", "_testhub/oidc/id-token", mint_id_token),
        route("POST", "_testhub/oidc/runtime", start_job),
        route("GET", "_testhub/oidc/id-token", runtime_id_token),
    ]
