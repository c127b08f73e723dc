"""A commit costs what it changes, not what the repository holds (issue 23): the git remote checks
a commit on git's diff of the two trees, never on listings of them, and the Hub remote caches a
commit it wrote as a patch on its parent, read back as the tree a fresh listing gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hfsync.core.commit_check import unplanned_changes
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.engine.sync import run_sync
from hfsync.engine.sync_values import SyncOptions
from hfsync.local.source import read_source
from hfsync.remotes import Change
from hfsync.remotes.git_diff import changed_entries
from hfsync.remotes.git_process import GitProcess
from hfsync.remotes.git_write import write_tree
from hfsync.remotes.hub_tree_cache import MAX_LINKS, TreeCache
from hfsync.remotes.hub_trees import list_tree
from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.conftest import open_first_target
from tests.helpers_git import git, write_files

MANY = 300  # enough that a listing would show; few enough to stay quick


def _blob(repo: Path, text: str) -> str:
    return git(repo, "hash-object", "-w", "--stdin", input=text.encode())


def test_git_check_on_the_diff_refuses_an_unplanned_path(make_repo) -> None:
    repo = make_repo({f"app/f{i}.txt": f"{i}\n" for i in range(MANY)} | {"app/*.txt": "star\n"})
    head = git(repo, "rev-parse", "HEAD")
    process = GitProcess(repo, str(repo), "test")
    new, extra = _blob(repo, "new\n"), _blob(repo, "extra\n")
    planned = {"app/f1.txt": LocalFile("app/f1.txt", 4, new)}
    # The tree the plan asked for, with one path more and one deletion it did not list.
    tree = write_tree(
        process,
        head,
        [
            f"100644 {new}\tapp/f1.txt",
            f"100644 {extra}\tapp/extra.txt",
            f"0 {'0' * 40}\tapp/f2.txt",
        ],
    )
    # "app/*.txt" and "app/f3.txt" are planned but unchanged: looked up by name, not as patterns.
    paths = ["app/f1.txt", "app/*.txt", "app/f3.txt"]
    before, after = changed_entries(process, head, tree, paths)
    assert len(before) + len(after) < 10  # the changed and planned paths, not the tree
    assert after["app/*.txt"] == before["app/*.txt"]
    assert unplanned_changes(before, after, planned, []) == [
        "'app/extra.txt' was added, which the plan did not list",
        "'app/f2.txt' was deleted, which the plan did not list",
    ]
    # Planned but not in the tree; and a tree that changes nothing.
    unwritten = {"app/new.txt": LocalFile("app/new.txt", 4, new)}
    before, after = changed_entries(process, head, write_tree(process, head, []), ["app/new.txt"])
    assert unplanned_changes(before, after, unwritten, []) == ["'app/new.txt' was not written"]
    assert unplanned_changes(before, after, {}, []) == ["the commit changes nothing"]
    # A first commit is diffed against the empty tree: everything in it was added.
    before, after = changed_entries(process, None, tree, [])
    assert before == {} and len(after) == MANY + 1


def test_git_one_file_commit_lists_no_tree(
    make_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.git"
    files: dict[str, str | bytes] = {f"app/f{i}.txt": f"{i}\n" for i in range(MANY)}
    repo = make_repo(
        files | {"hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n'}
    )
    target = open_first_target(repo)
    run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    head = target.remote.head()
    assert head is not None
    target.remote.tree(head)  # the plan's listing, made before the commit
    write_files(repo, {"app/f7.txt": "changed\n"})
    source = read_source(repo, None, target.scope.includes)
    change = Change(uploads=(("app/f7.txt", source.files["app/f7.txt"]),), deletes=())
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    commit = target.remote.commit(head, change, source, "one file", "body")

    commands = trace.read_text()
    assert "diff-tree" in commands
    # neither tree was listed to check the commit, nor the parent read whole to build it: only
    # the changed folders were listed (root, app) and written again
    assert "ls-tree -r" not in commands and "read-tree" not in commands
    assert commands.count("mktree") == 2
    assert git(remote, "rev-parse", "main") == commit
    assert git(remote, "show", "main:app/f7.txt") == "changed"


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestHub]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home") as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", WRITE_TOKEN)
        yield hub


def test_hub_commits_are_cached_as_patches_that_read_back_as_a_listing(
    make_repo, hub: TestHub
) -> None:
    repo = make_repo(
        {
            "hfsync.toml": '[[targets]]\nname = "t"\nrepo = "user/demo"\ncreate = true\n'
            'allow = ["space-config:README.md"]\n',
            "app/a.py": "A = 0\n",
            "app/b.py": "B = 0\n",
            "app/w.bin": b"\0\1" * 600,  # a binary file (LFS where .gitattributes says so)
        }
    )

    def sync() -> str:
        target = open_first_target(repo)
        result = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
        assert result.commit is not None
        return result.commit

    commits = [sync()]
    for n in range(1, 4):
        write_files(repo, {"app/a.py": f"A = {n}\n", f"app/new{n}.py": "N = 1\n"})
        commits.append(sync())
    (repo / "app" / "b.py").unlink()
    commits.append(sync())

    folder = next(repo.glob(".git/hfsync/hub/space/user--demo/trees"))
    patches = sorted(file.name for file in folder.glob("*-on-*.json"))
    assert {name.split("-on-")[0] for name in patches} >= set(commits)
    client = open_first_target(repo).remote.client  # type: ignore[attr-defined]
    for commit in commits:  # each resolved from disk alone, as the next run reads it
        assert TreeCache(folder).get(commit) == list_tree(client, commit)

    # A corrupt link: the cache has no tree, and the remote lists it again.
    middle = next(folder.glob(f"{commits[2]}-on-*.json"))
    middle.write_text("{not json", encoding="utf-8")
    assert TreeCache(folder).get(commits[-1]) is None
    target = open_first_target(repo)
    assert target.remote.tree(commits[-1]) == list_tree(client, commits[-1])
    assert (folder / f"{commits[-1]}.json").exists()  # listed, and cached whole
    assert TreeCache(folder).get(commits[-1]) == list_tree(client, commits[-1])


def _commit(n: int) -> str:
    return f"{n:040x}"


def test_a_chain_longer_than_the_limit_is_listed_again(tmp_path: Path) -> None:
    folder = tmp_path / "trees"
    cache = TreeCache(folder)
    cache.put(_commit(0), {"keep": RemoteFile("a" * 40, 1)})
    for n in range(1, MAX_LINKS + 2):
        cache.put_patch(_commit(n), _commit(n - 1), {f"f{n}": RemoteFile("b" * 40, n)}, ["keep"])
    # Every link is on disk (the chain of the newest is kept whole), yet the last is too far.
    assert len(list(folder.glob("*.json"))) == MAX_LINKS + 2
    assert TreeCache(folder).get(_commit(MAX_LINKS + 1)) is None
    within = TreeCache(folder).get(_commit(MAX_LINKS))
    assert within == {f"f{n}": RemoteFile("b" * 40, n) for n in range(1, MAX_LINKS + 1)}
    assert (folder / f"{_commit(MAX_LINKS)}.json").exists()  # a long chain read is kept whole
    assert TreeCache(folder).get(_commit(MAX_LINKS + 1)) is not None  # one link from it now


def test_pruning_keeps_the_root_of_the_newest_chain(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "trees"
    cache = TreeCache(folder)
    cache.put(_commit(100), {"old": RemoteFile("c" * 40, 1)})
    os.utime(folder / f"{_commit(100)}.json", (1, 1))  # long ago
    cache.put(_commit(0), {"root": RemoteFile("a" * 40, 1)})
    os.utime(folder / f"{_commit(0)}.json", (2, 2))  # older than every patch, still needed
    for n in range(1, 10):
        cache.put_patch(_commit(n), _commit(n - 1), {f"f{n}": RemoteFile("b" * 40, n)}, [])
    names = {file.name for file in folder.glob("*.json")}
    assert f"{_commit(0)}.json" in names  # the root of the kept chain
    assert f"{_commit(100)}.json" not in names  # nothing needs it
    tree = TreeCache(folder).get(_commit(9))
    assert tree is not None and set(tree) == {"root", *(f"f{n}" for n in range(1, 10))}
