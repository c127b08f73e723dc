"""Malformed input gets the Hub's 4xx (never a 500), bodies are capped, faults are validated."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.bodies import CONTROL_BODY_LIMIT, JSON_BODY_LIMIT
from hfsync.testing.hub.fixtures import WRITE_TOKEN

AUTH = {"authorization": f"Bearer {WRITE_TOKEN}"}


@pytest.fixture
def repo(api: HfApi) -> str:
    api.create_repo("thing")
    api.upload_file(path_or_fileobj=b"0123456789", path_in_repo="ten.txt", repo_id="user/thing")
    return "user/thing"


def ndjson(*lines: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


HEADER = {"key": "header", "value": {"summary": "s", "description": ""}}


def file_line(path: str, content: bytes = b"x") -> dict[str, Any]:
    value = {"path": path, "encoding": "base64", "content": base64.b64encode(content).decode()}
    return {"key": "file", "value": value}


def test_unsatisfiable_range_is_416(hub: TestHub, repo: str) -> None:
    url = f"{hub.url}/{repo}/resolve/main/ten.txt"

    answer = httpx2.get(url, headers={"Range": "bytes=50-"})

    assert answer.status_code == 416
    assert answer.headers["Content-Range"] == "bytes */10"
    assert httpx2.get(url, headers={"Range": "bytes=4-"}).content == b"456789"


@pytest.mark.parametrize(
    ("tail", "body"),
    [
        pytest.param("preupload/main", {"files": {"path": "a"}}, id="preupload-files-not-list"),
        pytest.param("preupload/main", {"files": ["a.txt"]}, id="preupload-file-not-object"),
        pytest.param(
            "preupload/main",
            {"files": [{"path": "a", "size": 1, "sample": 5}]},
            id="preupload-sample-not-string",
        ),
        pytest.param(
            "preupload/main", {"files": [{"path": 7, "size": 1}]}, id="preupload-path-not-string"
        ),
        pytest.param("paths-info/main", {"paths": [1, 2]}, id="paths-info-not-strings"),
        pytest.param("branch/dev", {"startingPoint": ["main"]}, id="branch-start-not-string"),
        pytest.param("tag/main", {"tag": {"v": 1}}, id="tag-not-string"),
        pytest.param("preupload/main", [1, 2], id="body-not-object"),
        pytest.param("preupload/main", "[" * 100_000, id="json-too-deep"),
    ],
)
def test_wrong_json_types_are_400(hub: TestHub, repo: str, tail: str, body: Any) -> None:
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()

    answer = httpx2.post(f"{hub.url}/api/models/{repo}/{tail}", content=content, headers=AUTH)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]


@pytest.mark.parametrize(
    ("url", "body"),
    [
        pytest.param("/api/repos/create", {"name": 5}, id="create-name"),
        pytest.param(
            "/api/repos/create",
            {"name": "s", "type": "space", "sdk": "gradio", "secrets": [{"key": 1}]},
            id="create-secrets",
        ),
        pytest.param(
            "/user/thing.git/info/lfs/objects/batch",
            {"operation": "upload", "objects": {"oid": "x"}},
            id="lfs-objects-not-list",
        ),
    ],
)
def test_wrong_json_types_outside_repo_routes_are_400(
    hub: TestHub, repo: str, url: str, body: Any
) -> None:
    answer = httpx2.post(f"{hub.url}{url}", json=body, headers=AUTH)

    assert answer.status_code == 400, answer.text


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        pytest.param([HEADER], 400, id="no-operations"),
        pytest.param([HEADER, file_line("a\x00b")], 422, id="nul-in-path"),
        pytest.param(
            [HEADER, {"key": "file", "value": {"path": "a", "content": 5}}], 400, id="int"
        ),
        pytest.param([{"key": "header", "value": {"summary": ["s"]}}], 400, id="summary-list"),
        pytest.param([HEADER, {"key": "deletedFile", "value": {"path": None}}], 400, id="no-path"),
    ],
)
def test_malformed_commits_are_4xx(
    api: HfApi, hub: TestHub, repo: str, lines: list[dict[str, Any]], status: int
) -> None:
    head = api.repo_info(repo).sha
    answer = httpx2.post(
        f"{hub.url}/api/models/{repo}/commit/main", content=ndjson(*lines), headers=AUTH
    )

    assert answer.status_code == status, answer.text
    assert api.repo_info(repo).sha == head


@pytest.mark.parametrize("path", ["../x", "..\\x", "./x", "/x", "a/../x", "a//x", ".git/config"])
def test_relative_and_escaping_paths_are_422(hub: TestHub, repo: str, path: str) -> None:
    body = ndjson(HEADER, file_line(path))

    answer = httpx2.post(f"{hub.url}/api/models/{repo}/commit/main", content=body, headers=AUTH)

    assert answer.status_code == 422
    assert "Invalid path in repo" in answer.json()["error"]


def test_escaping_path_the_client_lets_through_is_refused(api: HfApi, repo: str) -> None:
    # The client strips `./` and refuses `..` segments itself, but not a backslash form.
    with pytest.raises(HfHubHTTPError) as raised:
        api.create_commit(repo, [CommitOperationAdd("..\\evil.txt", b"x")], commit_message="escape")
    assert raised.value.response.status_code == 422
    assert "Invalid path in repo" in str(raised.value)


def test_deleting_a_folder_without_trailing_slash_deletes_it(api: HfApi, repo: str) -> None:
    api.create_commit(
        repo,
        [CommitOperationAdd("folder/a.txt", b"a"), CommitOperationAdd("folder/sub/b.txt", b"b")],
        commit_message="add",
    )

    api.create_commit(repo, [CommitOperationDelete("folder")], commit_message="rm")

    assert set(api.list_repo_files(repo)) == {".gitattributes", "ten.txt"}


def test_json_and_control_bodies_over_their_limit_are_413(hub: TestHub, repo: str) -> None:
    big_json = b'{"files": [], "x": "' + b"a" * JSON_BODY_LIMIT + b'"}'
    answer = httpx2.post(
        f"{hub.url}/api/models/{repo}/preupload/main", content=big_json, headers=AUTH
    )
    assert answer.status_code == 413

    # Chunked (no Content-Length): the cap holds while reading.
    def chunks() -> Any:
        for _ in range(CONTROL_BODY_LIMIT // 65536 + 2):
            yield b" " * 65536

    answer = httpx2.post(f"{hub.url}/_testhub/faults", content=chunks())
    assert answer.status_code == 413
    assert hub.control.take_fault("GET", "/anything") is None


def test_a_regular_file_line_over_the_limit_is_refused_unread(hub: TestHub, repo: str) -> None:
    body = ndjson(HEADER, file_line("big.txt", b"a" * (11 * 1024 * 1024)))

    answer = httpx2.post(f"{hub.url}/api/models/{repo}/commit/main", content=body, headers=AUTH)

    assert answer.status_code == 400
    assert "larger than 10 MiB" in answer.json()["error"]


@pytest.mark.parametrize(
    "fault",
    [
        {"path": "/x", "status": 999},
        {"path": "/x", "status": "500"},
        {"path": "/x", "status": True},
        {"path": "/x", "status": 500, "times": 0},
        {"path": "/x", "status": 500, "times": 2.5},
        {"path": "/x", "latency": -1},
        {"path": "/x", "latency": 1e9},
        {"path": "/x", "status": 500, "retry_after": -3},
        {"path": "/x", "status": 500, "method": "GET /"},
        {"path": "(a)\\1", "status": 500},  # backreferences cannot run in linear time
        {"path": "(?=a)", "status": 500},
        {"path": 5, "status": 500},
        {"path": "/x"},
        {"path": "/x", "status": 500, "bogus": 1},
    ],
)
def test_invalid_faults_are_refused_over_http(hub: TestHub, fault: dict[str, Any]) -> None:
    answer = httpx2.post(f"{hub.url}/_testhub/faults", json=fault)

    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]
    assert "b'" not in answer.json()["error"]  # a readable reason, not a bytes repr


def test_backtracking_fault_pattern_matches_in_linear_time(api: HfApi, hub: TestHub) -> None:
    # With a backtracking engine, `(a+)+$` against `.../aaaa...a/refs` never ends.
    name = "a" * 40
    api.create_repo(name)
    hub.control.inject("(a+)+$", status=500)

    refs = api.list_repo_refs(f"user/{name}")

    assert [branch.name for branch in refs.branches] == ["main"]
    with pytest.raises(ValueError, match="latency"):
        hub.control.inject("/x", latency=float("nan"))
