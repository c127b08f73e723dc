"""Trusted Publishers: id tokens the test Hub issues, exchanged through the real client's own
code (`huggingface_hub._oidc`) for tokens that may write to one repo only."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from huggingface_hub import HfApi
from huggingface_hub._oidc import exchange_oidc_token, get_oidc_token
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hfsync.testing.hub import TestHub

SUBJECT = "repo:me/app:ref:refs/heads/main"


def control(hub: TestHub, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{hub.url}/_testhub/{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def id_token(hub: TestHub, sub: str = SUBJECT, **claims: str) -> str:
    return str(control(hub, "oidc/id-token", {"sub": sub, **claims})["value"])


def exchange(hub: TestHub, subject_token: str, resource: str = "spaces/user/demo") -> str:
    answer = exchange_oidc_token(subject_token=subject_token, resource=resource, endpoint=hub.url)
    return str(answer["access_token"])


@pytest.fixture
def demo(hub: TestHub, api: HfApi) -> str:
    api.create_repo("user/demo", repo_type="space", space_sdk="gradio")
    control(hub, "trusted-publishers", {"resource": "spaces/user/demo", "sub": SUBJECT})
    return "user/demo"


def test_an_exchanged_token_writes_to_its_repo_only(hub: TestHub, api: HfApi, demo: str) -> None:
    api.create_repo("user/other", repo_type="space", space_sdk="gradio")
    answer = exchange_oidc_token(
        subject_token=id_token(hub), resource="spaces/user/demo", endpoint=hub.url
    )
    assert answer["access_token"].startswith("hf_jwt_")
    assert (answer["token_type"], answer["expires_in"]) == ("bearer", 3600)
    scoped = HfApi(endpoint=hub.url, token=answer["access_token"])

    scoped.upload_file(path_or_fileobj=b"hi", path_in_repo="a.txt", repo_id=demo, repo_type="space")
    assert "a.txt" in api.list_repo_files(demo, repo_type="space")
    for write in (
        lambda: scoped.upload_file(
            path_or_fileobj=b"x", path_in_repo="x", repo_id="user/other", repo_type="space"
        ),
        lambda: scoped.create_repo("user/new", repo_type="space", space_sdk="gradio"),
        lambda: scoped.create_branch("user/other", branch="dev", repo_type="space"),
        lambda: scoped.create_discussion("user/other", title="hi", repo_type="space"),
    ):
        with pytest.raises(HfHubHTTPError) as raised:
            write()
        assert raised.value.response.status_code == 403
    # Public repos stay readable; a private one of the same owner is not there for it.
    assert scoped.list_repo_files("user/other", repo_type="space") == [
        ".gitattributes",
        "README.md",
    ]
    api.create_repo("user/secret", private=True)
    with pytest.raises(RepositoryNotFoundError):
        scoped.list_repo_files("user/secret")


@pytest.mark.parametrize(
    ("subject", "resource", "claims"),
    [
        ("repo:me/app:ref:refs/heads/dev", "spaces/user/demo", {}),  # another workflow
        (SUBJECT, "spaces/user/other", {}),  # no publisher for that repo
        (SUBJECT, "user/demo", {}),  # the model user/demo, not the Space
        (SUBJECT, "spaces/user/demo", {"aud": "https://huggingface.co"}),  # not for this Hub
    ],
)
def test_a_mismatch_is_invalid_grant(
    hub: TestHub, demo: str, subject: str, resource: str, claims: dict[str, str]
) -> None:
    with pytest.raises(HfHubHTTPError) as raised:
        exchange(hub, id_token(hub, subject, **claims), resource)
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == "invalid_grant"
    assert "invalid_grant" in str(raised.value)


def test_id_tokens_it_did_not_issue_are_refused(hub: TestHub, demo: str) -> None:
    genuine = id_token(hub)
    header, payload, _signature = genuine.split(".")
    hub.trusted_publishers.id_token_seconds = -60
    expired = id_token(hub)
    for forged in (
        f"{header}.{payload}.c2lnbmF0dXJl",
        f"{header}.{payload}.",
        "not a jwt",
        expired,
    ):
        with pytest.raises(HfHubHTTPError) as raised:
            exchange(hub, forged)
        assert raised.value.response.json()["error"] == "invalid_grant"


def test_the_actions_runtime_way(hub: TestHub, demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client mints the id token as on GitHub: a GET of ACTIONS_ID_TOKEN_REQUEST_URL with
    the job's ACTIONS_ID_TOKEN_REQUEST_TOKEN as bearer."""
    job = control(hub, "oidc/runtime", {"sub": SUBJECT})
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", job["url"])
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", job["token"])
    minted = get_oidc_token(provider="github", audience=hub.url)

    token = exchange(hub, minted)
    assert HfApi(endpoint=hub.url, token=token).whoami()["name"] == "user"
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runtime_not_a_job")
    with pytest.raises(HfHubHTTPError) as raised:
        get_oidc_token(provider="github", audience=hub.url)
    assert raised.value.response.status_code == 401


def test_exchanged_tokens_expire(hub: TestHub, demo: str) -> None:
    scoped = HfApi(endpoint=hub.url, token=exchange(hub, id_token(hub)))
    assert scoped.whoami()["name"] == "user"
    hub.trusted_publishers.expire_all()
    with pytest.raises(HfHubHTTPError) as raised:
        scoped.whoami()
    assert raised.value.response.status_code == 401


def test_the_token_endpoint_speaks_rfc_8693(hub: TestHub, demo: str) -> None:
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "subject_token": id_token(hub),
        "resource": "spaces/user/demo",
    }

    def post(fields: dict[str, str]) -> tuple[int, dict[str, Any]]:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with urllib.request.urlopen(f"{hub.url}/oauth/token", data, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    status, answer = post(form)
    assert status == 200
    assert answer["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    for wrong, error in (
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"subject_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "invalid_request"),
        ({"resource": "kernels/user/demo"}, "invalid_target"),
    ):
        status, answer = post({**form, **wrong})
        assert (status, answer["error"]) == (400, error)
        assert answer["error_description"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("trusted-publishers", {"resource": "spaces/user", "sub": SUBJECT}),
        ("trusted-publishers", {"resource": "spaces/user/demo", "sub": ""}),
        ("trusted-publishers", {"resource": "spaces/user/demo", "sub": SUBJECT, "x": 1}),
        ("trusted-publishers", {"resource": "spaces/user/demo", "sub": ["a"]}),
        ("oidc/id-token", {"sub": "a\nb"}),
        ("oidc/id-token", {"sub": SUBJECT, "aud": 3}),
        ("oidc/runtime", {"sub": None}),
    ],
)
def test_the_control_api_checks_its_input(hub: TestHub, path: str, body: dict[str, Any]) -> None:
    with pytest.raises(urllib.error.HTTPError) as raised:
        control(hub, path, body)
    assert raised.value.code == 400


def test_reset_forgets_the_publishers(hub: TestHub, demo: str) -> None:
    token = id_token(hub)
    hub.reset(repos=False)
    with pytest.raises(HfHubHTTPError):
        exchange(hub, token)
