"""Recover the base: what hfsync last wrote to a target, from the target's own history.

The newest commit of this target that carries a valid hfsync record is the base commit. Commit
messages are untrusted input: a malformed record is skipped with a note (it is not a base), never
a crash or a hang.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hfsync.core.plan import Base
from hfsync.core.record import MalformedRecord, derive_base, display_line, parse_record
from hfsync.local.state import BasePointer
from hfsync.remotes import RemoteCommit

if TYPE_CHECKING:
    from hfsync.engine.sync import Target

# How many skipped records a run mentions (the rest are counted).
_NOTED = 3


@dataclass(frozen=True)
class Recovery:
    """The base found at a head (None: no hfsync commit of this target), and what to tell."""

    base: Base | None
    notes: tuple[str, ...] = ()


def recover_base(target: Target, head: str | None) -> Recovery:
    """The base at `head`: from the newest hfsync commit of this target (cached by head)."""
    if head is None:
        return Recovery(None)
    pointer = target.state.load()
    if pointer is None or pointer.head != head:
        pointer = _find_base_commit(target, head, pointer)
        target.state.save(pointer)
    if pointer.base_commit is None or pointer.base_message is None:
        return Recovery(None, pointer.notes)
    try:
        record = parse_record(pointer.base_message)
    except MalformedRecord:
        record = None
    if record is None:
        return Recovery(None, pointer.notes)
    tree = target.remote.tree(pointer.base_commit)
    return Recovery(derive_base(tree, record, target.scope), pointer.notes)


def _find_base_commit(target: Target, head: str, cached: BasePointer | None) -> BasePointer:
    """Walk back from `head` to this target's newest hfsync commit, or to a head already known."""
    notes: list[str] = []
    skipped = 0
    found: RemoteCommit | None = None
    for commit in target.remote.iter_commits(head):
        if cached is not None and commit.id == cached.head:
            notes = (notes + list(cached.notes))[: _NOTED + 1]
            return BasePointer(head, cached.base_commit, cached.base_message, tuple(notes))
        try:
            record = parse_record(commit.message)
        except MalformedRecord as exc:
            skipped += 1
            if skipped <= _NOTED:
                notes.append(_skipped(commit, str(exc)))
            continue
        if record is not None and record.target == target.config.name:
            found = commit
            break
    if skipped > _NOTED:
        notes.append(f"{skipped - _NOTED} more commit(s) with malformed hfsync trailers ignored")
    if found is None:
        return BasePointer(head, None, None, tuple(notes))
    return BasePointer(head, found.id, found.message, tuple(notes))


def _skipped(commit: RemoteCommit, reason: str) -> str:
    return (
        f"commit {commit.id[:12]} carries malformed hfsync trailers ({display_line(reason)}); "
        "it is not taken as a base"
    )
