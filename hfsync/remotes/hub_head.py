"""A Hub branch's head: where `HfApi.repo_info` asks for it, and one quick read of it.

`HubRemote.head` asks through the Hub client's session (its retries, errors and headers).
`quick_head` asks the same URL with the standard library alone, for `hfsync run`'s check that
nothing changed since its last answer (engine/unchanged.py): importing the client's HTTP stack
costs more than the whole check. Any failure there is only "not known": the run then plans in
full and reports the failure properly.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from hfsync import __version__
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


def quick_head(
    endpoint: str, repo_type: str, repo_id: str, branch: str, environ: Mapping[str, str]
) -> str | None:
    """The branch's head commit, or None when it cannot be read at once (any error)."""
    import urllib.request

    headers = {"user-agent": f"hfsync/{__version__}"}
    token = _token(environ)
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


def _token(environ: Mapping[str, str]) -> str | None:
    """The token the Hub client would send, in its usual places: HF_TOKEN (or the older
    HUGGING_FACE_HUB_TOKEN), else the token file (HF_TOKEN_PATH, else HF_HOME/token). Another
    source the client knows (a Colab secret, OIDC) is not looked up: without it the read may
    be refused, and the run plans in full."""
    token = environ.get("HF_TOKEN") or environ.get("HUGGING_FACE_HUB_TOKEN")
    if token and token.strip():
        return token.strip()
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = environ.get("HF_HOME") or os.path.join(cache, "huggingface")
    path = environ.get("HF_TOKEN_PATH") or os.path.join(home, "token")
    try:
        text = Path(os.path.expanduser(os.path.expandvars(path))).read_text()[:10_000]
    except (OSError, ValueError):
        return None
    return text.strip() or None
