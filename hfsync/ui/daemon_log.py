"""What the long-running commands (`watch`, `serve`) print: one line per event, fit for a log.

Text lines start with the local time; with `--log-format json` each line is one object with
`time`, `level`, `target`, `event`, `message` and `fields`. A sync that committed names what it
uploaded (the first few paths, then a count); one that had nothing to do prints only with `-v`.
The same error, repeated, is printed the first time, then after 2, 4, 8, ... repeats, and its
recovery is printed once. A plan's notes (a rewritten history, a renamed repo) are warnings, each
printed once per target. Lines come from several threads (the sync loop, the HTTP server's):
each is written whole, in one call under one lock, so two never run together.
`watch` also says when pacing holds changes back (what waits, when it
goes), which changes were not synced when it stopped, and names once each file someone else
created, edited or deleted on the remote, with `hfsync pull` to bring it home.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from hfsync.core.errors import ConflictError, HfsyncError, TooManyDeletesError, ValidationError
from hfsync.core.plan import HUB_ATTRIBUTES, Action
from hfsync.core.redact import redact
from hfsync.ui.hot_reload_lines import hot_reload_lines

if TYPE_CHECKING:
    from hfsync.core.plan import Plan
    from hfsync.engine.sync_values import SyncResult

SHOWN_PATHS = 3
LEVELS = ("debug", "info", "warning", "error")
_WRITING = threading.Lock()  # one for every log: they may share a stream


class DaemonLog:
    """Writes events as text or JSON lines; `debug` events only when verbose."""

    def __init__(
        self,
        log_format: str = "text",
        *,
        verbose: bool = False,
        out: TextIO | None = None,
        err: TextIO | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now().astimezone(),
    ) -> None:
        self.json = log_format == "json"
        self.verbose = verbose
        self._out = out
        self._err = err
        self._clock = clock

    def event(
        self,
        level: str,
        event: str,
        message: str,
        target: str | None = None,
        **fields: Any,
    ) -> None:
        if level == "debug" and not self.verbose:
            return
        now = self._clock()
        if self.json:
            line = json.dumps(
                {
                    "time": now.isoformat(timespec="seconds"),
                    "level": level,
                    "target": target,
                    "event": event,
                    "message": message,
                    "fields": fields,
                },
                default=str,
            )
            stream = self._out or sys.stdout
        else:
            where = f"{target}: " if target else ""
            line = f"{now:%Y-%m-%d %H:%M:%S} {where}{message}"
            stream = (self._err or sys.stderr) if level in ("warning", "error") else self._out
            stream = stream or sys.stdout
        with _WRITING:
            stream.write(" ".join(redact(line).splitlines()) + "\n")
            stream.flush()

    def info(self, event: str, message: str, target: str | None = None, **fields: Any) -> None:
        self.event("info", event, message, target, **fields)

    def now(self) -> datetime:
        return self._clock()


@dataclass
class _Repeats:
    message: str
    count: int = 1
    next_shown: int = 2


@dataclass
class SyncReporter:
    """Turns each sync outcome of a daemon into log events, throttling repeated errors."""

    log: DaemonLog
    name_remote_changes: bool = False  # `watch`: name what others changed on the remote, once
    _failing: dict[str, _Repeats] = field(default_factory=dict)
    _noted: dict[str, set[str]] = field(default_factory=dict)
    _seen: dict[str, dict[str, str | None]] = field(default_factory=dict)

    def report(self, target: str, outcome: SyncResult | Exception) -> None:
        self.notes(target, outcome)
        plan = getattr(outcome, "plan", None)  # a result's, or a conflict's
        if self.name_remote_changes and plan is not None:
            self.remote_changes(target, plan)
        if isinstance(outcome, Exception):
            self.failed(target, outcome)
            return
        self.succeeded(target)
        event, message, fields = describe(outcome)
        level = "debug" if event == "nothing_to_do" else "info"
        self.log.event(level, event, message, target, **fields)
        for level, event, message, fields in hot_reload_lines(outcome):
            self.log.event(level, event, message, target, **fields)

    def notes(self, target: str, outcome: SyncResult | Exception) -> None:
        """What the plan says about the target itself (its history was rewritten, its repo was
        renamed, a record was not taken as a base), each note once per target."""
        if isinstance(outcome, (ConflictError, TooManyDeletesError)):
            plan = outcome.plan
        else:
            plan = None if isinstance(outcome, Exception) else outcome.plan
        noted = self._noted.setdefault(target, set())
        for note in plan.notes if plan is not None else ():
            if note not in noted:
                noted.add(note)
                self.log.event("warning", "note", f"note: {note}", target)

    def succeeded(self, target: str) -> None:
        """Print the recovery of `target` (a target, or `source` for serve's fetch) if it was
        failing."""
        repeats = self._failing.pop(target, None)
        if repeats is not None:
            self.log.info(
                "recovered",
                f"recovered after {repeats.count} failure(s)",
                target,
                failures=repeats.count,
            )

    def failed(self, target: str, exc: Exception) -> None:
        message = error_message(exc)
        event = "conflict" if isinstance(exc, ConflictError) else "error"
        repeats = self._failing.get(target)
        if repeats is None or repeats.message != message:
            self._failing[target] = _Repeats(message)
            self.log.event("error", event, message, target)
            return
        repeats.count += 1
        if repeats.count >= repeats.next_shown:
            repeats.next_shown *= 2
            self.log.event(
                "error",
                event,
                f"{message} (failed {repeats.count} times in a row)",
                target,
                repeated=repeats.count,
            )
        else:
            self.log.event("debug", event, f"{message} (again)", target, repeated=repeats.count)

    def remote_changes(self, target: str, plan: Plan) -> None:
        """Name, once each, the files someone else changed on the remote (a file edited again
        is named again), with the command that brings them home."""
        seen = self._seen.setdefault(target, {})
        found = []
        for path, what, oid in _changed_by_others(plan):
            if path in seen and seen[path] == oid:
                continue
            seen[path] = oid
            found.append(f"{path} ({what})")
        if found:
            self.log.info(
                "remote_changes",
                f"changed on the remote by someone else: {_some(found)}; "
                "'hfsync pull' brings them home",
                target,
                paths=found[:SHOWN_PATHS],
                count=len(found),
            )

    def held(self, target: str, paths: list[str], count: int, wait_s: float, why: str) -> None:
        """Pacing holds changes back: what waits, when it goes, and why."""
        at = self.log.now() + timedelta(seconds=wait_s)
        self.log.info(
            "held",
            f"{_counted(paths, count)} wait{'s' if count == 1 else ''} until {at:%H:%M:%S} ({why})",
            target,
            paths=paths[:SHOWN_PATHS],
            count=count,
            until=at.isoformat(timespec="seconds"),
        )

    def not_synced(self, target: str, paths: list[str], count: int) -> None:
        """At stop: the changes no sync took."""
        self.log.event(
            "warning",
            "not_synced",
            f"stopping with {_counted(paths, count)} not synced; 'hfsync run' syncs "
            f"{'it' if count == 1 else 'them'}",
            target,
            paths=paths[:SHOWN_PATHS],
            count=count,
        )


def _changed_by_others(plan: Plan) -> list[tuple[str, str, str | None]]:
    """(path, what, the remote's oid) of each change on the remote hfsync did not write: a file
    it never wrote (not at a first sync, where every remote file is one), a remote edit."""
    found: list[tuple[str, str, str | None]] = []
    for op in plan.operations:
        if op.action is Action.KEEP and op.remote is not None and op.base is None:
            if plan.first_sync or op.path == HUB_ATTRIBUTES:
                continue
            found.append((op.path, "created", op.remote.oid))
        elif op.action is Action.CONFLICT and not (op.collision or op.unresolved):
            what = "deleted" if op.remote is None else "edited"
            found.append((op.path, what, op.remote.oid if op.remote else None))
    return found


def _counted(paths: list[str], count: int) -> str:
    """'1 change (app.py)', '3 changes (a.py, b.py, c.py)', '5 changes (a.py, ... and 2 more)'."""
    shown = ", ".join(paths[:SHOWN_PATHS]) + (
        f" and {count - SHOWN_PATHS} more" if count > SHOWN_PATHS else ""
    )
    return f"{count} change{'s' if count != 1 else ''} ({shown})"


def error_message(exc: Exception) -> str:
    if isinstance(exc, ConflictError):
        return f"conflict: {exc}"
    if isinstance(exc, ValidationError):  # each file and check, in the one line
        return f"error: {exc}: " + " | ".join(str(finding) for finding in exc.findings)
    if isinstance(exc, HfsyncError):
        return f"error: {exc}"
    return f"unexpected error: {type(exc).__name__}: {exc}"


def describe(result: SyncResult) -> tuple[str, str, dict[str, Any]]:
    """(event, message, fields) for one sync's result."""
    plan = result.plan
    uploaded = [op.path for op in plan.uploads]
    deleted = [op.path for op in plan.deletes]
    fields: dict[str, Any] = {"source": result.source}
    if result.commit:
        parts = []
        if uploaded:
            parts.append(f"uploaded {_some(uploaded)}")
        if deleted:
            parts.append(f"deleted {_some(deleted)}")
        from hfsync.core.describe import travelled

        sent = travelled(plan, result.sent_bytes)
        if sent is not None:  # Xet sent less than the files' size
            parts.append(sent)
            fields["sent_bytes"] = result.sent_bytes
        hot = result.hot_reload is not None and result.hot_reload.decision.hot
        message = f"committed {result.commit[:12]}{' with hot reload' if hot else ''}: "
        message += "; ".join(parts)
        event = "committed"
        fields.update(
            commit=result.commit,
            uploaded=len(uploaded),
            deleted=len(deleted),
            paths=(uploaded + deleted)[:SHOWN_PATHS],
            backup=result.backup,
        )
        if result.hot_reload is not None:
            fields["hot_reload"] = hot
    else:
        event, message = "nothing_to_do", "nothing to do"
    if result.attempts > 1:  # another writer committed first: planned again on its commit
        message += f" (re-planned {result.attempts - 1} time(s): the remote moved)"
        fields["attempts"] = result.attempts
        if event == "nothing_to_do":
            event = "replanned"
    if plan.conflicts:  # only under `skip`: under `abort` they raise a ConflictError instead
        paths = [op.path for op in plan.conflicts]
        message += f"; skipped {len(paths)} remote edit(s): {_some(paths)}"
        fields["skipped"] = len(paths)
        if event == "nothing_to_do":
            event = "skipped"
    return event, message, fields


def _some(paths: list[str]) -> str:
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return shown + (f" and {more} more" if more > 0 else "")
