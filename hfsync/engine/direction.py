"""A deploy never goes backwards by accident (design.md, wave 3).

When the source is a commit that is an ancestor of the commit the remote's newest authentic
hfsync commit was made from (a re-run of an old CI job, two runs finishing out of order, a
webhook for an older push), the sync is refused before anything is written. `rollback` is the
deliberate way back, and `--allow-older` syncs the older commit on purpose. A working tree, a
source the checkout does not have, and sources that diverged (neither contains the other) are
not refused: nothing says which is newer.
"""

from __future__ import annotations

import re

from hfsync.core.errors import BackwardsError
from hfsync.local.gitcmd import run_git
from hfsync.local.source import Source

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def refuse_going_back(source: Source, deployed: str | None, target: str) -> None:
    """Raise BackwardsError when `source` is older than `deployed` (the source recorded by the
    newest authentic hfsync commit on the target; untrusted: only a full object id counts)."""
    if source.commit is None or deployed is None or source.commit == deployed:
        return
    if not _SHA.fullmatch(deployed):
        return  # a working tree's or a rollback's record: no commit to compare with
    # Exit 0: an ancestor; 1: not one; 128: git does not have `deployed` (another clone's).
    done = run_git(source.repo_root, "merge-base", "--is-ancestor", source.commit, deployed)
    if done.returncode == 0:
        raise BackwardsError(
            f"{target} already holds {deployed[:12]}, which is newer than the source "
            f"{source.commit[:12]} (its descendant); nothing written. To go back on purpose: "
            "'hfsync rollback', or 'hfsync run --allow-older'"
        )
