"""Paths the Hub refuses: a `.git` component, more than 10,000 entries in one folder, and on a Hub
target the Hub's own path rules (docs: hub-api.md, the test Hub's `clean_path`): no `.` or `..`
part, with `\\` counted as a separator too (`..\\evil`), no leading `\\`; through the Hub API
also no `.cache` component (huggingface_hub refuses it before sending)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hfsync.core.findings import Finding
from hfsync.validate.tree import is_hub_git_url

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.remotes.target import Target
    from hfsync.validate.tree import TreeAfter

MAX_ENTRIES_PER_FOLDER = 10_000
_FIX = "rename it, or leave it out with the target's `exclude`"
_SEPARATORS = re.compile(r"[/\\]")


def check(target: Target, plan: Plan, tree: TreeAfter) -> list[Finding]:
    config = target.config
    api = config.repo is not None
    hub = api or is_hub_git_url(config.url)
    found = []
    for op in plan.uploads:
        problem = path_problem(op.path, hub=hub, api=api)
        if problem is not None:
            found.append(Finding("path", op.path, 0, problem, _FIX))
    if not plan.uploads:
        return found
    entries = tree.entries_in({_parent(op.path) for op in plan.uploads})
    found += [
        Finding(
            "path",
            folder or ".",
            0,
            f"{count} entries in one folder; the Hub refuses more than {MAX_ENTRIES_PER_FOLDER}",
            "spread the files over subfolders",
        )
        for folder, count in sorted(entries.items())
        if count > MAX_ENTRIES_PER_FOLDER
    ]
    return found


def path_problem(path: str, *, hub: bool, api: bool) -> str | None:
    """Why the target would refuse a file at remote path `path`, or None. `hub`: a Hub repo (API
    or git URL); `api`: written through the Hub API."""
    parts = path.split("/")
    if ".git" in parts:
        return "a path with a '.git' component, which the Hub refuses"
    if not hub:
        return None
    if api and ".cache" in parts:
        return "a path with a '.cache' component, which huggingface_hub refuses to upload"
    if "\\" in path:
        if path.startswith("\\"):
            return "a path starting with '\\', which the Hub refuses"
        parts = _SEPARATORS.split(path)
    if "." in parts or ".." in parts:
        return "a '.' or '..' part (the Hub counts '\\' as '/'), which the Hub refuses"
    return None


def _parent(path: str) -> str:
    return path.rpartition("/")[0]
