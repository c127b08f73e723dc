"""The Hub's Xet token endpoints (xet-cas.md §2.1): `GET /api/{type}s/{id}/xet-{write|read}-token/
{rev}`. The answer carries the token both as JSON (read by hf_xet) and as `X-Xet-*` headers (read
by huggingface_hub); both are needed."""

from __future__ import annotations

from werkzeug.wrappers import Response

from .access import contributable_repo, resolve_revision, writable_repo
from .api_cas import cas_url
from .gating import downloadable_repo
from .naming import RepoKey
from .routing import Params, Route, api_routes
from .state import HubState
from .web import HubRequest, json_response

# hf_xet asks for a PR upload's token with this revision and `?create_pr=1`.
_PR_REVISION = "None"


def write_token(hub: HubState, request: HubRequest, params: Params) -> Response:
    revision = params["revision"]
    # Pull requests may come from anyone with a write token (their commit checks who).
    for_pr = request.flag("create_pr") or revision.startswith("refs/pr/")
    repo = (contributable_repo if for_pr else writable_repo)(hub, request, params)
    if not (request.flag("create_pr") and revision == _PR_REVISION):
        resolve_revision(repo, revision)
    return _token_answer(hub, request, repo.key, revision, write=True)


def read_token(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = downloadable_repo(hub, request, params)
    resolve_revision(repo, params["revision"])
    return _token_answer(hub, request, repo.key, params["revision"], write=False)


def _token_answer(
    hub: HubState, request: HubRequest, key: RepoKey, revision: str, *, write: bool
) -> Response:
    token, expires = hub.xet_tokens.issue(key, revision, write=write)
    url = cas_url(request)
    headers = {
        "X-Xet-Access-Token": token,
        "X-Xet-Token-Expiration": str(expires),
        "X-Xet-Cas-Url": url,
    }
    return json_response({"accessToken": token, "exp": expires, "casUrl": url}, headers=headers)


def routes() -> list[Route]:
    return [
        *api_routes("GET", "xet-write-token/{revision}", write_token),
        *api_routes("GET", "xet-read-token/{revision}", read_token),
    ]
