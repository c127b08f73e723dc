"""Which backup `hfsync rollback` restores without a name, and which backups the remote equals.

Repeated rollbacks step back one deploy at a time (design.md): a rollback commit records the
backup it restored (`HFSync-Source: rollback:<backup>`), so while the target's newest authentic
hfsync commit is a rollback to backup B, the next rollback looks only at backups taken before B
(not at the backup of the state just rolled back from, which would toggle v3 -> v2 -> v3).
Among those, newest first, it takes the first whose files in scope differ from the remote's now
(a backup of the same files would restore nothing). The trailer is untrusted input: the record
it comes from is proven hfsync's (engine/base.py), and the name is only matched against the
backup-name pattern.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from hfsync.core.backups import Backup, backup_time, list_backups
from hfsync.core.errors import ConfigError
from hfsync.core.record import MalformedRecord, parse_record
from hfsync.core.snapshot import RemoteFile
from hfsync.engine.base import recover_base
from hfsync.remotes.target import Target

ROLLBACK_SOURCE = "rollback:"
MAX_COMPARED = 100  # backups whose trees are read to compare; more is a remote gone strange


@dataclass(frozen=True)
class BackupState:
    """One backup, whether the target's scope on the remote now equals it, and whether a
    `hfsync rollback` without a name would restore it."""

    backup: Backup
    current: bool
    next: bool

    def to_dict(self) -> dict[str, object]:
        return {**self.backup.to_dict(), "current": self.current, "next": self.next}


def in_scope(target: Target, tree: Mapping[str, RemoteFile]) -> dict[str, RemoteFile]:
    """The part of a tree a rollback of this target may change: other targets' paths and files
    outside the scope are never touched."""
    return {path: entry for path, entry in tree.items() if target.scope.includes_remote(path)}


def backup_states(target: Target) -> list[BackupState]:
    """Every hfsync backup of the target's branch, newest first, marked (see `BackupState`)."""
    remote = target.remote
    backups = list_backups(remote.branches())
    head = remote.head() if backups else None
    if head is None:
        return [BackupState(b, current=False, next=False) for b in backups]
    now = in_scope(target, remote.tree(head))
    equal = {b.name: in_scope(target, remote.tree(b.commit)) == now for b in backups[:MAX_COMPARED]}
    chosen = _step_back(target, backups, head, equal)
    return [
        BackupState(b, current=equal.get(b.name, False), next=chosen is not None and b == chosen)
        for b in backups
    ]


def choose_backup(
    target: Target, backups: list[Backup], head: str, now: Mapping[str, RemoteFile]
) -> Backup:
    """The backup a rollback without a name restores (see the module); ConfigError if none."""
    equal: dict[str, bool] = {}
    for backup in _candidates(target, backups, head)[:MAX_COMPARED]:
        equal[backup.name] = in_scope(target, target.remote.tree(backup.commit)) == now
        if not equal[backup.name]:
            return backup
    undone = _rolled_back_to(target, head)
    after = f" taken before {undone[0]} (the last rollback restored it)" if undone else ""
    raise ConfigError(
        f"no backup{after} holds other files than {target.remote.description} holds now; "
        "nothing to roll back to (`hfsync backups` lists them; name one to restore it)"
    )


def _step_back(
    target: Target,
    backups: list[Backup],
    head: str,
    equal: Mapping[str, bool],
) -> Backup | None:
    for backup in _candidates(target, backups, head):
        if backup.name in equal and not equal[backup.name]:
            return backup
    return None


def _candidates(target: Target, backups: list[Backup], head: str) -> list[Backup]:
    """The backups a rollback without a name may restore, newest first."""
    undone = _rolled_back_to(target, head)
    if undone is None:
        return backups
    name, created = undone
    return [b for b in backups if (b.created, b.name) < (created, name)]


def _rolled_back_to(target: Target, head: str) -> tuple[str, datetime] | None:
    """The backup the target's newest authentic hfsync commit restored (name, time), when that
    commit is a rollback; else None."""
    pointer = recover_base(target, head).pointer
    if pointer is None or pointer.base_message is None:
        return None
    try:
        record = parse_record(pointer.base_message)
    except MalformedRecord:
        return None
    if record is None or not record.source.startswith(ROLLBACK_SOURCE):
        return None
    name = record.source[len(ROLLBACK_SOURCE) :]
    created = backup_time(name)
    return None if created is None else (name, created)
