"""What `hfsync pull` does with each remote edit: a pure function of the two sides and the base.

For each path in scope, with L the working tree's file, R the remote's now and B the base (what
hfsync last wrote there, or the version an earlier pull took in), a path the remote changed
(R != B; with no base known, any remote file) is brought home:

| local              | remote            | step                                                  |
| ------------------ | ----------------- | ----------------------------------------------------- |
| == R               | any               | nothing to write: already taken in                    |
| == B (or absent, B absent) | changed, created | `take`: write R                               |
| == B               | deleted           | `delete` the local file                               |
| changed            | changed, created  | `merge` (3-way against B; no B: against nothing)      |
| changed            | deleted           | `keep`: yours kept, listed as a conflict              |
| deleted            | changed           | `restore`: R written back, listed as a conflict       |

Some remote files are never written into a working tree (`skip`, listed): a symlink, a path that
could leave the repository or enter `.git`, a file over the target's `max_file_mb`. The Hub's own
`.gitattributes`, where hfsync never wrote one and the source has none, is left on the remote
without a word (its LFS rules would change how git stores this repository's files). Every path
the remote changed, except those, is "taken in" (`PullPlan.taken`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum

from hfsync.core.plan import HUB_ATTRIBUTES, Base
from hfsync.core.pulled import valid_path
from hfsync.core.snapshot import MODE_LINK, SHA256_HEX_LEN, LocalFile, RemoteFile


class PullAction(str, Enum):
    TAKE = "take"
    DELETE = "delete"
    MERGE = "merge"
    KEEP = "keep"
    RESTORE = "restore"
    SKIP = "skip"


@dataclass(frozen=True)
class PullStep:
    """One remote edit to bring home: `path` on the remote, `local_path` in the working tree."""

    action: PullAction
    path: str
    local_path: str
    reason: str
    local: LocalFile | None
    remote: RemoteFile | None
    base: str | None  # the base oid (None: absent, or unknown when not `base_known`)
    base_known: bool


@dataclass(frozen=True)
class PullPlan:
    head: str
    steps: tuple[PullStep, ...]
    taken: Mapping[str, str | None]  # remote path -> the remote's oid taken in (None: deleted)


def same(local: LocalFile | None, oid: str | None) -> bool:
    """Whether a local file holds the content `oid` names (absent for None): a git blob SHA-1,
    or an LFS SHA-256 (the local one must have been computed)."""
    if local is None or oid is None:
        return local is None and oid is None
    if len(oid) == SHA256_HEX_LEN:
        return local.sha256 == oid
    return local.sha1 == oid


def sha256_needed(
    local: Mapping[str, LocalFile], tree: Mapping[str, RemoteFile], base: Base | None
) -> list[str]:
    """The local paths whose SHA-256 `make_pull_plan` needs (compared with LFS oids)."""
    needed = []
    for path, file in local.items():
        if file.sha256 is not None:
            continue
        remote = tree.get(path)
        base_oid = base.entries.get(path) if base is not None else None
        oids = (remote.oid if remote else None, base_oid)
        if any(oid is not None and len(oid) == SHA256_HEX_LEN for oid in oids):
            needed.append(file.path)
    return needed


def make_pull_plan(
    local: Mapping[str, LocalFile],
    tree: Mapping[str, RemoteFile],
    base: Base | None,
    head: str,
    in_scope: Callable[[str], bool],
    to_local: Callable[[str], str | None],
    max_bytes: int,
) -> PullPlan:
    """The remote edits to bring home. `local` is keyed by remote path, as the sync's."""
    paths = {path for path in tree if in_scope(path)}
    if base is not None:
        paths.update(path for path in base.entries if in_scope(path))
    steps: list[PullStep] = []
    taken: dict[str, str | None] = {}
    for path in sorted(paths):
        remote = tree.get(path)
        known = base is not None and base.known(path)
        base_oid = base.entries.get(path) if base is not None and known else None
        remote_oid = remote.oid if remote is not None else None
        if (remote_oid == base_oid) if known else remote is None:
            continue  # the remote did not change it
        file = local.get(path)
        local_path = to_local(path) or path
        if path == HUB_ATTRIBUTES and file is None and base_oid is None:
            continue  # the Hub's own (LFS rules): they would change how git stores files here
        if same(file, remote_oid):
            taken[path] = remote_oid
            continue
        skip = _skipped(local_path, remote, max_bytes)
        step = PullStep(
            PullAction.SKIP, path, local_path, skip or "", file, remote, base_oid, known
        )
        if skip is None:
            step = _decide(step)
            taken[path] = remote_oid
        steps.append(step)
    return PullPlan(head=head, steps=tuple(steps), taken=taken)


def _decide(step: PullStep) -> PullStep:
    file, remote, base_oid, known = step.local, step.remote, step.base, step.base_known
    unchanged = known and same(file, base_oid)
    if remote is None:
        if unchanged:
            return replace(step, action=PullAction.DELETE, reason="deleted on the remote")
        return replace(
            step,
            action=PullAction.KEEP,
            reason="deleted on the remote, changed here: yours is kept (delete it to take the "
            "remote's deletion)",
        )
    if unchanged or (file is None and base_oid is None):
        what = "created on the remote" if base_oid is None else "edited on the remote"
        return replace(step, action=PullAction.TAKE, reason=what)
    if file is None:
        return replace(
            step,
            action=PullAction.RESTORE,
            reason="deleted here, edited on the remote: the remote's version is back (delete "
            "it again to keep your deletion)",
        )
    what = "edited on both sides" if base_oid is not None else "created on both sides"
    return replace(step, action=PullAction.MERGE, reason=what)


def _skipped(
    local_path: str,
    remote: RemoteFile | None,
    max_bytes: int,
) -> str | None:
    """Why a remote edit is not brought home, or None."""
    if not valid_path(local_path):
        return "a path hfsync does not write into a working tree; not brought home"
    if remote is None:
        return None
    if remote.mode == MODE_LINK:
        return "a symlink on the remote; not brought home (add it by hand if it is meant)"
    if remote.size > max_bytes:
        return f"{remote.size:,} bytes on the remote, over max_file_mb; not brought home"
    return None
