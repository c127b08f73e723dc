"""The plan: a pure function from snapshots, base and policy to frozen operations.

No I/O here: no files, network or clock. For every path in scope, with L the source file, R the
remote entry now and B the base (what hfsync last wrote), design.md's table decides:

- L == R: in sync, nothing to do;
- R == B: changed locally only: upload L, or delete R when L is gone and hfsync wrote R;
- R != B: a remote edit the sync would overwrite or delete: a conflict, settled by the policy;
  except a remote-only file hfsync never wrote (L and B absent), which is left alone unless `prune`;
- no base at all (first sync): B := R, and nothing is deleted unless `prune`;
- no base reachable although hfsync synced the target before (`rewritten`: the remote's history
  was rewritten): B unknown, so a differing file is a remote edit, never a first-sync upload.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from functools import cached_property

from hfsync.core.collisions import collisions
from hfsync.core.snapshot import LocalFile, RemoteFile, same_content
from hfsync.core.tree_text import PathList

# A Hub repo starts with a `.gitattributes` that routes large files to LFS/Xet: deleting it would
# make the next large upload fail, so only a source that has its own replaces or deletes it.
HUB_ATTRIBUTES = ".gitattributes"


class Action(str, Enum):
    UPLOAD = "upload"
    DELETE = "delete"
    CONFLICT = "conflict"
    KEEP = "keep"
    IGNORED = "ignored"  # the target would drop the upload (a Space's .gitignore)


@dataclass(frozen=True)
class Operation:
    """One planned step on one remote path, with the reason for it."""

    action: Action
    path: str
    reason: str
    local: LocalFile | None = None
    remote: RemoteFile | None = None
    base: str | None = None
    collision: bool = False  # a file/folder collision with the remote (see core/collisions)
    unresolved: bool = False  # still as `hfsync pull` wrote it for a conflict (engine/pulled.py)


@dataclass(frozen=True)
class Base:
    """What hfsync last wrote per remote path, where that is known.

    `known(path)` is False for paths no earlier hfsync commit managed (a first sync, or paths a
    widened scope brings in): they follow the first-sync rule.
    """

    entries: Mapping[str, str]
    known: Callable[[str], bool]


@dataclass(frozen=True)
class Policy:
    """How to settle conflicts and remote-only files."""

    on_conflict: str = "abort"  # abort | skip | overwrite
    prune: bool = False


@dataclass(frozen=True)
class Plan:
    """What a sync would do. Only paths that are not in sync carry an operation."""

    head: str | None
    operations: tuple[Operation, ...]
    in_sync: int
    first_sync: bool
    policy: Policy
    # What the user should know about how the base was found (records skipped, say).
    notes: tuple[str, ...] = ()
    # hfsync synced this target before but its commits are gone from the history.
    history_rewritten: bool = False

    def of(self, action: Action) -> tuple[Operation, ...]:
        return self._by_action[action]

    @cached_property
    def _by_action(self) -> dict[Action, tuple[Operation, ...]]:
        """The operations of each action, sorted out once: a sync asks a plan for its uploads
        dozens of times (each pass was 50,000 operations long in a first sync of 50,000 files).
        """
        by_action: dict[Action, list[Operation]] = {action: [] for action in Action}
        for op in self.operations:
            by_action[op.action].append(op)
        return {action: tuple(ops) for action, ops in by_action.items()}

    @property
    def uploads(self) -> tuple[Operation, ...]:
        return self.of(Action.UPLOAD)

    @property
    def deletes(self) -> tuple[Operation, ...]:
        return self.of(Action.DELETE)

    @property
    def conflicts(self) -> tuple[Operation, ...]:
        return self.of(Action.CONFLICT)

    @property
    def has_changes(self) -> bool:
        return bool(self.uploads or self.deletes)

    @property
    def left_alone(self) -> tuple[Operation, ...]:
        """Remote-only files left alone that `--prune` would delete (not the Hub's own
        `.gitattributes`, which it keeps)."""
        return tuple(op for op in self.of(Action.KEEP) if op.path != HUB_ATTRIBUTES)

    @cached_property
    def collisions(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.collision)

    @cached_property
    def unresolved(self) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.unresolved)

    @property
    def blocked(self) -> bool:
        """True when the policy is `abort` and a remote edit stands in the way, or when a
        file/folder collision does (`overwrite` may not delete what the plan does not list), or
        a conflict `hfsync pull` left unresolved (`overwrite` would upload its markers)."""
        if self.policy.on_conflict == "overwrite":
            return bool(self.collisions or self.unresolved)
        return self.policy.on_conflict == "abort" and bool(self.conflicts)

    def with_note(self, note: str) -> Plan:
        """This plan with one more note for the user."""
        return replace(self, notes=(*self.notes, note))

    def kept_base(self) -> dict[str, str | None]:
        """Base entries the commit must record because its tree will not show them.

        A skipped conflict keeps its old base (so it stays flagged); a remote-only file left alone
        has no base (hfsync never wrote it, so it is never deleted without `--prune`); an upload
        the target ignores keeps its old base.
        """
        kept: dict[str, str | None] = {}
        for op in self.operations:
            if op.action in (Action.CONFLICT, Action.KEEP, Action.IGNORED):
                kept[op.path] = op.base
        return kept

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_dict(self) -> dict[str, object]:
        return {
            "head": self.head,
            "first_sync": self.first_sync,
            "history_rewritten": self.history_rewritten,
            "in_sync": self.in_sync,
            "on_conflict": self.policy.on_conflict,
            "prune": self.policy.prune,
            "notes": list(self.notes),
            "operations": [
                {
                    "action": op.action.value,
                    "path": op.path,
                    "reason": op.reason,
                    "size": op.local.size if op.local else (op.remote.size if op.remote else None),
                }
                for op in self.operations
            ],
        }


def make_plan(
    local: Mapping[str, LocalFile],
    remote: Mapping[str, RemoteFile],
    base: Base | None,
    in_scope: Callable[[str], bool],
    head: str | None,
    policy: Policy,
    notes: tuple[str, ...] = (),
    rewritten: bool = False,
    remote_paths: PathList | None = None,
) -> Plan:
    """Plan a sync. `local` is keyed by remote path; `base` is None when no base is known.

    Remote paths outside `in_scope` are never looked at, let alone touched. `remote_paths`: every
    path of the remote tree (for file/folder collisions), when `remote` holds only some entries
    (the incremental plan); by default `remote`'s.
    """
    first_sync = base is None and not rewritten
    # A path already listed is not asked about again (`in_scope` may be costly).
    paths = set(local)
    paths.update([p for p in remote if p not in paths and in_scope(p)])
    if base is not None:
        paths.update([p for p in base.entries if p not in paths and in_scope(p)])
    operations: list[Operation] = []
    in_sync = 0
    for path in sorted(paths):
        local_file, remote_file = local.get(path), remote.get(path)
        if (
            local_file
            and remote_file
            and local_file.sha1 == remote_file.oid
            and remote_file.mode in (None, local_file.mode)
        ):
            in_sync += 1  # the common case, decided without a call (same_content's first rules)
            continue
        op = _decide(path, local_file, remote_file, base, policy, rewritten)
        if op is None:
            in_sync += 1
        else:
            operations.append(op)
    return Plan(
        head=head,
        operations=_with_collisions(operations, remote_paths or remote),
        in_sync=in_sync,
        first_sync=first_sync,
        policy=policy,
        notes=notes,
        history_rewritten=rewritten,
    )


def _decide(
    path: str,
    local: LocalFile | None,
    remote: RemoteFile | None,
    base_info: Base | None,
    policy: Policy,
    rewritten: bool,
) -> Operation | None:
    if same_content(local, remote):
        return None
    if base_info is None and rewritten:
        return _decide_rewritten(path, local, remote, policy)
    remote_oid = remote.oid if remote else None
    known = base_info is not None and base_info.known(path)
    base = base_info.entries.get(path) if base_info is not None and known else remote_oid
    if local is None and (not known or base is None):
        # A remote file hfsync never wrote (or the first sync of it): only --prune deletes it.
        why = "hfsync did not write it" if known else "first sync of this path"
        return _remote_only(path, remote, policy, why)
    if base == remote_oid:  # changed in the source only
        if local is None:
            return Operation(Action.DELETE, path, "deleted in the source", None, remote, base)
        reason = "new in the source" if remote is None else "changed in the source"
        return Operation(Action.UPLOAD, path, reason, local, remote, base)
    if remote is None:
        what = "deleted on the remote since hfsync last wrote it"
    elif base is None:  # a remote-only file that now exists in the source too
        what = "on the remote, not written by hfsync"
    else:
        what = "edited on the remote since hfsync last wrote it"
    return _remote_edit(path, what, local, remote, base, policy)


def _decide_rewritten(
    path: str, local: LocalFile | None, remote: RemoteFile | None, policy: Policy
) -> Operation:
    """No authentic base although hfsync synced this target before: the remote's history was
    rewritten, so hfsync cannot tell what it wrote. Nothing may be lost: a differing file is a
    remote edit, a remote-only file is left alone, a file only in the source is uploaded."""
    if remote is None:
        return Operation(Action.UPLOAD, path, "new in the source", local, None, None)
    if local is None:
        return _remote_only(path, remote, policy, "the remote's history was rewritten")
    what = "differs on the remote, whose history was rewritten (hfsync cannot tell who changed it)"
    return _remote_edit(path, what, local, remote, None, policy)


def _remote_only(path: str, remote: RemoteFile | None, policy: Policy, why: str) -> Operation:
    if path == HUB_ATTRIBUTES:
        reason = "the remote's own .gitattributes (routes large files to LFS); never pruned"
        return Operation(Action.KEEP, path, reason, None, remote, None)
    if policy.prune:
        return Operation(Action.DELETE, path, "not in the source (--prune)", None, remote)
    reason = f"remote-only file ({why}); left alone (--prune deletes it)"
    return Operation(Action.KEEP, path, reason, None, remote, None)


def _remote_edit(
    path: str,
    what: str,
    local: LocalFile | None,
    remote: RemoteFile | None,
    base: str | None,
    policy: Policy,
) -> Operation:
    """A remote change the sync would overwrite or delete: the policy settles it."""
    if policy.on_conflict == "overwrite":
        action = Action.UPLOAD if local is not None else Action.DELETE
        reason = f"{what}; overwritten (the backup keeps the remote's version)"
        return Operation(action, path, reason, local, remote, base)
    return Operation(Action.CONFLICT, path, what, local, remote, base)


def _with_collisions(
    operations: list[Operation], remote: Mapping[str, RemoteFile] | PathList
) -> tuple[Operation, ...]:
    """`operations`, each upload that collides with what stays on the remote made a conflict
    that no policy settles by itself (see core/collisions)."""
    uploads = [op.path for op in operations if op.action is Action.UPLOAD]
    if not uploads:
        return tuple(operations)
    deleted = {op.path for op in operations if op.action is Action.DELETE}
    paths = remote if isinstance(remote, PathList) else PathList.of(remote)
    found = collisions(uploads, deleted, paths)
    return tuple(
        replace(op, action=Action.CONFLICT, reason=found[op.path], collision=True)
        if op.action is Action.UPLOAD and op.path in found
        else op
        for op in operations
    )
