"""File downloads: `HEAD`/`GET /[datasets/|spaces/]{ns}/{name}/resolve/{rev}/{path}` (hub-api §8.1).

LFS content is served directly with 200 (no CDN redirect), with the Hub's `X-Linked-*` headers.
A file whose content arrived through Xet also gets `X-Xet-Hash` and the `xet-auth` link to its
read token (xet-cas.md §2.4), so that a client with hf_xet downloads it from the CAS; a plain GET
still returns the bytes, rebuilt from the xorbs once and then kept in the LFS store.
"""

from __future__ import annotations

from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from .access import resolve_revision
from .errors import entry_not_found
from .gating import downloadable_repo
from .naming import API_SEGMENT
from .routing import Params, Route, git_routes
from .state import HubState
from .web import HubRequest


def resolve_file(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = downloadable_repo(hub, request, params)
    commit = resolve_revision(repo, params["revision"])
    entry = repo.snapshot(commit).file(params["path"])
    if entry is None:
        raise entry_not_found("Entry not found", commit)
    headers = {"X-Repo-Commit": commit}
    if entry.lfs:
        etag = entry.lfs.oid
        headers.update({"X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(entry.size)})
        xet_file = hub.xet.file_by_sha256(etag)
        if xet_file is not None:
            key = repo.key
            token_url = (
                f"{request.base_url}/api/{API_SEGMENT[key.repo_type]}/{key.repo_id}"
                f"/xet-read-token/{commit}"
            )
            headers.update(
                {"X-Xet-Hash": xet_file.file_hash, "Link": f'<{token_url}>; rel="xet-auth"'}
            )
        if request.http.method == "HEAD":
            response = Response(b"", headers=headers, mimetype="application/octet-stream")
        else:
            if xet_file is not None and hub.lfs.size(etag) is None:
                hub.lfs.add(etag, hub.xet.iter_content(xet_file))
            body = wrap_file(request.http.environ, hub.lfs.open(etag))
            response = Response(
                body, headers=headers, mimetype="application/octet-stream", direct_passthrough=True
            )
        response.content_length = entry.size
    else:
        etag = entry.oid
        response = Response(
            repo.read_blob(entry.oid), headers=headers, mimetype="application/octet-stream"
        )
    response.set_etag(etag)
    # Honours `Range: bytes=N-`, which the client sends to resume a download.
    return response.make_conditional(request.http, accept_ranges=True, complete_length=entry.size)


def routes() -> list[Route]:
    return git_routes("GET HEAD", "resolve/{revision}/{path*}", resolve_file)
