"""hfsync's own commits: the message it writes and the record it reads back from it.

The trailers (the message's last paragraph) make the base recoverable from the remote alone, so a
fresh CI runner knows it too:

    HFSync-Format: 2
    HFSync-Source: <git sha | worktree | rollback:<backup>>
    HFSync-Target: <target name>
    HFSync-Scope: <scope definition as JSON>
    HFSync-Run: <a random id: tells this commit from any other>
    HFSync-Parent: <the commit it was pinned to | ->
    HFSync-Tree: <digest of the in-scope tree it produced>
    HFSync-Kept: <oid | -> <path as a JSON string>   (one per path whose base differs from
                                                     the commit's tree)

`Parent` and `Tree` are the proof: a commit is taken as hfsync's only while its actual parent is
the recorded one and its tree, within the recorded scope, still has the recorded digest. An amended,
cherry-picked or copied-trailer commit fails one of them (see engine/base.py).

The base after such a commit is its tree within the recorded scope, corrected by the `Kept` lines:
skipped remote edits keep their old base (so they stay flagged), remote-only files hfsync left alone
have none (so they are never deleted without `--prune`).

A message is untrusted input (anyone can write one, and the remote returns it): it is parsed with
limits on size and shape, validated like the config, and a malformed record is refused with a
reason (`MalformedRecord`), never a crash or a hang. Paths are JSON strings (ASCII only), so any
name git allows round-trips and no name can add a line. Records without `HFSync-Format` (hfsync
before format 2) are still read: their `Kept` paths are raw text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from hfsync.core.filters import FilterError
from hfsync.core.plan import Base
from hfsync.core.scope import Scope, ScopeSpec, valid_dir
from hfsync.core.snapshot import RemoteFile
from hfsync.core.tree_text import DigestLines

FORMAT = "2"
_PREFIX = "HFSync-"
_ABSENT = "-"
_LISTED_PATHS = 20

# Limits on what a record may hold; real records stay far below them.
MAX_MESSAGE_CHARS = 16 * 1024 * 1024
MAX_SCOPE_CHARS = 64 * 1024
MAX_PATTERNS = 1000
MAX_PATTERN_CHARS = 1024
MAX_FIELD_CHARS = 256
_OID_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SCOPE_KEYS = {"kind", "patterns", "exclude", "local_dir", "remote_dir"}
_KINDS = {"paths", "paths-ignore", "all"}


class MalformedRecord(ValueError):
    """A commit message that carries hfsync trailers but not a valid record."""


@dataclass(frozen=True)
class Proof:
    """What makes a record hfsync's own: the parent its commit was pinned to (None: the branch's
    first commit) and the digest of the in-scope tree it produced."""

    parent: str | None
    tree: str


@dataclass(frozen=True)
class SyncRecord:
    """What an hfsync commit says about itself. `proof` is None for a record written before
    format 2 (or by something else): such a record cannot prove it is hfsync's."""

    source: str
    target: str
    scope: ScopeSpec
    kept: Mapping[str, str | None]
    run: str = ""
    proof: Proof | None = None


def tree_digest(tree: Mapping[str, RemoteFile], scope: Scope) -> str:
    """The digest of a tree's entries within `scope`: path, oid (as the remote reports it) and
    size of each, sorted (the lines of `core/tree_text.DigestLines`)."""
    return DigestLines.of(tree, scope.includes_remote).digest()


def commit_message(
    summary: str, details: list[str], record: SyncRecord, run_id: str
) -> tuple[str, str]:
    """(title, body) of an hfsync commit: a summary, the first paths, then the trailers.

    `run_id` makes every commit's body unique, so that a remote can tell its own commit from
    another one with the same summary (after a lost connection, say).
    """
    shown = [display_line(line) for line in details[:_LISTED_PATHS]]
    if len(details) > len(shown):
        shown.append(f"... and {len(details) - len(shown)} more")
    trailers = [
        f"{_PREFIX}Format: {FORMAT}",
        f"{_PREFIX}Source: {record.source}",
        f"{_PREFIX}Target: {record.target}",
        f"{_PREFIX}Scope: {record.scope.to_json()}",
        f"{_PREFIX}Run: {run_id}",
    ]
    if record.proof is not None:
        trailers += [
            f"{_PREFIX}Parent: {record.proof.parent or _ABSENT}",
            f"{_PREFIX}Tree: {record.proof.tree}",
        ]
    trailers += [
        f"{_PREFIX}Kept: {oid or _ABSENT} {json.dumps(path)}"
        for path, oid in sorted(record.kept.items())
    ]
    body = "\n".join(shown) + ("\n\n" if shown else "") + "\n".join(trailers) + "\n"
    return summary, body


def display_line(text: str) -> str:
    """`text` on one line: a path with a line break, a tab or another unprintable character is
    shown JSON-quoted, so that it cannot start a line of its own (a forged trailer, say)."""
    return text if text.isprintable() else json.dumps(text)


def parse_record(message: str) -> SyncRecord | None:
    """The record of an hfsync commit message; None for a commit without hfsync trailers.

    Raises MalformedRecord (with the reason) for a message whose trailers are not a valid record.
    """
    if len(message) > MAX_MESSAGE_CHARS:
        if _PREFIX in message[-MAX_MESSAGE_CHARS:]:
            raise MalformedRecord(f"message longer than {MAX_MESSAGE_CHARS} characters")
        return None
    lines = _trailer_block(message)
    if not any(line.startswith(_PREFIX) for line in lines):
        return None
    fields: dict[str, str] = {}
    kept_lines: list[str] = []
    for line in lines:
        if not line.startswith(_PREFIX):
            continue
        key, sep, value = line[len(_PREFIX) :].partition(": ")
        if not sep:
            raise MalformedRecord(f"trailer line without a value: {line[:80]!r}")
        if key == "Kept":
            kept_lines.append(value)
        elif key in fields:
            raise MalformedRecord(f"trailer HFSync-{key[:40]} given twice")
        else:
            fields[key] = value
    if not {"Source", "Target", "Scope"} <= fields.keys():
        return None
    form = fields.get("Format")
    if form not in (None, FORMAT):
        raise MalformedRecord(f"unknown record format {form[:20]!r}")
    for key in ("Source", "Target", "Run"):
        value = fields.get(key, "")
        if len(value) > MAX_FIELD_CHARS or not value.isprintable():
            raise MalformedRecord(f"HFSync-{key} is not a short printable value")
    kept = dict(_parse_kept(value, legacy=form is None) for value in kept_lines)
    scope = parse_scope(fields["Scope"])
    return SyncRecord(
        fields["Source"], fields["Target"], scope, kept, fields.get("Run", ""), _proof(fields)
    )


def _proof(fields: Mapping[str, str]) -> Proof | None:
    parent, tree = fields.get("Parent"), fields.get("Tree")
    if parent is None and tree is None:
        return None
    if (
        parent is None
        or tree is None
        or not (parent == _ABSENT or _OID_RE.fullmatch(parent))
        or not re.fullmatch(r"[0-9a-f]{64}", tree)
    ):
        raise MalformedRecord("HFSync-Parent / HFSync-Tree are not a commit id and a digest")
    return Proof(None if parent == _ABSENT else parent, tree)


def _trailer_block(message: str) -> list[str]:
    """The lines of the message's last paragraph (git's trailer block)."""
    paragraphs = [p for p in message.replace("\r\n", "\n").split("\n\n") if p.strip("\n")]
    return paragraphs[-1].strip("\n").split("\n") if paragraphs else []


def _parse_kept(value: str, legacy: bool) -> tuple[str, str | None]:
    oid, _, encoded = value.partition(" ")
    if oid != _ABSENT and not _OID_RE.fullmatch(oid):
        raise MalformedRecord(f"HFSync-Kept has no valid oid: {value[:80]!r}")
    if legacy:
        path = encoded
    else:
        try:
            path = json.loads(encoded)
        except (ValueError, RecursionError):
            path = None
        if not isinstance(path, str):
            raise MalformedRecord(f"HFSync-Kept path is not a JSON string: {value[:80]!r}")
    if not path or "\0" in path:
        raise MalformedRecord(f"HFSync-Kept has no valid path: {value[:80]!r}")
    return path, None if oid == _ABSENT else oid


def parse_scope(text: str) -> ScopeSpec:
    """A recorded scope, checked like the config's: a flat JSON object of known keys and types,
    patterns that compile. Raises MalformedRecord."""
    if len(text) > MAX_SCOPE_CHARS:
        raise MalformedRecord(f"HFSync-Scope longer than {MAX_SCOPE_CHARS} characters")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedRecord("HFSync-Scope is not valid JSON") from None
    if not isinstance(data, dict) or set(data) != _SCOPE_KEYS:
        raise MalformedRecord(f"HFSync-Scope must be an object with keys {sorted(_SCOPE_KEYS)}")
    kind, local_dir, remote_dir = data["kind"], data["local_dir"], data["remote_dir"]
    if kind not in _KINDS:
        raise MalformedRecord(f"HFSync-Scope kind must be one of {sorted(_KINDS)}")
    patterns, exclude = _patterns(data["patterns"]), _patterns(data["exclude"])
    if (kind == "all") != (not patterns):
        raise MalformedRecord("HFSync-Scope patterns do not fit its kind")
    for value in (local_dir, remote_dir):
        if not isinstance(value, str) or not valid_dir(value):
            raise MalformedRecord("HFSync-Scope folders must be relative folders without '..'")
    spec = ScopeSpec(kind, patterns, exclude, local_dir, remote_dir)
    try:
        Scope.from_spec(spec)
    except (FilterError, ValueError) as exc:
        raise MalformedRecord(f"HFSync-Scope pattern does not compile: {exc}") from None
    return spec


def _patterns(value: object) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or len(value) > MAX_PATTERNS
        or not all(isinstance(p, str) and 0 < len(p) <= MAX_PATTERN_CHARS for p in value)
    ):
        raise MalformedRecord(
            f"HFSync-Scope patterns must be a list of at most {MAX_PATTERNS} strings "
            f"of 1 to {MAX_PATTERN_CHARS} characters"
        )
    return tuple(value)


def derive_base(tree: Mapping[str, RemoteFile], record: SyncRecord, scope: Scope) -> Base:
    """The base an hfsync commit leaves, seen through the current scope.

    Paths the recorded scope did not cover have no known base: they follow the first-sync rule.
    """
    recorded = scope if record.scope == scope.spec else Scope.from_spec(record.scope)
    in_scope = scope.select_remote(tree)
    if recorded is not scope:
        in_scope = recorded.select_remote(in_scope)
    entries = {path: tree[path].oid for path in in_scope}
    for path, oid in record.kept.items():
        if oid is None:
            entries.pop(path, None)
        elif scope.includes_remote(path):
            entries[path] = oid
    return Base(entries=entries, known=recorded.includes_remote)
