"""The commit check: a commit's tree differs from its parent's exactly by the planned operations
(issue 8 item 5). The plan catches collisions first (tests/contract/test_data_safety.py); here
each remote is handed a change the plan would never make, to see the check stop it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from hfsync.core.commit_check import CommitCheckError, unplanned_changes
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.local.source import read_source
from hfsync.remotes import Change
from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.conftest import open_first_target
from tests.helpers_git import git, push_edit, write_files

A = RemoteFile("a" * 40, 1, "100644")
B = RemoteFile("b" * 40, 1, "100644")


def local(sha1: str, mode: str = "100644") -> LocalFile:
    return LocalFile("x", 1, sha1, mode=mode)


def test_unplanned_changes_names_every_departure() -> None:
    before = {"keep": A, "gone": A, "edit": A}
    assert (
        unplanned_changes(before, {"keep": A, "edit": B}, {"edit": local("b" * 40)}, ["gone"]) == []
    )
    problems = unplanned_changes(
        before,
        {"edit": A, "gone": A, "extra": B},
        {"edit": local("b" * 40)},
        ["gone"],
    )
    assert problems == [
        "'edit' does not hold the planned content or mode",
        "'extra' was added, which the plan did not list",
        "'gone' was not deleted",
        "'keep' was deleted, which the plan did not list",
    ]
    assert unplanned_changes({}, {}, {"new": local("c" * 40)}, []) == ["'new' was not written"]
    mode = unplanned_changes({}, {"run.sh": A}, {"run.sh": local("a" * 40, "100755")}, [])
    assert mode == ["'run.sh' does not hold the planned content or mode"]
    assert unplanned_changes(before, dict(before), {}, []) == ["the commit changes nothing"]


def test_git_commit_that_would_drop_an_unlisted_file_is_never_pushed(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n',
            "app/main.py": "print()\n",
        }
    )
    target = open_first_target(repo)
    from hfsync.engine.sync import run_sync
    from hfsync.engine.sync_values import SyncOptions

    run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    head = push_edit(remote, tmp_path / "editor", {"app/x": "a file added on the remote\n"}, "edit")
    assert target.remote.head() == head  # fetched
    write_files(repo, {"app/x/a.py": "A = 1\n"})
    source = read_source(repo, None, target.scope.includes)
    change = Change(uploads=(("app/x/a.py", source.files["app/x/a.py"]),), deletes=())

    with pytest.raises(CommitCheckError, match=r"'app/x' was deleted, which the plan did not list"):
        target.remote.commit(head, change, source, "t", "b")
    assert git(remote, "rev-parse", "main") == head


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestHub]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home") as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", WRITE_TOKEN)
        yield hub


def test_hub_commit_that_dropped_a_file_is_reported(make_repo, hub: TestHub) -> None:
    repo = make_repo(
        {
            "hfsync.toml": '[[targets]]\nname = "t"\nrepo = "user/demo"\ncreate = true\n'
            'allow = ["space-config:README.md"]\n',
            "app/main.py": "print()\n",
            "app/debug.log": "noise\n",
        }
    )
    target = open_first_target(repo)
    if target.remote.head() is None:
        target.remote.create_missing()  # creates the Space
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    gitignore = CommitOperationAdd(path_in_repo=".gitignore", path_or_fileobj=b"*.log\n")
    head = api.create_commit(
        "user/demo", [gitignore], commit_message="ignore logs", repo_type="space"
    ).oid
    source = read_source(repo, None, target.scope.includes)
    uploads = tuple((path, source.files[path]) for path in ("app/main.py", "app/debug.log"))

    with pytest.raises(
        CommitCheckError, match=r"'app/debug.log' was not written.*is on the branch"
    ):
        target.remote.commit(head, Change(uploads=uploads, deletes=()), source, "t", "b")
