"""One Hub commit pinned to its parent: retried only once the branch says it did not land, and
checked to be the commit just written."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import RemoteError, RemoteMovedError
from hfsync.remotes.hub_errors import status_of
from hfsync.remotes.hub_history import iter_commits

if TYPE_CHECKING:
    from hfsync.remotes.hub_client import HubClient


def create_commit(
    client: HubClient,
    operations: list[Any],
    parent: str | None,
    title: str,
    body: str,
    head: Callable[[], str | None],
    hot_reload: bool = False,
) -> str:
    """One commit pinned to `parent` (`hot_reload`: a Space patches its running replicas in
    place instead of rebuilding). A POST that failed in a way worth retrying is retried
    only after checking the branch (`head` reads it): if the commit landed (the answer was
    lost), it is returned; if someone else moved the branch, RemoteMovedError (the engine
    re-plans)."""
    from huggingface_hub.errors import HfHubHTTPError

    attempt = 0

    def post() -> str:
        nonlocal attempt
        attempt += 1
        if attempt > 1 and parent is not None:
            landed = _landed_commit(client, head, parent, title, body)
            if landed is not None:
                return landed
        info = client.api.create_commit(
            client.repo_id,
            operations,
            commit_message=title,
            commit_description=body,
            repo_type=client.repo_type,
            revision=client.branch,
            parent_commit=parent,
            _hot_reload=hot_reload or None,
        )
        return str(info.oid)

    try:
        commit = client.call(post, "commit")
    except RemoteError as exc:
        cause = exc.__cause__
        if isinstance(cause, HfHubHTTPError) and status_of(cause) == 412:
            raise RemoteMovedError(f"{client.description} moved while hfsync was writing") from None
        raise
    _confirm_own_commit(client, commit, parent, title, body)
    return commit


def _landed_commit(
    client: HubClient, head: Callable[[], str | None], parent: str, title: str, body: str
) -> str | None:
    """Before retrying a commit whose answer was lost: our commit if it landed, None if the
    branch is still at `parent`; RemoteMovedError if someone else's commit is there."""
    now = head()
    if now is None or now == parent:
        return None
    _confirm_own_commit(client, now, parent, title, body)
    return now


def _confirm_own_commit(
    client: HubClient, commit: str, parent: str | None, title: str, body: str
) -> None:
    """Make sure `commit` is the one just written on top of `parent`.

    When every file already has the content sent, the client skips the POST and returns
    the branch's current head instead, whatever `parent_commit` says; that head may be
    someone else's commit, which must not be taken for ours. Our body is unique (its
    `HFSync-Run` trailer), so the message tells.
    """
    newest = iter_commits(client, commit)
    first, second = next(newest, None), next(newest, None)
    ours = (
        first is not None
        and first.message.partition("\n")[0] == title
        and body.strip() in first.message
    )
    on_parent = (second.id if second else None) == parent
    if not (ours and on_parent):
        raise RemoteMovedError(f"{client.description} moved and already holds these changes")
