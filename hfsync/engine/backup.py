"""Backup branches on the target: one per head, taken before a write, pruned after it."""

from __future__ import annotations

import logging
from datetime import datetime

from hfsync.core.backups import backup_name, backup_of, backups_to_prune, list_backups
from hfsync.core.errors import RemoteError
from hfsync.remotes.target import Target

log = logging.getLogger("hfsync.sync")


def ensure_backup(
    target: Target, head: str | None, now: datetime
) -> tuple[str | None, dict[str, str]]:
    """The name of an hfsync backup branch at `head` (an existing one, else a new one), and the
    remote's branches with it.

    One backup per head: retries, failed runs and two runs at once on one checkout (the run
    lock orders them) never multiply them. When another run creates the same name first, its
    branch is taken as ours if it points at `head`. Two machines at once may each make one (no
    lock is shared, and listing again after every backup would cost each sync a request);
    retention counts such copies once.
    """
    if head is None:
        return None, {}
    remote = target.remote
    branches = remote.branches()
    existing = backup_of(list_backups(branches), head)
    if existing is not None:
        return existing.name, branches
    name = backup_name(head, now, branches)
    try:
        remote.create_branch(name, head)
    except RemoteError:
        branches = remote.branches()
        again = backup_of(list_backups(branches), head)
        if again is None:
            raise
        return again.name, branches
    return name, {**branches, name: head}


def prune_backups(target: Target, branches: dict[str, str]) -> tuple[str, ...]:
    """Delete hfsync's backups of heads beyond the newest `backup_keep` distinct heads, after a
    commit (`branches`: the remote's, as the backup left them). A backup already gone (another
    run pruned it) is fine; a failure to prune is only logged: the sync itself has landed."""
    remote = target.remote
    pruned = backups_to_prune(list_backups(branches), target.config.backup_keep)
    done = []
    for backup in pruned:
        try:
            remote.delete_branch(backup.name)
        except RemoteError as exc:
            try:
                still_there = backup.name in remote.branches()
            except RemoteError:
                still_there = True
            if still_there:
                log.warning("could not prune backup %s: %s", backup.name, exc)
                continue
        done.append(backup.name)
    return tuple(done)
