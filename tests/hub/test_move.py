"""Renaming a repo through the real client: `move_repo`, and the old id redirected to the new one
for reads, downloads and writes, private repos included."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN, WRITE_TOKEN


def test_move_keeps_history_files_and_branches(api: HfApi, hub: TestHub) -> None:
    for repo_type in ("model", "dataset", "space"):
        sdk = "gradio" if repo_type == "space" else None
        api.create_repo("old", repo_type=repo_type, space_sdk=sdk)
        api.upload_file(
            repo_id="user/old", repo_type=repo_type, path_in_repo="a.txt", path_or_fileobj=b"a"
        )
        api.create_branch("user/old", repo_type=repo_type, branch="dev")
        before = api.list_repo_commits("user/old", repo_type=repo_type)

        api.move_repo("user/old", "user/new", repo_type=repo_type)

        assert api.repo_info("user/new", repo_type=repo_type).id == "user/new"
        assert api.list_repo_commits("user/new", repo_type=repo_type) == before
        assert "dev" in {
            b.name for b in api.list_repo_refs("user/new", repo_type=repo_type).branches
        }
        assert not hub.git_dir(repo_type, "user/old").exists()
        assert hub.git_dir(repo_type, "user/new").is_dir()


def test_old_id_redirects_reads_and_writes(
    upload_path: str, api: HfApi, hub: TestHub, tmp_path: Path
) -> None:
    """Through Xet and through legacy LFS (`upload_path`): each reaches the repo by its old id."""
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    api.create_commit(
        "user/app",
        [CommitOperationAdd("app.py", b"print(1)\n"), CommitOperationAdd("w.bin", b"\0" * 2048)],
        commit_message="files",
        repo_type="space",
    )
    api.move_repo("user/app", "user/renamed", repo_type="space")
    hub.control.clear_log()

    info = api.space_info("user/app")
    local = hf_hub_download("user/app", "w.bin", repo_type="space", endpoint=hub.url)
    folder = snapshot_download("user/app", repo_type="space", local_dir=tmp_path / "snap")
    # A write to the old id lands on the renamed repo: the client follows the 307 with its body.
    api.create_commit(
        "user/app",
        [CommitOperationAdd("app.py", b"print(2)\n"), CommitOperationAdd("x.bin", b"\0x" * 999)],
        commit_message="through the old id",
        repo_type="space",
    )

    assert info.id == "user/renamed"
    assert Path(local).read_bytes() == b"\0" * 2048
    assert (Path(folder) / "app.py").read_bytes() == b"print(1)\n"
    renamed = api.list_repo_commits("user/renamed", repo_type="space")
    assert renamed[0].title == "through the old id"
    assert set(api.list_repo_files("user/renamed", repo_type="space")) >= {"app.py", "x.bin"}
    redirected = {(r.method, r.path) for r in hub.control.requests() if r.status == 307}
    assert all("/user/app" in path for _, path in redirected)
    content_upload = (
        ("POST", "/spaces/user/app.git/info/lfs/objects/batch")
        if upload_path == "lfs"
        else ("GET", "/api/spaces/user/app/xet-write-token/main")
    )
    assert {("POST", "/api/spaces/user/app/commit/main"), content_upload} <= redirected
    assert hub.control.count("POST", r"^/api/spaces/user/renamed/commit/main$") == 1


def test_renamed_private_repo_redirects_its_owner_only(api: HfApi, hub: TestHub) -> None:
    api.create_repo("secret", private=True)
    api.upload_file(repo_id="user/secret", path_in_repo="a.txt", path_or_fileobj=b"hidden")
    api.move_repo("user/secret", "user/vault")

    local = hf_hub_download("user/secret", "a.txt", token=WRITE_TOKEN, endpoint=hub.url)

    assert Path(local).read_bytes() == b"hidden"
    other = HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)
    with pytest.raises(RepositoryNotFoundError):
        other.model_info("user/secret")  # no redirect tells the new name
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token=False).model_info("user/secret")


def test_moving_twice_and_back(api: HfApi) -> None:
    api.create_repo("one")
    api.move_repo("user/one", "user/two")
    api.move_repo("user/two", "user/three")

    assert api.model_info("user/one").id == "user/three"
    assert api.model_info("user/two").id == "user/three"

    api.move_repo("user/three", "user/one")

    assert api.model_info("user/one").id == "user/one"
    assert api.model_info("user/three").id == "user/one"


def test_creating_a_repo_at_an_old_id_takes_it_back(api: HfApi) -> None:
    api.create_repo("first")
    api.move_repo("user/first", "user/second")

    api.create_repo("first")

    assert api.model_info("user/first").id == "user/first"
    assert api.model_info("user/second").id == "user/second"


def test_move_refusals(api: HfApi, hub: TestHub) -> None:
    api.create_repo("a")
    api.create_repo("b")
    other = HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)

    with pytest.raises(HfHubHTTPError, match=r"A model repository called user/b already exists"):
        api.move_repo("user/a", "user/b")
    with pytest.raises(RepositoryNotFoundError):
        api.move_repo("user/missing", "user/c")
    with pytest.raises(HfHubHTTPError) as not_owner:
        other.move_repo("user/a", "other/a")
    with pytest.raises(HfHubHTTPError) as transfer:
        api.move_repo("user/a", "other/a")
    with pytest.raises(ValueError, match="Invalid repo_id"):
        api.move_repo("user/a", "no-namespace")

    assert not_owner.value.response.status_code == 403
    assert transfer.value.response.status_code == 403
    assert api.model_info("user/a").id == "user/a"
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("other/a")
