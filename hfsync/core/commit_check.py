"""The commit check: a commit's tree must differ from its parent's exactly by the planned
operations, nothing more, nothing less, and never be the same tree.

Each remote runs it on the commit it built: the git remote before pushing (a failed check writes
nothing), the Hub after the commit (the Hub builds the tree). The check reads only what changed:
the entries, before and after, of every path the remote saw change (git's diff of the two trees)
or the plan names; a path it is not given is one that did not change. A commit then costs what it
changes, not what the repository holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from hfsync.core.errors import HfsyncError
from hfsync.core.snapshot import LocalFile, RemoteFile

_SHOWN = 5


class CommitCheckError(HfsyncError):
    """A commit's tree is not what the plan said (exit code 1: hfsync found a flaw in itself or
    in the remote, and stopped)."""


def unplanned_changes(
    before: Mapping[str, RemoteFile],
    after: Mapping[str, RemoteFile],
    uploads: Mapping[str, LocalFile],
    deletes: Collection[str],
    content_may_be_newer: bool = False,
) -> list[str]:
    """How `after` (the commit's tree) departs from `before` (its parent's) plus the plan.

    `before` and `after` hold the entries of the paths that changed and of the paths the plan
    names (at least), a path absent from one having no file there; they may be whole trees. A
    path neither holds is taken as unchanged.

    `content_may_be_newer`: a planned upload may hold newer bytes than the plan saw (the Hub
    stores what was sent, and a file saved again after the plan is sent as it is then); it must
    still be written. Paths the plan did not list are held to the parent exactly either way."""
    problems = []
    deleted = set(deletes)  # looked up once per path: a tuple would cost paths x deletions
    for path in sorted(before.keys() | after.keys() | uploads.keys()):
        old, new = before.get(path), after.get(path)
        if path in uploads:
            if new is None:
                problems.append(f"'{path}' was not written")
            elif not content_may_be_newer and not _holds(new, uploads[path]):
                problems.append(f"'{path}' does not hold the planned content or mode")
        elif path in deleted:
            if new is not None:
                problems.append(f"'{path}' was not deleted")
        elif new != old:
            what = "deleted" if new is None else ("added" if old is None else "changed")
            problems.append(f"'{path}' was {what}, which the plan did not list")
    if not problems and before == after:
        problems.append("the commit changes nothing")
    return problems


def check_commit(
    where: str,
    before: Mapping[str, RemoteFile],
    after: Mapping[str, RemoteFile],
    uploads: Mapping[str, LocalFile],
    deletes: Collection[str],
    written: str,
    content_may_be_newer: bool = False,
) -> None:
    """Raise CommitCheckError when the commit departs from the plan; `written` says what was
    written anyway (for the message)."""
    problems = unplanned_changes(before, after, uploads, deletes, content_may_be_newer)
    if problems:
        more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
        raise CommitCheckError(
            f"the commit for {where} differs from the plan: {'; '.join(problems[:_SHOWN])}{more}; "
            f"{written}"
        )


def _holds(entry: RemoteFile, local: LocalFile) -> bool:
    if entry.mode is not None and entry.mode != local.mode:
        return False
    if entry.is_lfs:
        return entry.size == local.size and local.sha256 in (None, entry.oid)
    return entry.oid == local.sha1
