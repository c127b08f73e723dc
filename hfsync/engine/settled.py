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
remote deleted it too, with no run in between, is a conflict. A checkout without this state (a
fresh CI runner) has not seen the agreement and plans by the recorded base: a conflict, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from hfsync.core.snapshot import LocalFile, RemoteFile, same_content

if TYPE_CHECKING:
    from hfsync.engine.base import Recovery
    from hfsync.engine.sync import Target


def remember_settled(
    target: Target,
    recovery: Recovery,
    local: Mapping[str, LocalFile],
    tree: Mapping[str, RemoteFile],
) -> None:
    """Save the paths in sync whose base (with what is settled already) differs from the remote."""
    base, pointer = recovery.base, recovery.pointer
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
        target.state.save(replace(pointer, settled={**pointer.settled, **found}))
