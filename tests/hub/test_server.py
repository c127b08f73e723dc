"""Starting and stopping the hub: in-process, as a context manager and as a real subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub, TokenSpec
from hfsync.testing.hub.fixtures import client_pointed_at


def port_is_open(url: str) -> bool:
    parts = urlsplit(url)
    assert parts.hostname and parts.port
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return False
    return True


def test_start_and_stop_leave_no_thread_or_port(tmp_path: Path) -> None:
    threads_before = set(threading.enumerate())
    hub = TestHub(tmp_path / "hub", [TokenSpec("tok", "alice")]).start()
    url = hub.url
    with client_pointed_at(url, tmp_path / "hf_home"):
        assert HfApi(endpoint=url, token="tok").whoami()["name"] == "alice"

    hub.stop()

    assert set(threading.enumerate()) == threads_before
    assert not port_is_open(url)
    hub.stop()  # stopping twice is harmless


def test_context_manager_and_data_survive_a_restart(tmp_path: Path) -> None:
    tokens = [TokenSpec("tok", "alice")]
    with TestHub(tmp_path / "hub", tokens) as hub, client_pointed_at(hub.url, tmp_path / "hf"):
        api = HfApi(endpoint=hub.url, token="tok")
        api.create_repo("app", repo_type="space", space_sdk="static")
        sha = api.upload_file(
            path_or_fileobj=b"<h1/>",
            path_in_repo="index.html",
            repo_id="alice/app",
            repo_type="space",
        ).oid

    with TestHub(tmp_path / "hub", tokens) as hub, client_pointed_at(hub.url, tmp_path / "hf"):
        info = HfApi(endpoint=hub.url, token="tok").space_info("alice/app")
        assert info.sha == sha
        assert info.runtime is not None and info.runtime.stage == "RUNNING"


def test_busy_port_raises(tmp_path: Path) -> None:
    with TestHub(tmp_path / "a") as first:
        busy = TestHub(tmp_path / "b", port=int(urlsplit(first.url).port or 0))
        with pytest.raises(OSError):
            busy.start()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tok", TokenSpec("tok", "user", "write")),
        ("tok:read", TokenSpec("tok", "user", "read")),
        ("tok@alice", TokenSpec("tok", "alice", "write")),
        ("tok:read@alice", TokenSpec("tok", "alice", "read")),
        ("tok:write@bob", TokenSpec("tok", "bob", "write")),
    ],
)
def test_token_spec_parse(text: str, expected: TokenSpec) -> None:
    assert TokenSpec.parse(text) == expected


def test_token_spec_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        TokenSpec.parse("tok@api")  # a namespace the server routes itself
    with pytest.raises(ValueError):
        TokenSpec("", "alice")
    assert "secret" not in repr(TokenSpec("secret", "alice"))


def test_command_line_server(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "hfsync.testing.hub", "--root", str(tmp_path / "hub")]
    command += ["--port", "0", "--token", "tok:write@alice", "--token", "ro:read@alice"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with client_pointed_at(url, tmp_path / "hf_home"):
            api = HfApi(endpoint=url, token="tok")
            api.create_repo("data", repo_type="dataset")
            api.upload_file(
                path_or_fileobj=b"1",
                path_in_repo="x/1.txt",
                repo_id="alice/data",
                repo_type="dataset",
            )
            files = api.list_repo_files("alice/data", repo_type="dataset")
            assert HfApi(endpoint=url, token="ro").whoami()["auth"]["accessToken"]["role"] == "read"
        assert files == [".gitattributes", "x/1.txt"]

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not port_is_open(url)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
