"""Refs and their error texts, the commits list, repo settings and create_repo on someone else's
repo, through the real client."""

from __future__ import annotations

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN, WRITE_TOKEN

REPO_TYPES = [("model", {}), ("dataset", {}), ("space", {"space_sdk": "static"})]


@pytest.fixture
def other(hub: TestHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)


def test_error_texts_of_branches(api: HfApi) -> None:
    api.create_repo("thing")
    api.create_branch("user/thing", branch="dev")

    with pytest.raises(HfHubHTTPError) as exists:
        api.create_branch("user/thing", branch="dev")
    with pytest.raises(HfHubHTTPError) as default:
        api.delete_branch("user/thing", branch="main")

    assert exists.value.response.status_code == 409
    assert "Reference refs/heads/dev already exists" in str(exists.value)
    assert default.value.response.status_code == 403
    assert "Cannot delete refs/heads/main" in str(default.value)
    api.create_branch("user/thing", branch="dev", exist_ok=True)  # the 409 is swallowed


@pytest.mark.parametrize(("repo_type", "options"), REPO_TYPES)
@pytest.mark.parametrize("length", [7, 40])
def test_branches_and_tags_from_a_commit_oid(
    api: HfApi, repo_type: str, options: dict[str, str], length: int
) -> None:
    api.create_repo("thing", repo_type=repo_type, **options)
    first = api.upload_file(
        path_or_fileobj=b"1", path_in_repo="f.txt", repo_id="user/thing", repo_type=repo_type
    ).oid
    api.upload_file(
        path_or_fileobj=b"2", path_in_repo="f.txt", repo_id="user/thing", repo_type=repo_type
    )

    api.create_branch("user/thing", branch="old", revision=first[:length], repo_type=repo_type)
    api.create_tag("user/thing", tag="v1", revision=first[:length], repo_type=repo_type)

    refs = api.list_repo_refs("user/thing", repo_type=repo_type)
    assert {b.name: b.target_commit for b in refs.branches}["old"] == first
    assert {t.name: t.target_commit for t in refs.tags} == {"v1": first}
    with pytest.raises(HfHubHTTPError) as exists:
        api.create_tag("user/thing", tag="v1", repo_type=repo_type)
    assert "Reference refs/tags/v1 already exists" in str(exists.value)


def test_commits_list_authors_titles_and_formatted(api: HfApi, other: HfApi) -> None:
    api.create_repo("thing")
    api.create_commit(
        "user/thing",
        [CommitOperationAdd("a.txt", b"a")],
        commit_message="Add <a>",
        commit_description="First line\n\nSecond paragraph",
    )
    pr = other.create_commit(
        "user/thing", [CommitOperationAdd("b.txt", b"b")], commit_message="By other", create_pr=True
    )

    commits = api.list_repo_commits("user/thing", formatted=True)
    on_pr = api.list_repo_commits("user/thing", revision=pr.pr_revision)

    assert [c.title for c in commits] == ["Add <a>", "initial commit"]
    assert commits[0].authors == ["user"]
    assert commits[0].message == "First line\n\nSecond paragraph"
    assert commits[0].formatted_title == "Add &lt;a&gt;"
    assert (
        commits[0].formatted_message is not None
        and "Second paragraph" in commits[0].formatted_message
    )
    assert on_pr[0].authors == ["other"] and on_pr[0].title == "By other"


def test_update_repo_settings_visibility_and_gating(api: HfApi, other: HfApi) -> None:
    api.create_repo("thing")

    api.update_repo_settings("user/thing", private=True)
    with pytest.raises(RepositoryNotFoundError):
        other.repo_info("user/thing")
    assert api.repo_info("user/thing").private is True

    api.update_repo_settings("user/thing", visibility="public", gated="auto")
    info = other.repo_info("user/thing")
    assert info.private is False and info.gated == "auto"
    api.update_repo_settings("user/thing", gated=False)
    assert api.repo_info("user/thing").gated is False

    with pytest.raises(HfHubHTTPError) as refused:
        other.update_repo_settings("user/thing", private=True)
    assert refused.value.response.status_code == 403


def test_protected_visibility_is_for_spaces(api: HfApi, hub: TestHub) -> None:
    api.create_repo("app", repo_type="space", space_sdk="static")
    api.update_repo_settings("user/app", repo_type="space", visibility="protected")
    assert api.space_info("user/app").private is True
    api.create_repo("thing")

    # The client refuses `protected` for a model itself; the endpoint refuses it too.
    answer = httpx2.put(
        f"{hub.url}/api/models/user/thing/settings",
        json={"visibility": "protected"},
        headers={"authorization": f"Bearer {WRITE_TOKEN}"},
    )

    assert answer.status_code == 400


def test_create_repo_exist_ok_on_another_users_repo(api: HfApi, other: HfApi, hub: TestHub) -> None:
    other.create_repo("theirs", repo_type="dataset")
    other.create_repo("secret", private=True)

    url = api.create_repo("other/theirs", repo_type="dataset", exist_ok=True)

    assert url == f"{hub.url}/datasets/other/theirs" and url.repo_id == "other/theirs"
    with pytest.raises(HfHubHTTPError) as refused:
        api.create_repo("other/theirs", repo_type="dataset")
    assert refused.value.response.status_code == 403
    with pytest.raises(HfHubHTTPError) as hidden:
        api.create_repo("other/secret", exist_ok=True)  # private: the 403 stands
    assert hidden.value.response.status_code == 403
