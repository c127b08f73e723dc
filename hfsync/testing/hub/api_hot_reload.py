"""Hot reload over HTTP (see `hot_reload.py` for the simulation's rules).

* `POST /api/spaces/{id}/commit/main?hot_reload=1`: `hot_reload_commit` decides, after the commit
  landed, between patching the running Space and the usual build.
* A Space's `host` is `{hub}/_apps/{subdomain}` (on the Hub: `https://{subdomain}.hf.space`).
  The client reaches a replica's reload server at the host with `{subdomain}--7887` in place of
  the subdomain: `POST {hub}/_apps/{subdomain}--7887/--replicas/+{hash}/get-reload` with
  `{"reloadId": <commit>}`, needing a write token of the Space's owner. The answer is
  Server-Sent Events, one `data: {"data": {"kind": ...}}` event each, ending when all are sent;
  204 when the replica knows no such reload, 404 for an unknown replica or Space.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from .access import writable_repo
from .errors import HubError, bad_request
from .hot_reload import Reload, gradio_refusal, reload_events
from .metadata import front_matter
from .naming import space_subdomain
from .routing import Params, Route, route
from .state import HubState
from .storage import Repo
from .web import HubRequest

APPS_PREFIX = "_apps"
RELOAD_PORT = "7887"


def space_host(base_url: str, subdomain: str) -> str:
    """Where a Space's app answers on this hub."""
    return f"{base_url}/{APPS_PREFIX}/{subdomain}"


def hot_reload_commit(hub: HubState, repo: Repo, commit: str) -> bool:
    """After `commit` landed on the Space's `main` with `?hot_reload=1`: patch the running
    replicas (True), or record a canceled hot reload (False: the caller starts a build)."""
    repo_id = repo.key.repo_id
    replicas = hub.hot_reloads.replica_hashes(repo_id)
    running = hub.runtimes.current(repo_id)
    refusal, events = _refusal_and_events(repo, running, commit)
    if refusal is None:
        reload = Reload(commit, "created", tuple((h, "created") for h in replicas), events)
        hub.runtimes.hot_reloaded(repo_id, commit)
    else:
        reload = Reload(commit, "canceled", ())
    hub.hot_reloads.record(repo_id, space_subdomain(repo.key), reload)
    return refusal is None


def _refusal_and_events(
    repo: Repo, running: tuple[str, str] | None, commit: str
) -> tuple[str | None, tuple[dict[str, object], ...]]:
    if running is None or running[0] != "RUNNING":
        return "the Space is not running", ()
    new = repo.snapshot(commit)
    readme = new.file("README.md")
    text = repo.read_blob(readme.oid).decode(errors="replace") if readme and not readme.lfs else ""
    refusal = gradio_refusal(front_matter(text), repo.meta.sdk)
    if refusal is not None:
        return refusal, ()
    old = repo.snapshot(running[1])
    before = {entry.path: entry for entry in old.files()}
    after = {entry.path: entry for entry in new.files()}
    if set(before) - set(after):
        return "the commit deletes files", ()
    changed = sorted(p for p, entry in after.items() if before.get(p) != entry)
    for path in changed:
        if not path.endswith(".py") or after[path].lfs:
            return f"{path} is not Python code", ()
    events = []
    for path in changed:
        old_entry = before.get(path)
        old_source = repo.read_blob(old_entry.oid) if old_entry else None
        events += reload_events(path, old_source, repo.read_blob(after[path].oid))
    return None, tuple(events)


def get_reload(hub: HubState, request: HubRequest, params: Params) -> Response:
    repo_id = hub.hot_reloads.space_of(params["app"])
    if repo_id is None:
        raise HubError(404, "Space not found")
    namespace, name = repo_id.split("/")
    repo = writable_repo(hub, request, {"repo_type": "space", "namespace": namespace, "name": name})
    replica = params["replica"].removeprefix("+")
    if replica not in hub.hot_reloads.replica_hashes(repo.key.repo_id):
        raise HubError(404, "Replica not found")
    reload_id = request.json_object().get("reloadId")
    if not isinstance(reload_id, str) or not 0 < len(reload_id) <= 64:
        raise bad_request("Expected a JSON body with a string `reloadId`")
    reload = hub.hot_reloads.find(repo.key.repo_id, reload_id)
    if reload is None or reload.status != "created":
        return Response(status=204)
    stream = "".join(f"data: {json.dumps(event)}\n\n" for event in reload.events)
    return Response(stream, mimetype="text/event-stream", headers={"Cache-Control": "no-cache"})


def routes() -> list[Route]:
    return [
        route(
            "POST",
            f"{APPS_PREFIX}/{{app}}--{RELOAD_PORT}/--replicas/{{replica}}/get-reload",
            get_reload,
        )
    ]
