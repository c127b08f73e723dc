"""The git-LFS batch API and the upload URLs it hands out (hub-api §5.4).

Upload and completion URLs are absolute and carry an unguessable upload id: the client sends them
no token. Objects already stored get no `actions`, so the client skips their upload.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Response

from .access import contributable_repo
from .errors import HubError, bad_request
from .lfs_store import MULTIPART_CHUNK_SIZE, OID_PATTERN
from .routing import Params, Route, git_routes, route
from .state import HubState
from .web import HubRequest, json_response, list_field

LFS_MIMETYPE = "application/vnd.git-lfs+json"
UPLOAD_PREFIX = "/_lfs"


def batch(hub: HubState, request: HubRequest, params: Params) -> Response:
    contributable_repo(hub, request, params)
    body = request.json_object()
    if body.get("operation") != "upload":
        raise bad_request("This test hub only supports the LFS `upload` operation")
    verify_url = f"{request.base_url}{request.raw_path.rsplit('/', 1)[0]}/verify"
    objects = [
        _batch_answer(hub, request.base_url, item, verify_url)
        for item in list_field(body, "objects")
    ]
    data = {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}
    return json_response(data, mimetype=LFS_MIMETYPE)


def _batch_answer(
    hub: HubState, base_url: str, item: dict[str, Any], verify_url: str
) -> dict[str, Any]:
    oid, size = item.get("oid"), item.get("size")
    if not (
        isinstance(oid, str) and OID_PATTERN.fullmatch(oid) and isinstance(size, int) and size >= 0
    ):
        return _object_error(str(oid), size if isinstance(size, int) else 0, "Invalid oid or size")
    stored = hub.lfs.size(oid)
    if stored == size:
        return {"oid": oid, "size": size}  # no `actions`: already stored, nothing to upload
    if stored is not None:
        return _object_error(oid, size, f"Object exists with size {stored}")
    upload = hub.lfs.start_upload(oid, size)
    upload_url = f"{base_url}{UPLOAD_PREFIX}/{upload.upload_id}"
    action: dict[str, Any] = {"href": upload_url}
    if upload.part_count:
        # Multipart: `href` completes the upload, the header maps part numbers to part URLs.
        parts = {
            str(number): f"{upload_url}/{number}" for number in range(1, upload.part_count + 1)
        }
        action = {
            "href": f"{upload_url}/complete",
            "header": {"chunk_size": str(MULTIPART_CHUNK_SIZE), **parts},
        }
    return {"oid": oid, "size": size, "actions": {"upload": action, "verify": {"href": verify_url}}}


def _object_error(oid: str, size: int, message: str) -> dict[str, Any]:
    return {"oid": oid, "size": size, "error": {"code": 422, "message": message}}


def verify(hub: HubState, request: HubRequest, params: Params) -> Response:
    contributable_repo(hub, request, params)
    body = request.json_object()
    oid, size = body.get("oid"), body.get("size")
    if not isinstance(oid, str) or not OID_PATTERN.fullmatch(oid) or hub.lfs.size(oid) != size:
        raise HubError(404, f"Object {oid} of size {size} is not stored")
    return json_response({}, mimetype=LFS_MIMETYPE)


def put_object(hub: HubState, request: HubRequest, params: Params) -> Response:
    upload = hub.lfs.pending(params["upload_id"])
    if upload.part_count:
        raise bad_request("This object must be uploaded in parts")
    hub.lfs.receive(upload, request.http.stream)
    return Response(status=200)


def put_part(hub: HubState, request: HubRequest, params: Params) -> Response:
    upload = hub.lfs.pending(params["upload_id"])
    if not params["part"].isdigit():
        raise bad_request("Part numbers are integers")
    etag = hub.lfs.receive_part(upload, int(params["part"]), request.http.stream)
    return Response(status=200, headers={"ETag": etag})


def complete(hub: HubState, request: HubRequest, params: Params) -> Response:
    upload = hub.lfs.pending(params["upload_id"])
    body = request.json_object()
    parts = list_field(body, "parts")
    if not all(isinstance(part.get("partNumber"), int) for part in parts):
        raise bad_request("Each part needs an integer `partNumber`")
    parts.sort(key=lambda part: part["partNumber"])
    if body.get("oid") != upload.oid:
        raise bad_request("The completion oid does not match the upload")
    hub.lfs.complete(upload, [str(part.get("etag")) for part in parts])
    return json_response({}, mimetype=LFS_MIMETYPE)


def routes() -> list[Route]:
    return [
        *git_routes("POST", "info/lfs/objects/batch", batch, suffix=".git"),
        *git_routes("POST", "info/lfs/objects/verify", verify, suffix=".git"),
        route("PUT", f"{UPLOAD_PREFIX}/{{upload_id}}", put_object),
        route("PUT", f"{UPLOAD_PREFIX}/{{upload_id}}/{{part}}", put_part),
        route("POST", f"{UPLOAD_PREFIX}/{{upload_id}}/complete", complete),
    ]
