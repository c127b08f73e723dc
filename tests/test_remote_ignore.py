"""The Space's .gitignore is untrusted input: parsed with limits, matched cheaply."""

from __future__ import annotations

from hfsync.core.plan import Action, Plan, Policy, make_plan
from hfsync.core.remote_ignore import MAX_BYTES, parse_gitignore, without_ignored
from hfsync.core.snapshot import LocalFile


def plan_uploading(*paths: str) -> Plan:
    local = {path: LocalFile(path, 1, "a" * 40) for path in paths}
    return make_plan(local, {}, None, lambda p: True, "head", Policy())


def test_matching_uploads_become_ignored_and_keep_their_base() -> None:
    spec = parse_gitignore(b"# comment\n*.log\n!keep.log\n")
    assert spec is not None
    plan = without_ignored(plan_uploading("a.log", "keep.log", "app.py"), spec)
    assert [(op.path, op.action) for op in plan.operations] == [
        ("a.log", Action.IGNORED),
        ("app.py", Action.UPLOAD),
        ("keep.log", Action.UPLOAD),
    ]
    assert plan.kept_base() == {"a.log": None}
    assert "ignored by the Space's .gitignore" in plan.operations[0].reason


def test_hostile_gitignore_is_cut_to_its_limits_and_never_crashes() -> None:
    backtracking = b"*a" * 40 + b"b\n" + b"*a*a*a*a*a*a*a*b\n"  # catastrophic for a backtracker
    hostile = backtracking + b"[\n" + b"x" * 10_000 + b"\n" + b"*.tmp\n" * (MAX_BYTES // 6)
    spec = parse_gitignore(hostile)  # cut to its limits; RE2 may give up on it: no crash
    assert spec is None or spec.match_file("x.tmp")
    small = parse_gitignore(backtracking + b"*.tmp\n")
    assert small is not None
    assert small.match_file("x.tmp") and not small.match_file("a" * 60)  # linear time: returns
    assert parse_gitignore(b"\xff\xfe\n# nothing but a comment\n") is not None  # not UTF-8: kept
    assert parse_gitignore(b"# nothing but comments\n") is None
