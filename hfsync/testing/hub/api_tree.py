"""Tree listings and paths-info (hub-api §3.4, §3.5)."""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .access import readable_repo, resolve_revision
from .api_refs import commit_json
from .errors import entry_not_found
from .routing import Params, Route, api_routes
from .snapshot import Entry
from .state import HubState
from .storage import Repo
from .web import HubRequest, json_response, list_field

# What the Hub's malware and pickle scanners report for a clean file.
_SAFE_FILE_STATUS = {
    "status": "safe",
    "avScan": {"virusFound": False, "virusNames": None},
    "pickleImportScan": None,
}


def list_tree(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo = readable_repo(hub, request, params)
    commit = resolve_revision(repo, params["revision"])
    snapshot = repo.snapshot(commit)
    folder = params.get("path", "").strip("/")
    if not snapshot.is_folder(folder):
        raise entry_not_found(f"{folder} does not exist or is not a folder", commit)
    entries = snapshot.listing(folder, recursive=request.flag("recursive"))
    expand = request.flag("expand")
    page_size = hub.expanded_page_size if expand else hub.page_size
    cursor = request.cursor()
    page = entries[cursor : cursor + page_size]
    headers = (
        request.next_page_link(cursor + page_size) if cursor + page_size < len(entries) else {}
    )
    return json_response(
        [_entry_json(hub, repo, commit, entry, expand) for entry in page], headers=headers
    )


def paths_info(hub: HubState, request: HubRequest, params: Params) -> Response:
    """Entries for the requested paths that exist; missing ones are left out silently."""
    repo = readable_repo(hub, request, params)
    commit = resolve_revision(repo, params["revision"])
    snapshot = repo.snapshot(commit)
    form = request.form()
    if form:
        paths, expand = form.getlist("paths"), form.get("expand", "").lower() == "true"
    else:
        body = request.json_object()
        paths, expand = list_field(body, "paths", str), body.get("expand") is True
    found = [
        snapshot.by_path[path.strip("/")] for path in paths if path.strip("/") in snapshot.by_path
    ]
    return json_response([_entry_json(hub, repo, commit, entry, expand) for entry in found])


def _entry_json(
    hub: HubState, repo: Repo, commit: str, entry: Entry, expand: bool
) -> dict[str, Any]:
    data = entry.to_json()
    xet_hash = hub.xet.file_hash_of(entry.lfs.oid) if entry.lfs else None
    if xet_hash:  # the client downloads such files through Xet, without a HEAD
        data["xetHash"] = xet_hash
    if expand:
        last = repo.log(commit, limit=1, path=entry.path)[0]
        last_json = commit_json(last)
        data["lastCommit"] = {
            "id": last.oid,
            "title": last_json["title"],
            "date": last_json["date"],
        }
        if entry.is_file:
            data["securityFileStatus"] = _SAFE_FILE_STATUS
    return data


def routes() -> list[Route]:
    return [
        *api_routes("GET", "tree/{revision}", list_tree),
        *api_routes("GET", "tree/{revision}/{path*}", list_tree),
        *api_routes("POST", "paths-info/{revision}", paths_info),
    ]
