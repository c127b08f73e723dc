"""A Hub branch's head: where `HfApi.repo_info` asks for it, and two reads of it.

`read_head` asks through the Hub client's session (its retries, errors and headers), for
`HubRemote.head`. `quick_head` asks the same URL with the standard library alone, for `hfsync
run`'s check that nothing changed since its last answer (memo/answer.py): importing the
client's HTTP stack costs more than the whole check. Any failure there is only "not known":
the run then plans in full and reports the failure properly. Both send the token `hub_token`
resolves.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from hfsync import __version__
from hfsync.core.errors import RemoteError
from hfsync.remotes.hub_token import hub_token

if TYPE_CHECKING:
    from hfsync.remotes.hub_client import HubClient
from hfsync.remotes.hub_moved import moved_to

COMMIT_ID = re.compile(r"[0-9a-f]{40}")
_MAX_ANSWER = 1_000_000  # bytes of the Hub's answer read at most
_TIMEOUT_S = 10.0


def revision_url(endpoint: str, repo_type: str, repo_id: str, branch: str) -> str:
    """The URL of a branch's head, as `HfApi.repo_info(revision=branch, expand=["sha"])` asks
    for it: without `expand` the answer lists every file of the repo (megabytes for a large
    one, on every no-change run)."""
    path = f"{quote(repo_id, safe='/')}/revision/{quote(branch, safe='')}"
    return f"{endpoint}/api/{repo_type}s/{path}?expand=sha"


def read_head(client: HubClient) -> tuple[str | None, str | None]:
    """The GET `HfApi.repo_info(expand=["sha"])` makes (same URL, headers and error
    mapping), without making the client: a no-change run needs nothing else from the Hub.
    (head, the repo's new id when the Hub answered for a renamed repo, else None)."""
    from huggingface_hub.utils import get_session, hf_raise_for_status

    url = revision_url(client.endpoint, client.repo_type, client.repo_id, client.branch)
    response = get_session().get(url, headers=client.headers())
    hf_raise_for_status(response)
    try:
        answer = response.json()
        sha = answer.get("sha")
    except (ValueError, AttributeError):
        answer, sha = None, ""
    if sha is not None and not (isinstance(sha, str) and COMMIT_ID.fullmatch(sha)):
        raise RemoteError(
            f"the Hub's answer for the head of {client.description} is not a commit id; "
            f"check HF_ENDPOINT ({client.endpoint})"
        )
    return sha, moved_to(client.repo_id, answer)


def quick_head(
    endpoint: str, repo_type: str, repo_id: str, branch: str, environ: Mapping[str, str]
) -> str | None:
    """The branch's head commit, or None when it cannot be read at once (any error)."""
    import urllib.request

    headers = {"user-agent": f"hfsync/{__version__}"}
    try:
        token = hub_token(environ, quick=True)
    except Exception:  # a failed exchange: the full plan reports it properly
        return None
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 (the endpoint is the configured Hub's)
        revision_url(endpoint, repo_type, repo_id, branch), headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:  # noqa: S310
            answer = json.loads(response.read(_MAX_ANSWER))
    except (OSError, ValueError):  # URLError and HTTPError are OSErrors
        return None
    if moved_to(repo_id, answer) is not None:
        return None  # renamed: the run plans in full, and says which id to put in the config
    sha = answer.get("sha") if isinstance(answer, dict) else None
    return sha if isinstance(sha, str) and COMMIT_ID.fullmatch(sha) else None
