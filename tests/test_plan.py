"""The pure plan: every row of design.md's table, and properties that must always hold."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsync.core.plan import Action, Base, Plan, Policy, make_plan
from hfsync.core.snapshot import LocalFile, RemoteFile


def sha1(content: str) -> str:
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def local(path: str, content: str) -> LocalFile:
    return LocalFile(path=path, size=len(content), sha1=sha1(content))


def remote(content: str) -> RemoteFile:
    return RemoteFile(oid=sha1(content), size=len(content))


def everything(path: str) -> bool:
    return True


def plan_one(
    l: str | None,  # noqa: E741
    r: str | None,
    b: str | None,
    *,
    known: bool = True,
    policy: Policy | None = None,
) -> Plan:
    """Plan a single path `f` with local content l, remote r, base b (None = absent)."""
    locals_ = {"f": local("f", l)} if l is not None else {}
    remotes = {"f": remote(r)} if r is not None else {}
    base = Base({"f": sha1(b)} if b is not None else {}, known=lambda p: known)
    return make_plan(locals_, remotes, base, everything, "head", policy or Policy())


ROWS = [
    # (local, remote, base, expected action or None for in sync, case)
    ("x", "x", "x", None, "in sync"),
    ("x", "x", "old", None, "in sync even though the base differs (edit brought in)"),
    ("new", "x", "x", Action.UPLOAD, "changed locally only"),
    ("new", None, None, Action.UPLOAD, "new locally"),
    (None, "x", "x", Action.DELETE, "deleted locally, hfsync wrote it"),
    ("x", "edit", "old", Action.CONFLICT, "remote edit, local unchanged"),
    ("new", "edit", "old", Action.CONFLICT, "edited on both sides"),
    ("x", None, "x", Action.CONFLICT, "deleted on the remote"),
    (None, "edit", "x", Action.CONFLICT, "deleted locally, edited remotely"),
    ("x", "y", None, Action.CONFLICT, "added remotely with other content"),
    (None, "x", None, Action.KEEP, "remote-only file hfsync never wrote"),
    (None, None, "x", None, "deleted on both sides"),
]


@pytest.mark.parametrize(("l", "r", "b", "expected", "case"), ROWS, ids=[r[-1] for r in ROWS])
def test_table_row(l, r, b, expected, case) -> None:  # noqa: E741
    plan = plan_one(l, r, b)
    actions = [op.action for op in plan.operations]
    assert actions == ([] if expected is None else [expected])


@pytest.mark.parametrize(
    ("l", "r", "expected"),
    [
        ("x", "x", None),
        ("new", "x", Action.UPLOAD),
        ("new", None, Action.UPLOAD),
        (None, "x", Action.KEEP),
    ],
)
def test_first_sync_takes_remote_as_base_and_deletes_nothing(l, r, expected) -> None:  # noqa: E741
    plan = make_plan(
        {"f": local("f", l)} if l else {},
        {"f": remote(r)} if r else {},
        None,
        everything,
        None,
        Policy(),
    )
    assert plan.first_sync
    assert [op.action for op in plan.operations] == ([] if expected is None else [expected])


def test_prune_deletes_remote_only_files() -> None:
    assert plan_one(None, "x", None, policy=Policy(prune=True)).deletes[0].path == "f"
    first = make_plan({}, {"f": remote("x")}, None, everything, None, Policy(prune=True))
    assert [op.action for op in first.operations] == [Action.DELETE]


def test_unknown_base_path_follows_first_sync_rule() -> None:
    """A path a widened scope brings in: the remote is its base, and it is not deleted."""
    assert plan_one(None, "x", None, known=False).operations[0].action is Action.KEEP
    assert plan_one("new", "x", None, known=False).operations[0].action is Action.UPLOAD


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("abort", Action.CONFLICT), ("skip", Action.CONFLICT), ("overwrite", Action.UPLOAD)],
)
def test_conflict_policy(policy: str, expected: Action) -> None:
    plan = plan_one("new", "edit", "old", policy=Policy(on_conflict=policy))
    assert plan.operations[0].action is expected
    assert plan.blocked is (policy == "abort")


def test_overwrite_of_a_remote_edit_on_a_locally_deleted_file_deletes() -> None:
    plan = plan_one(None, "edit", "x", policy=Policy(on_conflict="overwrite"))
    assert plan.operations[0].action is Action.DELETE


def test_kept_base_records_skipped_edits_and_remote_only_files() -> None:
    plan = make_plan(
        {"a": local("a", "x"), "c": local("c", "new")},
        {"a": remote("edit"), "b": remote("theirs"), "c": remote("c0")},
        Base({"a": sha1("x"), "c": sha1("c0")}, known=everything),
        everything,
        "head",
        Policy(on_conflict="skip"),
    )
    assert plan.kept_base() == {"a": sha1("x"), "b": None}
    assert [op.path for op in plan.uploads] == ["c"]


def test_out_of_scope_remote_paths_are_never_planned() -> None:
    plan = make_plan(
        {},
        {"app.py": remote("x"), "outside/data.bin": remote("y")},
        Base({"app.py": sha1("x"), "outside/data.bin": sha1("y")}, known=everything),
        lambda p: not p.startswith("outside/"),
        "head",
        Policy(prune=True),
    )
    assert [(op.action, op.path) for op in plan.operations] == [(Action.DELETE, "app.py")]


def test_plan_json_has_a_reason_per_operation() -> None:
    data = plan_one("new", "x", "x").to_dict()
    assert data["operations"] == [
        {"action": "upload", "path": "f", "reason": "changed in the source", "size": 3}
    ]


def test_lfs_remote_entry_compared_by_sha256() -> None:
    content = "big"
    digest = hashlib.sha256(content.encode()).hexdigest()
    lfs_entry = RemoteFile(oid=digest, size=3)
    same = LocalFile("f", 3, sha1(content), sha256=digest)
    plan = make_plan({"f": same}, {"f": lfs_entry}, None, everything, None, Policy())
    assert plan.operations == ()


# -- properties --------------------------------------------------------------------------------

paths = st.sampled_from(["a", "b", "d/c", "d/e", "out/x", "out/y"])
contents = st.sampled_from(["1", "2", "3"])
sides = st.dictionaries(paths, contents, max_size=6)


def in_scope(path: str) -> bool:
    return not path.startswith("out/")


def apply(plan: Plan, remote_side: dict[str, str], local_side: dict[str, str]) -> dict[str, str]:
    after = dict(remote_side)
    for op in plan.uploads:
        after[op.path] = local_side[op.path]
    for op in plan.deletes:
        after.pop(op.path, None)
    return after


def new_base(plan: Plan, after: dict[str, str]) -> Base:
    entries = {p: sha1(c) for p, c in after.items() if in_scope(p)}
    for path, oid in plan.kept_base().items():
        if oid is None:
            entries.pop(path, None)
        else:
            entries[path] = oid
    return Base(entries, known=in_scope)


@settings(max_examples=300, deadline=None)
@given(
    local_side=sides,
    remote_side=sides,
    base_side=st.one_of(st.none(), sides),
    policy=st.sampled_from(["abort", "skip", "overwrite"]),
    prune=st.booleans(),
)
def test_properties(local_side, remote_side, base_side, policy, prune) -> None:
    local_side = {p: c for p, c in local_side.items() if in_scope(p)}
    base = None if base_side is None else Base({p: sha1(c) for p, c in base_side.items()}, in_scope)
    plan = make_plan(
        {p: local(p, c) for p, c in local_side.items()},
        {p: remote(c) for p, c in remote_side.items()},
        base,
        in_scope,
        "h",
        Policy(on_conflict=policy, prune=prune),
    )
    # No operation ever falls outside the scope.
    assert all(in_scope(op.path) for op in plan.operations)
    # No remote edit is overwritten or deleted unless the policy is overwrite.
    if policy != "overwrite" and base is not None:
        for op in plan.uploads + plan.deletes:
            base_oid = base.entries.get(op.path)
            remote_oid = sha1(remote_side[op.path]) if op.path in remote_side else None
            assert base_oid == remote_oid or (
                op.action is Action.DELETE and prune and base_oid is None
            )
    # Without a base and without --prune nothing is deleted.
    if base is None and not prune:
        assert not plan.deletes
    if plan.blocked:
        return
    # Applying the plan then planning again leaves nothing to upload or delete.
    after = apply(plan, remote_side, local_side)
    again = make_plan(
        {p: local(p, c) for p, c in local_side.items()},
        {p: remote(c) for p, c in after.items()},
        new_base(plan, after),
        in_scope,
        "h2",
        Policy(on_conflict=policy, prune=prune),
    )
    assert not again.uploads and not again.deletes
    # A skipped remote edit stays flagged on the next run.
    assert {op.path for op in again.conflicts} == {op.path for op in plan.conflicts}


def test_prune_spares_the_remotes_gitattributes() -> None:
    remote_side = {".gitattributes": remote("*.bin filter=lfs\n"), "f": remote("x")}
    for base in (None, Base({}, known=lambda p: True)):
        plan = make_plan({}, remote_side, base, everything, "head", Policy(prune=True))
        assert [op.path for op in plan.deletes] == ["f"]
        assert [op.path for op in plan.of(Action.KEEP)] == [".gitattributes"]


def test_prune_spares_the_remotes_gitattributes_after_a_history_rewrite_too() -> None:
    remote_side = {".gitattributes": remote("*.bin filter=lfs\n"), "f": remote("x")}
    plan = make_plan({}, remote_side, None, everything, "head", Policy(prune=True), rewritten=True)
    assert [op.path for op in plan.deletes] == ["f"]
    assert [op.path for op in plan.of(Action.KEEP)] == [".gitattributes"]
    assert plan.left_alone == ()  # what --prune keeps is not offered to --prune
