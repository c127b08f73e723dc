"""Super-squash through the real client: `super_squash_history` on a branch, on a pull request's
ref and through `CommitScheduler(squash_history=True)`."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitScheduler, HfApi
from huggingface_hub.errors import BadRequestError, HfHubHTTPError, RevisionNotFoundError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN


@pytest.fixture
def repo(api: HfApi) -> str:
    api.create_repo("thing")
    api.upload_file(repo_id="user/thing", path_in_repo="file.txt", path_or_fileobj=b"content")
    api.upload_file(repo_id="user/thing", path_in_repo="lfs.bin", path_or_fileobj=b"\0content")
    api.upload_file(repo_id="user/thing", path_in_repo="file.txt", path_or_fileobj=b"another")
    return "user/thing"


def tree(api: HfApi, repo: str, revision: str = "main") -> dict[str, str | None]:
    return {
        entry.path: getattr(entry, "blob_id", None)
        for entry in api.list_repo_tree(repo, recursive=True, revision=revision)
    }


def test_squash_makes_one_commit_with_the_same_tree_and_keeps_other_branches(
    api: HfApi, repo: str
) -> None:
    api.create_branch(repo, branch="v0.1")
    api.upload_file(repo_id=repo, path_in_repo="file.txt", path_or_fileobj=b"foo", revision="v0.1")
    before = tree(api, repo)

    api.super_squash_history(repo_id=repo)

    main = api.list_repo_commits(repo)
    assert [c.title for c in main] == ["Super-squash branch 'main' using huggingface_hub"]
    assert main[0].authors == ["user"]
    assert tree(api, repo) == before
    assert api.hf_hub_download(repo, "lfs.bin") and api.hf_hub_download(repo, "file.txt")
    # The branch made from main keeps the whole history: 3 uploads, the initial commit, its own.
    branch = api.list_repo_commits(repo, revision="v0.1")
    assert len(branch) == 5 and branch[-1].title == "initial commit"

    api.super_squash_history(repo_id=repo, branch="v0.1", commit_message="Squash v0.1")

    assert [c.title for c in api.list_repo_commits(repo, revision="v0.1")] == ["Squash v0.1"]


def test_squash_a_pull_request_ref(api: HfApi, repo: str) -> None:
    pr = api.create_pull_request(repo_id=repo, title="Squash me")
    for content in (b"one", b"two"):
        api.upload_file(
            repo_id=repo, path_in_repo="pr.txt", path_or_fileobj=content, revision=pr.git_reference
        )

    api.super_squash_history(repo_id=repo, branch=pr.git_reference)

    assert len(api.list_repo_commits(repo, revision=pr.git_reference)) == 1
    assert len(api.list_repo_commits(repo)) == 4  # main is untouched


def test_squash_refusals(api: HfApi, hub: TestHub, repo: str) -> None:
    api.create_tag(repo, tag="v1")
    head = api.repo_info(repo).sha
    assert head is not None

    for not_a_branch in ("v1", head, "refs/tags/v1"):
        with pytest.raises(BadRequestError, match="Invalid reference for a branch"):
            api.super_squash_history(repo_id=repo, branch=not_a_branch)
    with pytest.raises(RevisionNotFoundError):
        api.super_squash_history(repo_id=repo, branch="nope")
    with pytest.raises(HfHubHTTPError) as raised:
        HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN).super_squash_history(repo_id=repo)
    assert raised.value.response.status_code == 403
    assert len(api.list_repo_commits(repo)) == 4  # nothing was squashed


def test_squashing_a_space_main_rebuilds_it(api: HfApi, hub: TestHub) -> None:
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    api.upload_file(
        repo_id="user/app", repo_type="space", path_in_repo="app.py", path_or_fileobj=b"1"
    )

    api.super_squash_history(repo_id="user/app", repo_type="space")

    runtime = api.get_space_runtime("user/app")
    assert runtime.raw["sha"] == api.space_info("user/app").sha


def test_commit_scheduler_squashes_after_each_push(
    api: HfApi, hub: TestHub, tmp_path: Path
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.txt").write_text("1\n")

    scheduler = CommitScheduler(
        repo_id="logs",
        repo_type="dataset",
        folder_path=folder,
        every=10,
        squash_history=True,
        hf_api=api,
    )
    try:
        scheduler.trigger().result()
        (folder / "b.txt").write_text("2\n")
        scheduler.trigger().result()
    finally:
        scheduler.stop()

    commits = api.list_repo_commits("user/logs", repo_type="dataset")
    assert len(commits) == 1
    assert set(api.list_repo_files("user/logs", repo_type="dataset")) == {
        ".gitattributes",
        "a.txt",
        "b.txt",
    }
    assert hub.control.count("POST", r"/super-squash/main$") >= 2
