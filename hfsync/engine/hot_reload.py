"""Hot reload of a Gradio Space under `watch`: the decision for a plan (from the Space's
README.md after the commit), and, after the commit, what the Space reported.

The commit itself is the sync's one commit (backup, pinned parent, checks, trailers), sent with
`Change.hot_reload`; see `hfsync.core.hot_reload` for the rules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import HfsyncError
from hfsync.core.hot_reload import README, Decision, HotReload, decide

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.engine.sync_values import SyncResult
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

MAX_README_BYTES = 1_000_000


def hot_reload_decision(target: Target, source: Source, plan: Plan) -> Decision | None:
    """Whether the plan's commit goes out with hot reload; None when hot reload is not in play
    (not a Hub Space target, or `hot_reload = false`)."""
    config = target.config
    if config.repo is None or config.repo_type != "space" or not config.hot_reload:
        return None
    uploads = [op.path for op in plan.uploads]
    deletes = [op.path for op in plan.deletes]
    return decide(_front_matter(target, source, plan), uploads, deletes)


def _front_matter(target: Target, source: Source, plan: Plan) -> dict[str, Any] | None:
    """README.md's front matter as the Space will have it: the source's, else the remote's."""
    from hfsync.remotes.target import local_files
    from hfsync.validate.space import front_matter

    local = local_files(target, source).get(README)
    try:
        if local is not None:
            data = source.read_bytes(local.path)
        elif plan.head is not None:
            data = target.remote.read_file(plan.head, README)
        else:
            return None
    except (OSError, HfsyncError):  # unreadable: the checks before upload say so
        return None
    text = data[:MAX_README_BYTES].decode("utf-8-sig", errors="replace")
    meta, _lines, _problem = front_matter(text)
    return meta


def with_report(target: Target, result: SyncResult) -> SyncResult:
    """`result` with what the Space reported, when its commit went out with hot reload."""
    hot = result.hot_reload
    if hot is None or not hot.decision.hot or result.commit is None:
        return result
    from hfsync.remotes.hub import HubRemote
    from hfsync.remotes.hub_hot_reload import read_report

    remote = target.remote
    if not isinstance(remote, HubRemote):
        return result
    from hfsync.engine.interrupted import SyncInterrupted, Written

    token = remote.client.auth()
    try:
        report = read_report(remote.endpoint, remote.repo_id, token, result.commit, hot.files)
    except KeyboardInterrupt:  # the commit has landed: say so
        written = Written(created=result.created, backup=result.backup, commit=result.commit)
        raise SyncInterrupted(written) from None
    return replace(result, hot_reload=HotReload(hot.decision, report, hot.files))
