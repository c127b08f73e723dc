"""Repo creation, metadata, refs, history, branches and tags through the real client."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN


@pytest.mark.parametrize(
    ("repo_type", "options", "url_part"),
    [
        ("space", {"space_sdk": "gradio"}, "/spaces/user/thing"),
        ("model", {}, "/user/thing"),
        ("dataset", {}, "/datasets/user/thing"),
    ],
)
def test_create_repo_of_each_type(
    api: HfApi, hub: TestHub, repo_type: str, options: dict[str, str], url_part: str
) -> None:
    url = api.create_repo("thing", repo_type=repo_type, **options)

    assert url == hub.url + url_part
    assert url.repo_id == "user/thing"
    info = api.repo_info("user/thing", repo_type=repo_type)
    assert info.id == "user/thing"
    assert info.private is False
    # A Space starts with the README.md holding its configuration, as on the Hub.
    created = [".gitattributes", "README.md"] if repo_type == "space" else [".gitattributes"]
    assert [sibling.rfilename for sibling in info.siblings or []] == created
    assert info.created_at is not None and info.last_modified is not None


def test_create_existing_repo_is_409_unless_exist_ok(api: HfApi, hub: TestHub) -> None:
    api.create_repo("thing")

    with pytest.raises(HfHubHTTPError) as raised:
        api.create_repo("thing")
    assert raised.value.response.status_code == 409
    # exist_ok=True reads the url from the 409 body.
    assert api.create_repo("thing", exist_ok=True) == f"{hub.url}/user/thing"


def test_space_info_has_space_fields_and_runtime(api: HfApi) -> None:
    api.create_repo("app", repo_type="space", space_sdk="docker", private=True)

    info = api.space_info("user/app")

    assert info.sdk == "docker"
    assert info.private is True
    assert info.subdomain == "user-app"
    assert info.runtime is not None and info.runtime.stage == "NO_APP_FILE"


def test_new_repo_history_is_real_git(api: HfApi, hub: TestHub) -> None:
    api.create_repo("thing", repo_type="dataset")
    git_dir = hub.git_dir("dataset", "user/thing")

    log = subprocess.run(
        ["git", f"--git-dir={git_dir}", "log", "--format=%an|%s", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    commits = api.list_repo_commits("user/thing", repo_type="dataset")

    assert log.strip() == "system|initial commit"
    assert [(c.title, c.authors) for c in commits] == [("initial commit", ["system"])]
    assert commits[0].commit_id == api.repo_info("user/thing", repo_type="dataset").sha


def test_delete_repo(api: HfApi) -> None:
    api.create_repo("thing")
    api.delete_repo("thing")

    assert not api.repo_exists("user/thing")
    with pytest.raises(RepositoryNotFoundError):
        api.delete_repo("thing")
    api.delete_repo("thing", missing_ok=True)


def test_branches_tags_and_refs(api: HfApi) -> None:
    api.create_repo("thing")
    first = api.upload_file(path_or_fileobj=b"one", path_in_repo="a.txt", repo_id="user/thing").oid
    api.upload_file(path_or_fileobj=b"two", path_in_repo="a.txt", repo_id="user/thing")

    api.create_branch("user/thing", branch="backup/v1", revision=first)
    api.create_branch("user/thing", branch="backup/v1", exist_ok=True)
    api.create_tag("user/thing", tag="v1", revision=first, tag_message="first release")
    api.create_tag("user/thing", tag="light", revision="main")
    refs = api.list_repo_refs("user/thing")

    assert {b.name: b.target_commit for b in refs.branches}["backup/v1"] == first
    assert {t.name: t.target_commit for t in refs.tags}["v1"] == first
    assert refs.converts == []
    with pytest.raises(HfHubHTTPError) as raised:
        api.create_branch("user/thing", branch="backup/v1")
    assert raised.value.response.status_code == 409

    api.delete_branch("user/thing", branch="backup/v1")
    api.delete_tag("user/thing", tag="v1")
    refs = api.list_repo_refs("user/thing")
    assert [b.name for b in refs.branches] == ["main"]
    assert [t.name for t in refs.tags] == ["light"]
    with pytest.raises(RevisionNotFoundError):
        api.delete_branch("user/thing", branch="backup/v1")
    with pytest.raises(RevisionNotFoundError):
        api.create_branch("user/thing", branch="x", revision="no-such-branch")


def test_commit_history_is_newest_first_and_paginated(make_hub: Callable[..., TestHub]) -> None:
    hub = make_hub(page_size=2)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("thing")
    for number in range(3):
        api.upload_file(
            path_or_fileobj=f"{number}".encode(),
            path_in_repo="n.txt",
            repo_id="user/thing",
            commit_message=f"commit {number}",
            commit_description=f"Body {number}\n\nHFSync-Source: abc{number}",
        )
    hub.control.clear_log()

    commits = api.list_repo_commits("user/thing")

    assert [c.title for c in commits] == ["commit 2", "commit 1", "commit 0", "initial commit"]
    assert commits[0].message == "Body 2\n\nHFSync-Source: abc2"
    assert commits[0].authors == ["user"]
    assert hub.control.count("GET", r"/commits/main$") == 2  # two pages of two


def test_repo_info_at_revision(api: HfApi) -> None:
    api.create_repo("thing")
    first = api.upload_file(path_or_fileobj=b"1", path_in_repo="one.txt", repo_id="user/thing").oid
    api.upload_file(path_or_fileobj=b"2", path_in_repo="two.txt", repo_id="user/thing")

    old = api.model_info("user/thing", revision=first[:7], files_metadata=True)

    assert old.sha == first
    assert sorted(s.rfilename for s in old.siblings or []) == [".gitattributes", "one.txt"]
    assert all(s.blob_id and s.size is not None for s in old.siblings or [])
    with pytest.raises(RevisionNotFoundError):
        api.model_info("user/thing", revision="nope")
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("user/missing")


def test_repo_info_with_expand_answers_only_the_properties_asked(api: HfApi) -> None:
    api.create_repo("thing", repo_type="space", space_sdk="gradio")
    head = api.upload_file(
        path_or_fileobj=b"1", path_in_repo="one.txt", repo_id="user/thing", repo_type="space"
    ).oid

    info = api.space_info("user/thing", revision="main", expand=["sha"])

    assert info.sha == head
    assert info.siblings is None and info.sdk is None and info.runtime is None
    both = api.space_info("user/thing", expand=["sha", "sdk"])
    assert (both.sha, both.sdk, both.siblings) == (head, "gradio", None)
