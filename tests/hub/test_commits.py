"""Uploads and commits through the real client: LFS, deletions, compare-and-swap, atomicity."""

from __future__ import annotations

import hashlib
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete, HfApi
from huggingface_hub.errors import BadRequestError, EntryNotFoundError, HfHubHTTPError

from hfsync.testing.hub import TestHub

BIG = 15 * 1024 * 1024


def files_of(
    api: HfApi, repo_id: str, repo_type: str = "model", revision: str | None = None
) -> set[str]:
    return set(api.list_repo_files(repo_id, repo_type=repo_type, revision=revision))


def head(api: HfApi, repo_id: str, repo_type: str = "model") -> str:
    sha = api.repo_info(repo_id, repo_type=repo_type).sha
    assert sha is not None
    return sha


@pytest.fixture
def space(api: HfApi) -> str:
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    return "user/app"


@pytest.mark.legacy_lfs
def test_create_commit_with_regular_lfs_and_deletions(api: HfApi, hub: TestHub, space: str) -> None:
    big = os.urandom(BIG)
    api.create_commit(
        space,
        repo_type="space",
        operations=[
            CommitOperationAdd("app.py", b"print('hi')\n"),
            CommitOperationAdd("old.txt", b"old"),
            CommitOperationAdd("assets/a.txt", b"a"),
            CommitOperationAdd("assets/b.txt", b"b"),
        ],
        commit_message="first",
    )
    hub.control.clear_log()

    info = api.create_commit(
        space,
        repo_type="space",
        operations=[
            CommitOperationAdd("README.md", b"---\nsdk: gradio\n---\n# App\n"),
            CommitOperationAdd("weights/big.bin", big),
            CommitOperationAdd("data/tiny.bin", b"\x00\x01tiny"),
            CommitOperationDelete("old.txt"),
            CommitOperationDelete("assets/"),
        ],
        commit_message="second",
    )

    assert info.oid == head(api, space, "space")
    expected = {".gitattributes", "README.md", "app.py", "weights/big.bin", "data/tiny.bin"}
    assert files_of(api, space, "space") == expected
    entries = {e.path: e for e in api.get_paths_info(space, ["weights/big.bin"], repo_type="space")}
    big_entry = entries["weights/big.bin"]
    assert big_entry.size == BIG
    assert big_entry.lfs is not None and big_entry.lfs.sha256 == hashlib.sha256(big).hexdigest()
    # The 15 MiB file went up in three 5 MiB parts, then a completion and a verify.
    assert hub.control.count("PUT", r"^/_lfs/[^/]+/\d$") == 3
    assert hub.control.count("POST", r"^/_lfs/[^/]+/complete$") == 1
    assert hub.control.count("POST", r"/info/lfs/objects/verify$") == 2
    # Upload URLs authorise themselves: the client sends them no token.
    assert all("authorization" not in r.headers for r in hub.control.requests("PUT", "^/_lfs/"))


@pytest.mark.legacy_lfs
def test_lfs_file_is_a_pointer_blob_in_git(api: HfApi, hub: TestHub, space: str) -> None:
    content = os.urandom(2048)
    api.upload_file(
        path_or_fileobj=content, path_in_repo="model.safetensors", repo_id=space, repo_type="space"
    )
    git_dir = hub.git_dir("space", space)

    blob = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", "main:model.safetensors"],
        capture_output=True,
        check=True,
    ).stdout
    sha = hashlib.sha256(content).hexdigest()
    assert (
        blob
        == f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize 2048\n".encode()
    )
    assert (hub.state.root / "lfs" / sha).read_bytes() == content


def test_upload_folder_with_delete_patterns(
    api: HfApi, hub: TestHub, space: str, tmp_path: Path
) -> None:
    api.create_commit(
        space,
        repo_type="space",
        operations=[CommitOperationAdd(p, b"x") for p in ("logs/a.log", "logs/b.log", "keep.txt")],
        commit_message="seed",
    )
    folder = tmp_path / "site"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "main.py").write_text("print(1)\n")
    (folder / "index.html").write_text("<h1>hi</h1>\n")
    hub.control.clear_log()

    api.upload_folder(
        folder_path=folder, repo_id=space, repo_type="space", delete_patterns=["*.log"]
    )

    assert files_of(api, space, "space") == {
        ".gitattributes",
        "README.md",
        "keep.txt",
        "src/main.py",
        "index.html",
    }
    assert hub.control.count("POST", r"/commit/main$") == 1


@pytest.mark.legacy_lfs
def test_unchanged_files_are_not_recommitted(api: HfApi, hub: TestHub, space: str) -> None:
    operations = lambda: [  # noqa: E731
        CommitOperationAdd("app.py", b"same\n"),
        CommitOperationAdd("w.bin", b"\x00binary"),
    ]
    first = api.create_commit(
        space, repo_type="space", operations=operations(), commit_message="one"
    )
    hub.control.clear_log()

    again = api.create_commit(
        space, repo_type="space", operations=operations(), commit_message="two"
    )

    # The preupload oids (blob SHA-1 / SHA-256) match: the client skips the commit POST.
    assert again.oid == first.oid
    assert hub.control.count("POST", "/commit/") == 0
    # The LFS object is already stored: the batch answer has no `actions`, so nothing is PUT.
    assert hub.control.count("POST", "/objects/batch$") == 1
    assert hub.control.count("PUT") == 0


def test_stale_parent_commit_is_412_and_branch_unchanged(api: HfApi, space: str) -> None:
    base = head(api, space, "space")
    api.upload_file(
        path_or_fileobj=b"theirs", path_in_repo="theirs.txt", repo_id=space, repo_type="space"
    )
    moved = head(api, space, "space")

    with pytest.raises(HfHubHTTPError) as raised:
        api.create_commit(
            space,
            repo_type="space",
            operations=[CommitOperationAdd("mine.txt", b"mine")],
            commit_message="mine",
            parent_commit=base,
        )

    assert raised.value.response.status_code == 412
    assert raised.value.server_message == (
        "The branch was updated since you opened this page. Please refresh and try again."
    )
    assert head(api, space, "space") == moved
    # The current head, even abbreviated, is accepted.
    api.create_commit(
        space,
        repo_type="space",
        operations=[CommitOperationAdd("mine.txt", b"mine")],
        commit_message="mine",
        parent_commit=moved[:7],
    )
    assert "mine.txt" in files_of(api, space, "space")


def test_deleting_a_missing_file_is_entry_not_found_and_atomic(api: HfApi, space: str) -> None:
    before = head(api, space, "space")

    with pytest.raises(EntryNotFoundError, match="A file with this name doesn't exist"):
        api.create_commit(
            space,
            repo_type="space",
            operations=[
                CommitOperationAdd("new.txt", b"new"),
                CommitOperationDelete("missing.txt"),
            ],
            commit_message="bad",
        )

    assert head(api, space, "space") == before


def test_lfs_file_never_uploaded_is_rejected(api: HfApi, space: str) -> None:
    before = head(api, space, "space")
    phantom = CommitOperationAdd("phantom.bin", b"\x00never uploaded")
    # Pretend the preupload said LFS and the upload happened: the commit names an absent object.
    phantom._upload_mode = "lfs"
    phantom._is_uploaded = True

    with pytest.raises(BadRequestError, match="never uploaded"):
        api.create_commit(space, repo_type="space", operations=[phantom], commit_message="bad")

    assert head(api, space, "space") == before


def test_regular_file_over_10_mib_is_rejected(api: HfApi, space: str) -> None:
    before = head(api, space, "space")
    big = CommitOperationAdd("big.txt", b"a" * (10 * 1024 * 1024 + 1))
    big._upload_mode = "regular"  # skip the preupload, which would have said LFS

    with pytest.raises(BadRequestError, match="larger than 10 MiB"):
        api.create_commit(space, repo_type="space", operations=[big], commit_message="bad")

    assert head(api, space, "space") == before


def test_preupload_modes(api: HfApi, hub: TestHub, space: str) -> None:
    operations = [
        CommitOperationAdd("text.txt", b"plain text"),
        CommitOperationAdd("binary.dat", b"\x00\x01\x02"),
        CommitOperationAdd("model.safetensors", b"matches .gitattributes"),
        CommitOperationAdd("empty.bin", b""),
    ]

    api.preupload_lfs_files(space, additions=operations, repo_type="space")

    modes = {op.path_in_repo: op._upload_mode for op in operations}
    # Empty files are always regular (client rule), even where .gitattributes says LFS.
    assert modes == {
        "text.txt": "regular",
        "binary.dat": "lfs",
        "model.safetensors": "lfs",
        "empty.bin": "regular",
    }


def test_gitignore_on_the_branch_marks_files_ignored(api: HfApi, space: str) -> None:
    api.upload_file(
        path_or_fileobj=b"*.tmp\n", path_in_repo=".gitignore", repo_id=space, repo_type="space"
    )

    api.create_commit(
        space,
        repo_type="space",
        operations=[CommitOperationAdd("a.tmp", b"x"), CommitOperationAdd("a.txt", b"x")],
        commit_message="two files",
    )

    assert files_of(api, space, "space") == {".gitattributes", "README.md", ".gitignore", "a.txt"}


def test_commit_to_a_branch_and_a_pull_request(api: HfApi, space: str) -> None:
    api.create_branch(space, repo_type="space", branch="dev")
    api.upload_file(
        path_or_fileobj=b"dev",
        path_in_repo="dev.txt",
        repo_id=space,
        repo_type="space",
        revision="dev",
    )

    pr = api.upload_file(
        path_or_fileobj=b"pr",
        path_in_repo="pr.txt",
        repo_id=space,
        repo_type="space",
        create_pr=True,
    )

    created = {".gitattributes", "README.md"}
    assert files_of(api, space, "space", revision="dev") == {*created, "dev.txt"}
    assert pr.pr_revision == "refs/pr/1"
    assert files_of(api, space, "space", revision="refs/pr/1") == {*created, "pr.txt"}
    assert files_of(api, space, "space") == created
    refs = api.list_repo_refs(space, repo_type="space", include_pull_requests=True)
    assert [ref.ref for ref in refs.pull_requests or []] == ["refs/pr/1"]


def test_concurrent_commits_on_one_parent_one_wins(api: HfApi, space: str) -> None:
    base = head(api, space, "space")

    def commit(number: int) -> str:
        try:
            return api.create_commit(
                space,
                repo_type="space",
                operations=[CommitOperationAdd(f"{number}.txt", b"x")],
                commit_message=f"racer {number}",
                parent_commit=base,
            ).oid
        except HfHubHTTPError as error:
            return str(error.response.status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(commit, range(4)))

    winners = [result for result in results if result != "412"]
    assert len(winners) == 1 and results.count("412") == 3
    assert head(api, space, "space") == winners[0]
    assert len(files_of(api, space, "space")) == 3  # .gitattributes, README.md, the winner's


def test_copies_reuse_lfs_objects_without_size(api: HfApi, hub: TestHub, space: str) -> None:
    weights = os.urandom(4096)
    api.create_commit(
        space,
        repo_type="space",
        operations=[CommitOperationAdd("w.bin", weights), CommitOperationAdd("app.py", b"app\n")],
        commit_message="seed",
    )
    hub.control.clear_log()

    api.create_commit(
        space,
        repo_type="space",
        operations=[
            CommitOperationCopy("w.bin", "copy/w.bin"),
            CommitOperationCopy("app.py", "copy/app.py"),
        ],
        commit_message="copy",
    )

    copied = {
        e.path: e
        for e in api.get_paths_info(space, ["copy/w.bin", "copy/app.py"], repo_type="space")
    }
    assert copied["copy/w.bin"].lfs is not None
    assert copied["copy/w.bin"].lfs.sha256 == hashlib.sha256(weights).hexdigest()
    assert copied["copy/app.py"].size == 4
    # The LFS copy is a size-less `lfsFile` line; the regular one was downloaded and re-sent.
    assert hub.control.count("GET", "/resolve/main/app.py$") == 1
    assert hub.control.count("PUT", "^/_lfs/") == 0


def test_invalid_readme_metadata_is_refused(api: HfApi, space: str) -> None:
    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md"):
        api.upload_file(
            path_or_fileobj=b"---\nsdk: [unclosed\n---\n",
            path_in_repo="README.md",
            repo_id=space,
            repo_type="space",
        )
