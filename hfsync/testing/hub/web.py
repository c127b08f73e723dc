"""HTTP plumbing shared by the handlers: the request context and JSON answers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .auth import Credentials
from .bodies import JSON_BODY_LIMIT, read_capped
from .errors import HubError


@dataclass(frozen=True)
class HubRequest:
    """One request: the werkzeug request, its raw path and who sent it."""

    http: Request
    raw_path: str
    base_url: str  # scheme://host:port as the client reached us, for absolute URLs
    credentials: Credentials

    @property
    def user(self) -> str | None:
        identity = self.credentials.identity
        return identity.user if identity else None

    def body(self, limit: int = JSON_BODY_LIMIT) -> bytes:
        """The whole body, at most `limit` bytes (else the Hub's 413)."""
        return read_capped(self.http.stream, limit, self.http.content_length)

    def json_body(self, limit: int = JSON_BODY_LIMIT) -> Any:
        try:
            return json.loads(self.body(limit) or b"null")
        except (ValueError, RecursionError) as error:
            raise HubError(400, f"Invalid JSON body: {error}") from error

    def json_object(self, limit: int = JSON_BODY_LIMIT) -> dict[str, Any]:
        """The JSON object body; an empty body counts as `{}`."""
        body = self.json_body(limit)
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise HubError(400, "Expected a JSON object body")
        return body

    def form(self) -> MultiDict[str, str]:
        """The url-encoded form body, at most `JSON_BODY_LIMIT` bytes (werkzeug answers 413)."""
        self.http.max_content_length = JSON_BODY_LIMIT
        return self.http.form

    def flag(self, name: str) -> bool:
        """A boolean query parameter (`true`/`1`)."""
        return self.http.args.get(name, "").lower() in ("1", "true")

    def cursor(self) -> int:
        """The offset a paginated listing starts at (our `cursor` is a plain offset)."""
        value = self.http.args.get("cursor", "0")
        if not value.isdigit():
            raise HubError(400, f"Invalid cursor {value!r}")
        return int(value)

    def next_page_link(self, cursor: int) -> dict[str, str]:
        """A `Link` header to the same URL at `cursor`: absolute and with every query parameter,
        because the client requests it verbatim (hub-api §3.4)."""
        query = [(key, value) for key, value in self.http.args.items(multi=True) if key != "cursor"]
        query.append(("cursor", str(cursor)))
        return {"Link": f'<{self.base_url}{self.raw_path}?{urlencode(query)}>; rel="next"'}


_TYPE_NAMES: dict[type, str] = {dict: "objects", str: "strings"}


def list_field(body: dict[str, Any], name: str, item_type: type = dict) -> list[Any]:
    """`body[name]` as a list of `item_type` (missing or null: empty), else a 400."""
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, item_type) for item in value):
        raise HubError(400, f"`{name}` must be a list of {_TYPE_NAMES[item_type]}")
    return value


def json_response(
    data: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    mimetype: str = "application/json",
) -> Response:
    return Response(json.dumps(data), status=status, headers=dict(headers or {}), mimetype=mimetype)


def error_response(error: HubError) -> Response:
    headers = dict(error.headers)
    if error.code:
        headers["X-Error-Code"] = error.code
    # The Hub repeats the message in a header; keep it one printable ASCII line.
    headers["X-Error-Message"] = " ".join(error.message.encode("ascii", "replace").decode().split())
    return json_response({"error": error.message, **error.extra}, error.status, headers)
