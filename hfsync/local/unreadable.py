"""What the source cannot read is an error that names it, never a deletion.

git lists what it can see: a directory it cannot open simply has no files in its answer, and a
file it cannot read would look deleted or fail deep in an upload. These helpers turn each such
case into one `SourceError` line (exit 2) naming the path, before anything is planned or written.
"""

from __future__ import annotations

import os
import re

from hfsync.core.errors import SourceError

# git's warning (with LC_ALL=C) for a directory it could not list.
_CANNOT_OPEN_RE = re.compile(r"^warning: could not open directory '(.*)': (.*)$", re.MULTILINE)


def unreadable_dirs_error(git_stderr: str) -> SourceError | None:
    """The error for the directories `git ls-files` could not open, if it reported any."""
    found = [(path.rstrip("/"), why) for path, why in _CANNOT_OPEN_RE.findall(git_stderr)]
    if not found:
        return None
    path, why = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return SourceError(
        f"cannot read directory {shown(path)}{more}: {why}; hfsync would take its files for "
        "deleted. Make it readable (chmod), or add it to .gitignore"
    )


def unreadable_file_error(path: str, exc: OSError) -> SourceError:
    reason = exc.strerror or type(exc).__name__
    return SourceError(
        f"cannot read {shown(path)}: {reason}; make it readable (chmod) or exclude it from "
        "this target"
    )


def check_name(path: str) -> None:
    """Refuse a path that is not valid UTF-8 (it cannot be a Hub path or a commit record)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise SourceError(
            f"file name {shown(path)} is not valid UTF-8; rename it, or exclude it from this target"
        ) from None


def shown(path: str) -> str:
    """A path as one printable token: quoted, undecodable bytes and control characters escaped."""
    text = os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return "'" + "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) + "'"
