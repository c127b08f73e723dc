"""Hot reload, the pure parts: which batches a Gradio Space can hot-reload and why not, the
replica event stream read with limits, and the lines `watch` prints about it."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest

from hfsync.core.hot_reload import (
    Decision,
    HotReload,
    HotReloadReport,
    ReloadEvent,
    Replica,
    decide,
    gradio_allows,
)
from hfsync.core.plan import Action, Operation, Plan, Policy
from hfsync.engine.sync_values import SyncResult
from hfsync.remotes.hub_hot_reload import ReadLimits, events_of
from hfsync.ui.daemon_log import DaemonLog, SyncReporter

GRADIO_6 = {"sdk": "gradio", "sdk_version": "6.1.0", "app_file": "app.py"}


@pytest.mark.parametrize(
    ("uploads", "deletes", "hot", "reason"),
    [
        (["app.py"], [], True, None),
        (["app.py", "src/model.py"], [], True, None),
        (["requirements.txt"], [], False, "requirements.txt lists the Space's packages"),
        (["app.py", "README.md"], [], False, "README.md holds the Space's configuration"),
        (["packages.txt"], [], False, "packages.txt lists the Space's system packages"),
        (["Dockerfile"], [], False, "the Dockerfile builds the Space"),
        (["app.py"], ["app.py"], False, "the app file app.py is deleted"),
        (["app.py"], ["util.py"], False, "util.py is deleted (a hot reload cannot remove code)"),
        (["app.py", "logo.png"], [], False, "logo.png is not Python code"),
        (
            ["requirements.txt", "style.css"],
            [],
            False,
            "requirements.txt lists the Space's packages (and 1 more)",
        ),
    ],
)
def test_only_python_changes_hot_reload(
    uploads: list[str], deletes: list[str], hot: bool, reason: str | None
) -> None:
    assert decide(GRADIO_6, uploads, deletes) == Decision(hot, reason)


@pytest.mark.parametrize(
    ("front_matter", "reason"),
    [
        (None, "README.md has no front matter naming the Space's SDK"),
        ({"sdk": "docker"}, "the Space's SDK is 'docker'; hot reload needs gradio"),
        ({"sdk": "gradio"}, "sdk_version is not set; hot reload needs Gradio 6.1 or later"),
        (
            {"sdk": "gradio", "sdk_version": "5.49.1"},
            "sdk_version '5.49.1' is older than Gradio 6.1",
        ),
    ],
)
def test_a_space_that_cannot_hot_reload_is_quiet(front_matter: dict | None, reason: str) -> None:
    assert decide(front_matter, ["app.py"], []) == Decision(False, reason, quiet=True)


def test_the_app_file_comes_from_the_front_matter() -> None:
    meta = {**GRADIO_6, "app_file": "./src/main.py"}
    assert decide(meta, ["app.py"], ["src/main.py"]).reason == "the app file src/main.py is deleted"


@pytest.mark.parametrize(
    ("version", "allowed"),
    [
        *[("6.1.0", True), ("6.1", True), ("6.2.0b1", True), ("10.0", True), (" 6.1.1 ", True)],
        *[("6.0.2", False), ("6.1.0rc2", False), ("6.1.0.dev1", False), ("six", False)],
    ],
)
def test_gradio_6_1_or_later(version: str, allowed: bool) -> None:
    assert gradio_allows(version) is allowed


# -- the replica's event stream ----------------------------------------------------------------


def sse(*events: object) -> list[bytes]:
    text = "".join(f"data: {json.dumps({'data': e})}\n\n" for e in events)
    return [text.encode()[i : i + 7] for i in range(0, len(text.encode()), 7)]  # split anywhere


def test_events_are_named_after_their_file_in_path_order() -> None:
    chunks = sse(
        {"kind": "file", "created": False},
        {"kind": "update", "objectName": "greet", "objectType": "function"},
        {"kind": "file", "created": True},
        {
            "kind": "exception",
            "region": {"startLine": 3, "endLine": 3},
            "traceback": 'Traceback:\n  File "b.py", line 2, in <module>\n    x\nNameError: x\n',
        },
    )
    assert events_of(chunks, ["b.py", "a.py"]) == (
        ReloadEvent("file", "a.py", created=False),
        ReloadEvent("update", "a.py", name="greet", object_type="function"),
        ReloadEvent("file", "b.py", created=True),
        ReloadEvent("exception", "b.py", line=2, message="NameError: x"),
    )


def test_a_hostile_stream_is_read_with_limits() -> None:
    good = {"kind": "run", "region": {"startLine": 10}}
    chunks = [
        b"data: " + b"x" * 200_000 + b"\n\n",  # an over-long line: dropped
        b"data: {not json}\n\n",
        b'data: {"data": {"kind": "launch missiles"}}\n\n',
        b'data: {"data": {"kind": "run", "region": {"startLine": true}}}\n\n',
        b'event: ping\ndata: {"data": {"kind": "ui", "updated": true}}\n\n',  # not a message
        b'data: {"data": {"kind": "update", "objectName": "\\u001b[31mred\\u0007"}}\n\n',
        *sse(*[good] * 10),
    ]
    events = events_of(chunks, ["app.py"], ReadLimits(events=4))  # 4 read, 3 kept
    assert events == (
        ReloadEvent("run", "app.py"),
        ReloadEvent("update", "app.py", name="red"),
        ReloadEvent("run", "app.py", line=9),
    )


# -- what watch prints -------------------------------------------------------------------------


def printed(result: SyncResult, log_format: str = "text") -> list[str]:
    out = io.StringIO()
    clock = lambda: datetime(2026, 5, 4, 10, 12, 3, tzinfo=timezone.utc)  # noqa: E731
    SyncReporter(DaemonLog(log_format, out=out, err=out, clock=clock)).report("space", result)
    return out.getvalue().splitlines()


def committed(hot: HotReload, path: str = "app.py") -> SyncResult:
    plan = Plan("0" * 40, (Operation(Action.UPLOAD, path, "changed"),), 1, False, Policy())
    return SyncResult("space", "worktree", plan, commit="3c1f0e9a2b7d" + "0" * 28, hot_reload=hot)


UPDATED = (
    ReloadEvent("file", "app.py", created=False),
    ReloadEvent("update", "app.py", name="greet", object_type="function"),
    ReloadEvent("add", "app.py", name="shout", object_type="function"),
    ReloadEvent("run", "app.py", line=9),
    ReloadEvent("ui", "app.py", updated=True),
)


def test_each_replica_says_what_it_reloaded() -> None:
    report = HotReloadReport(
        "created",
        (Replica("993d2a153b", "created", UPDATED), Replica("41c7aa0e2f", "created", UPDATED)),
    )
    lines = printed(committed(HotReload(Decision(True), report, ("app.py",))))
    assert lines == [
        "2026-05-04 10:12:03 space: committed 3c1f0e9a2b7d with hot reload: uploaded app.py",
        "2026-05-04 10:12:03 space: replica 993d2a153b: app.py: updated greet; added shout; "
        "ran line 9; UI updated",
        "2026-05-04 10:12:03 space: replica 41c7aa0e2f: the same as replica 993d2a153b",
    ]


def test_an_exception_is_a_warning_with_its_file_and_line_in_text_and_json() -> None:
    events = (
        ReloadEvent("file", "app.py", created=False),
        ReloadEvent("exception", "app.py", line=12, message="ValueError: no model"),
    )
    hot = HotReload(
        Decision(True), HotReloadReport("created", (Replica("993d2a153b", "created", events),))
    )
    assert printed(committed(hot))[1] == (
        "2026-05-04 10:12:03 space: replica 993d2a153b: app.py: exception at app.py:12: "
        "ValueError: no model"
    )
    record = json.loads(printed(committed(hot), "json")[1])
    assert (record["level"], record["event"]) == ("warning", "hot_reloaded")
    assert record["fields"]["exception"] == {
        "kind": "exception",
        "path": "app.py",
        "line": 12,
        "message": "ValueError: no model",
    }


def test_a_fallback_says_why_and_a_space_that_never_hot_reloads_says_it_only_with_v() -> None:
    fallback = HotReload(Decision(False, "requirements.txt lists the Space's packages"))
    assert printed(committed(fallback))[1] == (
        "2026-05-04 10:12:03 space: not hot-reloaded: requirements.txt lists the Space's "
        "packages; the Space rebuilds"
    )
    assert len(printed(committed(HotReload(Decision(False, "not gradio", quiet=True))))) == 1


def test_a_hot_reload_the_hub_canceled_is_reported_as_failed() -> None:
    hot = HotReload(Decision(True), HotReloadReport("canceled"))
    record = json.loads(printed(committed(hot), "json")[1])
    assert (record["level"], record["event"]) == ("warning", "hot_reload_failed")
    assert record["message"] == "hot reload failed: the Hub answered 'canceled'"
