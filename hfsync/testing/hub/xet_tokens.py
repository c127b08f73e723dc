"""Short-lived Xet access tokens: issued per repo and revision by the Hub's token endpoints,
checked by every CAS call (xet-cas.md §2.1, §2.2).

A write token may call every CAS route, a read token only the GET ones. The CAS refuses a token
after its expiry with 401, as hf_xet expects (it refreshes before `exp`, never after a 401).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from .errors import HubError
from .naming import RepoKey

DEFAULT_LIFETIME = 3600


@dataclass(frozen=True)
class XetGrant:
    repo: RepoKey
    revision: str
    write: bool
    expires: int  # Unix seconds


class XetTokens:
    """Issued tokens and their grants; `lifetime` (seconds) applies to tokens issued after."""

    def __init__(self, lifetime: int = DEFAULT_LIFETIME) -> None:
        self.lifetime = lifetime
        self.signing_key = secrets.token_bytes(32)  # for the CAS's self-authorising fetch URLs
        self._grants: dict[str, XetGrant] = {}
        self._lock = threading.Lock()

    def issue(self, repo: RepoKey, revision: str, *, write: bool) -> tuple[str, int]:
        """A new token for `repo` and its expiry (Unix seconds)."""
        token = f"xet_{secrets.token_urlsafe(24)}"
        now = int(time.time())
        grant = XetGrant(repo, revision, write, now + self.lifetime)
        with self._lock:
            for stale in [key for key, old in self._grants.items() if old.expires < now]:
                del self._grants[stale]
            self._grants[token] = grant
        return token, grant.expires

    def check(self, authorization: str | None, *, write: bool) -> XetGrant:
        """The grant of a valid bearer token: 401 if missing, unknown or expired, 403 if a
        write is attempted with a read token."""
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            grant = self._grants.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None:
            raise HubError(401, "Missing or invalid Xet access token")
        if grant.expires <= time.time():
            raise HubError(401, "The Xet access token has expired")
        if write and not grant.write:
            raise HubError(403, "This Xet access token is read-only")
        return grant

    def expire_all(self) -> None:
        """Make every token issued so far expired (tokens issued later are valid)."""
        with self._lock:
            self._grants = {
                token: XetGrant(grant.repo, grant.revision, grant.write, 0)
                for token, grant in self._grants.items()
            }

    def clear(self) -> None:
        with self._lock:
            self._grants.clear()
