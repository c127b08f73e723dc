"""Xet storage: the real hf_xet client uploads to and downloads from the test hub's CAS."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import httpx2
import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationCopy,
    HfApi,
    constants,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import BadRequestError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import READ_TOKEN, WRITE_TOKEN
from hfsync.testing.hub.xet_format import RECORD_HEADER_SIZE, decompress
from tests.hub.conftest import MakeHub

REPO = "user/models-xet"
XORB_UPLOAD = r"^/cas/v1/xorbs/"


@pytest.fixture
def repo(api: HfApi) -> str:
    api.create_repo(REPO)
    return REPO


def download(hub: TestHub, path: str, cache: Path, *, xet: bool = True) -> bytes:
    with mock.patch.object(constants, "HF_HUB_DISABLE_XET", not xet):
        local = hf_hub_download(REPO, path, endpoint=hub.url, token=WRITE_TOKEN, cache_dir=cache)
    return Path(local).read_bytes()


def test_large_files_upload_through_xet_and_download_both_ways(
    hub: TestHub, api: HfApi, repo: str, tmp_path: Path
) -> None:
    sizes = {"small.bin": 3_000_000, "medium.bin": 20_000_000, "large.bin": 70_000_000}
    expected_xorbs = {"small.bin": 1, "medium.bin": 1, "large.bin": 2}  # a xorb holds <= 64 MiB
    contents = {}
    for path, size in sizes.items():
        contents[path] = os.urandom(size)
        hub.control.clear_log()
        info = api.upload_file(path_or_fileobj=contents[path], path_in_repo=path, repo_id=repo)
        assert hub.control.count("POST", XORB_UPLOAD) == expected_xorbs[path], path
        assert hub.control.count("POST", r"/info/lfs/") == 0
        [entry] = api.get_paths_info(repo, [path], revision=info.oid)
        assert entry.lfs.sha256 == hashlib.sha256(contents[path]).hexdigest()
        assert entry.lfs.size == size
        assert entry.xet_hash and len(entry.xet_hash) == 64
    for path, content in contents.items():
        hub.control.clear_log()
        assert download(hub, path, tmp_path / "xet-cache") == content
        assert hub.control.count("GET", r"^/cas/v[12]/reconstructions/") >= 1
        assert hub.control.count("GET", r"/resolve/") == 0  # only the HEAD
        hub.control.clear_log()
        assert download(hub, path, tmp_path / "http-cache", xet=False) == content
        assert hub.control.count("GET", r"^/cas/") == 0
        assert hub.control.count("GET", r"/resolve/") == 1


def test_a_folder_goes_up_as_one_xorb_and_one_shard(
    hub: TestHub, api: HfApi, repo: str, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    files = {f"part{i}.bin": os.urandom(300_000 + i) for i in range(3)}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    hub.control.clear_log()
    api.upload_folder(folder_path=folder, repo_id=repo)
    assert hub.control.count("POST", XORB_UPLOAD) == 1
    assert hub.control.count("POST", r"^/cas/v[12]/shards$") == 1
    assert hub.control.count("POST", r"/commit/") == 1
    tree = {entry.path: entry for entry in api.list_repo_tree(repo) if entry.path in files}
    assert all(entry.xet_hash for entry in tree.values())
    hub.control.clear_log()
    local = Path(snapshot_download(REPO, endpoint=hub.url, cache_dir=tmp_path / "snap"))
    assert {name: (local / name).read_bytes() for name in files} == files
    assert hub.control.count("HEAD", r"/resolve/.*/part") == 0  # xetHash in the tree: to CAS


def test_uploading_known_content_sends_no_xorb(hub: TestHub, api: HfApi, repo: str) -> None:
    content = os.urandom(2_000_000)
    api.upload_file(path_or_fileobj=content, path_in_repo="a.bin", repo_id=repo)
    hub.control.clear_log()
    api.upload_file(path_or_fileobj=content, path_in_repo="copy/a.bin", repo_id=repo)
    assert hub.control.count("POST", XORB_UPLOAD) == 0
    assert hub.control.count("POST", r"/commit/") == 1
    info = api.get_paths_info(repo, ["a.bin", "copy/a.bin"])
    assert info[0].xet_hash == info[1].xet_hash


def test_a_changed_file_uploads_only_its_new_chunks(hub: TestHub, api: HfApi, repo: str) -> None:
    content = bytearray(os.urandom(3_000_000))
    api.upload_file(path_or_fileobj=bytes(content), path_in_repo="a.bin", repo_id=repo)
    content[1_500_000:1_500_100] = os.urandom(100)
    hub.control.clear_log()
    api.upload_file(path_or_fileobj=bytes(content), path_in_repo="a.bin", repo_id=repo)
    [xorb] = hub.control.requests("POST", XORB_UPLOAD)
    assert int(xorb.headers["content-length"]) < 300_000


def test_copying_a_xet_file_on_the_hub(hub: TestHub, api: HfApi, repo: str, tmp_path: Path) -> None:
    content = os.urandom(1_000_000)
    api.upload_file(path_or_fileobj=content, path_in_repo="a.bin", repo_id=repo)
    hub.control.clear_log()
    api.create_commit(
        repo,
        [CommitOperationCopy(src_path_in_repo="a.bin", path_in_repo="b.bin")],
        commit_message="copy",
    )
    assert hub.control.count("POST", r"^/cas/") == 0
    source, copy = api.get_paths_info(repo, ["a.bin", "b.bin"])
    assert (copy.lfs.sha256, copy.xet_hash) == (source.lfs.sha256, source.xet_hash)
    assert download(hub, "b.bin", tmp_path / "cache") == content


def test_lfs_uploads_carry_no_xet_hash(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(xet=False)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo(REPO)
    content = os.urandom(100_000)
    api.upload_file(path_or_fileobj=content, path_in_repo="a.bin", repo_id=REPO)
    assert hub.control.count("PUT", r"^/_lfs/") == 1
    [entry] = api.get_paths_info(REPO, ["a.bin"])
    assert entry.lfs is not None and entry.xet_hash is None
    response = httpx2.head(f"{hub.url}/{REPO}/resolve/main/a.bin")
    assert "X-Xet-Hash" not in response.headers
    assert download(hub, "a.bin", tmp_path / "cache") == content


def test_commit_naming_content_never_uploaded_is_refused(api: HfApi, repo: str) -> None:
    operation = CommitOperationAdd(path_in_repo="a.bin", path_or_fileobj=b"\0" * 10)
    operation._upload_mode = "lfs"
    operation._is_uploaded = True  # pretend, so that the client sends the lfsFile line only
    with pytest.raises(BadRequestError, match="never uploaded"):
        api.create_commit(repo, [operation], commit_message="ghost")


def test_token_endpoints_answer_json_and_headers(hub: TestHub, repo: str) -> None:
    url = f"{hub.url}/api/models/{repo}/xet-write-token/main"
    response = httpx2.get(url, headers={"Authorization": f"Bearer {WRITE_TOKEN}"})
    assert response.status_code == 200
    body = response.json()
    assert body["casUrl"] == response.headers["X-Xet-Cas-Url"] == f"{hub.url}/cas"
    assert body["accessToken"] == response.headers["X-Xet-Access-Token"]
    assert str(body["exp"]) == response.headers["X-Xet-Token-Expiration"]
    read = f"{hub.url}/api/models/{repo}/xet-read-token/main"
    assert httpx2.get(read).status_code == 200  # public repo: no user token needed
    assert httpx2.get(url).status_code == 401
    readonly = {"Authorization": f"Bearer {READ_TOKEN}"}
    assert httpx2.get(url, headers=readonly).status_code == 403
    assert httpx2.get(url.replace("/main", "/nope"), headers=readonly).status_code == 403


def test_cas_refuses_bad_tokens_and_read_tokens_cannot_write(hub: TestHub, repo: str) -> None:
    read = httpx2.get(f"{hub.url}/api/models/{repo}/xet-read-token/main").json()
    xorb = f"{hub.url}/cas/v1/xorbs/default/{'0' * 64}"
    assert httpx2.post(xorb, content=b"").status_code == 401
    bearer = {"Authorization": f"Bearer {read['accessToken']}"}
    assert httpx2.post(xorb, content=b"", headers=bearer).status_code == 403
    hub.xet_tokens.expire_all()
    query = f"{hub.url}/cas/v1/reconstructions/{'0' * 64}"
    assert httpx2.get(query, headers=bearer).status_code == 401


def test_shard_and_xorb_checks(hub: TestHub, api: HfApi, repo: str) -> None:
    token = httpx2.get(
        f"{hub.url}/api/models/{repo}/xet-write-token/main",
        headers={"Authorization": f"Bearer {WRITE_TOKEN}"},
    ).json()
    bearer = {"Authorization": f"Bearer {token['accessToken']}"}
    body = bytes([0, 6, 0, 0, 0, 6, 0, 0]) + b"hello\n"
    hello_xorb = "f79027d75d054f28413dc4eefdee1a5f0d63537bec3f51aca012e652ae3df8eb"
    wrong = httpx2.post(
        f"{token['casUrl']}/v1/xorbs/default/{'1' * 64}", content=body, headers=bearer
    )
    assert wrong.status_code == 400 and "hash mismatch" in wrong.json()["error"]
    shard = _hello_shard()
    refused = httpx2.post(f"{token['casUrl']}/v1/shards", content=shard, headers=bearer)
    assert refused.status_code == 400 and "never uploaded" in refused.json()["error"]
    for inserted in (True, False):
        stored = httpx2.post(
            f"{token['casUrl']}/v1/xorbs/default/{hello_xorb}", content=body, headers=bearer
        )
        assert stored.json() == {"was_inserted": inserted}
    accepted = httpx2.post(f"{token['casUrl']}/v1/shards", content=shard, headers=bearer)
    assert accepted.json() == {"result": 1}
    assert httpx2.post(f"{token['casUrl']}/v1/shards", content=shard, headers=bearer).json() == {
        "result": 0
    }
    truncated = httpx2.post(f"{token['casUrl']}/v1/shards", content=shard[:100], headers=bearer)
    assert truncated.status_code == 400


def _hello_shard() -> bytes:
    """The 432-byte shard hf_xet sends for `hello.txt` (xet-cas.md §6.3)."""
    blocks = [
        "48465265706f4d6574614461746100556967456a7b815783a5bdd95ccdd14aa9"
        "0200000000000000" + "00" * 8,
        "a925677f2e24f3fb9dca430d03e546dc1bcd0c69d35d26d51bb88ce8decb8d1b"
        "000000c0" + "01000000" + "00" * 8,
        "284f055dd72790f75f1aeefdeec43d41ac513fec7b53630debf83dae52e612a0"
        "00000000" + "06000000" + "00000000" + "01000000",
        "2640357accaa1c234df10d038f8ad2c774d853064d6279f2d79b8778fb6af6d9" + "00" * 16,
        "08dfd522b5b59158d2d9fb10b1f00f6dd034af6371fcb41b03bef646e8a28682" + "00" * 16,
        "ff" * 32 + "00" * 16,
        "284f055dd72790f75f1aeefdeec43d41ac513fec7b53630debf83dae52e612a0"
        "00000000" + "01000000" + "06000000" + "00000000",
        "284f055dd72790f75f1aeefdeec43d41ac513fec7b53630debf83dae52e612a0"
        "00000000" + "06000000" + "00000000" + "00000000",
        "ff" * 32 + "00" * 16,
    ]
    return bytes.fromhex("".join(blocks))


@pytest.mark.parametrize("version", [1, 2])
def test_reconstruction_of_a_byte_range(hub: TestHub, api: HfApi, repo: str, version: int) -> None:
    content = os.urandom(3_000_000)
    api.upload_file(path_or_fileobj=content, path_in_repo="a.bin", repo_id=repo)
    [entry] = api.get_paths_info(repo, ["a.bin"])
    token = httpx2.get(f"{hub.url}/api/models/{repo}/xet-read-token/main").json()
    first, last = 1_000_000, 1_999_999
    answer = httpx2.get(
        f"{token['casUrl']}/v{version}/reconstructions/{entry.xet_hash}",
        headers={
            "Authorization": f"Bearer {token['accessToken']}",
            "Range": f"bytes={first}-{last}",
        },
    ).json()
    assert answer["offset_into_first_range"] > 0  # the range starts inside a chunk
    data = b"".join(_term_bytes(answer, term, version) for term in answer["terms"])
    skip = answer["offset_into_first_range"]
    assert data[skip : skip + last - first + 1] == content[first : last + 1]


def _term_bytes(answer: dict, term: dict, version: int) -> bytes:
    """A term's data, fetched without a token from the URL the answer gives for its xorb."""
    if version == 1:
        [info] = [
            item
            for item in answer["fetch_info"][term["hash"]]
            if item["range"]["start"] <= term["range"]["start"]
            and term["range"]["end"] <= item["range"]["end"]
        ]
        url, chunks, span = info["url"], info["range"], info["url_range"]
    else:
        [fetch] = answer["xorbs"][term["hash"]]
        [piece] = [
            item
            for item in fetch["ranges"]
            if item["chunks"]["start"] <= term["range"]["start"]
            and term["range"]["end"] <= item["chunks"]["end"]
        ]
        url, chunks, span = fetch["url"], piece["chunks"], piece["bytes"]
    stored = httpx2.get(url, headers={"Range": f"bytes={span['start']}-{span['end']}"})
    assert stored.status_code == 206
    records, position = [], 0
    body = stored.content
    while position < len(body):
        header = body[position : position + RECORD_HEADER_SIZE]
        size = int.from_bytes(header[1:4], "little")
        raw = body[position + RECORD_HEADER_SIZE : position + RECORD_HEADER_SIZE + size]
        records.append(decompress(header[4], raw, int.from_bytes(header[5:8], "little")))
        position += RECORD_HEADER_SIZE + size
    start = term["range"]["start"] - chunks["start"]
    return b"".join(records[start : start + term["range"]["end"] - term["range"]["start"]])


def test_fetch_urls_need_their_signature(hub: TestHub, api: HfApi, repo: str) -> None:
    api.upload_file(path_or_fileobj=os.urandom(100_000), path_in_repo="a.bin", repo_id=repo)
    [entry] = api.get_paths_info(repo, ["a.bin"])
    token = httpx2.get(f"{hub.url}/api/models/{repo}/xet-read-token/main").json()
    answer = httpx2.get(
        f"{token['casUrl']}/v2/reconstructions/{entry.xet_hash}",
        headers={"Authorization": f"Bearer {token['accessToken']}"},
    ).json()
    [[fetch]] = answer["xorbs"].values()
    assert httpx2.get(fetch["url"]).status_code == 200
    assert httpx2.get(fetch["url"].split("?")[0]).status_code == 403


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": True}], ids=["503", "dropped"])
def test_a_failed_xorb_upload_is_retried(
    hub: TestHub, api: HfApi, repo: str, fault: dict, tmp_path: Path
) -> None:
    content = os.urandom(500_000)
    hub.control.inject(XORB_UPLOAD, method="POST", **fault)
    api.upload_file(path_or_fileobj=content, path_in_repo="a.bin", repo_id=repo)
    assert hub.control.count("POST", XORB_UPLOAD) == 2
    assert download(hub, "a.bin", tmp_path / "cache") == content


def test_short_lived_tokens_are_refreshed(make_hub: MakeHub, tmp_path: Path) -> None:
    hub = make_hub(xet_token_seconds=20)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo(REPO)
    content = os.urandom(1_000_000)
    api.upload_file(path_or_fileobj=content, path_in_repo="a.bin", repo_id=REPO)
    assert hub.control.count("GET", r"/xet-write-token/") >= 2
    assert download(hub, "a.bin", tmp_path / "cache") == content


def test_pull_request_uploads_get_their_token(hub: TestHub, api: HfApi, repo: str) -> None:
    info = api.upload_file(
        path_or_fileobj=os.urandom(100_000), path_in_repo="a.bin", repo_id=repo, create_pr=True
    )
    assert info.pr_revision == "refs/pr/1"
    [token] = hub.control.requests("GET", r"/xet-write-token/")
    assert token.path.endswith("/xet-write-token/None") and token.query == "create_pr=1"


def test_git_holds_the_lfs_pointer_of_a_xet_file(hub: TestHub, api: HfApi, repo: str) -> None:
    content = os.urandom(2048)
    api.upload_file(path_or_fileobj=content, path_in_repo="w.bin", repo_id=repo)
    blob = subprocess.run(
        ["git", f"--git-dir={hub.git_dir('model', repo)}", "show", "main:w.bin"],
        capture_output=True,
        check=True,
    ).stdout
    sha = hashlib.sha256(content).hexdigest()
    assert (
        blob
        == f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize 2048\n".encode()
    )
    assert not (hub.state.root / "lfs" / sha).exists()  # stored in the CAS only


_UPLOAD_IN_A_NEW_PROCESS = """
import sys
from huggingface_hub import HfApi
api = HfApi(endpoint=sys.argv[1], token=sys.argv[2])
api.upload_file(path_or_fileobj=sys.argv[3], path_in_repo=sys.argv[4], repo_id=sys.argv[5])
"""


def test_global_dedupe_offers_stored_chunks_to_a_client_without_a_cache(
    hub: TestHub, api: HfApi, repo: str, tmp_path: Path
) -> None:
    content = bytearray(os.urandom(3_000_000))
    api.upload_file(path_or_fileobj=bytes(content), path_in_repo="a.bin", repo_id=repo)
    content[1_500_000:1_500_100] = os.urandom(100)
    changed = tmp_path / "changed.bin"
    changed.write_bytes(content)
    hub.control.clear_log()
    arguments = [hub.url, WRITE_TOKEN, str(changed), "a.bin", repo]
    done = subprocess.run(  # a new process with an empty HF_HOME: no local chunk cache
        [sys.executable, "-c", _UPLOAD_IN_A_NEW_PROCESS, *arguments],
        env={**os.environ, "HF_HOME": str(tmp_path / "fresh-home")},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    first_query = hub.control.requests("GET", "^/cas/v1/chunks/")[0]
    assert first_query.status == 200  # a shard offering the stored xorb
    [xorb] = hub.control.requests("POST", XORB_UPLOAD)
    assert int(xorb.headers["content-length"]) < 300_000  # the changed chunks only
    assert download(hub, "a.bin", tmp_path / "cache") == content
