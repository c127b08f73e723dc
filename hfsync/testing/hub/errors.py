"""The error a handler raises to answer like the Hub: status, message and `X-Error-Code`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# `X-Error-Code` values the client maps to its exception classes (hub-api §2.1).
REPO_NOT_FOUND = "RepoNotFound"
REVISION_NOT_FOUND = "RevisionNotFound"
ENTRY_NOT_FOUND = "EntryNotFound"

BAD_CREDENTIALS = "Invalid credentials in Authorization header"


class HubError(Exception):
    """An HTTP error answer: JSON body `{"error": message, **extra}` plus Hub headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def repo_not_found(status: int = 404, message: str = "Repository not found") -> HubError:
    return HubError(status, message, code=REPO_NOT_FOUND)


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", code=REVISION_NOT_FOUND)


def entry_not_found(message: str = "Entry not found", commit: str | None = None) -> HubError:
    # The client caches "file does not exist" under the commit it finds in X-Repo-Commit.
    headers = {"X-Repo-Commit": commit} if commit else None
    return HubError(404, message, code=ENTRY_NOT_FOUND, headers=headers)


def bad_request(message: str) -> HubError:
    return HubError(400, message)
