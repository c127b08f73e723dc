"""The remote tree kept as sorted text (core/tree_text.py) answers as the tree itself would:
entries, files, folders, a folder's entries, the digest, and patches, for any paths (names with
spaces, quotes, non-ASCII, '-' and '.' that sort around '/')."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from hfsync.core.collisions import collisions
from hfsync.core.record import tree_digest
from hfsync.core.scope import Scope, ScopeSpec
from hfsync.core.snapshot import RemoteFile
from hfsync.core.tree_text import (
    DigestLines,
    PathList,
    TreeText,
    _line_path,
    _record_path,
    _Splice,
    digest_line,
)

names = st.sampled_from(["a", "a-b", "a.b", "a0", "b", "é", 'q"t', "s p", "Z", "a/"])
paths = st.lists(names, min_size=1, max_size=4).map(lambda parts: "/".join(parts).strip("/"))
entries = st.builds(
    RemoteFile,
    st.sampled_from(["1" * 40, "2" * 40, "3" * 64]),
    st.integers(0, 99),
    st.sampled_from(["100644", "100755"]),
)
ALL = Scope.from_spec(ScopeSpec("all"))


def folders(tree: dict[str, RemoteFile]) -> set[str]:
    return {p[:at] for p in tree for at in range(len(p)) if p[at] == "/"}


# A tree never holds a file and a folder of the same name.
trees = st.dictionaries(paths.filter(bool), entries, max_size=25).filter(
    lambda tree: not folders(tree) & set(tree)
)


def entries_in(tree: dict[str, RemoteFile], folder: str) -> int:
    prefix = folder + "/" if folder else ""
    return len({p[len(prefix) :].split("/")[0] for p in tree if p.startswith(prefix)})


@settings(max_examples=150, deadline=None)
@given(trees, st.lists(paths, max_size=8))
def test_lookups_answer_as_the_tree(tree: dict[str, RemoteFile], asked: list[str]) -> None:
    text = TreeText.of(tree, ALL.includes_remote, keeps_modes=True)
    assert text.lines.digest() == tree_digest(tree, ALL)
    assert len(text.lines) == len(text.paths) == len(tree)
    for path in [*asked, *tree]:
        assert text.entry(path) == tree.get(path)
        assert text.paths.has_file(path) == (path in tree)
        under = sum(1 for p in tree if p.startswith(path + "/"))
        assert text.paths.files_under(path) == under
    for folder in {"", *folders(tree), *asked}:
        assert text.paths.entries_in(folder) == entries_in(tree, folder)


@settings(max_examples=150, deadline=None)
@given(trees, trees, st.lists(paths, max_size=6))
def test_patches_give_the_patched_tree(
    tree: dict[str, RemoteFile], uploads: dict[str, RemoteFile], deletes: list[str]
) -> None:
    gone = {p for p in deletes if p not in uploads}
    after = {p: e for p, e in tree.items() if p not in gone}
    after.update(uploads)
    text = TreeText.of(tree, ALL.includes_remote, keeps_modes=True)
    modes = {p: e.mode or "100644" for p, e in uploads.items()}
    patched = text.after(uploads, modes, gone)
    expected = TreeText.of(after, ALL.includes_remote, keeps_modes=True)
    # answered from the patch over the text, never joined: as the patched tree itself
    assert patched.lines.digest() == expected.lines.digest() == tree_digest(after, ALL)
    assert len(patched.lines) == len(expected.lines) == len(after)
    assert len(patched.paths) == len(after)
    if not folders(after) & set(after):  # a real tree (uploads may swap a file and a folder)
        for path in {*tree, *uploads, *gone, *folders(after)}:
            assert patched.entry(path) == expected.entry(path)
            assert patched.paths.has_file(path) == expected.paths.has_file(path)
            assert patched.paths.files_under(path) == expected.paths.files_under(path)
        for folder in {"", *folders(after), *folders(tree)}:
            assert patched.paths.entries_in(folder) == expected.paths.entries_in(folder)
    assert patched == expected  # joined


@settings(max_examples=150, deadline=None)
@given(trees, st.lists(paths, max_size=6), st.lists(paths, max_size=6))
def test_collisions_as_with_every_folder_listed(
    tree: dict[str, RemoteFile], uploads: list[str], deletes: list[str]
) -> None:
    deleted = {p for p in deletes if p in tree}
    staying = {p for p in tree if p not in deleted}
    expected = set()
    for path in uploads:
        under_file = any(path[:at] in staying for at in range(len(path)) if path[at] == "/")
        if path in folders({p: tree[p] for p in staying}) or under_file:
            expected.add(path)
    found = collisions(uploads, deleted, PathList.of(tree))
    assert set(found) == expected
    # More uploads than remote paths are asked about through sets made in one pass (fewer, by
    # searches): the same answers, reasons included.
    assert collisions(uploads * (len(tree) + 1), deleted, PathList.of(tree)) == found


def test_an_empty_tree() -> None:
    text = DigestLines.of({}, ALL.includes_remote)
    assert len(text) == 0 and text.get("a") is None
    assert PathList.of([]).entries_in("") == 0


def test_a_patch_of_many_paths_answers_as_the_patched_tree() -> None:
    """Over a few hundred changes the patched paths are joined once for their questions."""
    entry = RemoteFile("1" * 40, 1, "100644")
    tree = {f"d{i % 7}/f{i}.txt": entry for i in range(50)}
    uploads = {f"d{i % 9}/s{i % 3}/g{i}.txt": entry for i in range(400)}
    gone = {f"d{i % 7}/f{i}.txt" for i in range(0, 50, 2)}
    after = {p: e for p, e in tree.items() if p not in gone} | uploads
    patched = TreeText.of(tree, ALL.includes_remote, keeps_modes=True).after(uploads, {}, gone)
    expected = TreeText.of(after, ALL.includes_remote, keeps_modes=True)
    for folder in {"", *folders(after), *folders(tree)}:
        assert patched.paths.entries_in(folder) == expected.paths.entries_in(folder)
        assert patched.paths.files_under(folder) == expected.paths.files_under(folder)
    assert patched == expected


@settings(max_examples=200, deadline=None)
@given(trees, st.lists(paths.filter(bool), max_size=8), st.lists(paths, max_size=8))
def test_the_checks_see_the_tree_after_a_plan_as_its_patched_paths(
    tree: dict[str, RemoteFile], uploads: list[str], asked: list[str]
) -> None:
    """validate/tree.py's TreeAfter answers without patching the path list: as the patched
    list would, for every folder and path (deletions among the remote's paths)."""
    from hfsync.core.plan import Action, Operation, Plan, Policy
    from hfsync.validate.tree import TreeAfter

    deletes = sorted(tree)[::2]
    operations = [Operation(Action.UPLOAD, p, "") for p in dict.fromkeys(uploads)]
    operations += [Operation(Action.DELETE, p, "") for p in deletes if p not in uploads]
    plan = Plan(None, tuple(operations), 0, False, Policy())
    patched = PathList.of(tree).patched(uploads, {op.path for op in plan.deletes})
    after = TreeAfter(PathList.of(tree), plan)
    everything = {*tree, *uploads, *asked}
    asked_folders = {"", *asked, *folders(dict.fromkeys(everything, ENTRY))}
    assert after.entries_in(asked_folders) == {f: patched.entries_in(f) for f in asked_folders}
    for path in everything:
        assert after.has_file(path) == patched.has_file(path), path


ENTRY = RemoteFile("1" * 40, 1)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_a_digest_line_writes_its_path_as_json_does(path: str) -> None:
    from hfsync.core.tree_text import digest_line

    assert digest_line(path, ENTRY) == f"{json.dumps(path)} {ENTRY.oid} 1\n".encode()


@settings(max_examples=150, deadline=None)
@given(trees, trees, st.lists(paths, max_size=6))
def test_a_patch_places_its_records_alike_by_one_walk_and_by_searches(
    tree: dict[str, RemoteFile], uploads: dict[str, RemoteFile], deletes: list[str]
) -> None:
    """A patch of many paths finds their places by one walk over the text, of few by a binary
    search each: both give the same text, for the digest lines and the path list alike."""
    lines = DigestLines.of(tree, ALL.includes_remote)
    records = dict.fromkeys(deletes) | {p: digest_line(p, e) for p, e in uploads.items()}
    listed = PathList.of(tree)
    names = dict.fromkeys(deletes) | {p: p.encode() + b"\0" for p in uploads}
    for text, end, key, changes in [
        (lines.text, b"\n", _line_path, records),
        (listed.text, b"\0", _record_path, names),
    ]:
        walked = _Splice(text, end, key, changes, walk=True)
        searched = _Splice(text, end, key, changes, walk=False)
        assert b"".join(walked.pieces) == b"".join(searched.pieces)
        assert walked.existed == searched.existed
