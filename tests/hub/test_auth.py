"""Tokens and permissions, as the real client sees them."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import DEFAULT_TOKENS, OTHER_WRITE_TOKEN, READ_TOKEN, WRITE_TOKEN


def client(hub: TestHub, token: str | bool) -> HfApi:
    return HfApi(endpoint=hub.url, token=token)


def test_whoami_reports_user_and_role(hub: TestHub) -> None:
    me = client(hub, WRITE_TOKEN).whoami()
    reader = client(hub, READ_TOKEN).whoami()

    assert (me["name"], me["type"], me["auth"]["accessToken"]["role"]) == ("user", "user", "write")
    assert reader["auth"]["accessToken"]["role"] == "read"
    assert client(hub, OTHER_WRITE_TOKEN).whoami()["name"] == "other"


def test_bad_token_is_401(hub: TestHub, api: HfApi) -> None:
    api.create_repo("public")
    bad = client(hub, "hf_not_a_token")

    with pytest.raises(HfHubHTTPError) as raised:
        bad.whoami()
    assert raised.value.response.status_code == 401
    # On repo endpoints the 401 carries RepoNotFound, as on the Hub.
    with pytest.raises(RepositoryNotFoundError) as not_found:
        bad.model_info("user/public")
    assert not_found.value.response.status_code == 401


def test_repo_without_namespace_goes_to_the_token_user(hub: TestHub) -> None:
    url = client(hub, OTHER_WRITE_TOKEN).create_repo("mine")

    assert url.repo_id == "other/mine"


def test_read_token_cannot_write(hub: TestHub, api: HfApi) -> None:
    api.create_repo("thing")
    reader = client(hub, READ_TOKEN)

    for write in (
        lambda: reader.create_repo("another"),
        lambda: reader.upload_file(
            path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="user/thing"
        ),
        lambda: reader.create_branch("user/thing", branch="dev"),
    ):
        with pytest.raises(HfHubHTTPError) as raised:
            write()
        assert raised.value.response.status_code == 403
    assert reader.list_repo_files("user/thing") == [".gitattributes"]


def test_cannot_write_to_another_namespace(hub: TestHub, api: HfApi) -> None:
    client(hub, OTHER_WRITE_TOKEN).create_repo("theirs")

    with pytest.raises(HfHubHTTPError) as upload:
        api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="other/theirs")
    with pytest.raises(HfHubHTTPError) as create:
        api.create_repo("other/stolen")

    assert upload.value.response.status_code == 403
    assert create.value.response.status_code == 403


def test_private_repo_of_another_user_looks_missing(hub: TestHub, api: HfApi) -> None:
    api.create_repo("hidden", private=True)
    api.create_repo("shown")
    other, anonymous = client(hub, OTHER_WRITE_TOKEN), client(hub, False)

    with pytest.raises(RepositoryNotFoundError) as raised:
        other.model_info("user/hidden")
    assert raised.value.response.status_code == 404
    with pytest.raises(RepositoryNotFoundError) as raised:
        anonymous.list_repo_files("user/hidden")
    assert raised.value.response.status_code == 401
    assert not other.repo_exists("user/hidden")
    assert api.repo_exists("user/hidden")
    # Public repos are readable by anyone, without a token.
    assert anonymous.list_repo_files("user/shown") == [".gitattributes"]


def test_tokens_never_reach_the_request_log(hub: TestHub, api: HfApi) -> None:
    api.create_repo("thing")
    with pytest.raises(RepositoryNotFoundError):
        client(hub, "hf_bad_secret").list_repo_refs("user/thing")

    logged = repr([record.to_json() for record in hub.control.requests()])

    assert WRITE_TOKEN not in logged and "hf_bad_secret" not in logged
    assert hub.control.requests()[0].headers["authorization"] == "<redacted>"
    assert WRITE_TOKEN not in repr(DEFAULT_TOKENS)
