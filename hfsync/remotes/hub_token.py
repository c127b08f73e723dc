"""The Hub token: one resolution for every Hub request hfsync makes, the client's own.

`hub_token()` is what the Hub remote sends (remotes/hub.py; its `HfApi` resolves through the
same client function on each request), what the quick head read sends (remotes/hub_head.py),
and what the error hints speak of (remotes/hub_errors.py, `token_source`). As huggingface_hub's
`get_token()` resolves it:

1. with `HF_OIDC_RESOURCE` set (keyless CI, "Trusted Publishers"), a short-lived token for that
   repo, exchanged by the client itself: the id token comes from `HF_OIDC_ID_TOKEN` or from
   GitHub's Actions runtime (`ACTIONS_ID_TOKEN_REQUEST_URL` / `_TOKEN`, given to a job with
   `permissions: id-token: write`) and is exchanged at `POST {endpoint}/oauth/token`; the
   client caches the token and exchanges again before it expires. Opting in is explicit: a
   failure is an error (exit 4), never a fall back to `HF_TOKEN`;
2. else `HF_TOKEN` (or the older `HUGGING_FACE_HUB_TOKEN`);
3. else the token saved by `hf auth login` (`HF_TOKEN_PATH`, else `HF_HOME/token`).

Tokens hfsync obtains this way are masked in everything it writes (core/redact.py), as are the
id token variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from hfsync.core.errors import RefusedError, RemoteError
from hfsync.core.redact import remember

OIDC_RESOURCE = "HF_OIDC_RESOURCE"
_MAX_TOKEN_FILE = 10_000


def oidc_resource(environ: Mapping[str, str] | None = None) -> str | None:
    """The repo a Trusted Publishers token is asked for (`HF_OIDC_RESOURCE`), or None."""
    resource = (os.environ if environ is None else environ).get(OIDC_RESOURCE, "").strip()
    return resource or None


def hub_token(environ: Mapping[str, str] | None = None, *, quick: bool = False) -> str | None:
    """The token to send, or None (anonymous). RefusedError (exit 4) when the Trusted
    Publishers exchange is refused; a temporary failure (network, 5xx) is raised as the
    client raised it, for the caller's retries.

    `quick`: without importing the client when no exchange is asked for (importing it costs
    more than the check that nothing changed, engine/unchanged.py): `HF_TOKEN`, else the token
    file, read as the client reads them."""
    env = os.environ if environ is None else environ
    if oidc_resource(env) is None and quick:
        return _stored_token(env)
    from huggingface_hub import get_token

    try:
        token = get_token()
    except Exception as exc:
        refusal = exchange_refusal(exc)
        if refusal is not None:
            raise refusal from exc
        if oidc_resource(env) is not None and isinstance(exc, (KeyError, ValueError)):
            # get_token() only parses the exchange's answers: one holds no token.
            raise RemoteError(
                "the answer to the Trusted Publishers exchange holds no token; check "
                "HF_ENDPOINT and ACTIONS_ID_TOKEN_REQUEST_URL"
            ) from exc
        raise
    if token is not None and oidc_resource(env) is not None:
        remember(token)
    return token


def scoped_to(where: str) -> bool:
    """Whether `HF_OIDC_RESOURCE` names the repo `where` ("space OWNER/NAME") describes."""
    repo_type, _, repo_id = where.partition(" ")
    resource = (oidc_resource() or "").lower().removeprefix("models/")
    prefix = {"space": "spaces/", "dataset": "datasets/"}.get(repo_type, "")
    return resource == f"{prefix}{repo_id}".lower()


def token_source(environ: Mapping[str, str] | None = None) -> str:
    """Where the token comes from, for the hints of an error: what the user would fix."""
    resource = oidc_resource(environ)
    if resource is not None:
        return f"the Trusted Publishers token for {OIDC_RESOURCE}={resource}"
    return "HF_TOKEN"


def exchange_refusal(exc: BaseException) -> RemoteError | None:
    """The one-line error for a failed Trusted Publishers exchange that retrying cannot fix,
    or None when `exc` is no such failure (a temporary one included)."""
    from huggingface_hub.errors import HfHubHTTPError, OIDCError

    resource = oidc_resource()
    if resource is None:
        return None
    if isinstance(exc, OIDCError):
        return RefusedError(_no_id_token(str(exc)))
    if not isinstance(exc, HfHubHTTPError) or exc.response is None:
        return None
    status = exc.response.status_code
    if status >= 500 or status in (408, 429):
        return None  # temporary: the caller retries
    try:
        url = str(exc.response.request.url)
    except RuntimeError:  # a response made without its request
        return None
    said = _server_said(exc)
    if _same_endpoint(url, os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL", "")):
        return RefusedError(
            f"Trusted Publishers: GitHub Actions refused this job an OIDC id token "
            f"({status}{said}): check the job's `permissions: id-token: write`, or unset "
            "HF_OIDC_RESOURCE to use HF_TOKEN"
        )
    if not urlsplit(url).path.endswith("/oauth/token"):
        return None  # a request of the sync itself: the caller explains it
    if "invalid_grant" in said:
        return RefusedError(
            f"Trusted Publishers: the Hub gave no token for {resource} ({status}{said}): add a "
            "trusted publisher matching this workflow (repository, workflow file, branch or "
            f"environment) in the repo's settings, {_settings_url(resource)}, or fix "
            "HF_OIDC_RESOURCE"
        )
    return RefusedError(
        f"Trusted Publishers: the Hub refused the exchange for {resource} ({status}{said}): "
        "HF_OIDC_RESOURCE must name the repo to write to: spaces/OWNER/NAME, "
        "datasets/OWNER/NAME or OWNER/NAME (a model)"
    )


def _no_id_token(reason: str) -> str:
    if "GitHub Actions" in reason:
        return (
            "Trusted Publishers: HF_OIDC_RESOURCE is set but this GitHub Actions job may not "
            "request an OIDC id token: give the job `permissions: id-token: write`, or unset "
            "HF_OIDC_RESOURCE to use HF_TOKEN"
        )
    return (
        "Trusted Publishers: HF_OIDC_RESOURCE is set but there is no OIDC id token: in GitHub "
        "Actions give the job `permissions: id-token: write`; elsewhere set HF_OIDC_ID_TOKEN to "
        "the id token your CI issues (audience: the Hub's URL); or unset HF_OIDC_RESOURCE to "
        "use HF_TOKEN"
    )


def _same_endpoint(url: str, other: str) -> bool:
    """Whether two URLs name the same scheme, host and path (queries aside)."""
    one, two = urlsplit(url), urlsplit(other)
    return bool(two.netloc) and (one.scheme, one.netloc, one.path) == (
        two.scheme,
        two.netloc,
        two.path,
    )


def _server_said(exc: BaseException) -> str:
    """`: <the server's reason>` (one line, bounded), or ''."""
    message = getattr(exc, "server_message", None) or ""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    reason = lines[-1][:500] if lines else ""
    return f": {reason}" if reason else ""


def _settings_url(resource: str) -> str:
    """The repo's settings page on the configured Hub."""
    from huggingface_hub import constants

    endpoint = (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
    return f"{endpoint}/{resource.removeprefix('models/')}/settings"


def _stored_token(environ: Mapping[str, str]) -> str | None:
    """`HF_TOKEN` (or `HUGGING_FACE_HUB_TOKEN`), else the token file, as the client reads
    them (its OAuth refresh of a browser login and Colab's secrets are left to it)."""
    token = environ.get("HF_TOKEN") or environ.get("HUGGING_FACE_HUB_TOKEN")
    if token and token.strip():
        return token.strip()
    cache = environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    home = environ.get("HF_HOME") or os.path.join(cache, "huggingface")
    path = environ.get("HF_TOKEN_PATH") or os.path.join(home, "token")
    try:
        text = Path(os.path.expanduser(os.path.expandvars(path))).read_text()[:_MAX_TOKEN_FILE]
    except (OSError, ValueError):
        return None
    return text.strip() or None
