"""The remote tree a target will have once a plan is applied (paths only), and what kind of
target it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.core.tree_text import PathList
    from hfsync.remotes.target import Target


def tree_after(remote: PathList, plan: Plan) -> PathList:
    """Every remote path after the plan: the head's (`remote`), plus uploads, less deletions."""
    return remote.patched((op.path for op in plan.uploads), {op.path for op in plan.deletes})


def is_hub_git_url(url: str | None) -> bool:
    """A git URL of a Hub repo (huggingface.co, or the HF_ENDPOINT's host)."""
    import os
    from urllib.parse import urlsplit

    if not url:
        return False
    host = urlsplit(url).hostname or ""
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT", "")).hostname or ""
    return host in ("huggingface.co", "hf.co") or (bool(endpoint) and host == endpoint)


def is_space(target: Target) -> bool:
    config = target.config
    if config.repo is not None:
        return config.repo_type == "space"
    return is_hub_git_url(config.url) and "/spaces/" in (config.url or "")
