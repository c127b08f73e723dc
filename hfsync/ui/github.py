"""GitHub Actions integration: a job summary for each sync, and errors as annotations."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hfsync.engine.sync import SyncResult


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def error_annotation(message: str) -> str:
    """A workflow command that shows `message` as an error on the run's page."""
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error title=hfsync::{escaped}"


def write_job_summary(results: list[SyncResult]) -> None:
    """Append a Markdown table of the syncs to `$GITHUB_STEP_SUMMARY`, when it is set."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path or not results:
        return
    lines = [
        "### hfsync",
        "",
        "| target | uploaded | deleted | remote edits | commit | backup |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        plan = result.plan
        commit = result.commit[:12] if result.commit else ("dry run" if result.dry_run else "none")
        lines.append(
            f"| {result.target} | {len(plan.uploads)} | {len(plan.deletes)} "
            f"| {len(plan.conflicts)} | {commit} | {result.backup or '-'} |"
        )
    with open(path, "a", encoding="utf-8") as summary:
        summary.write("\n".join(lines) + "\n")
