"""Repo listings through the real client: `list_models`, `list_datasets` and `list_spaces` with
`author`, `search`, `limit`, `sort`, `expand` and `full`; private repos listed to their owner."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import BadRequestError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN, WRITE_TOKEN


@pytest.fixture
def listed(make_hub: Callable[..., TestHub]) -> tuple[TestHub, HfApi, HfApi]:
    """Models `user/bert-base`, `user/bert-large` (private), `user/gpt`, `other/bert-tiny`, a
    dataset and a Space of `user`; pages of 2 items."""
    hub = make_hub(page_size=2)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    other = HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)
    api.create_repo("bert-base")
    api.create_repo("bert-large", private=True)
    api.create_repo("gpt")
    other.create_repo("bert-tiny")
    api.create_repo("wiki", repo_type="dataset")
    api.create_repo("demo", repo_type="space", space_sdk="gradio")
    hub.control.clear_log()
    return hub, api, other


def ids(items: object) -> list[str]:
    return [item.id for item in items]  # type: ignore[attr-defined]


def test_author_and_search_and_private_repos(listed: tuple[TestHub, HfApi, HfApi]) -> None:
    hub, api, other = listed
    anonymous = HfApi(endpoint=hub.url, token=False)

    assert ids(api.list_models(author="user")) == ["user/bert-base", "user/bert-large", "user/gpt"]
    assert ids(other.list_models(author="user")) == ["user/bert-base", "user/gpt"]
    assert ids(anonymous.list_models(author="USER")) == ["user/bert-base", "user/gpt"]
    assert ids(api.list_models(search="BERT")) == [
        "other/bert-tiny",
        "user/bert-base",
        "user/bert-large",
    ]
    assert ids(api.list_models(author="user", search="bert-b")) == ["user/bert-base"]
    assert ids(api.list_models(author="nobody")) == []
    assert ids(api.list_datasets(author="user")) == ["user/wiki"]
    assert ids(api.list_spaces(search="user/demo")) == ["user/demo"]
    # 3 of the 4 visible models: pages of 2, each next page an absolute URL keeping the query.
    pages = hub.control.requests("GET", r"^/api/models$")
    assert any("cursor=2" in page.query and "search=BERT" in page.query for page in pages)


def test_items_expand_full_limit_and_sort(listed: tuple[TestHub, HfApi, HfApi]) -> None:
    _, api, _ = listed

    [space] = api.list_spaces(author="user")
    [model] = api.list_models(author="user", search="gpt", full=True)
    expanded = list(api.list_models(author="user", expand=["createdAt"]))
    newest_first = list(api.list_models(sort="created_at", limit=3, expand=["createdAt"]))

    assert (space.sdk, space.private, space.author, space.likes) == ("gradio", False, "user", 0)
    assert space.created_at is not None and space.last_modified is not None
    assert model.sha == api.model_info("user/gpt").sha
    assert [s.rfilename for s in model.siblings or []] == [".gitattributes"]
    assert all(m.created_at is not None and m.author is None for m in expanded)
    created = [m.created_at for m in newest_first]
    assert len(created) == 3 and created == sorted(created, reverse=True)  # type: ignore[type-var]


def test_listing_refusals(listed: tuple[TestHub, HfApi, HfApi]) -> None:
    _, api, _ = listed

    with pytest.raises(BadRequestError, match="Invalid expand property: foo"):
        list(api.list_models(expand=["foo"]))  # type: ignore[list-item]
    with pytest.raises(BadRequestError, match="Invalid expand property: sdk"):
        list(api.list_datasets(expand=["sdk"]))  # type: ignore[list-item]
    assert ids(api.list_models(filter="pytorch")) == []  # no repo here carries a tag


def test_gated_filter(listed: tuple[TestHub, HfApi, HfApi]) -> None:
    _, api, _ = listed
    api.update_repo_settings("user/gpt", gated="manual")

    gated = list(api.list_models(gated=True, expand=["gated"]))

    assert [(m.id, m.gated) for m in gated] == [("user/gpt", "manual")]
    assert "user/gpt" not in ids(api.list_models(gated=False))
