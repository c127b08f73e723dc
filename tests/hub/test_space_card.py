"""A new Space's README.md (the Hub writes it in the initial commit) and `metadata_update` on
repos with and without a README.md, through the real client."""

from __future__ import annotations

import pytest
from huggingface_hub import DatasetCard, HfApi, ModelCard, SpaceCard, metadata_update

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN


@pytest.mark.parametrize("sdk", ["gradio", "streamlit", "docker", "static"])
def test_a_new_space_has_a_readme_with_its_configuration(api: HfApi, sdk: str) -> None:
    api.create_repo("app", repo_type="space", space_sdk=sdk)

    card = SpaceCard.load("user/app", token=WRITE_TOKEN)
    commits = api.list_repo_commits("user/app", repo_type="space")

    assert card.data.sdk == sdk and card.data.title == "app"
    assert card.data.app_file == ("app.py" if sdk in ("gradio", "streamlit") else None)
    assert [c.title for c in commits] == ["initial commit"]
    assert api.get_space_runtime("user/app").stage == "NO_APP_FILE"


def test_metadata_update_on_a_new_space_commits_to_its_readme(api: HfApi, hub: TestHub) -> None:
    api.create_repo("app", repo_type="space", space_sdk="static")

    metadata_update("user/app", {"tags": ["demo"]}, repo_type="space", token=WRITE_TOKEN)

    card = SpaceCard.load("user/app", token=WRITE_TOKEN)
    assert card.data.tags == ["demo"] and card.data.sdk == "static"
    assert hub.control.count("POST", r"^/api/spaces/user/app/commit/main$") == 1


def test_metadata_update_on_a_space_whose_readme_was_deleted(api: HfApi) -> None:
    api.create_repo("app", repo_type="space", space_sdk="static")
    api.delete_file("README.md", "user/app", repo_type="space")

    # The client refuses: a Space cannot exist without its README.md (the Hub creates it).
    with pytest.raises(ValueError, match=r"doesn't contain a `README\.md`"):
        metadata_update("user/app", {"tags": ["demo"]}, repo_type="space", token=WRITE_TOKEN)


@pytest.mark.parametrize(
    ("repo_type", "card_class", "heading"),
    [
        ("model", ModelCard, "# Model Card for Model ID"),
        ("dataset", DatasetCard, "# Dataset Card for Dataset Name"),
    ],
)
def test_metadata_update_creates_a_missing_readme_from_the_template(
    api: HfApi, repo_type: str, card_class: type[ModelCard], heading: str
) -> None:
    api.create_repo("thing", repo_type=repo_type)

    metadata_update("user/thing", {"tag": "a test"}, repo_type=repo_type, token=WRITE_TOKEN)

    card = card_class.load("user/thing", repo_type=repo_type, token=WRITE_TOKEN)
    assert heading in str(card)
    assert card.data.to_dict() == {"tag": "a test"}
