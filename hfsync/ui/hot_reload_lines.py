"""The log lines `watch` prints about hot reload after a commit's own line.

* hot-reloaded: one line per replica, saying what it did per file (`replica 3f2a1b9c0d: app.py:
  updated greet; added shout; ran line 9; UI updated`), a warning when it raised (`exception at
  app.py:12: ValueError: ...`); a replica that did what the first did says so;
* the Hub did not hot-reload it, or what happened could not be read: one warning line;
* a commit that could not be hot-reloaded: one line saying why, and that the Space rebuilds
  (only with `-v` for a Space that never hot-reloads: not Gradio 6.1 or later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfsync.core.hot_reload import ReloadEvent, Replica

if TYPE_CHECKING:
    from hfsync.engine.sync_values import SyncResult

Line = tuple[str, str, str, dict[str, Any]]  # level, event, message, fields
SHOWN_NAMES = 5


def hot_reload_lines(result: SyncResult) -> list[Line]:
    hot = result.hot_reload
    if hot is None or result.commit is None:
        return []
    decision = hot.decision
    if not decision.hot:
        level = "debug" if decision.quiet else "info"
        message = f"not hot-reloaded: {decision.reason}; the Space rebuilds"
        return [(level, "rebuild", message, {"reason": decision.reason})]
    report = hot.report
    if report is None:
        return []
    if report.status != "created":
        said = f"the Hub answered {report.status!r}" if report.status else report.problem
        statuses = ", ".join(f"{r.id}: {r.status}" for r in report.replicas)
        message = f"hot reload failed: {said}" + (f" (replicas {statuses})" if statuses else "")
        failed = {"status": report.status, "problem": report.problem}
        return [("warning", "hot_reload_failed", message, failed)]
    lines: list[Line] = []
    first: Replica | None = None
    for replica in report.replicas:
        fields: dict[str, Any] = {
            "replica": replica.id,
            "status": replica.status,
            "events": [event.to_dict() for event in replica.events],
        }
        if replica.problem:
            fields["problem"] = replica.problem
            text = f"what it did could not be read: {replica.problem}"
        elif first is not None and replica.events == first.events:
            text = f"the same as replica {first.id}"
        else:
            text = describe_events(replica.events)
        first = first or (replica if not replica.problem else None)
        exception = next((e for e in replica.events if e.failed), None)
        if exception is not None:
            fields["exception"] = exception.to_dict()
        level = "warning" if replica.failed or replica.problem else "info"
        lines.append((level, "hot_reloaded", f"replica {replica.id}: {text}", fields))
    return lines


def describe_events(events: tuple[ReloadEvent, ...]) -> str:
    """What a replica did, per file: `app.py: updated greet; ran line 9; UI updated`."""
    groups: list[tuple[str | None, list[ReloadEvent]]] = []
    for event in events:
        if event.kind == "file" or not groups:
            groups.append((event.path, []))
        groups[-1][1].append(event)
    described = [_describe_file(path, group) for path, group in groups]
    return "; ".join(described) if described else "reported nothing"


def _describe_file(path: str | None, events: list[ReloadEvent]) -> str:
    parts = []
    for kind, verb in (("update", "updated"), ("add", "added"), ("delete", "deleted")):
        names = [e.name or "?" for e in events if e.kind == kind]
        if names:
            more = f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else ""
            parts.append(f"{verb} {', '.join(names[:SHOWN_NAMES])}{more}")
    lines = [str(e.line) for e in events if e.kind == "run" and e.line is not None]
    if lines:
        parts.append(f"ran line{'s' if len(lines) > 1 else ''} {', '.join(lines[:SHOWN_NAMES])}")
    for event in events:
        if event.kind == "exception":
            where = f"{event.path or '?'}:{event.line}" if event.line else event.path or "?"
            parts.append(f"exception at {where}: {event.message}")
        elif event.kind == "error":
            parts.append(f"reload error: {event.message}")
    if any(e.kind == "ui" and e.updated for e in events):
        parts.append("UI updated")
    created = any(e.kind == "file" and e.created for e in events)
    name = f"{path} (new)" if path and created else path
    text = "; ".join(parts) if parts else "no code changed"
    return f"{name}: {text}" if name else text
