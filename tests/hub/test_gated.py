"""Gated repos through the real client: without accepted access a download raises
`GatedRepoError`; the owner grants access and handles requests; `auth_check` tells."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN, WRITE_TOKEN

REPO = "user/gated"


@pytest.fixture
def gated(api: HfApi) -> str:
    api.create_repo("gated")
    api.upload_file(repo_id=REPO, path_in_repo="a.txt", path_or_fileobj=b"secret sauce")
    api.upload_file(repo_id=REPO, path_in_repo="w.bin", path_or_fileobj=b"\0" * 4096)
    api.update_repo_settings(REPO, gated="auto")
    return REPO


@pytest.fixture
def other(hub: TestHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)


def download(hub: TestHub, token: str | bool, filename: str = "a.txt") -> bytes:
    return Path(hf_hub_download(REPO, filename, token=token, endpoint=hub.url)).read_bytes()


def test_download_without_access_is_a_gated_repo_error(
    hub: TestHub, gated: str, other: HfApi, tmp_path: Path
) -> None:
    with pytest.raises(GatedRepoError, match="not in the authorized list") as with_token:
        download(hub, OTHER_WRITE_TOKEN)
    with pytest.raises(GatedRepoError, match="Please log in") as anonymous:
        download(hub, False)
    with pytest.raises(GatedRepoError):
        snapshot_download(REPO, token=OTHER_WRITE_TOKEN, local_dir=tmp_path / "snap")
    with pytest.raises(GatedRepoError):
        other.auth_check(REPO)

    assert with_token.value.response.status_code == 403
    assert anonymous.value.response.status_code == 401
    # The repo is there to see: its info and files list are not gated, its owner downloads.
    assert other.model_info(REPO).gated == "auto"
    assert set(other.list_repo_files(REPO)) == {".gitattributes", "a.txt", "w.bin"}
    assert download(hub, WRITE_TOKEN) == b"secret sauce"


def test_granted_access_downloads_until_cancelled(
    api: HfApi, hub: TestHub, gated: str, other: HfApi
) -> None:
    api.grant_access(REPO, "other")

    assert download(hub, OTHER_WRITE_TOKEN) == b"secret sauce"
    assert download(hub, OTHER_WRITE_TOKEN, "w.bin") == b"\0" * 4096  # through Xet
    other.auth_check(REPO)
    [accepted] = api.list_accepted_access_requests(REPO)
    assert (accepted.username, accepted.status, accepted.email) == ("other", "accepted", None)

    api.cancel_access_request(REPO, "other")

    assert [r.username for r in api.list_pending_access_requests(REPO)] == ["other"]
    assert list(api.list_accepted_access_requests(REPO)) == []
    with pytest.raises(GatedRepoError):
        other.auth_check(REPO)
    api.reject_access_request(REPO, "other", rejection_reason="no")
    assert [r.username for r in api.list_rejected_access_requests(REPO)] == ["other"]
    api.accept_access_request(REPO, "other")
    other.auth_check(REPO)


def test_access_request_refusals(api: HfApi, gated: str, other: HfApi) -> None:
    api.grant_access(REPO, "other")
    with pytest.raises(HfHubHTTPError) as twice:
        api.grant_access(REPO, "other")
    with pytest.raises(HfHubHTTPError) as not_owner:
        other.grant_access(REPO, "user")
    with pytest.raises(HfHubHTTPError) as unknown:
        api.accept_access_request(REPO, "nobody")
    api.create_repo("open")
    with pytest.raises(HfHubHTTPError, match="not a gated repo"):
        api.grant_access("user/open", "other")

    assert twice.value.response.status_code == 409
    assert not_owner.value.response.status_code == 403
    assert unknown.value.response.status_code == 404


def test_auth_check_of_a_missing_or_private_repo(api: HfApi, other: HfApi) -> None:
    api.create_repo("private", private=True)

    api.auth_check("user/private")
    api.auth_check("user/private", write=True)
    with pytest.raises(RepositoryNotFoundError):
        other.auth_check("user/private")
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check("user/missing")
