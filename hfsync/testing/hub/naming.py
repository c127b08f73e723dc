"""Repo identity: types, ids, URL prefixes and the Hub's naming rules."""

from __future__ import annotations

import re
from dataclasses import dataclass

REPO_TYPES = ("model", "dataset", "space")

# Prefix of the `/api/...` routes and of the git/resolve routes, per repo type (hub-api §1.3).
API_SEGMENT = {"model": "models", "dataset": "datasets", "space": "spaces"}
GIT_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}

# First path segments the server routes itself: no user or repo namespace may take them.
RESERVED_NAMESPACES = frozenset(
    {
        "api",
        "datasets",
        "spaces",
        "models",
        "kernels",
        "_lfs",
        "_testhub",
        "cas",
        "v1",
        "_apps",
        "oauth",
    }
)

# The client's rule (`REPO_ID_REGEX`): 1-96 ASCII word characters, `-` or `.`, starting and
# ending with a word character, so the Hub's own test users (`__DUMMY_USER__`) are valid.
_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?")


def is_valid_name(name: str) -> bool:
    """Whether `name` is a valid user, namespace or repo name (the client's own rules)."""
    return (
        _NAME.fullmatch(name) is not None
        and "--" not in name
        and ".." not in name
        and not name.endswith(".git")
    )


def is_valid_namespace(namespace: str) -> bool:
    """A valid name that does not collide with the server's own routes."""
    return is_valid_name(namespace) and namespace.lower() not in RESERVED_NAMESPACES


@dataclass(frozen=True)
class RepoKey:
    """One repo on the hub: its type, namespace (owner) and name."""

    repo_type: str
    namespace: str
    name: str

    @property
    def repo_id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def owned_by(self, user: str | None) -> bool:
        """Whether `user` owns the repo (names are case-insensitive, as on the Hub)."""
        return user is not None and user.lower() == self.namespace.lower()

    def web_url(self, base_url: str) -> str:
        """The repo's page URL, the form the client parses into a `RepoUrl`."""
        return f"{base_url}/{GIT_PREFIX[self.repo_type]}{self.repo_id}"


def space_subdomain(key: RepoKey) -> str:
    """`<ns>-<name>` in lowercase with `_` and `.` as `-`, like `*.hf.space` hosts."""
    return f"{key.namespace}-{key.name}".lower().replace("_", "-").replace(".", "-")
