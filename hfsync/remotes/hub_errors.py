"""The Hub client's errors, read and explained in one line each (exit code 4 at the CLI)."""

from __future__ import annotations

from hfsync.core.errors import RefusedError, RemoteError


def explain(exc: BaseException, where: str, endpoint: str) -> str:
    """One line that says what went wrong and what to do."""
    from huggingface_hub.errors import (
        HfHubHTTPError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    needs_token = (
        f"writing to {where} needs a token: set HF_TOKEN (a write token) or run 'hf auth login'"
    )
    if is_missing_token(exc):
        return needs_token
    # The client turns a 401 on a repo route into RepositoryNotFoundError (the Hub answers 401
    # for private repos too); without any token, the token is what is missing.
    if isinstance(exc, HfHubHTTPError) and status_of(exc) == 401 and not has_token():
        return needs_token
    if isinstance(exc, RepositoryNotFoundError):
        return (
            f"{where} not found, or the token cannot see it: check the repo id and HF_TOKEN, "
            "or set 'create = true'"
        )
    if isinstance(exc, RevisionNotFoundError):
        return f"{where}: revision not found ({server_message(exc)})"
    if isinstance(exc, HfHubHTTPError):
        status = status_of(exc)
        if status == 401:
            return "the Hub rejected the token (401): set a valid HF_TOKEN or run 'hf auth login'"
        if status == 403:
            return (
                f"the token may not write to {where} (403): it belongs to another user or lacks "
                "write access there; use a write token of the repo's owner or of a member of its "
                "organization"
            )
        if status == 429:
            wait = retry_after(exc)
            when = f"in {wait:.0f} s" if wait is not None else "later"
            return f"the Hub rate-limits {where} (429): nothing was written; try again {when}"
        if status is not None and status >= 500:
            return f"the Hub failed ({status}) after retries: nothing was written; try again later"
        return f"the Hub refused ({status}) on {where}: {server_message(exc)}"
    return (
        f"cannot reach the Hub at {endpoint}: {type(exc).__name__}: {exc}; "
        "check HF_ENDPOINT and the network"
    )


def has_token() -> bool:
    """Whether the client has any token (HF_TOKEN or a saved login) to send."""
    from huggingface_hub import get_token

    return get_token() is not None


def error_class(exc: BaseException) -> type[RemoteError]:
    """RefusedError when trying again cannot help (token, permission, missing repo)."""
    from huggingface_hub.errors import RepositoryNotFoundError

    if is_missing_token(exc) or isinstance(exc, RepositoryNotFoundError):
        return RefusedError
    if isinstance(exc, Exception) and status_of(exc) in (401, 403):
        return RefusedError
    return RemoteError


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


def is_network_error(exc: BaseException | None) -> bool:
    import httpx2

    return isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError))


def is_missing_token(exc: BaseException | None) -> bool:
    from huggingface_hub.errors import LocalTokenNotFoundError

    return isinstance(exc, LocalTokenNotFoundError)
