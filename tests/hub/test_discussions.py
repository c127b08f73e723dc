"""Pull requests and discussions through the real client: create_pr commits, the discussions
API, refs/pr/N everywhere a revision goes, and who may do what."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.community import DiscussionCommit
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN


@pytest.fixture
def repo(api: HfApi) -> str:
    api.create_repo("thing")
    api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id="user/thing")
    return "user/thing"


@pytest.fixture
def other(hub: TestHub) -> HfApi:
    """The client with user `other`'s write token."""
    return HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)


def test_create_pr_commit_lives_on_refs_pr(api: HfApi, hub: TestHub, repo: str) -> None:
    main_before = api.repo_info(repo).sha

    info = api.create_commit(
        repo,
        [CommitOperationAdd("a.txt", b"v2"), CommitOperationAdd("b.txt", b"new")],
        commit_message="Change a",
        commit_description="Why a changes",
        create_pr=True,
    )

    assert info.pr_url == f"{hub.url}/user/thing/discussions/1"
    assert info.pr_revision == "refs/pr/1" and info.pr_num == 1
    assert api.repo_info(repo).sha == main_before  # main did not move
    assert api.repo_info(repo, revision="refs/pr/1").sha == info.oid
    refs = api.list_repo_refs(repo, include_pull_requests=True)
    assert [(r.ref, r.target_commit) for r in refs.pull_requests or []] == [("refs/pr/1", info.oid)]
    commits = api.list_repo_commits(repo, revision="refs/pr/1")
    assert (commits[0].title, commits[0].message) == ("Change a", "Why a changes")
    assert set(api.list_repo_files(repo, revision="refs/pr/1")) == {
        ".gitattributes",
        "a.txt",
        "b.txt",
    }
    details = api.get_discussion_details(repo, 1)
    assert details.is_pull_request and details.status == "open"
    assert details.target_branch == "refs/heads/main"
    assert details.title == "Change a"
    assert [e.oid for e in details.events if isinstance(e, DiscussionCommit)] == [info.oid]
    assert details.diff is not None and "+new" in details.diff


def test_pr_revision_takes_tags_more_commits_and_empty_commits(api: HfApi, repo: str) -> None:
    first = api.create_commit(
        repo, [CommitOperationAdd("c.txt", b"c")], commit_message="c", create_pr=True
    )

    api.create_tag(repo, tag="on-pr", revision="refs/pr/1")
    second = api.create_commit(
        repo, [CommitOperationAdd("d.txt", b"d")], commit_message="d", revision="refs/pr/1"
    )
    # The client skips an empty commit and reads the PR head instead.
    empty = api.create_commit(repo, [], commit_message="nothing", revision="refs/pr/1")

    refs = api.list_repo_refs(repo, include_pull_requests=True)
    assert {t.name: t.target_commit for t in refs.tags} == {"on-pr": first.oid}
    assert empty.oid == second.oid == api.repo_info(repo, revision="refs/pr/1").sha
    assert [c.commit_id for c in api.list_repo_commits(repo, revision="refs/pr/1")][:2] == [
        second.oid,
        first.oid,
    ]


def test_discussions_api(api: HfApi, other: HfApi, repo: str) -> None:
    discussion = other.create_discussion(repo, "A question", description="How does it work?")
    pr = api.create_pull_request(repo, "Draft change", description="WIP")

    assert (discussion.num, pr.num) == (1, 2)
    assert discussion.author == "other" and not discussion.is_pull_request
    assert discussion.events[0].content == "How does it work?"
    assert pr.status == "draft" and pr.git_reference == "refs/pr/2"

    comment = api.comment_discussion(repo, 1, "Like this.")
    renamed = other.rename_discussion(repo, 1, "A better question")
    closed = api.change_discussion_status(repo, 1, "closed", comment="Answered")

    assert comment.content == "Like this." and comment.author == "user"
    assert (renamed.old_title, renamed.new_title) == ("A question", "A better question")
    assert closed.new_status == "closed"
    details = api.get_discussion_details(repo, 1)
    assert details.title == "A better question" and details.status == "closed"
    assert [e.type for e in details.events] == [
        "comment",
        "comment",
        "title-change",
        "comment",
        "status-change",
    ]
    listed = list(api.get_repo_discussions(repo))
    assert [(d.num, d.status) for d in listed] == [(2, "draft"), (1, "closed")]
    assert [d.num for d in api.get_repo_discussions(repo, discussion_type="pull_request")] == [2]
    assert [d.num for d in api.get_repo_discussions(repo, discussion_status="open")] == [2]
    assert [d.num for d in api.get_repo_discussions(repo, author="other")] == [1]
    with pytest.raises(BadRequestError):
        api.create_discussion(repo, "ab")  # titles have 3 to 200 characters


def test_merge_a_pull_request(api: HfApi, repo: str) -> None:
    pr = api.create_pull_request(repo, "Add b")
    api.create_commit(
        repo, [CommitOperationAdd("b.txt", b"b")], commit_message="b", revision=pr.git_reference
    )
    api.upload_file(path_or_fileobj=b"main moved", path_in_repo="m.txt", repo_id=repo)

    api.merge_pull_request(repo, pr.num, comment="Thanks")

    details = api.get_discussion_details(repo, pr.num)
    main = api.repo_info(repo).sha
    assert details.status == "merged" and details.merge_commit_oid == main
    assert {"a.txt", "b.txt", "m.txt"} <= set(api.list_repo_files(repo))
    with pytest.raises(BadRequestError):
        api.merge_pull_request(repo, pr.num)


def test_non_owner_may_open_a_pr_and_only_a_pr(
    api: HfApi, other: HfApi, repo: str, tmp_path: Path
) -> None:
    with pytest.raises(HfHubHTTPError) as refused:
        other.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id=repo)
    assert refused.value.response.status_code == 403

    info = other.create_commit(
        repo,
        [CommitOperationAdd("x.txt", b"x"), CommitOperationAdd("w.bin", b"\0" * 2048)],
        commit_message="Contribution",
        create_pr=True,
    )
    more = other.create_commit(
        repo, [CommitOperationAdd("y.txt", b"y")], commit_message="y", revision=info.pr_revision
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "z.txt").write_text("z")
    pipeline = other.upload_folder(repo_id=repo, folder_path=folder, create_pr=True)

    assert info.pr_num == 1 and pipeline.pr_num == 2
    assert api.get_discussion_details(repo, 1).author == "other"
    assert {"x.txt", "w.bin", "y.txt"} <= set(api.list_repo_files(repo, revision="refs/pr/1"))
    assert more.oid == api.repo_info(repo, revision="refs/pr/1").sha
    assert "z.txt" in api.list_repo_files(repo, revision="refs/pr/2")
    assert set(api.list_repo_files(repo)) == {".gitattributes", "a.txt"}
    with pytest.raises(HfHubHTTPError) as merge_refused:
        other.merge_pull_request(repo, 1)
    assert merge_refused.value.response.status_code == 403
    # Someone else's pull request is not theirs to push to.
    own = api.create_pull_request(repo, "Owner's PR")
    with pytest.raises(HfHubHTTPError) as push_refused:
        other.create_commit(
            repo,
            [CommitOperationAdd("q.txt", b"q")],
            commit_message="q",
            revision=own.git_reference,
        )
    assert push_refused.value.response.status_code == 403
