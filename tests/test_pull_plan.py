"""`hfsync pull`'s pure parts: what it does with each remote edit, and its record as untrusted
input (issue 21)."""

from __future__ import annotations

import hashlib
import json

import pytest

from hfsync.core.plan import Base
from hfsync.core.pull_plan import PullAction, make_pull_plan
from hfsync.core.pulled import (
    PULL_RECORD,
    MalformedPullRecord,
    PullEntry,
    dump_pull_record,
    parse_pull_record,
)
from hfsync.core.scope import Scope, ScopeSpec
from hfsync.core.snapshot import MODE_LINK, LocalFile, RemoteFile


def sha1(content: str) -> str:
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def plan_one(
    local: str | None, remote: str | None, base: str | None, *, known: bool = True, mode=None
):
    files = {"f": LocalFile("f", len(local), sha1(local))} if local is not None else {}
    tree = {"f": RemoteFile(sha1(remote), len(remote), mode)} if remote is not None else {}
    entries = {"f": sha1(base)} if base is not None else {}
    return make_pull_plan(
        files,
        tree,
        Base(entries, known=lambda path: known),
        "head",
        lambda path: True,
        lambda path: path,
        max_bytes=1000,
    )


ROWS = [
    # (local, remote, base, step or None: nothing to write, taken in?)
    ("x", "x", "x", None, False),  # the remote did not change it
    ("old", "x", "old", PullAction.TAKE, True),  # edited on the remote only
    (None, "x", None, PullAction.TAKE, True),  # created on the remote
    ("old", None, "old", PullAction.DELETE, True),  # deleted on the remote only
    ("mine", "theirs", "old", PullAction.MERGE, True),  # edited on both sides
    ("mine", "theirs", None, PullAction.MERGE, True),  # created on both sides
    ("mine", None, "old", PullAction.KEEP, True),  # deleted there, edited here
    (None, "theirs", "old", PullAction.RESTORE, True),  # deleted here, edited there
    ("theirs", "theirs", "old", None, True),  # already brought in by hand
    (None, None, "old", None, True),  # deleted on both sides
]


@pytest.mark.parametrize(("local", "remote", "base", "action", "taken"), ROWS)
def test_each_remote_edit_gets_its_step(local, remote, base, action, taken) -> None:
    plan = plan_one(local, remote, base)
    assert [step.action for step in plan.steps] == ([action] if action else [])
    assert ("f" in plan.taken) is taken


def test_with_no_base_known_a_differing_file_is_merged_and_a_local_one_left_alone() -> None:
    assert [s.action for s in plan_one("mine", "theirs", None, known=False).steps] == [
        PullAction.MERGE
    ]
    assert plan_one("mine", None, None, known=False).steps == ()


@pytest.mark.parametrize(
    ("remote", "mode", "why"),
    [("x" * 2000, None, "over max_file_mb"), ("target", MODE_LINK, "a symlink on the remote")],
)
def test_what_is_never_written_into_a_working_tree_is_listed_and_not_taken_in(
    remote: str, mode: str | None, why: str
) -> None:
    plan = plan_one("old", remote, "old", mode=mode)
    (step,) = plan.steps
    assert step.action is PullAction.SKIP and why in step.reason
    assert "f" not in plan.taken


def test_a_remote_path_that_would_leave_the_working_tree_is_never_written() -> None:
    for path in ("../evil", "a/../../evil", ".git/hooks/post-checkout", "a//b", "/etc/x"):
        tree = {path: RemoteFile(sha1("x"), 1)}
        plan = make_pull_plan({}, tree, None, "head", lambda p: True, lambda p: p, 1000)
        (step,) = plan.steps
        assert step.action is PullAction.SKIP, path
        assert plan.taken == {}


def test_the_pull_record_is_in_no_scope() -> None:
    for spec in (ScopeSpec("all"), ScopeSpec("paths", (".hfsync/**",))):
        scope = Scope.from_spec(spec)
        assert not scope.includes(PULL_RECORD)
        assert scope.includes(".hfsync/other.json")


ENTRY = PullEntry("space:user/demo (branch main)", "a" * 40, "b" * 40, {"f": "c" * 40, "g": None})


def test_the_record_round_trips() -> None:
    data = dump_pull_record({"space": ENTRY})
    assert parse_pull_record(data) == {"space": ENTRY}
    assert data.endswith(b"\n") and b'\n        "f": ' in data  # one path per line


def document(**entry: object) -> bytes:
    body = {**ENTRY.to_dict(), **entry}
    return json.dumps({"format": 1, "targets": {"space": body}}).encode()


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"format": 2, "targets": {}}',
        b'{"format": 1, "targets": {}, "more": 1}',
        document(head="HEAD"),
        document(base="--upload-pack=x"),
        document(taken={"../escape": "c" * 40}),
        document(taken={".git/config": "c" * 40}),
        document(taken={"f": "not an oid"}),
        document(unresolved={"f": None}),
        document(remote="a\nb"),
        document(extra=1),
        b" " * (9 * 1024 * 1024),
    ],
    ids=lambda data: repr(data[:30]),
)
def test_a_malformed_record_is_refused_with_a_reason(data: bytes) -> None:
    with pytest.raises(MalformedPullRecord):
        parse_pull_record(data)
