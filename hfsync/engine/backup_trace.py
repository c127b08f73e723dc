"""Whether a target was synced before, from hfsync's backup branches alone.

A runner with no local state (a fresh CI checkout) that finds no hfsync commit of the target at
the head cannot tell a first sync from a history someone rewrote (`super_squash_history`, a
force-push): both show no record. The backup branches hfsync took before its commits survive a
squash of the target branch, and their histories hold the target's earlier commits. A record of
the target there means the target was synced before: its history was rewritten, and a differing
file is then a remote edit, not a first-sync upload. The walk is bounded: at most `MAX_WALKED`
commits in all, each commit once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfsync.core.backups import list_backups
from hfsync.core.record import MalformedRecord, parse_record

if TYPE_CHECKING:
    from hfsync.engine.sync import Target

MAX_WALKED = 1000


def synced_before(target: Target) -> bool:
    """Whether one of hfsync's backup branches leads to a commit of this target."""
    walked: set[str] = set()
    for backup in list_backups(target.remote.branches()):
        for commit in target.remote.iter_commits(backup.commit):
            if commit.id in walked or len(walked) >= MAX_WALKED:
                break  # the rest of this history was walked from a newer backup, or too long
            walked.add(commit.id)
            try:
                record = parse_record(commit.message)
            except MalformedRecord:
                record = None
            if record is not None and record.target == target.config.name:
                return True
    return False
