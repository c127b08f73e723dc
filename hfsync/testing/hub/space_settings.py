"""Space secrets and variables, kept in memory (hub-api §9.2)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from .storage import hub_date


@dataclass(frozen=True)
class _Setting:
    value: str
    description: str | None
    updated_at: str


class SpaceSettings:
    """Per Space: secrets (write-only through the API) and variables."""

    def __init__(self) -> None:
        self._secrets: dict[str, dict[str, _Setting]] = {}
        self._variables: dict[str, dict[str, _Setting]] = {}
        self._lock = threading.Lock()

    def set_secret(
        self, repo_id: str, key: str, value: str, description: str | None = None
    ) -> None:
        self._set(self._secrets, repo_id, key, value, description)

    def delete_secret(self, repo_id: str, key: str) -> None:
        with self._lock:
            self._secrets.get(repo_id, {}).pop(key, None)

    def secrets(self, repo_id: str) -> dict[str, Any]:
        """`{KEY: {description, updatedAt}}`: the API never shows secret values."""
        with self._lock:
            items = dict(self._secrets.get(repo_id, {}))
        return {
            key: {"description": s.description, "updatedAt": s.updated_at}
            for key, s in items.items()
        }

    def secret_values(self, repo_id: str) -> dict[str, str]:
        """The secret values themselves, for tests to inspect (not exposed over HTTP)."""
        with self._lock:
            return {key: s.value for key, s in self._secrets.get(repo_id, {}).items()}

    def set_variable(
        self, repo_id: str, key: str, value: str, description: str | None = None
    ) -> None:
        self._set(self._variables, repo_id, key, value, description)

    def delete_variable(self, repo_id: str, key: str) -> None:
        with self._lock:
            self._variables.get(repo_id, {}).pop(key, None)

    def variables(self, repo_id: str) -> dict[str, Any]:
        """`{KEY: {value, description, updatedAt}}`."""
        with self._lock:
            items = dict(self._variables.get(repo_id, {}))
        return {
            key: {"value": v.value, "description": v.description, "updatedAt": v.updated_at}
            for key, v in items.items()
        }

    def forget(self, repo_id: str) -> None:
        with self._lock:
            self._secrets.pop(repo_id, None)
            self._variables.pop(repo_id, None)

    def move(self, repo_id: str, new_id: str) -> None:
        """The settings of a renamed Space follow it."""
        with self._lock:
            for table in (self._secrets, self._variables):
                if repo_id in table:
                    table[new_id] = table.pop(repo_id)

    def reset(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._variables.clear()

    def _set(
        self,
        table: dict[str, dict[str, _Setting]],
        repo_id: str,
        key: str,
        value: str,
        description: str | None,
    ) -> None:
        with self._lock:
            table.setdefault(repo_id, {})[key] = _Setting(value, description, hub_date(time.time()))
