"""`run --wait` on a failed Space build shows the tail of the Space's build log: on stderr, in
--json and in the job summary; the log is read with limits (its stream may never end) and a
failure to read it is one line that changes nothing else."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hfsync.remotes.space_logs import LogLimits, read_log_tail
from hfsync.testing.hub import BUILD_ERROR_MARKER, TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN
from tests.helpers_git import hfsync

SPACE = '[[targets]]\nname = "space"\nrepo = "user/demo"\n'
WHY = "".join(f"step {i}: pip install pkg{i}\n" for i in range(30)) + (
    "\x1b[31mModuleNotFoundError: No module named 'gradio'\x1b[0m\n"
)


pytestmark = pytest.mark.usefixtures("demo_space")  # user/demo, before its first sync


def failed_run(make_repo, hub: TestHub, tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN}
    repo = make_repo({"hfsync.toml": SPACE, "app.py": "print(1)\n", BUILD_ERROR_MARKER: WHY})
    summary = tmp_path / "summary.md"
    summary.touch()
    github = {} if "--json" in args else {"GITHUB_ACTIONS": "true"}  # annotations go to stdout
    github["GITHUB_STEP_SUMMARY"] = str(summary)
    done = hfsync(repo, "run", "--wait", *args, env={**env, **github})
    return done, summary.read_text()


def test_a_failed_build_shows_the_stage_the_error_and_the_build_logs_tail(
    make_repo, hub: TestHub, tmp_path: Path
) -> None:
    done, summary = failed_run(make_repo, hub, tmp_path)
    assert done.returncode == 5, done.stderr
    lines = done.stderr.splitlines()
    (error,) = [line for line in lines if line.startswith("hfsync: error:")]
    assert "(BUILD_ERROR): step 0: pip install pkg0 step 1:" in error
    heading = lines.index("space: the build log's last 20 line(s):")
    tail = lines[heading + 1 : heading + 21]
    assert tail[-2:] == [
        "  | ERROR: ModuleNotFoundError: No module named 'gradio'",  # escapes removed
        "  | --> Build failed",
    ]
    assert tail[0] == "  | ERROR: step 12: pip install pkg12"
    assert "\x1b" not in done.stderr
    # The job summary has the same tail, collapsed under the error.
    assert "<summary>the build log's last 20 line(s)</summary>" in summary
    assert "ERROR: step 12: pip install pkg12\nERROR: step 13" in summary
    assert "step 11:" not in summary.split("<summary>the build log")[1]


def test_json_carries_the_stage_and_the_log(make_repo, hub: TestHub, tmp_path: Path) -> None:
    done, _ = failed_run(make_repo, hub, tmp_path, "--json")
    assert done.returncode == 5
    (target,) = json.loads(done.stdout)["targets"]
    assert target["error"]["stage"] == "BUILD_ERROR"
    log = target["error"]["log"]
    assert log["name"] == "build log" and log["note"] is None
    assert log["lines"][-1] == "--> Build failed" and len(log["lines"]) == 20


def test_a_log_that_cannot_be_read_is_one_line_and_the_exit_code_stays_5(
    make_repo, hub: TestHub, tmp_path: Path
) -> None:
    hub.control.inject("/logs/build", status=500, times=10)
    done, summary = failed_run(make_repo, hub, tmp_path)
    assert done.returncode == 5
    notes = [line for line in done.stderr.splitlines() if "could not read the build log" in line]
    assert notes == ["space: could not read the build log: the Hub answered 500"]
    assert "could not read the build log" in summary
    assert "  | " not in done.stderr


class EndlessLog(BaseHTTPRequestHandler):
    """A log stream that never ends: some lines, then keep-alives (or stray bytes) forever."""

    protocol_version = "HTTP/1.1"
    lines = 50
    then = b"data:\n\n"  # what follows the lines, every 50 ms

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for i in range(self.lines):
                event = {"data": f"line {i}\n", "timestamp": "2026-12-01T00:00:00.000Z"}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            while not self.server.closing.is_set():  # type: ignore[attr-defined]
                self.wfile.write(self.then)
                self.wfile.flush()
                self.server.closing.wait(0.05)  # type: ignore[attr-defined]
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(handler: type[EndlessLog]) -> Iterator[str]:
    """The log URL of a local server answering with `handler`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.closing = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="endless-log")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/spaces/user/demo/logs/build"
    finally:
        server.closing.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
        thread.join()


def read_in_thread(url: str, limits: LogLimits) -> list[str]:
    """read_log_tail, guarded: the test fails (instead of hanging) if it never returns."""
    found: list[list[str]] = []
    reader = threading.Thread(target=lambda: found.append(read_log_tail(url, {}, limits)))
    reader.start()
    reader.join(timeout=60)
    assert found, "read_log_tail did not return"
    return found[0]


@pytest.mark.parametrize(
    ("lines", "then", "expected"),
    [
        (50, b"data:\n\n", [f"line {i}" for i in range(30, 50)]),  # keep-alives after the log
        (0, b"data:\n\n", []),  # keep-alives only
        (50, b"x" * 4096, [f"line {i}" for i in range(30, 50)]),  # one endless line
    ],
    ids=["lines-then-keep-alives", "keep-alives-only", "endless-line"],
)
def test_an_endless_log_stream_is_read_with_limits(
    lines: int, then: bytes, expected: list[str]
) -> None:
    handler = type("Handler", (EndlessLog,), {"lines": lines, "then": then})
    with serving(handler) as url:
        assert read_in_thread(url, LogLimits(seconds=1.0, quiet=0.5)) == expected


def test_log_lines_are_cleaned_and_cut() -> None:
    from hfsync.remotes.space_logs import tail_of

    events = [
        {"data": "\x1b[1;32mok\x1b[0m\tdone\n"},
        {"data": "10%\r50%\r100%\n"},
        {"data": "\x1b]0;title\x07bell\x07 and nul\x00\n"},
        {"data": "y" * 400},
        {"data": 7},
        {"nothing": "here"},
    ]
    stream = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: {bad\n\n"
    lines = tail_of([stream], LogLimits(width=20))
    assert lines == ["ok  done", "100%", "bell and nul", "y" * 17 + "..."]
