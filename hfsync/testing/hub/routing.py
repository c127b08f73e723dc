"""Routing on the raw request path, split on `/` before percent-decoding (hub-api §1.4).

The client sends `refs/pr/1` as the single segment `refs%2Fpr%2F1`, so decoding first would
break routing. Pattern segments: a literal, `{name}` (one segment), `{name*}` (the rest, at least
one segment, joined with `/`) or `{name}.git` (one segment ending in `.git`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from werkzeug.wrappers import Response

from .errors import HubError
from .naming import API_SEGMENT, GIT_PREFIX, REPO_TYPES

if TYPE_CHECKING:
    from .state import HubState
    from .web import HubRequest

Params = dict[str, str]
Handler = Callable[["HubState", "HubRequest", Params], Response]


@dataclass(frozen=True)
class Route:
    methods: frozenset[str]
    pattern: tuple[str, ...]
    handler: Handler
    fixed: Params = field(default_factory=dict)  # params bound at registration (repo type)

    def match(self, segments: list[str]) -> Params | None:
        params = dict(self.fixed)
        for index, token in enumerate(self.pattern):
            if token.endswith("*}"):
                rest = segments[index:]
                if not rest or not all(rest):
                    return None
                params[token[1:-2]] = unquote("/".join(rest), errors="strict")
                return params
            if index >= len(segments):
                return None
            segment = segments[index]
            if token.startswith("{"):
                name, _, suffix = token[1:].partition("}")
                if not segment.endswith(suffix) or len(segment) == len(suffix):
                    return None
                params[name] = unquote(segment[: len(segment) - len(suffix)], errors="strict")
            elif token != segment:
                return None
        return params if len(segments) == len(self.pattern) else None


def route(methods: str, pattern: str, handler: Handler, **fixed: str) -> Route:
    return Route(frozenset(methods.split()), tuple(pattern.strip("/").split("/")), handler, fixed)


# Repo ids with and without a namespace: canonical repos (`gpt2`) have none. The handlers see
# an empty namespace for those, which no repo here has: they answer `RepoNotFound`.
_REPO_IDS = ("{namespace}/{name}", "{name}")


def api_routes(
    methods: str, tail: str, handler: Handler, repo_types: Iterable[str] = REPO_TYPES
) -> list[Route]:
    """`/api/{models|datasets|spaces}/[{namespace}/]{name}/<tail>` for each repo type."""
    return [
        route(
            methods,
            f"api/{API_SEGMENT[repo_type]}/{repo_id}/{tail}".rstrip("/"),
            handler,
            repo_type=repo_type,
        )
        for repo_type in repo_types
        for repo_id in _REPO_IDS
    ]


def git_routes(methods: str, tail: str, handler: Handler, suffix: str = "") -> list[Route]:
    """`/[datasets/|spaces/][{namespace}/]{name}<suffix>/<tail>` for each repo type (models: no
    prefix); `suffix` is `.git` for the LFS routes."""
    return [
        route(
            methods,
            f"{GIT_PREFIX[repo_type]}{repo_id}{suffix}/{tail}",
            handler,
            repo_type=repo_type,
        )
        for repo_type in REPO_TYPES
        for repo_id in _REPO_IDS
    ]


class Router:
    def __init__(self, routes: Iterable[Route]) -> None:
        # Most literal segments first: `/spaces/{ns}/{name}/resolve/...` must win over the model
        # route `/{ns}/{name}/resolve/...`, which would read `spaces` as a namespace.
        self.routes = sorted(
            routes, key=lambda r: -sum(not token.startswith("{") for token in r.pattern)
        )

    def find(self, method: str, raw_path: str) -> tuple[Route, Params]:
        segments = raw_path.strip("/").split("/")
        wanted = "GET" if method == "HEAD" else method
        allowed: set[str] = set()
        for candidate in self.routes:
            try:
                params = candidate.match(segments)
            except UnicodeDecodeError as error:
                raise HubError(400, "Malformed percent-encoding in the path") from error
            if params is None:
                continue
            if wanted in candidate.methods or method in candidate.methods:
                return candidate, params
            allowed |= candidate.methods
        if allowed:
            raise HubError(
                405, f"Method {method} not allowed", headers={"Allow": ", ".join(sorted(allowed))}
            )
        raise HubError(404, "Not Found")
