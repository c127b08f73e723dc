"""Gated repos: who may download, and the access requests the owner handles.

A gated repo (`gated` "auto" or "manual") shows its info, files list and history to anyone who may
read it, but its files' content (`resolve`, Xet read tokens) only to its owner and to users whose
access request is accepted; anyone else gets the Hub's `GatedRepo` error: 401 without a token, 403
with one. Requests are kept as `access.json` in the repo's git folder: user -> status
(`pending`, `accepted`, `rejected`), request id and time. The owner grants access
(`grant_access`) or changes a request's status (`accept_`/`reject_`/`cancel_access_request`).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from typing import Any

from .access import readable_repo
from .errors import HubError
from .routing import Params
from .state import HubState
from .storage import Repo, hub_date
from .web import HubRequest

GATED_REPO = "GatedRepo"
STATUSES = ("pending", "accepted", "rejected")
_FILE = "access.json"


def downloadable_repo(hub: HubState, request: HubRequest, params: Params) -> Repo:
    """The repo, when the request may read its files' content; else the Hub's errors."""
    repo = readable_repo(hub, request, params)
    user = request.user
    if not repo.meta.gated or repo.key.owned_by(user):
        return repo
    if user is not None and requests(repo).get(user, {}).get("status") == "accepted":
        return repo
    what = f"{repo.key.repo_type} {repo.key.repo_id}"
    if user is None:
        message = (
            f"Access to {what} is restricted. You must have access to it and be authenticated "
            "to access it. Please log in."
        )
        raise HubError(401, message, code=GATED_REPO)
    message = (
        f"Access to {what} is restricted and you are not in the authorized list. "
        f"Visit {repo.key.web_url(request.base_url)} to ask for access."
    )
    raise HubError(403, message, code=GATED_REPO)


def requests(repo: Repo) -> dict[str, dict[str, Any]]:
    """user -> {status, requestId, timestamp} of every access request to `repo`."""
    try:
        data = json.loads((repo.git_dir / _FILE).read_text())
    except FileNotFoundError:
        return {}
    return data if isinstance(data, dict) else {}


def set_status(repo: Repo, user: str, status: str) -> None:
    """Record `user`'s request as `status` (a new request when there is none); hold `repo.lock`."""
    table = requests(repo)
    entry = table.get(user) or {"requestId": secrets.token_hex(12)}
    entry.update(status=status, timestamp=hub_date(time.time()))
    table[user] = entry
    temp = repo.git_dir / f"{_FILE}.tmp"
    temp.write_text(json.dumps(table))
    os.replace(temp, repo.git_dir / _FILE)
