"""The pull record in a sync: the remote state a source has taken in becomes its base there.

`hfsync pull` records in the source (`.hfsync/pulled.json`, core/pulled.py) the remote commit it
pulled, hfsync's base commit at that time, and the remote's version of every path it took in.
A run of a source that holds such a record uses it only when

1. it names this target's remote;
2. its base is still hfsync's base commit (after hfsync's next commit, that commit records what
   the sync wrote: an older record is done with);
3. its head is a commit of the remote between that base and the current head;
4. the remote held, at that head, exactly the version it says was taken in, for every path.

Then each taken version is the path's base: the source's merge is a change of its own (an
upload), while a remote change made after the pull has another oid, so it is still a remote edit.
A record cannot claim more than what the remote held at a commit it really had after hfsync's
last write; writing one by hand amounts to the same as `--on-conflict overwrite` for those
paths at that moment, and anyone who can commit to the source can do that anyway.

Also: a file that is still exactly what the pull wrote for a conflict (conflict markers, or a
binary's remote copy written beside it) is an unresolved conflict: never uploaded, whatever
the policy or the state of the rest of the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from hfsync.core.plan import Action, Base, Plan
from hfsync.core.pulled import PULL_RECORD, MalformedPullRecord, PullEntry, parse_pull_record
from hfsync.core.record import display_line
from hfsync.core.redact import redact
from hfsync.local.pulled_file import read_pull_record

if TYPE_CHECKING:
    from hfsync.config.model import TargetConfig
    from hfsync.core.snapshot import LocalFile, RemoteFile
    from hfsync.engine.base import Recovery
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

UNRESOLVED = (
    "still as 'hfsync pull' wrote it for a conflict; resolve it: edit out the conflict markers, "
    "or keep one of a binary file and the remote's copy beside it"
)


@dataclass(frozen=True)
class TakenIn:
    """This target's entry of the source's pull record, and whether it holds now."""

    entry: PullEntry | None = None
    usable: bool = False
    notes: tuple[str, ...] = ()
    entries: Mapping[str, PullEntry] | None = None  # every target's (None: no valid record)

    def base_over(
        self, base: Base | None, target: Target, local: Mapping[str, LocalFile]
    ) -> tuple[Base | None, tuple[str, ...]]:
        """`base`, with each version taken in as the base of its path; and what to tell.

        Not where the source still holds the version the pull replaced: the pull's merge is
        not in this source."""
        if not self.usable or self.entry is None or base is None:
            return base, ()
        includes, replaced = target.scope.includes_remote, self.entry.replaced
        taken: dict[str, str | None] = {}
        missed = []
        for path, oid in self.entry.taken.items():
            if not includes(path):
                continue
            if path in replaced and _holds(local.get(path), replaced[path]):
                missed.append(path)
            else:
                taken[path] = oid
        notes: tuple[str, ...] = ()
        if missed:
            notes = (
                f"{PULL_RECORD}: {display_line(missed[0])}"
                + (f" and {len(missed) - 1} more" if len(missed) > 1 else "")
                + " as before 'hfsync pull' (its merge is not in this source): still remote "
                "edits",
            )
        if not taken:
            return base, notes
        entries = dict(base.entries)
        for path, oid in taken.items():
            if oid is None:
                entries.pop(path, None)
            else:
                entries[path] = oid
        known = base.known
        return Base(entries=entries, known=lambda path: path in taken or known(path)), notes

    def mark_unresolved(self, plan: Plan, target: Target, source: Source) -> Plan:
        """The plan, with each file still as the pull wrote it for a conflict made a conflict."""
        if self.entry is None or not self.entry.unresolved:
            return plan
        scope = target.scope
        remote_paths = set()
        for path, sha1 in self.entry.unresolved.items():
            local = source.files.get(path)
            if local is not None and local.sha1 == sha1 and scope.includes(path):
                remote_paths.add(scope.to_remote(path))
        if not remote_paths:
            return plan
        operations = tuple(
            replace(op, action=Action.CONFLICT, reason=UNRESOLVED, unresolved=True)
            if op.path in remote_paths and op.action is not Action.KEEP
            else op
            for op in plan.operations
        )
        return replace(plan, operations=operations)


def _holds(local: LocalFile | None, sha1: str | None) -> bool:
    return local.sha1 == sha1 if local is not None else sha1 is None


def remote_name(config: TargetConfig) -> str:
    """How the record names a target's remote: as the config writes it (credentials hidden)."""
    where = config.url if config.url is not None else f"{config.repo_type}:{config.repo}"
    return redact(f"{where} (branch {config.branch})")


def taken_in(
    target: Target,
    source: Source,
    recovery: Recovery,
    head: str | None,
    tree: Mapping[str, RemoteFile],
) -> TakenIn:
    """Read this target's entry of the source's pull record and check it against the remote."""
    try:
        data = read_pull_record(source.repo_root, source.commit)
        entries = parse_pull_record(data) if data is not None else {}
    except MalformedPullRecord as exc:
        return TakenIn(notes=(f"{PULL_RECORD}: {exc}; it is not used",))
    entry = entries.get(target.config.name)
    if entry is None:
        return TakenIn(entries=entries)
    why = _unusable(target, entry, recovery, head, tree)
    if why is None:
        return TakenIn(entry, usable=True, entries=entries)
    notes = () if why == "" else (f"{PULL_RECORD}: {why}; what it took in is not used",)
    return TakenIn(entry, usable=False, notes=notes, entries=entries)


def _unusable(
    target: Target,
    entry: PullEntry,
    recovery: Recovery,
    head: str | None,
    tree: Mapping[str, RemoteFile],
) -> str | None:
    """Why the entry does not hold (""): it is merely done with, say nothing); None: it holds."""
    if entry.remote != remote_name(target.config):
        return f"it was pulled from {entry.remote}, not from this target's remote"
    pointer = recovery.pointer
    if head is None or recovery.base is None or pointer is None:
        return "the remote's history was rewritten since the pull" if recovery.rewritten else ""
    if entry.base != pointer.base_commit:
        return ""  # hfsync wrote since the pull: that commit records the sync
    remote = target.remote
    if entry.head != head and not _between(target, head, entry.head, pointer.base_commit):
        return (
            f"its remote commit {entry.head[:12]} is not on the branch after hfsync's last commit"
        )
    held = tree if entry.head == head else remote.tree(entry.head)
    includes = target.scope.includes_remote
    for path, oid in entry.taken.items():
        if not includes(path):
            continue
        found = held.get(path)
        if (found.oid if found is not None else None) != oid:
            return (
                f"the remote did not hold what it says was taken in at {entry.head[:12]} ({path})"
            )
    return None


def _between(target: Target, head: str, pulled: str, base_commit: str | None) -> bool:
    """Whether `pulled` is reachable from `head` without passing hfsync's base commit first
    (the walk stops there: what lies before is no pull made after it)."""
    for commit in target.remote.iter_commits(head):
        if commit.id == pulled:
            return True
        if commit.id == base_commit:
            return False
    return False
