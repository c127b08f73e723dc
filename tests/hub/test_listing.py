"""Tree listings (paginated), paths-info and raw-path routing through the real client."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from huggingface_hub import CommitOperationAdd, HfApi
from huggingface_hub.errors import EntryNotFoundError, RevisionNotFoundError
from huggingface_hub.hf_api import RepoFile, RepoFolder

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN

FILES = {
    "README.md": b"# readme\n",
    "app.py": b"print(1)\n",
    "src/a.py": b"a = 1\n",
    "src/deep/b.py": b"b = 2\n",
    "weights/w.bin": b"\x00weights",
}


@pytest.fixture
def listed(make_hub: Callable[..., TestHub]) -> tuple[TestHub, HfApi]:
    hub = make_hub(page_size=2)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("data", repo_type="dataset")
    api.create_commit(
        "user/data",
        repo_type="dataset",
        operations=[CommitOperationAdd(path, content) for path, content in FILES.items()],
        commit_message="files",
    )
    hub.control.clear_log()
    return hub, api


def git_blob_sha1(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def test_recursive_tree_follows_pages(listed: tuple[TestHub, HfApi]) -> None:
    hub, api = listed

    entries = list(api.list_repo_tree("user/data", repo_type="dataset", recursive=True))

    files = {e.path: e for e in entries if isinstance(e, RepoFile)}
    folders = {e.path for e in entries if isinstance(e, RepoFolder)}
    assert set(files) == {".gitattributes", *FILES}
    assert folders == {"src", "src/deep", "weights"}
    assert files["app.py"].blob_id == git_blob_sha1(FILES["app.py"])
    assert files["app.py"].size == len(FILES["app.py"])
    lfs = files["weights/w.bin"].lfs
    assert lfs is not None and lfs.sha256 == hashlib.sha256(FILES["weights/w.bin"]).hexdigest()
    # 9 entries at 2 per page; every next page is an absolute URL keeping the query.
    pages = hub.control.requests("GET", "/tree/main$")
    assert len(pages) == 5
    assert all("recursive=true" in page.query for page in pages)


def test_non_recursive_listing_of_a_subfolder_and_expand(listed: tuple[TestHub, HfApi]) -> None:
    _, api = listed

    entries = list(api.list_repo_tree("user/data", "src", repo_type="dataset", expand=True))

    assert [(type(e).__name__, e.path) for e in entries] == [
        ("RepoFile", "src/a.py"),
        ("RepoFolder", "src/deep"),
    ]
    assert all(e.last_commit is not None and e.last_commit.title == "files" for e in entries)
    deep = list(api.list_repo_tree("user/data", "src/deep", repo_type="dataset"))
    assert [e.path for e in deep] == ["src/deep/b.py"]


def test_tree_errors(listed: tuple[TestHub, HfApi]) -> None:
    _, api = listed

    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree("user/data", "nope", repo_type="dataset"))
    with pytest.raises(RevisionNotFoundError):
        list(api.list_repo_tree("user/data", repo_type="dataset", revision="nope"))


def test_paths_info_omits_missing_paths(listed: tuple[TestHub, HfApi]) -> None:
    _, api = listed

    infos = api.get_paths_info(
        "user/data", ["app.py", "src", "missing.txt", "weights/w.bin"], repo_type="dataset"
    )

    by_path = {info.path: info for info in infos}
    assert set(by_path) == {"app.py", "src", "weights/w.bin"}
    assert isinstance(by_path["src"], RepoFolder)
    app = by_path["app.py"]
    assert (
        isinstance(app, RepoFile)
        and app.blob_id == git_blob_sha1(FILES["app.py"])
        and app.lfs is None
    )


def test_encoded_revisions_and_paths_are_routed_raw(listed: tuple[TestHub, HfApi]) -> None:
    hub, api = listed
    api.upload_file(
        path_or_fileobj=b"x",
        path_in_repo="pr.txt",
        repo_id="user/data",
        repo_type="dataset",
        create_pr=True,
    )

    entries = list(
        api.list_repo_tree("user/data", "src/deep", repo_type="dataset", revision="refs/pr/1")
    )

    assert [e.path for e in entries] == ["src/deep/b.py"]
    assert hub.control.requests("GET", "/tree/")[-1].path.endswith("/tree/refs%2Fpr%2F1/src%2Fdeep")
