"""hf_xet under hfsync's retry policy: its settings, and its failures read.

The Hub client hands large files to hf_xet, which retries inside its own (Rust) runtime, outside
hfsync's policy: by default 5 retries over up to 6 minutes, with requests that may wait 5
minutes for an answer. `configure_xet` gives it hfsync's budget through the environment
variables hf_xet reads when the client makes its session (once per process, at the first
upload); a variable already set is the user's choice and is kept. A failure hf_xet reports
after its retries is then final: hfsync does not retry it again (the budget is spent), and
`xet_error` says what the server answered.
"""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from urllib.parse import urlsplit

from hfsync.core.errors import RemoteError, TemporaryError
from hfsync.core.redact import redact
from hfsync.remotes.retry import RetryPolicy

# hf_xet reports an HTTP failure as "... HTTP status server error (503 SERVICE UNAVAILABLE),
# domain: <url>" (the status line of the answer, then the URL asked), a network failure as
# "... error sending request for url (<url>)".
_STATUS = re.compile(r"HTTP status (?:server|client) error \((\d{3})\b")
_URL = re.compile(r"(?:domain: |for url \()([^\s(),;]{1,300})")
_MAX_TEXT = 1000  # characters of hf_xet's message read at most (it quotes the server)
_MAX_REASON = 200
_HINTS = {
    401: "; run again (hf_xet does not renew an access token the storage refused)",
    403: "; check that HF_TOKEN may write to the repo",
}


class XetFailure(Exception):
    """hf_xet's failure (the cause) after its own retries: raised inside a retried call so that
    the retry policy lets it through at once."""


def configure_xet(policy: RetryPolicy, environ: MutableMapping[str, str] = os.environ) -> None:
    """Give hf_xet hfsync's policy: as many attempts, the same first wait and total time, and
    the same request timeout (connecting: at most 15 s, as for the Hub's API). Durations are
    written in milliseconds: hf_xet ignores a number without a unit."""
    settings = {
        "HF_XET_CLIENT_RETRY_MAX_ATTEMPTS": str(policy.attempts - 1),  # retries after the first
        "HF_XET_CLIENT_RETRY_BASE_DELAY": _ms(policy.wait),
        "HF_XET_CLIENT_RETRY_MAX_DURATION": _ms(policy.max_time),
        "HF_XET_CLIENT_CONNECT_TIMEOUT": _ms(min(policy.timeout, 15.0)),
        "HF_XET_CLIENT_READ_TIMEOUT": _ms(policy.timeout),
    }
    for name, value in settings.items():
        environ.setdefault(name, value)


def xet_error(exc: BaseException, where: str) -> RemoteError:
    """The one-line error for hf_xet's failure to upload file content to `where`, after its
    retries: TemporaryError (exit 6) for a server failure (5xx, 408, 429) or the network,
    naming the status the server gave; RemoteError (exit 4) for a refusal or anything else."""
    text = str(exc)[:_MAX_TEXT]
    lines = text.strip().splitlines()
    first = lines[0] if lines else type(exc).__name__
    status_found = _STATUS.search(first)
    url = _URL.search(first)
    path = _path_of(url.group(1)) if url else ""
    route = f" ({path})" if path else ""
    if status_found is not None:
        status = int(status_found.group(1))
        if status >= 500 or status in (408, 429):
            return TemporaryError(
                f"the Hub failed ({status}) on {where}{route} while hf_xet uploaded file "
                "content, after its retries; try again later"
            )
        hint = _HINTS.get(status, "")
        return RemoteError(
            f"uploading file content to {where} through Xet failed: the Hub refused it "
            f"({status}{', ' + path if path else ''}){hint}"
        )
    reason = redact(first)[:_MAX_REASON]
    if isinstance(exc, ConnectionError):
        return TemporaryError(
            f"hf_xet could not reach the Hub for {where}{route} after its retries: {reason}; "
            "check the network, then try again"
        )
    return RemoteError(f"uploading file content to {where} through Xet failed: {reason}")


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:  # not a URL after all (an unclosed IPv6 bracket, say)
        return ""


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"
