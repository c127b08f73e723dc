"""Editing and hiding discussion comments through the real client."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi
from huggingface_hub.community import DiscussionComment, DiscussionWithDetails
from huggingface_hub.errors import HfHubHTTPError

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN


def first_comment(details: DiscussionWithDetails) -> DiscussionComment:
    return next(e for e in details.events if isinstance(e, DiscussionComment))


@pytest.fixture
def opened(api: HfApi) -> DiscussionWithDetails:
    api.create_repo("thing")
    pr = api.create_pull_request("user/thing", title="A change", description="First text")
    return api.get_discussion_details("user/thing", pr.num)


def test_edit_a_comment(api: HfApi, opened: DiscussionWithDetails) -> None:
    comment = first_comment(opened)

    edited = api.edit_discussion_comment(
        "user/thing", opened.num, comment.id.upper(), "**Edited** comment 🤗"
    )

    retrieved = first_comment(api.get_discussion_details("user/thing", opened.num))
    assert retrieved == edited
    assert (retrieved.id, retrieved.content, retrieved.edited) == (
        comment.id,
        "**Edited** comment 🤗",
        True,
    )
    assert retrieved.last_edited_by == "user" and retrieved.number_of_edits == 1
    assert retrieved.edit_history[0]["raw"] == "First text"
    assert "<strong>" not in retrieved.rendered and "Edited" in retrieved.rendered


def test_hide_a_comment(api: HfApi, opened: DiscussionWithDetails) -> None:
    with pytest.warns(UserWarning, match="cannot be retrieved"):
        hidden = api.hide_discussion_comment("user/thing", opened.num, first_comment(opened).id)

    retrieved = first_comment(api.get_discussion_details("user/thing", opened.num))
    assert hidden.hidden and retrieved.hidden and "First text" not in retrieved.content
    with pytest.raises(HfHubHTTPError) as raised:
        api.edit_discussion_comment("user/thing", opened.num, retrieved.id, "back")
    assert raised.value.response.status_code == 403


def test_only_the_author_edits(hub: TestHub, api: HfApi, opened: DiscussionWithDetails) -> None:
    other = HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)
    comment = first_comment(opened)

    with pytest.raises(HfHubHTTPError) as not_author:
        other.edit_discussion_comment("user/thing", opened.num, comment.id, "mine now")
    with pytest.raises(HfHubHTTPError) as missing:
        api.edit_discussion_comment("user/thing", opened.num, "0" * 24, "nothing")

    assert not_author.value.response.status_code == 403
    assert missing.value.response.status_code == 404
    assert first_comment(api.get_discussion_details("user/thing", opened.num)).content == (
        "First text"
    )
