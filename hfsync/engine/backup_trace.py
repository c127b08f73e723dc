"""Whether a target was synced before, from hfsync's backup branches alone.

A runner with no local state (a fresh CI checkout) that finds no hfsync commit of the target at
the head cannot tell a first sync from a history someone rewrote (`super_squash_history`, a
force-push): both show no record. The backup branches hfsync took before its commits survive a
squash of the target branch, and their histories hold the target's earlier commits. A record of
the target there means the target was synced before: its history was rewritten, and a differing
file is then a remote edit, not a first-sync upload. The walk is bounded: at most `MAX_WALKED`
commits in all, each commit once. On a git target, a fresh clone reads only the backups whose
commits it already has (it does not fetch them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfsync.core.backups import list_backups
from hfsync.core.errors import RemoteError, TemporaryError
from hfsync.core.record import MalformedRecord, parse_record

if TYPE_CHECKING:
    from hfsync.remotes.target import Target

MAX_WALKED = 1000


def synced_before(target: Target) -> bool:
    """Whether one of hfsync's backup branches leads to a commit of this target.

    A backup whose history cannot be read is passed over: a git target's checkout has not
    fetched it (a fresh clone), or it was pruned meanwhile. A temporary failure (network, 5xx)
    stops the run instead: taking it for "never synced" would make a first sync of a rewritten
    history."""
    walked: set[str] = set()
    for backup in list_backups(target.remote.branches()):
        try:
            if _leads_to_target(target, backup.commit, walked):
                return True
        except TemporaryError:
            raise
        except RemoteError:
            continue
    return False


def _leads_to_target(target: Target, commit_id: str, walked: set[str]) -> bool:
    for commit in target.remote.iter_commits(commit_id):
        if commit.id in walked or len(walked) >= MAX_WALKED:
            return False  # the rest of this history was walked from a newer backup, or too long
        walked.add(commit.id)
        try:
            record = parse_record(commit.message)
        except MalformedRecord:
            continue
        if record is not None and record.target == target.config.name:
            return True
    return False
