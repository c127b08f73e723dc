"""`hfsync serve --http` under hostile clients, through the real CLI on loopback (issue 26,
items 5-7 and 15): unsigned bodies cost no memory, slow clients hold no thread and are cut off,
a client hanging up early leaves no traceback, and every log line stays one whole line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers_git import hfsync
from tests.helpers_hostile import (
    MB,
    at_once,
    hang_up_early,
    headers_only,
    log_problems,
    rejected,
    serving_git,
    trickle,
    unsigned_body,
    wait_for,
)


def test_unsigned_bodies_cost_no_memory_and_leave_room_for_signed_ones(tmp_path: Path) -> None:
    """8 unsigned 25 MB deliveries at once took serve from 42 to 215 MB (each body read whole
    before its signature was checked); a signed push afterwards must still go through."""
    with serving_git(tmp_path) as serve:
        peak_before = serve.status("VmHWM")
        answers = at_once(8, lambda: unsigned_body(serve, 25 * MB))
        grown_mb = (serve.status("VmHWM") - peak_before) / 1024
        assert grown_mb < 40, f"peak memory grew by {grown_mb:.0f} MB; answers {answers}"
        assert set(answers) <= {"401", "503", "reset"}, answers
        assert "401" in answers  # some were read (into the HMAC) and refused
        sha = serve.push({"app/main.py": "M = 1\n"})
        wait_for(lambda: serve.synced(sha), "the signed push to be synced")
        serve.proc.terminate()
        assert serve.proc.wait(timeout=30) == 0
        assert not log_problems(serve), log_problems(serve)


def test_a_body_trickled_slowly_is_cut_off_and_holds_no_thread(tmp_path: Path) -> None:
    """A byte every half second kept a connection (and its thread) forever: the timeout was per
    read. Now the whole request must arrive within HFSYNC_HTTP_TIMEOUT seconds."""
    with serving_git(tmp_path, env={"HFSYNC_HTTP_TIMEOUT": "1"}) as serve:
        threads = serve.threads()
        sent, ending = trickle(serve, every=0.5, at_most=30)  # 15 s of trickling at most
        assert ending == "closed by the server", f"{sent} bytes sent, {ending}"
        assert sent < 30
        assert serve.threads() == threads


def test_connections_that_never_finish_their_headers_hold_no_thread(tmp_path: Path) -> None:
    """100 connections that never finish their headers made 90 threads; now a fixed pool
    serves complete requests only, the probes still answer, and the server closes them."""
    with serving_git(tmp_path, env={"HFSYNC_HTTP_TIMEOUT": "1"}) as serve:
        threads = serve.threads()
        opened = headers_only(serve, 100)
        try:
            assert serve.get("/readyz") == 200  # answered beside the 100
            assert serve.threads() == threads
            for sock in opened:  # each one closed by the server once its time is up
                sock.settimeout(30)
                assert sock.recv(100) == b""
        finally:
            for sock in opened:
                sock.close()


def test_many_rejections_at_once_log_one_valid_json_line_each(tmp_path: Path) -> None:
    """200 unsigned deliveries at once: lines from several threads ran together (8 of 196 not
    valid JSON), and a client resetting the connection printed a traceback."""
    with serving_git(tmp_path) as serve:
        answers = at_once(200, lambda: rejected(serve))
        assert answers.count("401") == 200, answers
        serve.proc.terminate()
        assert serve.proc.wait(timeout=30) == 0
    assert not log_problems(serve), log_problems(serve)
    events = [json.loads(line) for line in serve.stdout_lines()]
    rejections = [e for e in events if e["event"] == "webhook_rejected"]
    assert len(rejections) == 200
    assert all("delivery 'hostile'" in e["message"] for e in rejections)


def test_a_client_hanging_up_before_the_answer_leaves_no_traceback(tmp_path: Path) -> None:
    with serving_git(tmp_path, "-v") as serve:
        body = b"x" * 1000
        for _ in range(5):
            hang_up_early(serve, b"POST /webhook HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + body)
            hang_up_early(serve, b"GET /metrics HTTP/1.1\r\n\r\n")
            hang_up_early(serve, b"GET /healthz HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
        assert serve.get("/healthz") == 200
        serve.proc.terminate()
        assert serve.proc.wait(timeout=30) == 0
    assert not log_problems(serve), log_problems(serve)
    messages = [json.loads(line)["message"] for line in serve.stdout_lines()]
    assert sum("rejected a delivery" in m for m in messages) <= 5
    assert not [m for m in messages if "Traceback" in m or "Error" in m], messages


@pytest.mark.parametrize("command", ["serve --source src", "watch"])
def test_a_bad_http_address_is_one_line(tmp_path: Path, command: str) -> None:
    """`--http 127.0.0.1:99999` printed a log line before its error."""
    env = {"HFSYNC_WEBHOOK_SECRET": "", "HFSYNC_STATE": str(tmp_path / "state")}
    done = hfsync(tmp_path, *command.split(), "--http", "127.0.0.1:99999", env=env)
    assert done.returncode == 2
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    assert "'127.0.0.1:99999'" in lines[0] and "port from 0 to 65535" in lines[0]
    assert not (tmp_path / "state").exists()  # refused before anything was made


@pytest.mark.parametrize(
    ("secret", "problem"),
    [(" ", "is only white space"), ("\t\n  ", "is only white space"), ("hunter2", "has 7")],
)
def test_a_blank_or_short_webhook_secret_is_refused(
    tmp_path: Path, secret: str, problem: str
) -> None:
    """A secret of one space was accepted: anyone could sign a delivery with it."""
    env = {"HFSYNC_WEBHOOK_SECRET": secret, "HFSYNC_STATE": str(tmp_path / "state")}
    done = hfsync(tmp_path, "serve", "--source", "src", "--http", "127.0.0.1:0", env=env)
    assert done.returncode == 2
    lines = (done.stdout + done.stderr).splitlines()
    assert len(lines) == 1, lines
    assert f"HFSYNC_WEBHOOK_SECRET {problem}" in lines[0]
    assert "at least 16 characters" in lines[0]
    assert secret.strip() == "" or secret not in lines[0]  # the secret itself is not echoed
    assert not (tmp_path / "state").exists()


def test_a_bad_request_timeout_is_one_line(tmp_path: Path) -> None:
    env = {"HFSYNC_HTTP_TIMEOUT": "soon", "HFSYNC_STATE": str(tmp_path / "state")}
    done = hfsync(tmp_path, "serve", "--source", "src", "--http", "127.0.0.1:0", env=env)
    assert done.returncode == 2
    assert (done.stdout + done.stderr).splitlines() == [
        "hfsync: error: HFSYNC_HTTP_TIMEOUT='soon': use seconds from 0.1 to 3600, e.g. 15"
    ]


def test_without_a_secret_the_webhook_is_off_and_says_so_once_started(tmp_path: Path) -> None:
    with serving_git(tmp_path, env={"HFSYNC_WEBHOOK_SECRET": ""}) as serve:
        assert rejected(serve) == "404"
        events = [json.loads(line)["event"] for line in serve.stdout_lines()]
        assert events[:2] == ["started", "webhook_off"]
