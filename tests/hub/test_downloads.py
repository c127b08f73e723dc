"""Downloads through the real client: hf_hub_download (regular and LFS) and snapshot_download."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN

LFS_CONTENT = os.urandom(3 * 1024 * 1024)
FILES = {
    "app.py": b"print('hello')\n",
    "model/weights.bin": LFS_CONTENT,
    "docs/note.txt": b"note\n",
}


@pytest.fixture
def repo(api: HfApi) -> str:
    api.create_repo("app", repo_type="space", space_sdk="static")
    api.create_commit(
        "user/app",
        repo_type="space",
        operations=[CommitOperationAdd(path, content) for path, content in FILES.items()],
        commit_message="files",
    )
    return "user/app"


def test_hf_hub_download_regular_and_lfs(hub: TestHub, repo: str, tmp_path: Path) -> None:
    for path, content in FILES.items():
        local = hf_hub_download(
            repo, path, repo_type="space", endpoint=hub.url, cache_dir=tmp_path / "cache"
        )
        assert Path(local).read_bytes() == content
    # A second download of a cached file only asks HEAD.
    hub.control.clear_log()
    hf_hub_download(
        repo, "app.py", repo_type="space", endpoint=hub.url, cache_dir=tmp_path / "cache"
    )
    assert [r.method for r in hub.control.requests()] == ["HEAD"]


def test_download_without_explicit_endpoint_uses_the_patched_constants(
    hub: TestHub, repo: str
) -> None:
    local = hf_hub_download(repo, "docs/note.txt", repo_type="space")

    assert Path(local).read_bytes() == FILES["docs/note.txt"]
    assert hub.control.count("GET", "/resolve/main/docs/note.txt$") == 1


def test_snapshot_download(hub: TestHub, repo: str, tmp_path: Path) -> None:
    folder = snapshot_download(
        repo, repo_type="space", endpoint=hub.url, local_dir=tmp_path / "snap"
    )

    downloaded = {
        str(path.relative_to(folder)): path.read_bytes()
        for path in Path(folder).rglob("*")
        if path.is_file() and ".cache" not in path.parts
    }
    # A new Space holds a .gitattributes and the README.md the Hub writes.
    created = {name: downloaded[name] for name in (".gitattributes", "README.md")}
    assert downloaded == {**created, **FILES}


def test_download_errors(hub: TestHub, repo: str) -> None:
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(repo, "missing.txt", repo_type="space", endpoint=hub.url)
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download(repo, "app.py", repo_type="space", revision="nope", endpoint=hub.url)
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("user/missing", "app.py", repo_type="space", endpoint=hub.url)


def test_private_repo_download_needs_the_token(hub: TestHub, tmp_path: Path) -> None:
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("secret", private=True)
    api.upload_file(path_or_fileobj=b"s3cret", path_in_repo="s.txt", repo_id="user/secret")

    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("user/secret", "s.txt", endpoint=hub.url, cache_dir=tmp_path / "anon")
    local = hf_hub_download("user/secret", "s.txt", endpoint=hub.url, token=WRITE_TOKEN)
    assert Path(local).read_bytes() == b"s3cret"
