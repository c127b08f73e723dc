"""Repo listings: `GET /api/models`, `/api/datasets`, `/api/spaces`, what `list_models`,
`list_datasets` and `list_spaces` send.

* `author`: repos of that namespace (any case); `search`: repos whose id contains the text (any
  case); `gated`: `true` or `false`; `filter`: repos carrying every tag given (repos here carry
  none, so a filter matches nothing).
* A private repo is listed to its owner only; the others see the public ones.
* `sort` (`createdAt`, `lastModified`, `likes`, `downloads`, `trendingScore`): newest or highest
  first, as the Hub sorts; ids break ties. Without it, by id.
* `limit` caps the whole listing; pages hold `page_size` items, the next one named by an
  absolute `Link: <...cursor=N>; rel="next"`.
* Each item has `_id`, `id`, `author`, `private`, `gated` (models and datasets), `sdk` (Spaces),
  `likes`, `downloads`, `trendingScore`, `tags`, `createdAt`, `lastModified`; `full=true` adds
  `sha` and `siblings`; `expand=...` gives only the properties named (besides `_id` and `id`),
  of those this hub has. An `expand` the Hub does not know is a 400, and so is `expand` with
  `full`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from .api_repos import repo_properties
from .errors import bad_request
from .naming import API_SEGMENT
from .routing import Params, Route, route
from .state import HubState
from .storage import DEFAULT_BRANCH, Repo
from .web import HubRequest, json_response

_SORTS = ("createdAt", "lastModified", "likes", "downloads", "trendingScore")
_COUNTS = {"likes": 0, "downloads": 0, "downloadsAllTime": 0, "trendingScore": 0}
_DEFAULT = frozenset(
    [
        *("author", "private", "gated", "sdk", "likes", "downloads", "trendingScore", "tags"),
        *("createdAt", "lastModified"),
    ]
)
# The properties the Hub lets `expand` name, per repo type (huggingface_hub's Expand*Property_T).
_COMMON = (
    "author cardData createdAt disabled lastModified likes private resourceGroup sha siblings "
    "tags trendingScore usedStorage"
)
_EXPANDABLE = {
    "model": frozenset(
        f"{_COMMON} baseModels childrenModelCount config downloads downloadsAllTime evalResults "
        "gated gguf inference inferenceProviderMapping library_name mask_token model-index "
        "pipeline_tag safetensors spaces transformersInfo widgetData".split()
    ),
    "dataset": frozenset(
        f"{_COMMON} citation description downloads downloadsAllTime gated mainSize "
        "paperswithcode_id".split()
    ),
    "space": frozenset(f"{_COMMON} datasets models region runtime sdk subdomain".split()),
}


def list_repos(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo_type = params["repo_type"]
    args = request.http.args
    expand = args.getlist("expand")
    unknown = sorted(set(expand) - _EXPANDABLE[repo_type])
    if unknown:
        raise bad_request(f"Invalid expand property: {', '.join(unknown)}")
    if expand and request.flag("full"):
        raise bad_request("`expand` cannot be combined with `full`")
    sort, limit = args.get("sort"), args.get("limit")
    if sort is not None and sort not in _SORTS:
        raise bad_request(f"Invalid sort {sort!r}: expected one of {', '.join(_SORTS)}")
    if limit is not None and not limit.isdigit():
        raise bad_request(f"Invalid limit {limit!r}")
    repos = [repo for repo in _visible(hub, request, repo_type) if _matches(repo, request)]
    if sort is not None:
        repos.sort(key=lambda repo: _sort_value(hub, repo, sort), reverse=True)
    if limit is not None:
        repos = repos[: int(limit)]
    cursor, page_size = request.cursor(), hub.page_size
    page = repos[cursor : cursor + page_size]
    wanted = set(expand) if expand else set(_DEFAULT)
    if request.flag("full"):
        wanted |= {"sha", "siblings"}
    items = [_item(hub, repo, wanted) for repo in page]
    more = cursor + page_size < len(repos)
    return json_response(items, headers=request.next_page_link(cursor + page_size) if more else {})


def _visible(hub: HubState, request: HubRequest, repo_type: str) -> list[Repo]:
    """The repos of a type the request may see: public ones, and the user's own private ones."""
    user = request.user
    found = []
    for key in hub.store.keys(repo_type):
        repo = hub.store.get(key)
        if repo is not None and (not repo.meta.private or repo.key.owned_by(user)):
            found.append(repo)
    return found


def _matches(repo: Repo, request: HubRequest) -> bool:
    args = request.http.args
    author, search, gated = args.get("author"), args.get("search"), args.get("gated")
    if author is not None and author.lower() != repo.key.namespace.lower():
        return False
    if search is not None and search.lower() not in repo.key.repo_id.lower():
        return False
    if gated is not None and (gated.lower() == "true") != bool(repo.meta.gated):
        return False
    return not args.getlist("filter")  # no repo here carries a tag


def _sort_value(hub: HubState, repo: Repo, sort: str) -> Any:
    if sort in _COUNTS:
        return 0
    return _properties(hub, repo)[sort]()


def _item(hub: HubState, repo: Repo, wanted: set[str]) -> dict[str, Any]:
    data: dict[str, Any] = {"_id": repo.key.repo_id, "id": repo.key.repo_id}
    properties = _properties(hub, repo)
    for name in sorted(wanted):
        if name in properties:
            data[name] = properties[name]()
        elif name in _COUNTS and name in _EXPANDABLE[repo.key.repo_type]:
            data[name] = _COUNTS[name]
    return data


def _properties(hub: HubState, repo: Repo) -> dict[str, Callable[[], Any]]:
    head = repo.resolve(DEFAULT_BRANCH)
    if head is None:  # `main` cannot be deleted: a repo always has it
        raise RuntimeError(f"{repo.key.repo_id} has no {DEFAULT_BRANCH} branch")
    return repo_properties(hub, repo, head)


def routes() -> list[Route]:
    return [
        route("GET", f"api/{segment}", list_repos, repo_type=repo_type)
        for repo_type, segment in API_SEGMENT.items()
    ]
