"""Web links: to a commit on its target, and back to the source's CI run or commit."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.config.model import TargetConfig
    from hfsync.remotes.target import Target

_PREFIX = {"space": "spaces/", "dataset": "datasets/", "model": ""}
# https://host/owner/name(.git) and git@host:owner/name(.git) on hosts with commit pages.
_HTTPS = re.compile(
    r"^https://(?:[^/@]*@)?(github\.com|gitlab\.com|huggingface\.co)/(.+?)(?:\.git)?/?$"
)
_SCP = re.compile(r"^[^@/]+@(github\.com|gitlab\.com|huggingface\.co):(.+?)(?:\.git)?$")


def commit_url(config: TargetConfig, target: Target | None, commit: str | None) -> str | None:
    """The web page of `commit` on the target, when the target has one."""
    if commit is None:
        return None
    if config.repo is not None:
        endpoint = getattr(target.remote, "endpoint", None) if target is not None else None
        base = str(endpoint or "https://huggingface.co").rstrip("/")
        return f"{base}/{_PREFIX[config.repo_type]}{config.repo}/commit/{commit}"
    url = config.url or ""
    match = _HTTPS.match(url) or _SCP.match(url)
    if match is None:
        return None
    host, path = match.groups()
    separator = "/-/commit/" if host == "gitlab.com" else "/commit/"
    return f"https://{host}/{path}{separator}{commit}"


def source_url(source_sha: str | None, env: Mapping[str, str]) -> str | None:
    """In GitHub Actions: the source commit's page when the source is the workflow's commit,
    else the run's page; None outside GitHub Actions."""
    server = env.get("GITHUB_SERVER_URL", "").rstrip("/")
    repository = env.get("GITHUB_REPOSITORY", "")
    if not server or not repository:
        return None
    if source_sha and source_sha == env.get("GITHUB_SHA"):
        return f"{server}/{repository}/commit/{source_sha}"
    run_id = env.get("GITHUB_RUN_ID", "")
    if run_id.isdigit():
        return f"{server}/{repository}/actions/runs/{run_id}"
    return None
