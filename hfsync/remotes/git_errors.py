"""git's failures, read: which are temporary (network, 5xx), which mean the branch moved under a
push (a lost lease or a ref-lock race), which want credentials, and git's whole message on one
line."""

from __future__ import annotations

from hfsync.core.errors import RemoteError, TemporaryError
from hfsync.core.redact import redact
from hfsync.remotes import retry
from hfsync.remotes.retry import Transient

# What git prints when the network or the server failed, not the request (a retry may pass).
_TRANSIENT = (
    ("Could not resolve host", "cannot resolve the host"),
    ("Connection timed out", "the connection timed out"),
    ("Operation timed out", "the connection timed out"),
    ("Operation too slow", "the transfer stalled"),
    ("Connection refused", "cannot connect"),
    ("Couldn't connect to server", "cannot connect"),  # curl, for an http(s) remote
    ("Connection reset", "the connection was lost"),
    ("hung up unexpectedly", "the connection was lost"),
    ("early EOF", "the connection was lost"),
    ("transfer closed", "the connection was lost"),
    ("Empty reply from server", "the connection was lost"),
    ("RPC failed", "the connection was lost"),
    ("The requested URL returned error: 5", "the server failed (5xx)"),
    ("The requested URL returned error: 429", "rate-limited (429)"),
)

# What git prints when the ref changed between reading and writing it: the remote moved.
_MOVED = (
    "stale info",
    "fetch first",
    "non-fast-forward",
    "cannot lock ref",
    "failed to update ref",
    "incorrect old value",
)


class GitFailed(Exception):
    """A git command that exited non-zero: its exit status and what it printed."""

    def __init__(self, args: tuple[str, ...], status: int, stdout: str, stderr: str) -> None:
        super().__init__(f"git {' '.join(args[:1])} exited with status {status}")
        self.status = status
        self.stdout = stdout
        self.stderr = stderr


def git_text(exc: GitFailed) -> str:
    """What git printed, stdout and stderr."""
    return f"{exc.stdout}\n{exc.stderr}"


def classify(exc: BaseException) -> Transient | None:
    """Whether a failed git command is worth another attempt."""
    if not isinstance(exc, GitFailed):
        return None
    text = git_text(exc)
    for needle, kind in _TRANSIENT:
        if needle in text:
            return Transient(kind)
    return None


def is_moved(exc: GitFailed) -> bool:
    """True when a push failed because the branch was no longer where hfsync expected it."""
    text = git_text(exc)
    return any(word in text for word in _MOVED)


def message(exc: GitFailed) -> str:
    """git's whole message (stderr, else the exit status) on one line, credentials hidden."""
    lines = [line.strip() for line in exc.stderr.splitlines() if line.strip()]
    text = "; ".join(lines) if lines else f"exit status {exc.status}"
    return redact(text)


_CREDENTIAL_SIGNS = (
    "terminal prompts disabled",
    "could not read Username",
    "could not read Password",
    "Authentication failed",
    "Permission denied (publickey",
)


def needs_credentials(exc: GitFailed) -> bool:
    """True when git failed because the remote wants credentials it was not given."""
    text = exc.stderr
    return any(sign in text for sign in _CREDENTIAL_SIGNS)


def credentials_message(url: str) -> str:
    return (
        f"git needs credentials for {redact(url)}: give git a credential helper "
        "('git config --global credential.helper ...') or an ssh key, or a token in the URL "
        "from a secret; hfsync never prompts"
    )


def error_for(what: str, exc: GitFailed | retry.GaveUp, url: str) -> RemoteError:
    """TemporaryError (exit 6) when git failed on the network and retries did not help, with
    git's whole message; RemoteError (exit 4) otherwise."""
    failure = exc.failure if isinstance(exc, retry.GaveUp) else exc
    if not isinstance(failure, GitFailed):  # only git's own failures are retried (classify)
        return RemoteError(f"{what} failed: {failure}")
    if needs_credentials(failure):
        return RemoteError(credentials_message(url))
    if isinstance(exc, retry.GaveUp):
        tries = f" after {exc.attempts} attempts" if exc.attempts > 1 else ""
        text = message(failure)
        return TemporaryError(f"{what} failed{tries} ({exc.transient.kind}): {text}")
    return RemoteError(f"{what} failed: {message(exc)}")
