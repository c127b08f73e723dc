"""Remote edits the source took in, remembered until the next hfsync commit records them.

The base is what hfsync last wrote (or knowingly left there); hfsync's commits record it. A run
that finds the source equal to the remote where the remote changed the path since that base (the
person brought the remote's edit in, or deleted the file as the remote did) writes nothing, so no
commit records that the two sides agreed: when the source then changed the path again, the old
base made it a remote edit, and `abort` refused the sync, `skip` left the change out (the soak's
seed 901, round 361). Such paths are remembered in the local state (`BasePointer.settled`) with
the remote's version at that moment, and that version is their base from then on: a later local
change is an upload, a later remote change is still a remote edit.

Only an agreement a run saw counts: the source deleting a file, then adding it again, while the
remote deleted it too, with no run in between, is a conflict. And only for a source that went
through that agreement: one seen with commit C holds for a commit descending from C (or a working
tree whose HEAD does); one seen with the working tree holds for working tree runs only (`run
--rev` of a commit that never held the remote's version must not overwrite it). A checkout
without this state (a fresh CI runner) has not seen the agreement and plans by the recorded base:
a conflict, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from hfsync.core.plan import Base
from hfsync.core.snapshot import LocalFile, RemoteFile, same_content
from hfsync.local.gitcmd import run_git
from hfsync.local.source import WORKTREE

if TYPE_CHECKING:
    from pathlib import Path

    from hfsync.engine.base import Recovery
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target


def with_settled(recovery: Recovery, source: Source) -> Base | None:
    """The recovered base, with what was settled for a source this one went through."""
    base, pointer = recovery.base, recovery.pointer
    if base is None or pointer is None or not pointer.settled:
        return base
    entries = dict(base.entries)
    held: dict[str, bool] = {}  # per source an agreement was seen with: does this one hold it?
    for path, (oid, seen_with) in pointer.settled.items():
        if seen_with not in held:
            held[seen_with] = _went_through(source, seen_with)
        if not held[seen_with]:
            continue
        if oid is None:
            entries.pop(path, None)
        else:
            entries[path] = oid
    return Base(entries=entries, known=base.known)


def remember_settled(
    target: Target,
    recovery: Recovery,
    base: Base | None,
    local: Mapping[str, LocalFile],
    tree: Mapping[str, RemoteFile],
    source: Source,
) -> None:
    """Save the paths in sync whose base (`base`: with what is settled) differs from the remote."""
    pointer = recovery.pointer
    if base is None or pointer is None:
        return
    entries, includes = base.entries, target.scope.includes_remote
    found: dict[str, str | None] = {}
    for path, entry in tree.items():
        if (
            entries.get(path) != entry.oid  # cheap first: most paths are at their base
            and path in local
            and base.known(path)
            and includes(path)
            and same_content(local[path], entry)
        ):
            found[path] = entry.oid
    for path in entries:
        if path not in tree and path not in local and includes(path):
            found[path] = None  # deleted on both sides
    if found:
        seen = {path: (oid, source.label) for path, oid in found.items()}
        target.state.save(replace(pointer, settled={**pointer.settled, **seen}))


def _went_through(source: Source, seen_with: str) -> bool:
    """Whether `source` is, or comes after, the source an agreement was seen with."""
    if seen_with == WORKTREE:
        return source.commit is None
    if source.commit == seen_with:
        return True
    now = source.commit or _head(source.repo_root)
    return now is not None and _is_ancestor(source.repo_root, seen_with, now)


def _head(repo: Path) -> str | None:
    done = run_git(repo, "rev-parse", "--verify", "--quiet", "HEAD")
    return done.stdout.decode().strip() if done.returncode == 0 else None


def _is_ancestor(repo: Path, older: str, newer: str) -> bool:
    if older.startswith("-"):  # from the local state file: never an option
        return False
    return run_git(repo, "merge-base", "--is-ancestor", older, newer).returncode == 0
