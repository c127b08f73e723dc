"""Backup branches: their names and which of hfsync's own to keep. Pure; the remote does the I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

PREFIX = "hfsync-backup-"
_NAME_RE = re.compile(r"^hfsync-backup-(\d{8}T\d{6}Z)-([0-9a-f]{7})$")


@dataclass(frozen=True)
class Backup:
    """One of hfsync's backup branches."""

    name: str
    commit: str
    created: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "commit": self.commit,
            "created": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def backup_name(head: str, now: datetime, branches: Mapping[str, str]) -> str:
    """`hfsync-backup-<UTC yyyymmddTHHMMSSZ>-<7-char sha>`, later than every existing backup.

    Names must sort in the order the backups were taken, for retention to drop the oldest: when
    syncs come faster than one a second, the time is moved one second past the newest backup.
    """
    existing = list_backups(branches)
    when = now.astimezone(timezone.utc).replace(microsecond=0)
    if existing and when <= existing[0].created:
        when = existing[0].created + timedelta(seconds=1)
    return f"{PREFIX}{when:%Y%m%dT%H%M%SZ}-{head[:7]}"


def list_backups(branches: Mapping[str, str]) -> list[Backup]:
    """hfsync's own backups among a remote's branches, newest first."""
    found = []
    for name, commit in branches.items():
        created = backup_time(name)
        if created is not None:
            found.append(Backup(name=name, commit=commit, created=created))
    return sorted(found, key=lambda b: (b.created, b.name), reverse=True)


def backup_time(name: str) -> datetime | None:
    """When the backup called `name` was taken (its name says), or None for a name that is not
    an hfsync backup's. `name` may be untrusted (a commit trailer): it is only matched."""
    match = _NAME_RE.match(name) if len(name) < 64 else None
    if match is None:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:  # a shape that is no date (month 13)
        return None


def backup_of(backups: list[Backup], head: str) -> Backup | None:
    """The newest of hfsync's backups that points at `head` (reused: one backup per head)."""
    return next((backup for backup in backups if backup.commit == head), None)


def backups_to_prune(backups: list[Backup], keep: int) -> list[Backup]:
    """The backups of heads beyond the newest `keep` distinct heads (the list is newest first).

    Retention counts heads, not branches: copies of one head (left by older versions, or by two
    runs at once) count once and are kept with it.
    """
    kept_heads: set[str] = set()
    pruned = []
    for backup in backups:
        if backup.commit in kept_heads:
            continue
        if len(kept_heads) < keep:
            kept_heads.add(backup.commit)
        else:
            pruned.append(backup)
    return pruned
