"""hfsync's own commits: the message it writes and the record it reads back from it.

The trailers make the base recoverable from the remote alone (a fresh CI runner knows it too):

    HFSync-Source: <git sha | worktree | rollback:<backup>>
    HFSync-Target: <target name>
    HFSync-Scope: <scope definition as JSON>
    HFSync-Run: <a random id: tells this commit from any other>
    HFSync-Kept: <oid | -> <path>     (one per path whose base differs from the commit's tree)

The base after such a commit is its tree within the recorded scope, corrected by the `Kept` lines:
skipped remote edits keep their old base (so they stay flagged), remote-only files hfsync left alone
have none (so they are never deleted without `--prune`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hfsync.core.plan import Base
from hfsync.core.scope import Scope, ScopeSpec
from hfsync.core.snapshot import RemoteFile

_PREFIX = "HFSync-"
_ABSENT = "-"
_LISTED_PATHS = 20


@dataclass(frozen=True)
class SyncRecord:
    """What an hfsync commit says about itself."""

    source: str
    target: str
    scope: ScopeSpec
    kept: Mapping[str, str | None]


def commit_message(
    summary: str, details: list[str], record: SyncRecord, run_id: str
) -> tuple[str, str]:
    """(title, body) of an hfsync commit: a summary, the first paths, then the trailers.

    `run_id` makes every commit's body unique, so that a remote can tell its own commit from
    another one with the same summary (after a lost connection, say).
    """
    shown = details[:_LISTED_PATHS]
    if len(details) > len(shown):
        shown.append(f"... and {len(details) - len(shown)} more")
    trailers = [
        f"{_PREFIX}Source: {record.source}",
        f"{_PREFIX}Target: {record.target}",
        f"{_PREFIX}Scope: {record.scope.to_json()}",
        f"{_PREFIX}Run: {run_id}",
    ]
    trailers += [
        f"{_PREFIX}Kept: {oid or _ABSENT} {path}" for path, oid in sorted(record.kept.items())
    ]
    body = "\n".join(shown) + ("\n\n" if shown else "") + "\n".join(trailers) + "\n"
    return summary, body


def parse_record(message: str) -> SyncRecord | None:
    """The record of an hfsync commit message, or None for any other commit."""
    fields: dict[str, str] = {}
    kept: dict[str, str | None] = {}
    for line in message.splitlines():
        if not line.startswith(_PREFIX):
            continue
        key, _, value = line[len(_PREFIX) :].partition(": ")
        if key == "Kept":
            oid, _, path = value.partition(" ")
            kept[path] = None if oid == _ABSENT else oid
        else:
            fields[key] = value
    if not {"Source", "Target", "Scope"} <= fields.keys():
        return None
    try:
        scope = ScopeSpec.from_json(fields["Scope"])
    except (ValueError, KeyError, TypeError):
        return None
    return SyncRecord(fields["Source"], fields["Target"], scope, kept)


def derive_base(tree: Mapping[str, RemoteFile], record: SyncRecord, scope: Scope) -> Base:
    """The base an hfsync commit leaves, seen through the current scope.

    Paths the recorded scope did not cover have no known base: they follow the first-sync rule.
    """
    recorded = scope if record.scope == scope.spec else Scope.from_spec(record.scope)
    in_scope = scope.select_remote(tree)
    if recorded is not scope:
        in_scope = recorded.select_remote(in_scope)
    entries = {path: tree[path].oid for path in in_scope}
    for path, oid in record.kept.items():
        if oid is None:
            entries.pop(path, None)
        elif scope.includes_remote(path):
            entries[path] = oid
    return Base(entries=entries, known=recorded.includes_remote)
