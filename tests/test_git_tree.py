"""A git commit's tree built folder by folder (remotes/git_tree.py) is the tree a temporary index
of the whole parent gives (remotes/git_write.py), for any change: edits, additions in new
folders, deletions emptying a folder, a file replaced by a folder and back, modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsync.remotes.git_process import GitProcess
from hfsync.remotes.git_tree import patched_tree
from hfsync.remotes.git_write import write_tree
from tests.helpers_git import git, init_repo

PATHS = ["a.txt", "d/b.txt", "d/e/c.txt", "d/e", "x", "x/y.txt", "d/e/f/g.txt"]
change = st.tuples(st.sampled_from(PATHS), st.sampled_from(["del", "one", "two", "exec"]))


def blob(repo: Path, text: str) -> str:
    return git(repo, "hash-object", "-w", "--stdin", input=text.encode())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(change, min_size=1, max_size=5))
def test_folder_by_folder_equals_a_temporary_index(
    tmp_path_factory: pytest.TempPathFactory, changes: list[tuple[str, str]]
) -> None:
    files = {"a.txt": "a\n", "d/b.txt": "b\n", "d/e/c.txt": "c\n", "x": "x\n", "keep/k.txt": "k\n"}
    repo = init_repo(tmp_path_factory.mktemp("tree") / "repo", files)
    parent = git(repo, "rev-parse", "HEAD")
    uploads: dict[str, tuple[str, str]] = {}
    deletes: set[str] = set()
    for path, what in changes:
        uploads.pop(path, None)
        deletes.discard(path)
        if what == "del" and path in files:  # the plan deletes files, never folders
            deletes.add(path)
        elif what == "del":
            continue
        else:
            mode = "100755" if what == "exec" else "100644"
            uploads[path] = (mode, blob(repo, what))
    # a plan never writes a file and a folder of one name: keep the uploads consistent
    for path in list(uploads):
        if any(other.startswith(path + "/") for other in uploads):
            del uploads[path]
    for path in list(uploads):  # the plan deletes a file in the way of a folder
        for at in range(len(path)):
            if path[at] == "/" and path[:at] in files:
                deletes.add(path[:at])
    for path in list(uploads):  # and every file in the way of a file
        if any(old.startswith(path + "/") for old in files):
            deletes.update(old for old in files if old.startswith(path + "/"))
    process = GitProcess(repo, str(repo), "test")
    lines = [f"{mode} {oid}\t{path}" for path, (mode, oid) in uploads.items()]
    lines += [f"0 {'0' * 40}\t{path}" for path in sorted(deletes)]
    assert patched_tree(process, parent, uploads, deletes) == write_tree(process, parent, lines)
