"""The pull record: which remote state the source has taken in, in a file the source tracks.

`hfsync pull` writes `.hfsync/pulled.json` at the repository root; the developer commits it with
the merge, so a fresh clone (a CI runner with no `.git/hfsync/`) reads it too. Per target:

    {"format": 1, "targets": {"space": {
        "remote": "space:user/demo (branch main)",   # which remote it was pulled from
        "head": "<the remote commit pulled>",
        "base": "<hfsync's base commit at that time, or null>",
        "taken": {"<remote path>": "<oid>" | null},  # the remote's version taken in (null: deleted)
        "replaced": {"<remote path>": "<blob sha1>" | null},  # the local version pull merged
        "unresolved": {"<local path>": "<blob sha1>"}  # files pull wrote for a conflict
    }}}

The engine (`engine/pulled.py`) uses an entry only when its `base` is still hfsync's base and
the remote really held every `taken` version at `head`, a commit between that base and the head;
then a taken version is the path's base: a later change of the source is an upload, and a remote
change after the pull is still a remote edit (its oid differs from the one taken in). Except
where the source still holds the version the pull replaced (`replaced`): the pull's merge is not
in that source (only the record was committed, say), so the path stays a remote edit. A file
still exactly as pull wrote it for a conflict (`unresolved`) is never uploaded.

The file is untrusted input (anyone can commit one): it is parsed with limits and strict types,
and a malformed one is not used (`MalformedPullRecord`, with the reason). Its own path is in no
target's scope (`core/scope.py`): it is never uploaded, and no remote file is written over it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PULL_RECORD = ".hfsync/pulled.json"
FORMAT = 1
MAX_RECORD_BYTES = 8 * 1024 * 1024
MAX_TARGETS = 100
MAX_PATHS = 100_000
MAX_PATH_CHARS = 4096
MAX_FIELD_CHARS = 1024
_COMMIT_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_OID_RE = _COMMIT_RE
_SHA1_RE = re.compile(r"[0-9a-f]{40}")
_ENTRY_KEYS = {"remote", "head", "base", "taken", "replaced", "unresolved"}


class MalformedPullRecord(ValueError):
    """A pull record that is not valid: not used."""


@dataclass(frozen=True)
class PullEntry:
    """What one target's last pull took in."""

    remote: str
    head: str
    base: str | None
    taken: Mapping[str, str | None] = field(default_factory=dict)
    replaced: Mapping[str, str | None] = field(default_factory=dict)
    unresolved: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "remote": self.remote,
            "head": self.head,
            "base": self.base,
            "taken": dict(sorted(self.taken.items())),
            "replaced": dict(sorted(self.replaced.items())),
            "unresolved": dict(sorted(self.unresolved.items())),
        }


def parse_pull_record(data: bytes) -> dict[str, PullEntry]:
    """Target name -> entry. Raises MalformedPullRecord with the reason."""
    if len(data) > MAX_RECORD_BYTES:
        raise MalformedPullRecord(f"larger than {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedPullRecord("not valid JSON") from None
    if not isinstance(document, dict) or set(document) != {"format", "targets"}:
        raise MalformedPullRecord("must be an object with the keys 'format' and 'targets'")
    if document["format"] != FORMAT:
        raise MalformedPullRecord(f"unknown format {str(document['format'])[:20]!r}")
    targets = document["targets"]
    if not isinstance(targets, dict) or len(targets) > MAX_TARGETS:
        raise MalformedPullRecord(f"'targets' must be an object of at most {MAX_TARGETS} targets")
    entries = {}
    for name, entry in targets.items():
        if not _short_text(name):
            raise MalformedPullRecord("a target name is not a short printable string")
        entries[name] = _entry(name, entry)
    return entries


def dump_pull_record(entries: Mapping[str, PullEntry]) -> bytes:
    """The record as the file holds it: sorted, one path per line (merges stay readable)."""
    document = {
        "format": FORMAT,
        "targets": {name: entries[name].to_dict() for name in sorted(entries)},
    }
    return (json.dumps(document, indent=2, ensure_ascii=True) + "\n").encode()


def _entry(name: str, entry: object) -> PullEntry:
    where = f"target {json.dumps(name)}"
    if not isinstance(entry, dict) or set(entry) != _ENTRY_KEYS:
        raise MalformedPullRecord(f"{where}: must be an object with keys {sorted(_ENTRY_KEYS)}")
    remote, head, base = entry["remote"], entry["head"], entry["base"]
    if not _short_text(remote):
        raise MalformedPullRecord(f"{where}: 'remote' is not a short printable string")
    if not isinstance(head, str) or not _COMMIT_RE.fullmatch(head):
        raise MalformedPullRecord(f"{where}: 'head' is not a commit id")
    if base is not None and (not isinstance(base, str) or not _COMMIT_RE.fullmatch(base)):
        raise MalformedPullRecord(f"{where}: 'base' is not a commit id or null")
    taken = _paths(where, "taken", entry["taken"], _OID_RE, nullable=True)
    replaced = _paths(where, "replaced", entry["replaced"], _SHA1_RE, nullable=True)
    written = _paths(where, "unresolved", entry["unresolved"], _SHA1_RE, nullable=False)
    unresolved = {path: oid for path, oid in written.items() if oid is not None}
    return PullEntry(remote, head, base, taken, replaced, unresolved)


def _paths(
    where: str, key: str, value: object, oid_re: re.Pattern[str], *, nullable: bool
) -> dict[str, str | None]:
    if not isinstance(value, dict) or len(value) > MAX_PATHS:
        raise MalformedPullRecord(
            f"{where}: '{key}' must be an object of at most {MAX_PATHS:,} paths"
        )
    found: dict[str, str | None] = {}
    for path, oid in value.items():
        if not valid_path(path):
            raise MalformedPullRecord(f"{where}: '{key}' has an invalid path {path[:80]!r}")
        if oid is None and nullable:
            found[path] = None
        elif isinstance(oid, str) and oid_re.fullmatch(oid):
            found[path] = oid
        else:
            raise MalformedPullRecord(f"{where}: '{key}' has an invalid id for {path[:80]!r}")
    return found


def valid_path(path: object) -> bool:
    """A relative, '/'-separated file path without '.', '..', '.git' or empty parts, NUL or a
    backslash: what hfsync may write inside a working tree."""
    if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH_CHARS:
        return False
    if "\0" in path or "\\" in path:
        return False
    return all(part not in ("", ".", "..") and part.lower() != ".git" for part in path.split("/"))


def _short_text(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_FIELD_CHARS and value.isprintable()
