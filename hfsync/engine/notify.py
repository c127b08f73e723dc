"""Notifications after a run (`[notify]` in the config), through apprise: Slack, Discord,
e-mail, a JSON webhook ... whatever URL the named environment variables hold.

One message per target whose outcome is one of the configured events: the target, the source,
the result, the commit link, the conflicting paths. Sending never changes the run's outcome: a
failure to notify comes back as a warning line for the caller to print.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hfsync.core.errors import BuildFailedError, ConflictError, RolledBackError

if TYPE_CHECKING:
    from hfsync.config.model import NotifyConfig
    from hfsync.engine.outcome import TargetOutcome

TIMEOUT_S = 10
MAX_PATHS = 20


def event_of(outcome: TargetOutcome) -> str | None:
    """The notification event of one target's outcome, or None (nothing happened)."""
    error = outcome.error
    if isinstance(error, ConflictError):
        return "conflict"
    if isinstance(error, RolledBackError):
        return "rollback"
    if isinstance(error, BuildFailedError):
        return "build_failed"
    if error is not None:
        return "failure"
    plan = outcome.plan
    if plan is not None and plan.conflicts:
        return "conflict"  # skipped remote edits: synced, but someone must look
    if outcome.result is not None and outcome.result.commit:
        return "success"
    return None


def message(outcome: TargetOutcome, event: str, source: str) -> tuple[str, str]:
    """(title, body) of the notification for one target."""
    from hfsync.core.redact import redact
    from hfsync.engine.links import commit_url

    result = outcome.result
    commit = result.commit if result is not None else None
    lines = [f"target: {outcome.name}", f"source: {source}"]
    if outcome.error is not None:
        lines.append(f"result: {event} (exit {outcome.exit_code}): {outcome.error}")
    else:
        lines.append(f"result: {event}")
    if commit:
        lines.append(f"commit: {commit_url(outcome.config, outcome.target, commit) or commit}")
    plan = outcome.plan
    if plan is not None and plan.conflicts:
        paths = [op.path for op in plan.conflicts]
        lines.append(f"conflicting paths ({len(paths)}): " + ", ".join(paths[:MAX_PATHS]))
        if len(paths) > MAX_PATHS:
            lines[-1] += " ..."
    title = f"hfsync: {outcome.name}: {event.replace('_', ' ')}"
    return redact(title), redact("\n".join(lines))


def send(
    config: NotifyConfig, source: str, outcomes: list[TargetOutcome], env: Mapping[str, str]
) -> list[str]:
    """Notify each configured event; the warnings to show (never raises)."""
    due = [(o, e) for o in outcomes if (e := event_of(o)) is not None and e in config.events]
    if not due or not config.urls_from_env:
        return []
    warnings = []
    urls = {}
    for name in config.urls_from_env:
        if env.get(name):
            urls[name] = env[name]
        else:
            warnings.append(f"notify: ${name} is not set; no notification sent through it")
    if not urls:
        return warnings
    try:
        import logging

        import apprise

        # apprise logs each failure with its URL, which holds credentials: hfsync says it instead.
        logging.getLogger("apprise").disabled = True
        sender = apprise.Apprise()
        for name, url in urls.items():
            if not sender.add(url):
                warnings.append(f"notify: ${name} does not hold a URL apprise knows")
        for outcome, event in due:
            title, body = message(outcome, event, source)
            kind = apprise.NotifyType.SUCCESS if event == "success" else apprise.NotifyType.FAILURE
            if len(sender) and not sender.notify(
                body=body, title=title, notify_type=kind, timeout=TIMEOUT_S
            ):
                warnings.append(
                    f"notify: the {event} notification for {outcome.name} was not delivered"
                )
    except Exception as exc:  # a notification never changes the run's outcome
        warnings.append(f"notify: failed: {type(exc).__name__}: {exc}")
    return warnings
