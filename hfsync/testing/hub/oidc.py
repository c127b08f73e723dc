"""Trusted Publishers: keyless CI through OIDC token exchange, as the Hub does it.

A CI job proves who it is with an OIDC id token (a JWT whose `sub` claim names the workflow,
e.g. `repo:OWNER/REPO:ref:refs/heads/main`) and exchanges it (RFC 8693) for a short-lived Hub
token that may write to one repo only. Here the test Hub is also the id tokens' issuer: it signs
them (HS256, a key of its own) so that tests and users can run the whole flow offline.

* `register(resource, sub)`: the repo owner's setting "this workflow may publish here";
* `mint(issuer, sub, audience)`: an id token, as GitHub's Actions runtime hands one out;
* `runtime(sub)`: a request token for a job whose id tokens carry `sub` (GitHub gives a job
  `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; `runtime_subject(token)` is the job it names);
* `exchange(issuer, subject_token, resource)`: the token endpoint's work, answering like the
  Hub: `invalid_grant` when the id token is bad or no publisher matches;
* `authenticate(token)`: who an exchanged token is (its owner, `write`, scoped to the repo).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from .auth import Credentials, Identity
from .naming import API_SEGMENT, RepoKey, is_valid_name, is_valid_namespace

ISSUER_PATH = "/_testhub/oidc"
TOKEN_PREFIX = "hf_jwt_"
DEFAULT_TOKEN_SECONDS = 3600
DEFAULT_ID_TOKEN_SECONDS = 300
MAX_SUBJECT = 1000  # characters of a `sub` claim, and of a resource
MAX_ID_TOKEN = 16_000  # characters of an id token presented for exchange
_ALGORITHM = "HS256"
_TYPE_OF_SEGMENT = {segment: repo_type for repo_type, segment in API_SEGMENT.items()}


class OAuthError(Exception):
    """A token endpoint refusal: RFC 6749's `error` code and a description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Grant:
    """What an exchanged token may do, until when (Unix seconds)."""

    repo: RepoKey
    subject: str
    expires: float


def parse_resource(resource: object) -> RepoKey:
    """The repo a Trusted Publishers resource names: `spaces/OWNER/NAME`, `datasets/OWNER/NAME`
    or `OWNER/NAME` (a model; `models/OWNER/NAME` too). ValueError otherwise."""
    if not isinstance(resource, str) or not 0 < len(resource) <= MAX_SUBJECT:
        raise ValueError("`resource` must be a string like spaces/OWNER/NAME")
    parts = resource.split("/")
    if len(parts) == 3 and parts[0] in _TYPE_OF_SEGMENT:
        repo_type, namespace, name = _TYPE_OF_SEGMENT[parts[0]], parts[1], parts[2]
    elif len(parts) == 2:
        repo_type, namespace, name = "model", parts[0], parts[1]
    else:
        raise ValueError(
            f"resource {resource!r} is not a repo: spaces/OWNER/NAME, datasets/OWNER/NAME or "
            "OWNER/NAME (the test Hub has no user-scoped tokens)"
        )
    if not (is_valid_namespace(namespace) and is_valid_name(name)):
        raise ValueError(f"resource {resource!r} names no valid repo")
    return RepoKey(repo_type, namespace, name)


def same_repo(one: RepoKey, other: RepoKey) -> bool:
    """Repo names are case-insensitive on the Hub."""
    return one.repo_type == other.repo_type and one.repo_id.lower() == other.repo_id.lower()


def in_scope(identity: Identity, key: RepoKey | None) -> bool:
    """Whether `identity` may act on `key`: any repo for a user token, one for a scoped one
    (which may not act when the repo is not known)."""
    return identity.repo is None or (key is not None and same_repo(identity.repo, key))


def _check_subject(sub: object) -> str:
    if not isinstance(sub, str) or not 0 < len(sub) <= MAX_SUBJECT or not sub.isprintable():
        raise ValueError(f"`sub` must be a printable string of 1 to {MAX_SUBJECT} characters")
    return sub


class TrustedPublishers:
    """Registered publishers, the id-token issuer's key and the tokens exchanged."""

    def __init__(
        self,
        token_seconds: int = DEFAULT_TOKEN_SECONDS,
        id_token_seconds: int = DEFAULT_ID_TOKEN_SECONDS,
    ) -> None:
        self.token_seconds = token_seconds
        self.id_token_seconds = id_token_seconds
        self._key = OctKey.import_key(secrets.token_bytes(32))
        self._publishers: set[tuple[RepoKey, str]] = set()
        self._grants: dict[str, Grant] = {}
        self._jobs: dict[str, str] = {}  # runtime request token -> the job's subject
        self._lock = threading.Lock()

    def register(self, resource: object, sub: object) -> RepoKey:
        """Let the workflow whose id tokens carry exactly `sub` publish to `resource`."""
        key, subject = parse_resource(resource), _check_subject(sub)
        with self._lock:
            self._publishers.add((key, subject))
        return key

    def mint(self, issuer: str, sub: object, audience: object) -> str:
        """An id token for `sub`, for `audience`, signed by the test Hub at `issuer`."""
        subject = _check_subject(sub)
        if not isinstance(audience, str) or not 0 < len(audience) <= MAX_SUBJECT:
            raise ValueError("`aud` must be a string (default: the Hub's URL)")
        now = int(time.time())
        claims = {
            "iss": issuer + ISSUER_PATH,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + self.id_token_seconds,
            "jti": secrets.token_hex(8),
        }
        return jwt.encode({"alg": _ALGORITHM, "typ": "JWT"}, claims, self._key, [_ALGORITHM])

    def runtime(self, sub: object) -> str:
        """A new request token for a job whose id tokens carry `sub`."""
        subject = _check_subject(sub)
        token = f"runtime_{secrets.token_urlsafe(24)}"
        with self._lock:
            self._jobs[token] = subject
        return token

    def runtime_subject(self, token: str) -> str | None:
        """The subject of the job a request token was made for, or None."""
        with self._lock:
            return self._jobs.get(token)

    def exchange(self, issuer: str, subject_token: object, resource: object) -> tuple[str, int]:
        """A token that may write to `resource`, and its lifetime in seconds; OAuthError when
        the id token is not one this Hub issued for itself, or no publisher matches it."""
        try:
            key = parse_resource(resource)
        except ValueError as error:
            raise OAuthError("invalid_target", str(error)) from None
        subject = self._verified_subject(issuer, subject_token)
        with self._lock:
            registered = any(
                same_repo(key, repo) and subject == sub for repo, sub in self._publishers
            )
        if not registered:
            segment = "" if key.repo_type == "model" else f"{API_SEGMENT[key.repo_type]}/"
            raise OAuthError(
                "invalid_grant",
                f"No trusted publisher of {segment}{key.repo_id} matches the subject '{subject}'",
            )
        token = TOKEN_PREFIX + jwt.encode(
            {"alg": _ALGORITHM, "typ": "JWT"},
            {"sub": subject, "resource": resource, "jti": secrets.token_hex(8)},
            self._key,
            [_ALGORITHM],
        )
        now = time.time()
        with self._lock:
            for stale in [token for token, grant in self._grants.items() if grant.expires < now]:
                del self._grants[stale]
            self._grants[token] = Grant(key, subject, now + self.token_seconds)
        return token, self.token_seconds

    def _verified_subject(self, issuer: str, subject_token: object) -> str:
        if not isinstance(subject_token, str) or not 0 < len(subject_token) <= MAX_ID_TOKEN:
            raise OAuthError("invalid_request", "`subject_token` must be an id token (a JWT)")
        try:
            token = jwt.decode(subject_token, self._key, [_ALGORITHM])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": issuer + ISSUER_PATH},
                aud={"essential": True, "value": issuer},
                sub={"essential": True},
                exp={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise OAuthError(
                "invalid_grant", f"The id token is not valid for this Hub: {error}"
            ) from None
        return str(token.claims["sub"])

    def authenticate(self, token: str) -> Credentials | None:
        """The credentials of an exchanged token (invalid once expired); None for any other."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._lock:
            grant = self._grants.get(token)
        if grant is None or grant.expires <= time.time():
            return Credentials(invalid=True)
        return Credentials(Identity(grant.repo.namespace, "write", repo=grant.repo))

    def expire_all(self) -> None:
        """Make every token exchanged so far expired (tokens exchanged later are valid)."""
        with self._lock:
            self._grants = {
                token: Grant(grant.repo, grant.subject, 0) for token, grant in self._grants.items()
            }

    def reset(self) -> None:
        """Forget the publishers, the runtime's jobs and the tokens exchanged."""
        with self._lock:
            self._publishers.clear()
            self._grants.clear()
            self._jobs.clear()
