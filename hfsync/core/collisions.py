"""File/folder collisions: an upload whose path is a folder on the remote, or lies under a path
that is a file there.

Writing it would make the remote drop the other side (git replaces a file by a folder of the same
name and back), deleting paths the plan never listed. Such an upload becomes a conflict that no
policy settles by itself: `abort` stops, `skip` leaves it flagged, `overwrite` stops too, since it
would delete what hfsync may not (see `Plan.blocked`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable


def collisions(
    uploads: Iterable[str], deleted: Collection[str], remote: Iterable[str]
) -> dict[str, str]:
    """Each upload path that collides with what stays on the remote, with the reason.

    `remote` is the whole remote tree, out-of-scope paths included: they stay, so they collide;
    `deleted` are the paths the plan deletes.
    """
    staying = [path for path in remote if path not in deleted]
    files = set(staying)
    folders = {path[:at] for path in staying for at in _slashes(path)}
    found = {}
    for path in uploads:
        why = _collision(path, files, folders)
        if why is not None:
            found[path] = why
    return found


def _collision(path: str, files: set[str], folders: set[str]) -> str | None:
    if path in folders:
        return (
            f"the remote has a folder '{path}/' where the source has a file; writing it would "
            "delete that folder's files: resolve it on the remote or in the source"
        )
    for at in _slashes(path):
        if path[:at] in files:
            return (
                f"the remote has a file '{path[:at]}' where the source has a folder; writing "
                "this would delete that file: resolve it on the remote or in the source"
            )
    return None


def _slashes(path: str) -> list[int]:
    found = []
    at = path.find("/")
    while at >= 0:  # str.find, not a loop over every character: a plan has many paths
        found.append(at)
        at = path.find("/", at + 1)
    return found
