"""A Hub branch's history: its commits, newest first, read page by page."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from hfsync.core.errors import RemoteError
from hfsync.remotes import RemoteCommit

if TYPE_CHECKING:
    from hfsync.remotes.hub_client import HubClient


def iter_commits(client: HubClient, head: str) -> Iterator[RemoteCommit]:
    """The commits reachable from `head`, page by page, each page a call of its own (retried
    alone, as a read)."""
    from huggingface_hub.utils import get_session, hf_raise_for_status

    repo = f"{client.endpoint}/api/{client.repo_type}s/{client.repo_id}"
    url: str | None = f"{repo}/commits/{quote(head, safe='')}"
    headers = client.headers()

    def page(address: str) -> tuple[list[dict[str, Any]], str | None]:
        response = get_session().get(address, headers=headers)
        hf_raise_for_status(response)
        following = response.links.get("next", {}).get("url")
        return response.json(), following

    while url is not None:
        items, url = client.call(partial(page, url), "read the history")
        for item in items:
            message = item.get("title", "")
            if item.get("message"):
                message += "\n\n" + item["message"]
            yield RemoteCommit(id=item["id"], message=message)


def commit_info(client: HubClient, commit: str) -> RemoteCommit:
    """The commit and its parent: the Hub's listing from a commit starts with it, then (for a
    commit that is not a merge, as hfsync's never are) its parent."""
    newest = iter_commits(client, commit)
    first, second = next(newest, None), next(newest, None)
    if first is None:
        raise RemoteError(f"commit {commit[:12]} not found on {client.description}")
    parents = (second.id,) if second is not None else ()
    return RemoteCommit(id=first.id, message=first.message, parents=parents)
