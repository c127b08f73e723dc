"""README.md metadata checked as the Hub checks it, through the real client."""

from __future__ import annotations

import warnings

import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from hfsync.testing.hub import TestHub

BIG = 11 * 1024 * 1024


@pytest.mark.parametrize(
    ("front_matter", "message"),
    [
        ("sdk: [unclosed", "Invalid YAML"),
        ("- a list", "must be a YAML mapping"),
        ("a: &x [1]\nb: *x", "aliases are not allowed"),
        ("sdk: flask", '"sdk" must be one of [gradio, streamlit, docker, static]'),
        ("sdk: docker\napp_port: http", '"app_port" must be a number'),
        ("sdk: docker\napp_port: 70000", '"app_port" must be greater than or equal to 1'),
        ("sdk: gradio\napp_file: ../app.py", '"app_file" must be a relative path'),
        ("sdk: gradio\napp_file: [a]", '"app_file" must be a string'),
        ("sdk: gradio\nsdk_version: 4.0", '"sdk_version" must be a string'),
        ("sdk: gradio\nsdk_version: latest!", '"sdk_version" with value "latest!"'),
        ("sdk: gradio\ncolorFrom: teal", '"colorFrom" must be one of'),
    ],
)
def test_invalid_space_metadata_fails_before_any_upload(
    api: HfApi, hub: TestHub, front_matter: str, message: str
) -> None:
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    hub.control.clear_log()

    with pytest.raises(ValueError, match=r"Invalid metadata in README\.md") as raised:
        api.create_commit(
            "user/app",
            [
                CommitOperationAdd("README.md", f"---\n{front_matter}\n---\n# App\n".encode()),
                CommitOperationAdd("weights.bin", b"\0" * BIG),
            ],
            commit_message="bad card",
            repo_type="space",
        )

    assert message in str(raised.value)
    assert [r.path for r in hub.control.requests()] == ["/api/validate-yaml"]


def test_valid_space_metadata_commits(api: HfApi) -> None:
    api.create_repo("app", repo_type="space", space_sdk="docker")
    card = (
        "---\ntitle: App\nemoji: 🚀\ncolorFrom: blue\ncolorTo: gray\n"
        "sdk: docker\napp_port: 8080\npinned: false\n---\n"
    )

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api.upload_file(
            path_or_fileobj=card.encode(),
            path_in_repo="README.md",
            repo_id="user/app",
            repo_type="space",
        )


@pytest.mark.parametrize("readme", [b"# A model\n", b"---\n---\n# Empty metadata\n"])
def test_readme_without_metadata_commits_with_the_hubs_warning(api: HfApi, readme: bytes) -> None:
    api.create_repo("model")

    with pytest.warns(UserWarning, match="empty or missing yaml metadata in repo card"):
        api.upload_file(path_or_fileobj=readme, path_in_repo="README.md", repo_id="user/model")

    assert "README.md" in api.list_repo_files("user/model")


def test_commit_endpoint_checks_the_metadata_too(api: HfApi, hub: TestHub) -> None:
    # A client that skips validate-yaml still cannot commit an invalid card.
    import base64
    import json

    import httpx2

    from hfsync.testing.hub.fixtures import WRITE_TOKEN

    api.create_repo("app", repo_type="space", space_sdk="docker")
    card = base64.b64encode(b"---\nsdk: docker\napp_port: 0\n---\n").decode()
    body = "\n".join(
        json.dumps(line)
        for line in (
            {"key": "header", "value": {"summary": "card"}},
            {"key": "file", "value": {"path": "README.md", "encoding": "base64", "content": card}},
        )
    )

    answer = httpx2.post(
        f"{hub.url}/api/spaces/user/app/commit/main",
        content=body.encode(),
        headers={"authorization": f"Bearer {WRITE_TOKEN}"},
    )

    assert answer.status_code == 400
    assert "Invalid metadata in README.md" in answer.json()["error"]
    assert '"app_port" must be greater than or equal to 1' in answer.json()["error"]
