"""File/folder collisions: an upload whose path is a folder on the remote, or lies under a path
that is a file there.

Writing it would make the remote drop the other side (git replaces a file by a folder of the same
name and back), deleting paths the plan never listed. Such an upload becomes a conflict that no
policy settles by itself: `abort` stops, `skip` leaves it flagged, `overwrite` stops too, since it
would delete what hfsync may not (see `Plan.blocked`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from hfsync.core.tree_text import PathList


def collisions(
    uploads: Iterable[str], deleted: Collection[str], remote: PathList
) -> dict[str, str]:
    """Each upload path that collides with what stays on the remote, with the reason.

    `remote` is the whole remote tree's paths, out-of-scope paths included: they stay, so they
    collide; `deleted` are the paths the plan deletes. Each upload costs a few searches of the
    sorted paths, however large the tree; a folder shared by many uploads is searched once.
    """
    found = {}
    file_at: dict[str, bool] = {}  # folder -> whether the remote has a file there
    for path in uploads:
        why = _collision(path, deleted, remote, file_at)
        if why is not None:
            found[path] = why
    return found


def _collision(
    path: str, deleted: Collection[str], remote: PathList, file_at: dict[str, bool]
) -> str | None:
    under = remote.files_under(path)
    if under and under > sum(1 for p in deleted if p.startswith(path + "/")):
        return (
            f"the remote has a folder '{path}/' where the source has a file; writing it would "
            "delete that folder's files: resolve it on the remote or in the source"
        )
    at = path.find("/")
    while at >= 0:
        folder = path[:at]
        is_file = file_at.get(folder)
        if is_file is None:
            is_file = file_at[folder] = remote.has_file(folder)
        if is_file and folder not in deleted:
            return (
                f"the remote has a file '{folder}' where the source has a folder; writing "
                "this would delete that file: resolve it on the remote or in the source"
            )
        at = path.find("/", at + 1)
    return None
