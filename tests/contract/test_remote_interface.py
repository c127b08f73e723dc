"""The `Remote` interface, in process, over each kind (a local git remote; a Space on the test
Hub through the real client): the same questions, the same answers. Fast: no CLI subprocess.
What a user sees of the same behaviour is proved by the CLI scenarios beside this file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from hfsync.core.errors import RemoteMovedError
from hfsync.local.source import Source, read_source
from hfsync.remotes import Change, Remote
from hfsync.remotes.target import Target, local_files
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.helpers_git import commit_all, git, init_repo, write_files


@pytest.fixture(params=["git", "hub"])
def target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch) -> Iterator[Target]:
    """The first target of a new project: a missing git remote, or a missing Hub model repo."""
    from hfsync.config.model import load_config
    from hfsync.engine.pipeline import Targets

    with ExitStack() as stack:
        if request.param == "git":
            where = f'url = "{tmp_path / "remote.git"}"'
        else:
            hub = stack.enter_context(hub_with_client(tmp_path / "hub", tmp_path / "hf-home"))
            monkeypatch.setenv("HF_ENDPOINT", hub.url)
            monkeypatch.setenv("HF_TOKEN", WRITE_TOKEN)
            where = 'repo = "user/contract"\nrepo_type = "model"'
        config = f'[[targets]]\nname = "t"\n{where}\ncreate = true\n'
        repo = init_repo(tmp_path / "project", {"hfsync.toml": config, "a.txt": "A\n"})
        loaded = load_config(repo / "hfsync.toml")
        yield Targets(repo, loaded).open(loaded.targets[0])


def source_of(target: Target, files: dict[str, str | bytes]) -> Source:
    """The project with `files` written and committed, read as `run --rev HEAD` reads it."""
    root = target.state.git_dir.parent
    write_files(root, files)
    commit_all(root, "change")
    return read_source(root, "HEAD", target.scope.includes)


def write(remote: Remote, parent: str | None, source: Source, target: Target, *paths: str) -> str:
    local = local_files(target, source)
    change = Change(uploads=tuple((p, local[p]) for p in paths), deletes=())
    remote.prepare(change, source)
    return remote.commit(parent, change, source, "title", "body\n")


def test_a_missing_target_is_named_then_created(target: Target) -> None:
    remote = target.remote
    assert remote.head() is None
    assert remote.missing is not None
    assert remote.create_missing()
    remote.head()
    assert remote.missing is None


def test_one_commit_pinned_to_its_parent_and_what_it_holds(target: Target) -> None:
    remote = target.remote
    remote.head()
    remote.create_missing()
    parent = remote.head()
    source = source_of(target, {"a.txt": "A1\n", "dir/b.bin": b"\0B" * 10})
    first = write(remote, parent, source, target, "a.txt", "dir/b.bin")
    assert remote.head() == first
    tree = remote.tree(first)
    assert {"a.txt", "dir/b.bin"} <= set(tree)
    assert tree["a.txt"].oid == local_files(target, source)["a.txt"].sha1
    assert remote.read_file(first, "dir/b.bin") == b"\0B" * 10
    info = remote.commit_info(first)
    assert info.id == first
    assert info.parents in (None, (parent,) if parent else ())
    assert next(iter(remote.iter_commits(first))).id == first

    # A commit pinned to a parent that is no longer the head writes nothing.
    later = source_of(target, {"a.txt": "A2\n"})
    second = write(remote, first, later, target, "a.txt")
    with pytest.raises(RemoteMovedError):
        write(remote, first, source_of(target, {"a.txt": "A3\n"}), target, "a.txt")
    assert remote.head() == second
    assert remote.read_file(second, "a.txt") == b"A2\n"

    # Restoring a path as an older commit holds it: one new commit on top.
    restored = remote.restore(second, first, ["a.txt"], "restore", "body\n")
    assert remote.head() == restored
    assert remote.read_file(restored, "a.txt") == b"A1\n"


def test_branches_made_and_deleted(target: Target) -> None:
    remote = target.remote
    remote.head()
    remote.create_missing()
    source = source_of(target, {"a.txt": "A1\n"})
    head = write(remote, remote.head(), source, target, "a.txt")
    remote.create_branch("hfsync-backup-test", head)
    assert remote.branches()["hfsync-backup-test"] == head
    remote.delete_branch("hfsync-backup-test")
    assert "hfsync-backup-test" not in remote.branches()
    assert git(target.state.git_dir.parent, "status", "--porcelain") == ""
