"""Backup names and retention: pure."""

from __future__ import annotations

from datetime import datetime, timezone

from hfsync.core.backups import backup_name, backups_to_prune, list_backups

NOW = datetime(2026, 11, 28, 15, 20, 0, 500_000, tzinfo=timezone.utc)


def test_name_format() -> None:
    assert backup_name("abcdef0123", NOW, {}) == "hfsync-backup-20261128T152000Z-abcdef0"


def test_names_taken_within_one_second_still_sort_in_order() -> None:
    branches: dict[str, str] = {"main": "f" * 40, "hfsync-backup-notours": "e" * 40}
    heads = ["c" * 40, "a" * 40, "b" * 40]  # sha order differs from the order they are taken
    for head in heads:
        branches[backup_name(head, NOW, branches)] = head
    backups = list_backups(branches)
    assert [b.commit for b in backups] == heads[::-1]  # newest first
    assert [b.name[14:30] for b in backups] == [
        "20261128T152002Z",
        "20261128T152001Z",
        "20261128T152000Z",
    ]
    assert [b.commit for b in backups_to_prune(backups, 2)] == [heads[0]]


def test_other_branches_are_not_backups() -> None:
    branches = {"main": "1" * 40, "hfsync-backup-x": "2" * 40, "feature": "3" * 40}
    assert list_backups(branches) == []


def test_a_name_that_only_looks_like_a_backup_is_none() -> None:
    from hfsync.core.backups import backup_time

    branches = {"hfsync-backup-20261328T152000Z-abcdef0": "1" * 40}  # month 13: no date
    assert list_backups(branches) == []
    assert backup_time("hfsync-backup-20261128T152000Z-abcdef0") is not None
    assert backup_time("x" * 10_000) is None
