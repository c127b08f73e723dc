"""The test Hub as a server process: bounded memory while receiving big bodies, and quiet (no
traceback) when clients disconnect mid-request.

`HFSYNC_TESTHUB_MEMORY_MB` sets the body size of the memory test (default 96, for CI); run it with
1024 to check the 1 GB case by hand: `HFSYNC_TESTHUB_MEMORY_MB=1024 pytest -s -k memory ...`.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
from huggingface_hub import CommitOperationAdd, HfApi

from hfsync.testing.hub.fixtures import WRITE_TOKEN, client_pointed_at
from tests.helpers_signals import signal_a_worker_thread

MiB = 1024 * 1024
SIZE_MB = int(os.environ.get("HFSYNC_TESTHUB_MEMORY_MB", "96"))


@dataclass
class HubProcess:
    process: subprocess.Popen[str]
    url: str
    stderr: Path

    def memory_mb(self, field: str) -> float:
        """`VmRSS` (now) or `VmHWM` (peak) of the server process, in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise AssertionError(f"no {field} in /proc status")


@pytest.fixture
def hub_process(tmp_path: Path) -> Iterator[HubProcess]:
    stderr = tmp_path / "stderr"
    command = [sys.executable, "-m", "hfsync.testing.hub", "--root", str(tmp_path / "hub")]
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [*command, "--token", f"{WRITE_TOKEN}@user"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    try:
        # Legacy LFS: its uploads stream through this server's own handlers (Xet has its tests).
        with client_pointed_at(url, tmp_path / "hf", xet=False):
            yield HubProcess(process, url, stderr)
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_memory_stays_far_below_the_bodies_received(
    hub_process: HubProcess, tmp_path: Path
) -> None:
    api = HfApi(endpoint=hub_process.url, token=WRITE_TOKEN)
    api.create_repo("big")
    # Warm up every code path once, so that the baseline includes what they import.
    api.upload_file(path_or_fileobj=b"\0" * 100, path_in_repo="warm.bin", repo_id="user/big")
    api.upload_file(path_or_fileobj=b"warm", path_in_repo="warm.txt", repo_id="user/big")
    baseline = hub_process.memory_mb("VmRSS")
    size = SIZE_MB * MiB

    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        for _ in range(SIZE_MB):
            handle.write(secrets.token_bytes(MiB))
    api.upload_file(path_or_fileobj=str(big), path_in_repo="big.bin", repo_id="user/big")
    after_lfs = hub_process.memory_mb("VmHWM")
    big.unlink()

    # Inline (regular) files in one commit, sent base64 in the ndjson body. The server holds one
    # line at a time: a few times the largest file (~60 MiB for a file at the 10 MiB limit).
    text = secrets.token_hex(MiB).encode()
    api.create_commit(
        "user/big",
        [CommitOperationAdd(f"text/{n}.txt", text + b"%d" % n) for n in range(SIZE_MB // 2)],
        commit_message="inline",
    )
    after_commit = hub_process.memory_mb("VmHWM")

    # The control endpoint needs no token: anyone can send it a body.
    def chunks() -> Iterator[bytes]:
        for _ in range(SIZE_MB):
            yield b" " * MiB

    answer = httpx2.post(f"{hub_process.url}/_testhub/faults", content=chunks())
    after_control = hub_process.memory_mb("VmHWM")

    print(
        f"\ntest hub RSS, {SIZE_MB} MiB bodies: baseline {baseline:.0f} MiB; peak after LFS "
        f"{after_lfs:.0f}, after inline commit {after_commit:.0f}, after control "
        f"{after_control:.0f} MiB"
    )
    assert answer.status_code == 413
    assert sorted(api.list_repo_files("user/big"))[:2] == [".gitattributes", "big.bin"]
    # Growth is bounded by a chunk or a line, not by the body.
    assert after_control - baseline < size / MiB / 2


def test_client_disconnects_leave_no_traceback(hub_process: HubProcess) -> None:
    api = HfApi(endpoint=hub_process.url, token=WRITE_TOKEN)
    api.create_repo("thing")
    api.upload_file(path_or_fileobj=b"\0" * MiB, path_in_repo="w.bin", repo_id="user/thing")
    parts = urlsplit(hub_process.url)
    assert parts.hostname and parts.port
    requests = [
        # A body announced but cut short, on an upload route, a JSON route and the control route.
        b"POST /api/models/user/thing/commit/main HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {WRITE_TOKEN}\r\n".encode()
        + b"Content-Length: 10000000\r\n\r\n"
        + b'{"key": "header"',
        b"POST /api/models/user/thing/preupload/main HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 5000\r\n\r\n{",
        b"POST /_testhub/faults HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{",
        # A download abandoned as soon as it starts.
        b"GET /user/thing/resolve/main/w.bin HTTP/1.1\r\nHost: x\r\n\r\n",
    ]
    for request in requests:
        with socket.create_connection((parts.hostname, parts.port)) as connection:
            connection.sendall(request)
            connection.shutdown(socket.SHUT_WR)
            connection.recv(10)

    assert api.repo_info("user/thing").id == "user/thing"  # still serving
    hub_process.process.terminate()
    hub_process.process.wait(timeout=30)
    stderr = hub_process.stderr.read_text()
    assert "Traceback" not in stderr, stderr


def test_stops_on_sigterm_delivered_to_any_thread(hub_process: HubProcess) -> None:
    # Python runs a signal's handler in the main thread only, which must notice a signal that
    # landed on another thread (CI once waited 30 s for a hub that never stopped).
    signal_a_worker_thread(hub_process.process.pid)
    assert hub_process.process.wait(timeout=10) == 0
