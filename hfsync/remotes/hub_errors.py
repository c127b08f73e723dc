"""The Hub client's errors: which are temporary (retried, then exit 6) and which are refusals
(exit 4), each explained in one line."""

from __future__ import annotations

from hfsync.core.errors import RefusedError, RemoteError, TemporaryError
from hfsync.remotes.hub_token import (
    exchange_refusal,
    hub_token,
    oidc_resource,
    scoped_to,
    token_source,
)
from hfsync.remotes.retry import Transient

_XET_CLIENT_ERROR = "HTTP status client error"


def classify(exc: BaseException | None) -> Transient | None:
    """Whether a client failure is temporary (worth another attempt), and what it was."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(exc, HfHubHTTPError):
        status = status_of(exc)
        if status == 429:
            return Transient("rate-limited (429)", wait=retry_after(exc) or None)
        if status is not None and (status >= 500 or status == 408):
            return Transient(f"the Hub answered {status}")
        return None
    if isinstance(exc, ConnectionError) and _XET_CLIENT_ERROR in str(exc):
        return None  # hf_xet reports a 4xx from the CAS (an expired token, say) this way
    if isinstance(exc, (httpx2.TimeoutException, TimeoutError)):
        return Transient("the request timed out")
    if isinstance(exc, (httpx2.ConnectError, ConnectionRefusedError)):
        return Transient("cannot connect")
    if isinstance(exc, (httpx2.TransportError, ConnectionError)):
        return Transient("the connection was lost")
    return None


def error_for(exc: BaseException, where: str, endpoint: str, attempts: int = 1) -> RemoteError:
    """The one-line error for a client failure: TemporaryError (exit 6) for what may pass
    (network, timeouts, 5xx, 429), RemoteError (exit 4) for a refusal (auth, permission,
    missing repo). "after N attempts" is said only when N attempts were made."""
    from huggingface_hub.errors import (
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    tries = f" after {attempts} attempts" if attempts > 1 else ""
    refusal = exchange_refusal(exc)  # no token at all: the Trusted Publishers exchange failed
    if refusal is not None:
        return refusal
    needs_token = RefusedError(
        f"writing to {where} needs a token: set HF_TOKEN (a write token) or run 'hf auth login'"
    )
    if is_missing_token(exc):
        return needs_token
    # The client turns a 401 on a repo route into RepositoryNotFoundError (the Hub answers 401
    # for private repos too); without any token, the token is what is missing.
    if isinstance(exc, HfHubHTTPError) and status_of(exc) == 401 and not has_token():
        return needs_token
    if isinstance(exc, RepositoryNotFoundError):
        return RefusedError(
            f"{where} not found, or the token cannot see it: check the repo id and "
            f"{token_source()}, or set 'create = true'"
        )
    if isinstance(exc, RevisionNotFoundError):
        return RemoteError(f"{where}: revision not found ({server_message(exc)})")
    if isinstance(exc, HfHubHTTPError):
        status = status_of(exc)
        if status == 401 and oidc_resource() is not None:
            return RefusedError(
                f"the Hub rejected {token_source()} (401): it expired or was revoked; run again"
            )
        if status == 401:
            return RefusedError(
                "the Hub rejected the token (401): set a valid HF_TOKEN or run 'hf auth login'"
            )
        if status == 403 and oidc_resource() is not None:
            if not scoped_to(where):
                return RefusedError(
                    f"{token_source()} may not write to {where} (403): a Trusted Publishers "
                    "token writes to that one repo only; set HF_OIDC_RESOURCE to this target's "
                    "repo (spaces/OWNER/NAME, datasets/OWNER/NAME or OWNER/NAME)"
                )
            return RefusedError(
                f"{token_source()} may not do this on {where} (403): {server_message(exc)}"
            )
        if status == 403:
            return RefusedError(
                f"the token may not write to {where} (403): it belongs to another user or lacks "
                "write access there; use a write token of the repo's owner or of a member of its "
                "organization"
            )
        if status == 429:
            wait = retry_after(exc)
            when = f"in {wait:.0f} s" if wait is not None else "later"
            return TemporaryError(f"the Hub rate-limits {where} (429){tries}; try again {when}")
        if status is not None and (status >= 500 or status == 408):
            return TemporaryError(
                f"the Hub failed ({status}) on {where}{tries}: {server_message(exc)}; "
                "try again later"
            )
        return RemoteError(f"the Hub refused ({status}) on {where}: {server_message(exc)}")
    transient = classify(exc)
    if transient is not None:
        return TemporaryError(
            f"cannot reach the Hub at {endpoint} ({transient.kind}){tries}: "
            f"{type(exc).__name__}: {_first_line(exc)}; check HF_ENDPOINT and the network, "
            "then try again"
        )
    return RemoteError(f"the Hub client failed on {where}: {type(exc).__name__}: {exc}")


def has_token() -> bool:
    """Whether there is any token (HF_TOKEN, a saved login, an exchanged one) to send."""
    try:
        return hub_token() is not None
    except Exception:  # a failed exchange: no token
        return False


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else "no details"


def status_of(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def server_message(exc: Exception) -> str:
    message = getattr(exc, "server_message", None) or str(exc).splitlines()[0]
    return str(message).strip()


def retry_after(exc: Exception) -> float | None:
    """Seconds the Hub asks to wait on a 429 (`RateLimit: ...;t=N` or `Retry-After: N`)."""
    if status_of(exc) != 429:
        return None
    headers = exc.response.headers  # type: ignore[attr-defined]
    for part in headers.get("RateLimit", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return float(value)
    header = headers.get("Retry-After", "")
    return float(header) if header.isdigit() else None


def is_missing_token(exc: BaseException | None) -> bool:
    """No token to send: none is set, or the Trusted Publishers exchange failed."""
    from huggingface_hub.errors import LocalTokenNotFoundError, OIDCError

    return isinstance(exc, (LocalTokenNotFoundError, OIDCError))
