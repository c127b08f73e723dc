"""The remote tree a target will have once a plan is applied (paths only), and what kind of
target it is."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.core.tree_text import PathList
    from hfsync.remotes.target import Target


class TreeAfter:
    """Every remote path after the plan: the head's (`remote`), plus uploads, less deletions;
    patched when a check first asks, once for all the checks (at 50,000 uploads a patch costs
    about a tenth of a second)."""

    def __init__(self, remote: PathList, plan: Plan) -> None:
        self._remote = remote
        self._plan = plan

    @cached_property
    def paths(self) -> PathList:
        plan = self._plan
        return self._remote.patched(
            (op.path for op in plan.uploads), {op.path for op in plan.deletes}
        )


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
