"""`hfsync serve` as a subprocess: a source git repository pushed to by a test, the test Hub as
the target, GitHub-style signed webhooks over real HTTP, /healthz and /metrics read as a probe
and Prometheus would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfsync.daemons.webhook import sign
from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.helpers_git import commit_all, git, init_repo, write_files
from tests.helpers_signals import signal_a_worker_thread

SECRET = "webhook-secret-for-tests"
REPO = "user/demo"
CONFIG = (
    f'[[targets]]\nname = "space"\nrepo = "{REPO}"\ncreate = true\n'
    'paths = ["app/**", "README.md"]\n'
)
# A Space that the sync creates must start with a configuration.
README = "---\nsdk: gradio\napp_file: app/main.py\n---\n"


def wait_for(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Source:
    """A bare repository that serve follows, and a clone the test pushes from."""

    bare: Path
    work: Path

    def push(self, files: dict[str, str | bytes], branch: str = "main") -> str:
        write_files(self.work, files)
        sha = commit_all(self.work, f"push {sorted(files)}")
        git(self.work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return sha


@pytest.fixture
def source(tmp_path: Path) -> Source:
    work = init_repo(
        tmp_path / "work", {"hfsync.toml": CONFIG, "README.md": README, "app/main.py": "M = 0\n"}
    )
    bare = tmp_path / "source.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    return Source(bare, work)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[TestHub]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf") as hub:
        yield hub


@pytest.fixture
def api(hub: TestHub) -> HfApi:
    return HfApi(endpoint=hub.url, token=WRITE_TOKEN)


@dataclass
class Serve:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path
    url: str = ""

    def log(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def health(self) -> tuple[int, dict[str, object]]:
        status, body = self.get("/healthz")
        return status, json.loads(body)

    def deliver(
        self, body: bytes, signature: str | None, event: str = "push"
    ) -> tuple[int, dict[str, str]]:
        headers = {"Content-Type": "application/json", "X-GitHub-Event": event}
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        request = urllib.request.Request(self.url + "/webhook", body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def push_event(self, sha: str, branch: str = "main") -> tuple[int, dict[str, str]]:
        body = json.dumps({"ref": f"refs/heads/{branch}", "after": sha}).encode()
        return self.deliver(body, sign(SECRET.encode(), body))

    def stop(self) -> None:
        self.proc.terminate()
        assert self.proc.wait(timeout=20) == 0, self.log()


@contextmanager
def serving(
    source: Source, hub: TestHub, logs: Path, *args: str, name: str = "serve"
) -> Iterator[Serve]:
    """`hfsync serve` in a subprocess, ready (first round done); killed if a test leaves it."""
    out, err = logs / f"{name}.out", logs / f"{name}.err"
    env = {
        **os.environ,
        "HF_ENDPOINT": hub.url,
        "HF_TOKEN": WRITE_TOKEN,
        "HFSYNC_WEBHOOK_SECRET": SECRET,
    }
    command = [
        *(sys.executable, "-m", "hfsync", "serve", "--source", str(source.bare)),
        *("--state", str(logs / f"{name}-state"), "--http", "127.0.0.1:0", "--poll", "600"),
        *args,
    ]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, cwd=logs, stdout=stdout, stderr=stderr, env=env)
    serve = Serve(proc, out, err)
    try:
        wait_for(lambda: "endpoints on" in out.read_text() or proc.poll() is not None, "start")
        found = re.search(r"endpoints on (http://\S+);", out.read_text())
        assert found, serve.log()
        serve.url = found[1]
        wait_for(lambda: serve.get("/readyz")[0] == 200, "ready")
        yield serve
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def hfsync_commits(api: HfApi) -> list[str]:
    """The messages of hfsync's commits on the Space, oldest first."""
    commits = api.list_repo_commits(REPO, repo_type="space")
    return [c.title + "\n\n" + c.message for c in reversed(commits) if "HFSync-Run" in c.message]


def space_files(api: HfApi) -> set[str]:
    return set(api.list_repo_files(REPO, repo_type="space"))


def test_stops_on_sigterm_sent_to_any_thread(source: Source, hub: TestHub, tmp_path: Path) -> None:
    with serving(source, hub, tmp_path) as serve:  # polls every 600 s
        signal_a_worker_thread(serve.proc.pid)  # e.g. the HTTP server's thread
        assert serve.proc.wait(timeout=20) == 0, serve.log()


def test_a_signed_webhook_lands_the_new_commit_as_one_commit(
    source: Source, hub: TestHub, api: HfApi, tmp_path: Path
) -> None:
    with serving(source, hub, tmp_path) as serve:
        assert space_files(api) >= {"app/main.py"}
        assert len(hfsync_commits(api)) == 1
        sha = source.push({"app/a.py": "A\n", "app/b.py": "B\n", "app/c/d.py": "D\n"})
        assert serve.push_event(sha) == (202, {"status": "queued"})
        wait_for(lambda: "app/c/d.py" in space_files(api), "the pushed files")
        (_first, second) = hfsync_commits(api)
        assert f"HFSync-Source: {sha}" in second
        assert "upload 3 files" in second
        serve.stop()
    assert "committed" in serve.out.read_text()


def test_a_burst_of_pushes_and_deliveries_is_one_sync_of_the_newest_commit(
    source: Source, hub: TestHub, api: HfApi, tmp_path: Path
) -> None:
    with serving(source, hub, tmp_path) as serve:
        shas = [source.push({f"app/burst{i}.py": f"B = {i}\n"}) for i in range(5)]
        for sha in shas:
            assert serve.push_event(sha)[0] == 202
        wait_for(lambda: "app/burst4.py" in space_files(api), "the newest commit's files")
        time.sleep(1.0)  # a second sync, had the burst not been coalesced
        (_first, synced) = hfsync_commits(api)
        assert f"HFSync-Source: {shas[-1]}" in synced and "upload 5 files" in synced
        serve.stop()


def test_a_badly_signed_webhook_gets_401_and_syncs_nothing(
    source: Source, hub: TestHub, api: HfApi, tmp_path: Path
) -> None:
    with serving(source, hub, tmp_path) as serve:
        sha = source.push({"app/sneaky.py": "S\n"})
        body = json.dumps({"ref": "refs/heads/main", "after": sha, "marker": "BODY-MARK"}).encode()
        assert serve.deliver(body, None)[0] == 401
        assert serve.deliver(body, sign(b"wrong secret", body))[0] == 401
        assert serve.deliver(body, "sha256=" + "0" * 64)[0] == 401
        assert serve.deliver(body + b" ", sign(SECRET.encode(), body))[0] == 401
        other = json.dumps({"ref": "refs/heads/feature", "after": sha}).encode()
        assert serve.deliver(other, sign(SECRET.encode(), other)) == (
            202,
            {"status": "ignored", "reason": "not branch main"},
        )
        assert serve.deliver(b"{}", sign(SECRET.encode(), b"{}"), event="ping")[0] == 200
        time.sleep(1.5)  # time for a sync, had any delivery started one
        assert "app/sneaky.py" not in space_files(api)
        assert len(hfsync_commits(api)) == 1
        serve.stop()
    log = serve.log()
    assert log.count("rejected a delivery with a bad or missing signature") == 4
    assert "BODY-MARK" not in log


def metric_samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz_503_on_conflict_and_revoked_token_200_after_recovery_and_metrics(
    source: Source, hub: TestHub, api: HfApi, tmp_path: Path
) -> None:
    with serving(source, hub, tmp_path) as serve:
        assert serve.health() == (200, {"status": "ok", "targets": {"space": True}})
        # Someone edits the Space: the next push's sync stops on the conflict.
        api.upload_file(
            path_or_fileobj=b"M = 'edited on the Space'\n",
            path_in_repo="app/main.py",
            repo_id=REPO,
            repo_type="space",
        )
        sha = source.push({"app/main.py": "M = 1\n"})
        serve.push_event(sha)
        wait_for(lambda: serve.health()[0] == 503, "the conflict")
        status, body = serve.health()
        assert body["reasons"][0]["problem"] == "conflict"  # type: ignore[index]
        # The edit brought into the source: healthy again.
        sha = source.push({"app/main.py": "M = 'edited on the Space'\n", "app/x.py": "X\n"})
        serve.push_event(sha)
        wait_for(lambda: serve.health()[0] == 200, "the recovery")

        # The token is revoked: every Hub call answers 401.
        hub.control.inject(".", status=401, times=10_000, message="Invalid credentials")
        sha = source.push({"app/y.py": "Y\n"})
        serve.push_event(sha)
        wait_for(lambda: serve.health()[0] == 503, "the revoked token")
        status, body = serve.health()
        assert body["reasons"][0]["problem"] == "refused"  # type: ignore[index]
        assert "rejected the token" in body["reasons"][0]["message"]  # type: ignore[index]
        hub.control.clear_faults()  # a new token
        wait_for(lambda: serve.health()[0] == 200, "the recovery", timeout=20)
        assert "app/y.py" in space_files(api)

        status, text = serve.get("/metrics")
        assert status == 200
        serve.stop()
    samples = metric_samples(text.decode())
    target = (("target", "space"),)
    assert samples[("hfsync_commits_total", target)] == len(hfsync_commits(api)) == 3
    assert samples[("hfsync_syncs_total", (("outcome", "conflict"), *target))] >= 1
    assert samples[("hfsync_syncs_total", (("outcome", "error"), *target))] >= 1
    assert samples[("hfsync_uploaded_files_total", target)] == 4  # README, main.py, x.py, y.py
    assert samples[("hfsync_conflicts_total", target)] >= 1
    assert samples[("hfsync_source_fetch_failures_total", ())] == 0
    assert samples[("hfsync_sync_duration_seconds_count", target)] >= 5
    assert samples[("hfsync_commit_budget_left", target)] == 97
    assert samples[("hfsync_last_success_timestamp_seconds", target)] > 0


def test_a_failing_source_fetch_is_unhealthy_until_it_works_again(
    source: Source, hub: TestHub, tmp_path: Path
) -> None:
    with serving(source, hub, tmp_path, "--poll", "0.3") as serve:
        source.bare.rename(tmp_path / "moved.git")
        wait_for(lambda: serve.health()[0] == 503, "the failing fetch")
        _status, body = serve.health()
        assert body["reasons"][0]["problem"] == "source_fetch"  # type: ignore[index]
        (tmp_path / "moved.git").rename(source.bare)
        wait_for(lambda: serve.health()[0] == 200, "the recovery")
        _status, text = serve.get("/metrics")
        serve.stop()
    assert metric_samples(text.decode())[("hfsync_source_fetch_failures_total", ())] >= 1
    errors = [line for line in serve.err.read_text().splitlines() if "source: error" in line]
    assert len(errors) < 5, "a repeated error is printed with backoff"
