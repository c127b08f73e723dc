"""Access tokens: each is `read` or `write` and belongs to one user (its namespace)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .naming import RepoKey, is_valid_namespace

ROLES = ("read", "write")
DEFAULT_USER = "user"


@dataclass(frozen=True)
class TokenSpec:
    """A token the hub accepts. `repr` hides the token so it never lands in logs."""

    token: str
    user: str = DEFAULT_USER
    role: str = "write"

    def __post_init__(self) -> None:
        if not self.token:
            raise ValueError("A token must not be empty")
        if self.role not in ROLES:
            raise ValueError(f"Token role must be 'read' or 'write', not {self.role!r}")
        if not is_valid_namespace(self.user):
            raise ValueError(f"Invalid user name {self.user!r}")

    def __repr__(self) -> str:
        return f"TokenSpec(token='***', user={self.user!r}, role={self.role!r})"

    @classmethod
    def parse(cls, text: str) -> TokenSpec:
        """Parse the command-line form `TOKEN[:read|:write][@USER]`."""
        token, at, user = text.rpartition("@")
        if not at:
            token, user = text, DEFAULT_USER
        role = "write"
        for candidate in ROLES:
            if token.endswith(f":{candidate}"):
                token, role = token[: -len(candidate) - 1], candidate
        return cls(token, user, role)


@dataclass(frozen=True)
class Identity:
    """Who a valid token authenticates; `repo`: the one repo a scoped token (from a Trusted
    Publishers exchange) may act on, None for a user's token."""

    user: str
    role: str
    repo: RepoKey | None = None

    @property
    def can_write(self) -> bool:
        return self.role == "write"


@dataclass(frozen=True)
class Credentials:
    """What a request's `Authorization` header amounts to."""

    identity: Identity | None = None
    invalid: bool = False  # a token was sent but is unknown


class TokenRegistry:
    def __init__(
        self,
        tokens: Iterable[TokenSpec],
        issued: Callable[[str], Credentials | None] | None = None,
    ) -> None:
        """`tokens`: the fixed ones; `issued`: who a token issued at run time is, or None."""
        self._tokens = list(tokens)
        self._issued = issued

    def authenticate(self, authorization: str | None) -> Credentials:
        if not authorization:
            return Credentials()
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Credentials(invalid=True)
        for spec in self._tokens:
            if hmac.compare_digest(spec.token.encode(), token.strip().encode()):
                return Credentials(Identity(spec.user, spec.role))
        issued = self._issued(token.strip()) if self._issued else None
        return issued or Credentials(invalid=True)
