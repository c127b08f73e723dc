"""Names and ids as the Hub takes them: client-valid names, canonical ids, case, request ids."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hfsync.testing.hub import TestHub, TokenSpec
from hfsync.testing.hub.fixtures import hub_with_client

DUMMY_TOKEN = "hf_testhub_dummy"


def test_names_the_client_accepts_work_end_to_end(tmp_path: Path) -> None:
    # The Hub's own test users look like `__DUMMY_TRANSFORMERS_USER__`.
    user = "__DUMMY_USER__"
    with hub_with_client(tmp_path / "hub", tmp_path / "hf", [TokenSpec(DUMMY_TOKEN, user)]) as hub:
        api = HfApi(endpoint=hub.url, token=DUMMY_TOKEN)
        assert api.whoami()["name"] == user
        for name in ("_x_", "a.b-c_d", "9" * 96):
            url = api.create_repo(name, repo_type="dataset")
            assert url.repo_id == f"{user}/{name}"
            api.upload_file(
                path_or_fileobj=b"hi",
                path_in_repo="f.txt",
                repo_id=f"{user}/{name}",
                repo_type="dataset",
            )
            assert "f.txt" in api.list_repo_files(f"{user}/{name}", repo_type="dataset")


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda api: api.repo_info("gpt2"), id="info"),
        pytest.param(lambda api: api.repo_info("gpt2", revision="main"), id="revision"),
        pytest.param(lambda api: api.list_repo_commits("gpt2"), id="commits"),
        pytest.param(lambda api: api.list_repo_refs("gpt2"), id="refs"),
        pytest.param(lambda api: api.list_repo_files("gpt2"), id="tree"),
        pytest.param(
            lambda api: api.create_commit(
                "gpt2", [CommitOperationAdd("a.txt", b"a")], commit_message="m"
            ),
            id="preupload",
        ),
        pytest.param(lambda api: api.dataset_info("squad"), id="dataset-info"),
    ],
)
def test_missing_canonical_repo_is_repo_not_found(api: HfApi, call: object) -> None:
    with pytest.raises(RepositoryNotFoundError) as raised:
        call(api)  # type: ignore[operator]
    assert raised.value.response.status_code == 404
    assert raised.value.response.headers["X-Error-Code"] == "RepoNotFound"


def test_missing_canonical_repo_download_is_repo_not_found(hub: TestHub, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("gpt2", "config.json", endpoint=hub.url, cache_dir=tmp_path / "cache")


def test_repo_ids_are_case_insensitive_for_lookup(api: HfApi) -> None:
    api.create_repo("MyRepo", repo_type="dataset")
    api.upload_file(
        path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="user/MyRepo", repo_type="dataset"
    )

    info = api.dataset_info("User/myrepo")

    assert info.id == "user/MyRepo"  # the stored spelling
    assert "x.txt" in api.list_repo_files("USER/MYREPO", repo_type="dataset")
    commit = api.upload_file(
        path_or_fileobj=b"y", path_in_repo="y.txt", repo_id="user/myrepo", repo_type="dataset"
    )
    assert api.dataset_info("user/MyRepo").sha == commit.oid


def test_create_differing_only_in_case_is_a_conflict(api: HfApi, hub: TestHub) -> None:
    api.create_repo("MyModel")

    with pytest.raises(HfHubHTTPError) as raised:
        api.create_repo("mymodel")
    assert raised.value.response.status_code == 409
    # With exist_ok the client returns the existing repo's url.
    assert api.create_repo("MYMODEL", exist_ok=True) == f"{hub.url}/user/MyModel"


def test_every_answer_has_a_request_id_shown_in_errors(api: HfApi, hub: TestHub) -> None:
    api.create_repo("thing")
    hub.control.inject("/refs$", status=500, message="boom")

    with pytest.raises(HfHubHTTPError) as raised:
        api.list_repo_refs("user/thing")

    request_id = raised.value.response.headers["X-Request-Id"]
    assert request_id.startswith("Root=1-")
    assert f"Request ID: {request_id}" in str(raised.value)
    assert raised.value.request_id == request_id
    with pytest.raises(RepositoryNotFoundError) as missing:
        api.repo_info("user/nothing")
    assert missing.value.request_id not in (None, request_id)
