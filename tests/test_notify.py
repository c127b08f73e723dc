"""Notifications through apprise to a local HTTP receiver (`json://127.0.0.1:PORT`)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, hfsync, push_edit, write_files


class Receiver:
    """A local HTTP server that records every JSON body POSTed to it."""

    def __init__(self) -> None:
        received: list[dict[str, object]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, name="receiver")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()
    receiver.thread.join()


def config(remote: Path, events: str = "") -> str:
    return (
        f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n\n'
        f'[notify]\nurls_from_env = ["HFSYNC_NOTIFY_URL"]\n{events}'
    )


def test_conflict_and_failure_reach_the_receiver(make_repo, receiver: Receiver, tmp_path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo({"hfsync.toml": config(remote), "app.py": "1\n"})
    env = {"HFSYNC_NOTIFY_URL": receiver.url}
    assert hfsync(repo, "run", env=env).returncode == 0
    assert receiver.received == []  # success is not among the default events

    push_edit(remote, tmp_path / "clone", {"app.py": "edited on the remote\n"}, "web edit")
    write_files(repo, {"app.py": "2\n"})
    commit_all(repo)
    done = hfsync(repo, "run", "--rev", "HEAD", env=env)
    assert done.returncode == 3
    (conflict,) = receiver.received
    assert conflict["title"] == "hfsync: space: conflict"
    body = str(conflict["message"])
    assert "target: space" in body and "source: HEAD " in body
    assert "conflicting paths (1): app.py" in body
    assert conflict["type"] == "failure"

    write_files(repo, {"hfsync.toml": config(tmp_path / "gone.git").replace("create = true", "")})
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 4
    failure = receiver.received[-1]
    assert failure["title"] == "hfsync: space: failure"
    assert "result: failure (exit 4): no git repository at" in str(failure["message"])


def test_a_dead_receiver_changes_nothing_else(make_repo, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    remote = tmp_path / "remote.git"
    events = 'events = ["success", "failure"]\n'
    repo = make_repo({"hfsync.toml": config(remote, events), "app.py": "1\n"})
    done = hfsync(repo, "run", env={"HFSYNC_NOTIFY_URL": f"json://user:s3cr3tpw@127.0.0.1:{port}/"})
    assert done.returncode == 0, done.stderr
    assert "space: committed" in done.stdout
    assert "hfsync: warning: notify: the success notification for space was not delivered" in (
        done.stderr
    )
    assert "s3cr3tpw" not in done.stdout + done.stderr
