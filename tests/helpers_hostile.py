"""Hostile HTTP clients for `hfsync serve --http`, as raw sockets on loopback, and the figures
of the serving process they are judged by (from /proc: Linux only).

`serving_git` runs `hfsync serve` as a subprocess following a local source repository and
syncing it to a local bare git repository, with JSON log lines (each must parse).
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hfsync.daemons.webhook import sign
from tests.helpers_git import commit_all, git, init_repo, write_files

SECRET = "a-webhook-secret-for-the-hostile-tests"
MB = 1024 * 1024


@dataclass
class ServeProcess:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path
    source: Path  # a clone of the followed repository, to push from
    target: Path  # the bare repository serve syncs to
    host: str = ""
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stdout_lines(self) -> list[str]:
        return self.out.read_text(errors="replace").splitlines()

    def stderr_text(self) -> str:
        return self.err.read_text(errors="replace")

    def status(self, name: str) -> int:
        """A figure from /proc/PID/status, in kB (VmRSS, VmHWM)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
        raise KeyError(name)

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))

    def get(self, path: str, timeout: float = 10) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code

    def commit(self, files: dict[str, str]) -> str:
        """Commit `files` to the followed repository (no webhook yet); the commit's sha."""
        write_files(self.source, files)
        sha = commit_all(self.source, f"push {sorted(files)}")
        git(self.source, "push", "-q", "origin", "HEAD:refs/heads/main")
        return sha

    def deliver_push(self, sha: str) -> int:
        """A signed push webhook for `sha`, as GitHub sends it; the answer's status."""
        body = json.dumps({"ref": "refs/heads/main", "after": sha}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-Hub-Signature-256": sign(SECRET.encode(), body),
        }
        request = urllib.request.Request(self.url + "/webhook", body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=20) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code

    def push(self, files: dict[str, str]) -> str:
        """Commit `files` and deliver its signed push webhook (accepted)."""
        sha = self.commit(files)
        assert self.deliver_push(sha) == 202
        return sha

    def target_head(self) -> str:
        done = subprocess.run(
            ["git", "rev-parse", "-q", "--verify", "refs/heads/main"],
            cwd=self.target,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def synced(self, sha: str) -> bool:
        """Whether the target's head records source commit `sha` (hfsync's commit trailer)."""
        head = self.target_head()
        if not head:
            return False
        return f"HFSync-Source: {sha}" in git(self.target, "log", "-1", "--format=%B", head)


def wait_for(check: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def serving_git(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[ServeProcess]:
    """`hfsync serve --http 127.0.0.1:0 --log-format json` on a local source and target, ready
    (its first round done); killed if the caller leaves it running."""
    target = root / "target.git"
    config = (
        f'[[targets]]\nname = "mirror"\nurl = "{target}"\ncreate = true\npaths = ["app/**"]\n'
        "commit_budget = 100000\n"  # a soak pushes hundreds of commits an hour: no pacing
    )
    work = init_repo(root / "work", {"hfsync.toml": config, "app/main.py": "M = 0\n"})
    bare = root / "source.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    out, err = root / "serve.out", root / "serve.err"
    command = [
        *(sys.executable, "-m", "hfsync", "serve", "--source", str(bare)),
        *("--state", str(root / "state"), "--http", "127.0.0.1:0", "--poll", "600"),
        *("--log-format", "json", *args),
    ]
    environ = {**os.environ, "HFSYNC_WEBHOOK_SECRET": SECRET, **(env or {})}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, cwd=root, stdout=stdout, stderr=stderr, env=environ)
    serve = ServeProcess(proc, out, err, work, target)
    try:
        wait_for(lambda: "endpoints on" in out.read_text() or proc.poll() is not None, "start")
        found = re.search(r"endpoints on http://([0-9.]+):(\d+)", out.read_text())
        assert found, serve.stderr_text()
        serve.host, serve.port = found[1], int(found[2])
        wait_for(lambda: serve.get("/readyz") == 200, "ready")
        yield serve
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def connect(serve: ServeProcess, timeout: float = 10) -> socket.socket:
    return socket.create_connection((serve.host, serve.port), timeout=timeout)


def reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a client that crashes or gives up does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def answer_status(sock: socket.socket) -> str:
    """The status code of the answer on `sock`, 'closed' if the server hung up without one,
    'reset' if it reset the connection."""
    try:
        data = sock.recv(200)
    except ConnectionResetError:
        return "reset"
    except TimeoutError:
        return "no answer"
    if not data:
        return "closed"
    return data.split(b"\r\n", 1)[0].split(b" ")[1].decode()


def unsigned_body(serve: ServeProcess, size: int) -> str:
    """POST an unsigned body of `size` bytes to /webhook; the answer's status."""
    sock = connect(serve, timeout=30)
    try:
        head = (
            f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n"
        )
        sock.sendall(head.encode())
        chunk = b"x" * MB
        sent = 0
        while sent < size:
            sock.sendall(chunk[: min(MB, size - sent)])
            sent += min(MB, size - sent)
        return answer_status(sock)
    except (ConnectionResetError, BrokenPipeError):
        return "reset"  # answered (503, 413) and closed while the body was still coming
    finally:
        sock.close()


def at_once(count: int, work: object) -> list[str]:
    """Run `work()` in `count` threads at once; their results."""
    results: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        result = work()  # type: ignore[operator]
        with lock:
            results.append(result)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def trickle(serve: ServeProcess, every: float, at_most: int) -> tuple[int, str]:
    """Send a webhook request's body a byte every `every` seconds, at most `at_most` bytes of
    the 1,000 announced; (bytes sent, 'closed by the server' or 'still open')."""
    sock = connect(serve)
    try:
        sock.sendall(b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        sock.settimeout(every)
        for sent in range(at_most):
            try:
                sock.sendall(b"x")
            except OSError:
                return sent, "closed by the server"
            try:
                if sock.recv(200) == b"":
                    return sent + 1, "closed by the server"
            except TimeoutError:
                continue
            except ConnectionResetError:
                return sent + 1, "closed by the server"
        return at_most, "still open"
    finally:
        sock.close()


def headers_only(serve: ServeProcess, count: int) -> list[socket.socket]:
    """`count` connections that send the start of a request and never finish its headers."""
    opened = []
    for _ in range(count):
        sock = connect(serve)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        opened.append(sock)
    return opened


def rejected(serve: ServeProcess) -> str:
    """One small unsigned delivery; the answer's status."""
    sock = connect(serve, timeout=30)
    try:
        body = b'{"ref": "refs/heads/main"}'
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Delivery: hostile\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        return answer_status(sock)
    finally:
        sock.close()


def hang_up_early(serve: ServeProcess, request: bytes) -> None:
    """Send `request` and reset the connection before the answer comes."""
    sock = connect(serve)
    sock.sendall(request)
    reset(sock)


def log_problems(serve: ServeProcess) -> list[str]:
    """Lines of serve's output that are not one JSON object each, and any traceback."""
    problems = []
    for line in serve.stdout_lines():
        try:
            if not isinstance(json.loads(line), dict):
                problems.append(f"not an object: {line[:200]}")
        except ValueError:
            problems.append(f"not JSON: {line[:200]}")
    err = serve.stderr_text()
    if err.strip():
        problems.append(f"stderr: {err[:500]}")
    return problems
