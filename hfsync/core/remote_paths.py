"""Paths read from a remote's tree are untrusted input, checked like the paths of trailers and the
config: a path with an empty, `.` or `..` part, a `.git` part, a leading `/` or a NUL cannot be a
file of a repository (git refuses it in an index, and a patch or a commit built on it would fail
or escape). A tree holding one in the target's scope is reported as unusable, before any write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hfsync.core.errors import HfsyncError
from hfsync.core.record import display_line

_SHOWN = 3


class UnusableRemoteError(HfsyncError):
    """The remote's tree holds a path in scope that no repository can hold: exit code 2."""

    exit_code = 2


def unusable_path(path: str) -> str | None:
    """Why `path` cannot be a file path in a repository, or None when it can."""
    if (
        path
        and "\0" not in path
        and not path.startswith((".", "/"))
        and "/." not in path
        and "//" not in path
        and not path.endswith("/")
    ):
        return None  # the usual path, decided without splitting it
    if not path:
        return "an empty path"
    if "\0" in path:
        return "a NUL character"
    if path.startswith("/"):
        return "a leading '/'"
    parts = path.split("/")
    if "" in parts:
        return "an empty part"
    if "." in parts or ".." in parts:
        return "a '.' or '..' part"
    if ".git" in parts:
        return "a '.git' part"
    return None


def check_remote_paths(paths: Iterable[str], in_scope: Callable[[str], bool], where: str) -> None:
    """Raise UnusableRemoteError naming the unusable paths in scope among `paths`."""
    bad = [path for path in paths if unusable_path(path) is not None and in_scope(path)]
    if not bad:
        return
    shown = "; ".join(
        f"{display_line(path)!r} ({unusable_path(path)})" for path in sorted(bad)[:_SHOWN]
    )
    more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    raise UnusableRemoteError(
        f"{where} holds {len(bad)} path(s) no repository can hold: {shown}{more}; nothing was "
        "written: remove them from the remote's branch (they were not made by hfsync)"
    )
