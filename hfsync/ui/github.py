"""GitHub Actions: step outputs, a job summary on success and on failure, error annotations,
and collapsible log groups.

Everything here is written only when `GITHUB_ACTIONS=true`; the file paths come from the runner
(`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from hfsync.core.errors import BuildFailedError

if TYPE_CHECKING:
    from hfsync.engine.outcome import TargetOutcome

_OUTPUT_KEYS = ("commit", "commit-url", "backup", "changed", "conflicts")


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def error_annotation(message: str) -> str:
    """A workflow command that shows `message` as an error on the run's page."""
    escaped = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::error title=hfsync::{escaped}"


@contextmanager
def group(title: str) -> Iterator[None]:
    """Fold what is printed inside into one collapsible section of the Actions log."""
    active = in_github_actions()
    if active:
        click.echo(f"::group::{title}")
    try:
        yield
    finally:
        if active:
            click.echo("::endgroup::")


def outputs(outcomes: list[TargetOutcome]) -> dict[str, str]:
    """The step outputs: per target `<name>-commit` ..., and for the run `changed` and
    `conflicts` (totals) and `commit`, `commit-url`, `backup` (when the run had one target)."""
    from hfsync.engine.links import commit_url

    values: dict[str, str] = {}
    totals = {"changed": 0, "conflicts": 0}
    for outcome in outcomes:
        plan = outcome.plan
        result = outcome.result
        commit = result.commit if result is not None else None
        own = {
            "commit": commit or "",
            "commit-url": commit_url(outcome.config, outcome.target, commit) or "",
            "backup": (result.backup if result is not None else None) or "",
            "changed": str(len(plan.uploads) + len(plan.deletes)) if plan else "0",
            "conflicts": str(len(plan.conflicts)) if plan else "0",
        }
        if plan is not None and result is None:  # blocked: nothing changed
            own["changed"] = "0"
        slug = re.sub(r"[^A-Za-z0-9_-]", "_", outcome.name)
        for key in _OUTPUT_KEYS:
            values[f"{slug}-{key}"] = own[key]
        totals["changed"] += int(own["changed"])
        totals["conflicts"] += int(own["conflicts"])
        if len(outcomes) == 1:
            values.update({key: own[key] for key in ("commit", "commit-url", "backup")})
    values.setdefault("commit", "")
    values.setdefault("commit-url", "")
    values.setdefault("backup", "")
    values.update({key: str(value) for key, value in totals.items()})
    return values


def write_step_outputs(outcomes: list[TargetOutcome]) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if not in_github_actions() or not path:
        return
    from hfsync.core.redact import redact

    with open(path, "a", encoding="utf-8") as handle:
        for key, value in outputs(outcomes).items():
            handle.write(f"{key}={redact(value).replace(chr(10), ' ')}\n")


def write_job_summary(source: str, outcomes: list[TargetOutcome], error: str | None = None) -> None:
    """Append the run's Markdown summary to `$GITHUB_STEP_SUMMARY`: each target's result, its
    remote edits with their diffs (collapsed), each error with its fix."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not in_github_actions() or not path:
        return
    from hfsync.core.redact import redact

    with open(path, "a", encoding="utf-8") as handle:
        handle.write(redact(summary_markdown(source, outcomes, error)))


def summary_markdown(source: str, outcomes: list[TargetOutcome], error: str | None) -> str:
    from hfsync.engine.links import commit_url

    failed = error is not None or any(o.exit_code for o in outcomes)
    lines = [f"### hfsync {'failed' if failed else 'succeeded'}", "", f"source: {source}", ""]
    if error is not None:
        lines += [f"**error:** {_escape(error)}", ""]
    if outcomes:
        lines += [
            "| target | result | uploaded | deleted | remote edits | commit | backup |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
    for outcome in outcomes:
        plan, result = outcome.plan, outcome.result
        commit = result.commit if result is not None else None
        url = commit_url(outcome.config, outcome.target, commit)
        shown = f"[{commit[:12]}]({url})" if commit and url else (commit or "")[:12] or "-"
        uploaded, deleted = _written(outcome)
        lines.append(
            f"| {_escape(outcome.name)} | {_result_word(outcome)} "
            f"| {uploaded} | {deleted} "
            f"| {len(plan.conflicts) if plan else '-'} | {shown} "
            f"| {_escape((result.backup if result else None) or '-')} |"
        )
    for outcome in outcomes:
        lines += _details(outcome)
    return "\n".join(lines) + "\n"


def _written(outcome: TargetOutcome) -> tuple[str, str]:
    """The files a target's run uploaded and deleted, for the summary's table: what was
    written, never what was only planned (a blocked plan, a dry run: '0 (N planned)')."""
    plan, result = outcome.plan, outcome.result
    if plan is None:
        return "-", "-"
    counts = len(plan.uploads), len(plan.deletes)
    if result is not None and result.commit is not None:
        return str(counts[0]), str(counts[1])
    uploaded, deleted = (f"0 ({count} planned)" if count else "0" for count in counts)
    return uploaded, deleted


def _result_word(outcome: TargetOutcome) -> str:
    from hfsync.core.errors import ConflictError

    if isinstance(outcome.error, ConflictError):
        return "conflict (nothing written)"
    if outcome.error is not None:
        return f"error (exit {outcome.exit_code})"
    result = outcome.result
    if result is None:
        return "not run"
    if result.dry_run:
        return "dry run"
    if result.commit:
        return "synced" + (f", Space {outcome.build.stage}" if outcome.build else "")
    return "nothing to do"


def _details(outcome: TargetOutcome) -> list[str]:
    lines: list[str] = []
    name = _escape(outcome.name)
    if outcome.error is not None:
        lines += ["", f"#### {name}: {_result_word(outcome)}", "", _escape(str(outcome.error))]
        for finding in getattr(outcome.error, "findings", ()):
            lines.append(f"- {_escape(str(finding))}")
        if isinstance(outcome.error, BuildFailedError):
            lines += _build_log(outcome.error)
    plan = outcome.plan
    if plan is not None and plan.conflicts:
        paths = [op.path for op in plan.conflicts]
        title = f"{len(paths)} remote edit(s) on {name}: " + ", ".join(paths[:5])
        title += " ..." if len(paths) > 5 else ""
        body = "".join(d if d.endswith("\n") else d + "\n" for d in outcome.diffs)
        fence = "`" * max(3, _longest_backtick_run(body) + 1)
        lines += [
            "",
            "<details>",
            f"<summary>{_escape(title)} (base → remote)</summary>",
            "",
            f"{fence}diff",
            body.rstrip("\n") or "(no diff available)",
            fence,
            "",
            "</details>",
        ]
    return lines


def _build_log(error: BuildFailedError) -> list[str]:
    """The failed Space's log tail, collapsed; or the one line saying why it is missing."""
    if error.log_note:
        return ["", _escape(error.log_note)]
    if not error.log:
        return []
    body = "\n".join(error.log)
    fence = "`" * max(3, _longest_backtick_run(body) + 1)
    title = f"the {error.log_name}'s last {len(error.log)} line(s)"
    return [
        "",
        "<details>",
        f"<summary>{title}</summary>",
        "",
        fence,
        body,
        fence,
        "",
        "</details>",
    ]


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _escape(text: str) -> str:
    """Markdown/HTML-inert text for a table cell or a line."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    ).replace("\n", " ")
