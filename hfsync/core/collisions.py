"""File/folder collisions: an upload whose path is a folder on the remote, or lies under a path
that is a file there.

Writing it would make the remote drop the other side (git replaces a file by a folder of the same
name and back), deleting paths the plan never listed. Such an upload becomes a conflict that no
policy settles by itself: `abort` stops, `skip` leaves it flagged, `overwrite` stops too, since it
would delete what hfsync may not (see `Plan.blocked`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator

from hfsync.core.tree_text import PathList


def collisions(
    uploads: Iterable[str], deleted: Collection[str], remote: PathList
) -> dict[str, str]:
    """Each upload path that collides with what stays on the remote, with the reason.

    `remote` is the whole remote tree's paths, out-of-scope paths included: they stay, so they
    collide; `deleted` are the paths the plan deletes. With fewer uploads than remote paths,
    each upload costs a search of the sorted paths, however large the tree, and its folder a
    few (once for all the uploads it holds); with more (a first sync), the remote's files and
    folders are read into sets in one pass, and each upload is a lookup.
    """
    uploads = list(uploads)
    is_file: Callable[[str], bool]
    under: Callable[[str], int]
    if len(uploads) >= len(remote):
        files = set(remote)
        folders = {folder for path in files for folder in _folders_of(path)}
        is_file = files.__contains__

        def under(path: str) -> int:
            return remote.files_under(path) if path in folders else 0

    else:
        is_file, under = remote.has_file, remote.files_under
    found = {}
    in_folder: dict[str, str | None] = {}  # a folder's answer for the uploads it holds
    for path in uploads:
        why = _folder_collision(path, deleted, under)
        if why is None:
            parent = path.rpartition("/")[0]
            if parent not in in_folder:
                in_folder[parent] = _file_collision(parent, deleted, is_file)
            why = in_folder[parent]
        if why is not None:
            found[path] = why
    return found


def _folder_collision(
    path: str, deleted: Collection[str], under: Callable[[str], int]
) -> str | None:
    """Why an upload to `path` collides with a remote folder there, or None."""
    files = under(path)
    if files and files > sum(1 for p in deleted if p.startswith(path + "/")):
        return (
            f"the remote has a folder '{path}/' where the source has a file; writing it would "
            "delete that folder's files: resolve it on the remote or in the source"
        )
    return None


def _file_collision(
    parent: str, deleted: Collection[str], is_file: Callable[[str], bool]
) -> str | None:
    """Why an upload into folder `parent` collides with a remote file at it or a folder above
    it, or None."""
    for folder in (*_folders_of(parent), parent) if parent else ():
        if is_file(folder) and folder not in deleted:
            return (
                f"the remote has a file '{folder}' where the source has a folder; writing "
                "this would delete that file: resolve it on the remote or in the source"
            )
    return None


def _folders_of(path: str) -> Iterator[str]:
    """The folders `path` lies in, outermost first ("a", "a/b" for "a/b/c")."""
    at = path.find("/")
    while at >= 0:
        yield path[:at]
        at = path.find("/", at + 1)
