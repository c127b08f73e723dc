"""Recover the base: what hfsync last wrote to a target, from the target's own history.

The base commit is the newest commit of this target (all parents walked, newest first, none
before its children) whose hfsync record proves it is hfsync's own write: its actual parent is
the parent it recorded, and its tree within the recorded scope still has the recorded digest. An
amended, cherry-picked or copied-trailer commit fails the proof and the walk goes on. Commit
messages are untrusted input: a malformed or unproven record is skipped with a note, never a
crash or a hang.

When no authentic base is reachable although this target was synced before (the local cache
says so, unproven records of it were seen, or hfsync's backup branches lead to a commit of it: see
backup_trace.py), the remote's history was rewritten: the plan then treats every differing file as
a remote edit instead of a first sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hfsync.core.plan import Base
from hfsync.core.record import (
    MalformedRecord,
    SyncRecord,
    derive_base,
    display_line,
    parse_record,
    tree_digest,
)
from hfsync.core.scope import Scope
from hfsync.engine.backup_trace import synced_before
from hfsync.local.state import BasePointer
from hfsync.remotes import Remote, RemoteCommit

if TYPE_CHECKING:
    from hfsync.remotes.target import Target

# How many skipped records a run mentions (the rest are counted).
_NOTED = 3
# A commit too large for one Hub commit is several, each with the same record: how many to follow.
_MAX_PARTS = 100

REWRITTEN = (
    "the remote's history was rewritten: hfsync synced this target before, but none of its own "
    "commits is reachable from the head; files that differ are treated as remote edits"
)


@dataclass(frozen=True)
class Recovery:
    """The base found at a head (None: none), what to tell, and whether the history was
    rewritten (synced before, but no authentic base reachable)."""

    base: Base | None
    notes: tuple[str, ...] = ()
    rewritten: bool = False
    pointer: BasePointer | None = None  # the cached pointer it came from (saved for `head`)
    deployed: str | None = None  # the source its newest authentic hfsync commit was made from


def recover_base(target: Target, head: str | None) -> Recovery:
    """The base at `head`: from the newest authentic hfsync commit of this target (cached by
    head)."""
    if head is None:
        return Recovery(None)
    pointer = target.state.load()
    if pointer is None or pointer.head != head:
        pointer = _find_base_commit(target, head, pointer)
        target.state.save(pointer)
    record = pointer_record(pointer)
    if pointer.base_commit is None or record is None:
        if pointer.seen_before:
            return Recovery(None, (*pointer.notes, REWRITTEN), rewritten=True)
        return Recovery(None, pointer.notes)
    tree = target.remote.tree(pointer.base_commit)
    base = derive_base(tree, record, target.scope)
    return Recovery(base, pointer.notes, pointer=pointer, deployed=record.source)


def pointer_record(pointer: BasePointer) -> SyncRecord | None:
    """The record of the pointer's base commit; None: none, or malformed."""
    if pointer.base_message is None:
        return None
    try:
        return parse_record(pointer.base_message)
    except MalformedRecord:
        return None


def _find_base_commit(target: Target, head: str, cached: BasePointer | None) -> BasePointer:
    """Walk back from `head` to this target's newest authentic hfsync commit, or to a head
    already known."""
    notes: list[str] = []
    skipped = 0
    seen = cached is not None and (cached.base_commit is not None or cached.seen_before)
    found: RemoteCommit | None = None
    for commit in target.remote.iter_commits(head):
        if cached is not None and commit.id == cached.head:
            notes = (notes + list(cached.notes))[: _NOTED + 1]
            # The commits since are not hfsync's: what was found in sync stays settled (a path
            # they changed again differs from its settled version: a remote edit).
            return BasePointer(
                head,
                cached.base_commit,
                cached.base_message,
                tuple(notes),
                seen_before=seen,
                settled=cached.settled,
            )
        try:
            record = parse_record(commit.message)
            if record is None or record.target != target.config.name:
                continue
            seen = True
            why = _unproven(target.remote, commit, record, cached)
        except MalformedRecord as exc:
            why = f"malformed hfsync trailers ({exc})"
        if why is None:
            found = commit
            break
        skipped += 1
        if skipped <= _NOTED:
            notes.append(f"commit {commit.id[:12]}: {display_line(why)}; it is not taken as a base")
    if skipped > _NOTED:
        notes.append(f"{skipped - _NOTED} more commit(s) with hfsync trailers not taken as a base")
    if found is None:
        # No trace at the head: hfsync's backup branches may still show earlier syncs.
        seen = seen or synced_before(target)
        return BasePointer(head, None, None, tuple(notes), seen_before=seen)
    return BasePointer(head, found.id, found.message, tuple(notes), seen_before=True)


def _unproven(
    remote: Remote, commit: RemoteCommit, record: SyncRecord, cached: BasePointer | None
) -> str | None:
    """Why `commit` cannot be hfsync's own write (None: it is)."""
    proof = record.proof
    if proof is None:
        if cached is not None and cached.base_commit == commit.id:
            return None  # written (or taken) by this machine before records carried a proof
        return "its hfsync trailers carry no proof (an older hfsync's, or copied)"
    parents = _parents(remote, commit, proof.parent, record.run)
    if len(parents) > 1:
        return "it is a merge, which hfsync never writes"
    parent = parents[0] if parents else None
    if parent != proof.parent:
        return (
            f"its parent is {(parent or 'none')[:12]}, not the {(proof.parent or 'none')[:12]} "
            "hfsync wrote it on (amended, cherry-picked or copied)"
        )
    tree = remote.tree(commit.id)
    if tree_digest(tree, Scope.from_spec(record.scope)) != proof.tree:
        return "its files in scope are not the ones hfsync wrote (amended or copied)"
    return None


def _parents(remote: Remote, commit: RemoteCommit, parent: str | None, run: str) -> tuple[str, ...]:
    """The commit's parents; for the last part of a commit split in parts (each with the same
    record, run id `run`), the parents of its first part, whose recorded parent is `parent`."""
    parents = commit.parents
    if parents is None:
        parents = remote.commit_info(commit.id).parents or ()
    for _ in range(_MAX_PARTS):
        if len(parents) != 1 or parents[0] == parent or not run:
            break
        earlier = remote.commit_info(parents[0])
        try:
            part = parse_record(earlier.message)
        except MalformedRecord:
            break
        if part is None or part.run != run:
            break
        parents = earlier.parents or ()
    return parents
