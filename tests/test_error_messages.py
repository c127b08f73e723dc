"""Errors a CI user meets first, each one line that is true and says the fix."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN, WRITE_TOKEN
from tests.helpers_git import hfsync, write_files

SPACE = '[[targets]]\nname = "space"\nrepo = "user/demo"\n'


pytestmark = pytest.mark.usefixtures("demo_space")  # user/demo, before its first sync


def error_line(stderr: str) -> str:
    (line,) = [line for line in stderr.splitlines() if line.startswith("hfsync: error:")]
    return line


def test_no_token_on_an_existing_public_repo(make_repo, hub: TestHub) -> None:
    repo = make_repo({"hfsync.toml": SPACE, "app.py": "1\n"})
    done = hfsync(repo, "run", env={"HF_ENDPOINT": hub.url})
    assert done.returncode == 4
    assert error_line(done.stderr).startswith(
        "hfsync: error: space: writing to space user/demo needs a token: set HF_TOKEN "
        "(a write token) or run 'hf auth login'"
    )


def test_a_token_without_rights_on_another_namespace(make_repo, hub: TestHub) -> None:
    repo = make_repo({"hfsync.toml": SPACE, "app.py": "1\n"})
    done = hfsync(repo, "run", env={"HF_ENDPOINT": hub.url, "HF_TOKEN": OTHER_WRITE_TOKEN})
    assert done.returncode == 4
    line = error_line(done.stderr)
    assert "the token may not write to space user/demo (403)" in line
    assert "use a write token of the repo's owner" in line
    assert OTHER_WRITE_TOKEN not in done.stdout + done.stderr


def test_an_unreachable_hub_says_to_check_the_endpoint(make_repo, hub: TestHub) -> None:
    repo = make_repo({"hfsync.toml": SPACE, "app.py": "1\n"})
    url = hub.url
    hub.stop()
    done = hfsync(repo, "run", env={"HF_ENDPOINT": url, "HF_TOKEN": WRITE_TOKEN})
    assert done.returncode != 0
    line = error_line(done.stderr)
    assert f"cannot reach the Hub at {url}" in line
    assert "check HF_ENDPOINT and the network" in line
    assert line.endswith("nothing was written")


class AskForCredentials(BaseHTTPRequestHandler):
    """A git server that wants credentials for everything."""

    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def git_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), AskForCredentials)
    thread = threading.Thread(target=server.serve_forever, name="git-server")
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize("user", ["", "someone:pa55word@"])
def test_a_git_url_needing_credentials_never_prompts(make_repo, git_server: str, user) -> None:
    url = f"http://{user}{git_server}/space.git"
    repo = make_repo({"hfsync.toml": f'[[targets]]\nname = "s"\nurl = "{url}"\n', "a": "a"})
    done = hfsync(repo, "run")  # no terminal, and nothing on stdin: a prompt would hang
    assert done.returncode == 4
    shown = f"http://***@{git_server}/space.git" if user else url
    assert error_line(done.stderr).startswith(
        f"hfsync: error: s: git needs credentials for {shown}: give git a credential helper"
    )
    assert "pa55word" not in done.stdout + done.stderr


def test_wait_prints_the_build_stages_and_the_spaces_error(make_repo, hub: TestHub) -> None:
    from hfsync.testing.hub import BUILD_ERROR_MARKER

    env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN}
    repo = make_repo({"hfsync.toml": SPACE, "app.py": "print(1)\n"})
    done = hfsync(repo, "run", "--wait", env=env)
    assert done.returncode == 0, done.stderr
    stages = [line for line in done.stderr.splitlines() if line.startswith("space: Space ")]
    assert stages[-1] == "space: Space RUNNING" and len(stages) >= 2  # BUILDING ... RUNNING
    assert "space: Space is RUNNING" in done.stdout

    write_files(repo, {BUILD_ERROR_MARKER: "ModuleNotFoundError: No module named 'gradio'\n"})
    done = hfsync(repo, "run", "--wait", env=env)
    assert done.returncode == 5
    assert "(BUILD_ERROR): ModuleNotFoundError: No module named 'gradio'; fix it" in error_line(
        done.stderr
    )


def test_a_git_server_refusing_the_connection_is_temporary(make_repo) -> None:
    """Nothing listens on the port: git says "Couldn't connect to server", a network failure
    worth a retry, and after the retries exit 6 (temporary), not 4 (the remote refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/space.git"
    repo = make_repo({"hfsync.toml": f'[[targets]]\nname = "s"\nurl = "{url}"\n', "a": "a"})
    done = hfsync(repo, "run", env={"HFSYNC_RETRY_ATTEMPTS": "2", "HFSYNC_RETRY_WAIT": "0.1"})
    assert done.returncode == 6, done.stderr
    line = error_line(done.stderr)
    assert line.startswith(f"hfsync: error: s: git ls-remote on {url}"), line
    assert "failed after 2 attempts (cannot connect)" in line, line
