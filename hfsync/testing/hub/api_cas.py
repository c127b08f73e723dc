"""The Xet CAS routes hf_xet 1.8.0 calls (xet-cas.md §3), under `/cas` on the hub's own port.

Every route but the fetch URLs and telemetry needs a Xet token from the Hub's token endpoints
(`api_xet`): GETs any, POSTs a write token. Fetch URLs authorise themselves with a signature.
Not implemented, so answered 404 (the client falls back): xorb grants and multi-range fetches.
The dedupe query answers with a shard offering the xorb that holds the chunk, when one does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re

from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from .errors import HubError, bad_request
from .routing import Params, Route, route
from .state import HubState
from .web import HubRequest, json_response
from .xet_dedupe import dedupe_shard
from .xet_format import MAX_SHARD_BYTES, parse_shard
from .xet_reconstruct import reconstruct, v1_json, v2_json
from .xet_store import XorbTable

CAS_PREFIX = "/cas"
_HASH = re.compile(r"[0-9a-f]{64}")
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


def cas_url(request: HubRequest) -> str:
    return f"{request.base_url}{CAS_PREFIX}"


def dedupe_query(hub: HubState, request: HubRequest, params: Params) -> Response:
    """A shard offering the stored xorb that holds this chunk, or 404 (no match)."""
    hub.xet_tokens.check(request.http.headers.get("Authorization"), write=False)
    xorb = hub.xet.dedupe_xorb(_hash(params["hash"]))
    table = hub.xet.table(xorb) if xorb else None
    if xorb is None or table is None:
        return json_response({"error": "No shard holds this chunk"}, status=404)
    return Response(dedupe_shard(xorb, table), mimetype="application/octet-stream")


def upload_xorb(hub: HubState, request: HubRequest, params: Params) -> Response:
    hub.xet_tokens.check(request.http.headers.get("Authorization"), write=True)
    inserted = hub.xet.put_xorb(_hash(params["hash"]), request.http.stream)
    return json_response({"was_inserted": inserted})


def upload_shard_v1(hub: HubState, request: HubRequest, params: Params) -> Response:
    hub.xet_tokens.check(request.http.headers.get("Authorization"), write=True)
    new = hub.xet.register(parse_shard(_shard_body(request)))
    return json_response({"result": 1 if new else 0})


def upload_shard_v2(hub: HubState, request: HubRequest, params: Params) -> Response:
    """The v2 answer is an event stream whose last line decides; errors travel as events."""
    hub.xet_tokens.check(request.http.headers.get("Authorization"), write=True)
    try:
        new = hub.xet.register(parse_shard(_shard_body(request)))
        event: dict[str, object] = {"type": "result", "result": 1 if new else 0}
    except HubError as error:
        event = {"type": "error", "message": error.message}
    return Response(json.dumps(event) + "\n", mimetype="application/x-ndjson")


def reconstruction_v1(hub: HubState, request: HubRequest, params: Params) -> Response:
    return _reconstruction(hub, request, params, version=1)


def reconstruction_v2(hub: HubState, request: HubRequest, params: Params) -> Response:
    return _reconstruction(hub, request, params, version=2)


def _reconstruction(hub: HubState, request: HubRequest, params: Params, version: int) -> Response:
    hub.xet_tokens.check(request.http.headers.get("Authorization"), write=False)
    xet_file = hub.xet.file(_hash(params["hash"]))
    if xet_file is None:
        raise HubError(404, f"File {params['hash']} not found")
    first, last = 0, xet_file.size - 1
    header = request.http.headers.get("Range")
    if header:
        match = _RANGE.fullmatch(header.strip())
        if match is None:
            raise bad_request(f"Unsupported Range {header!r}: one `bytes=start-end` range")
        first = int(match.group(1))
        last = min(int(match.group(2)), last) if match.group(2) else last
        if first > last:
            raise HubError(416, f"Range {header} is outside the file ({xet_file.size} bytes)")
    tables: dict[str, XorbTable] = {}
    for term in xet_file.terms:
        table = hub.xet.table(term.xorb)
        assert table is not None  # a registered file only references stored xorbs
        tables[term.xorb] = table
    plan = reconstruct(xet_file, tables, first, last)

    def url_of(xorb: str) -> str:
        return f"{cas_url(request)}/xorb-data/{xorb}?sig={_signature(hub, xorb)}"

    build = v1_json if version == 1 else v2_json
    return json_response(build(plan, tables, url_of))


def fetch_xorb(hub: HubState, request: HubRequest, params: Params) -> Response:
    """Stored xorb bytes for a fetch URL (no token: the signature authorises it); honours one
    `Range: bytes=a-b` with 206."""
    xorb = _hash(params["hash"])
    signature = request.http.args.get("sig", "")
    if not hmac.compare_digest(signature, _signature(hub, xorb)):
        raise HubError(403, "Invalid or missing signature")
    table = hub.xet.table(xorb)
    if table is None:
        raise HubError(404, f"Xorb {xorb} not found")
    body = wrap_file(request.http.environ, hub.xet.xorb_path(xorb).open("rb"))
    response = Response(body, mimetype="application/octet-stream", direct_passthrough=True)
    length = table.offsets[-1]
    response.content_length = length
    return response.make_conditional(request.http, accept_ranges=True, complete_length=length)


def telemetry(hub: HubState, request: HubRequest, params: Params) -> Response:
    request.http.stream.read(MAX_SHARD_BYTES)
    return json_response({})


def _signature(hub: HubState, xorb: str) -> str:
    return hmac.new(hub.xet_tokens.signing_key, xorb.encode(), hashlib.sha256).hexdigest()


def _hash(text: str) -> str:
    if not _HASH.fullmatch(text):
        raise bad_request(f"Invalid Xet hash {text!r}: 64 lowercase hex digits expected")
    return text


def _shard_body(request: HubRequest) -> bytes:
    data = request.http.stream.read(MAX_SHARD_BYTES + 1)
    if len(data) > MAX_SHARD_BYTES:
        raise bad_request(f"A shard holds at most {MAX_SHARD_BYTES} bytes")
    return data


def routes() -> list[Route]:
    cas = CAS_PREFIX.strip("/")
    return [
        route("GET", f"{cas}/v1/chunks/{{prefix}}/{{hash}}", dedupe_query),
        route("POST", f"{cas}/v1/xorbs/{{prefix}}/{{hash}}", upload_xorb),
        route("POST", f"{cas}/v1/shards", upload_shard_v1),
        route("POST", f"{cas}/v2/shards", upload_shard_v2),
        route("GET", f"{cas}/v1/reconstructions/{{hash}}", reconstruction_v1),
        route("GET", f"{cas}/v2/reconstructions/{{hash}}", reconstruction_v2),
        route("GET", f"{cas}/xorb-data/{{hash}}", fetch_xorb),
        route("POST", "v1/telemetry", telemetry),
    ]
