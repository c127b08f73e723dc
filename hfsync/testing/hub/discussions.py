"""Discussions and pull requests of a repo, kept as JSON next to its git data.

Discussions and pull requests share one numbering per repo; pull request N's commits live on
`refs/pr/N`. Events are stored in the JSON shape the client reads (`comment`, `status-change`,
`title-change`, `commit`), so the API answers them as they are.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .storage import hub_date

_FILE = "discussions.json"
STATUSES = ("open", "closed", "merged", "draft")


@dataclass
class Discussion:
    num: int
    title: str
    author: str
    created_at: str
    status: str
    is_pull_request: bool
    base: str | None = None  # the branch a pull request targets, `refs/heads/main`
    merge_commit: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return f"refs/pr/{self.num}"


def event(kind: str, author: str, data: dict[str, Any]) -> dict[str, Any]:
    """One discussion event as the Hub serves it."""
    return {
        "id": secrets.token_hex(12),
        "type": kind,
        "createdAt": hub_date(time.time()),
        "author": {"name": author},
        "data": data,
    }


def comment_event(author: str, text: str) -> dict[str, Any]:
    return event("comment", author, {"edited": False, "hidden": False, "latest": {"raw": text}})


def pr_numbers(refs: Iterable[str]) -> set[int]:
    """The numbers of the `refs/pr/N` among `refs`."""
    return {int(ref.rsplit("/", 1)[1]) for ref in refs if ref.startswith("refs/pr/")}


class Discussions:
    """The discussions of every repo; one lock for all (they are small and rarely written)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def all(self, git_dir: Path) -> list[Discussion]:
        with self._lock:
            return _load(git_dir)

    def get(self, git_dir: Path, num: int) -> Discussion | None:
        return next((d for d in self.all(git_dir) if d.num == num), None)

    def create(
        self,
        git_dir: Path,
        title: str,
        author: str,
        *,
        pull_request: bool,
        status: str = "open",
        description: str | None = None,
        taken: set[int] | None = None,
        base: str = "refs/heads/main",
    ) -> Discussion:
        """A new discussion or pull request with the next free number (not in `taken`, e.g. the
        numbers of existing `refs/pr/N`)."""
        with self._lock:
            items = _load(git_dir)
            used = {d.num for d in items} | (taken or set())
            discussion = Discussion(
                num=max(used, default=0) + 1,
                title=title,
                author=author,
                created_at=hub_date(time.time()),
                status=status,
                is_pull_request=pull_request,
                base=base if pull_request else None,
            )
            if description:
                discussion.events.append(comment_event(author, description))
            items.append(discussion)
            _save(git_dir, items)
            return discussion

    def update(self, git_dir: Path, num: int, **changes: Any) -> Discussion:
        """Set fields of discussion `num`; `event=...` appends an event."""
        with self._lock:
            items = _load(git_dir)
            discussion = next(d for d in items if d.num == num)
            new_event = changes.pop("event", None)
            for name, value in changes.items():
                setattr(discussion, name, value)
            if new_event is not None:
                discussion.events.append(new_event)
            _save(git_dir, items)
            return discussion


def _load(git_dir: Path) -> list[Discussion]:
    try:
        data = json.loads((git_dir / _FILE).read_text())
    except FileNotFoundError:
        return []
    return [Discussion(**item) for item in data]


def _save(git_dir: Path, items: list[Discussion]) -> None:
    temp = git_dir / f"{_FILE}.tmp"
    temp.write_text(json.dumps([asdict(item) for item in items]))
    os.replace(temp, git_dir / _FILE)
