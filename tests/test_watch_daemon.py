"""`hfsync watch` left running: log lines, quiet polls, repeated errors, fatal errors, JSON logs,
`--force`, folders not watched, and commit pacing against the test Hub's rate limit."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from hfsync.core.errors import ConflictError, RemoteError, TooManyDeletesError
from hfsync.daemons.pacing import Pacer
from hfsync.daemons.watch import Watcher
from hfsync.daemons.watchplan import plan_watches
from hfsync.engine.sync_values import SyncResult
from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from hfsync.ui.daemon_log import DaemonLog, SyncReporter
from tests.conftest import first_target_of
from tests.helpers_git import commit_all, git, write_files
from tests.helpers_signals import signal_a_worker_thread

pytestmark = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")

DEBOUNCE = 0.2
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")


def wait_for(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def git_config(remote: Path, extra: str = "") -> str:
    return (
        f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\npaths = ["app/**"]\n'
        + extra
    )


@contextmanager
def watching(repo: Path, **options: Any) -> Iterator[list[SyncResult | Exception]]:
    """A Watcher on `repo`'s first target, its loop in a thread; yields its outcomes."""
    outcomes: list[SyncResult | Exception] = []
    failures: list[BaseException] = []
    watcher = Watcher(
        *first_target_of(repo),
        debounce=DEBOUNCE,
        poll=0.0,
        on_conflict=None,
        report=lambda _name, outcome, _s: outcomes.append(outcome),
        **options,
    )

    def loop() -> None:
        try:
            watcher.run_until_stopped()
        except BaseException as exc:
            failures.append(exc)

    runner = threading.Thread(target=loop)
    with watcher:
        runner.start()
        try:
            wait_for(lambda: outcomes or failures, "the first sync")
            yield outcomes
        finally:
            watcher.stop()
            runner.join(timeout=60)
    assert not failures


@contextmanager
def cli_watch(
    repo: Path, logs: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    out, err = logs / "watch.out", logs / "watch.err"
    command = [sys.executable, "-m", "hfsync", "watch", "--debounce", str(DEBOUNCE), *args]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            command, cwd=repo, stdout=stdout, stderr=stderr, env={**os.environ, **(env or {})}
        )
    try:
        yield proc, out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- pure pieces -------------------------------------------------------------------------------


def test_pacer_spends_half_the_budget_at_once_then_spreads_the_rest() -> None:
    pacer = Pacer(budget=4, window=100.0)
    assert pacer.ready_at(0.0) == 0.0
    pacer.committed(0.0)
    assert pacer.ready_at(1.0) == 1.0  # 3 left: more than half
    pacer.committed(1.0)
    assert pacer.left(2.0) == 2
    assert pacer.ready_at(2.0) == pytest.approx(1.0 + 99.0 / 2)  # the rest of the window, halved
    pacer.committed(51.0)
    assert pacer.ready_at(52.0) == pytest.approx(100.0)  # 1 left: wait for the oldest to leave
    pacer.committed(100.0)
    assert pacer.left(100.5) == 1  # the first commit left the window


def test_pacer_min_interval_and_a_429_that_teaches_the_budget() -> None:
    pacer = Pacer(budget=100, window=100.0, min_interval=10.0)
    pacer.committed(0.0)
    assert pacer.ready_at(1.0) == 10.0
    pacer.committed(10.0)
    assert pacer.rate_limited(11.0, wait=30.0) == 41.0  # tried again when the remote said
    assert pacer.budget == 2  # what the remote allowed in the window
    assert pacer.ready_at(20.0) == 41.0
    pacer.committed(41.0)
    assert pacer.ready_at(50.0) == 100.0  # paced on the budget learnt


def test_pacer_backs_off_after_failures() -> None:
    pacer = Pacer()
    assert [pacer.failed(0.0) for _ in range(4)] == [1.0, 2.0, 4.0, 8.0]
    pacer.succeeded()
    assert pacer.failed(100.0) == 101.0


def test_watch_plan_skips_ignored_folders_at_any_depth() -> None:
    tree = {
        "": [".git", ".venv", "app", "docs"],
        "app": ["app/__pycache__", "app/sub"],
    }
    plan = plan_watches({".git", ".venv", "app/__pycache__"}, lambda f: tree.get(f, []))
    assert plan == [("", False), ("docs", True), ("app", False), ("app/sub", True)]


def log_at(*times: str) -> tuple[DaemonLog, io.StringIO]:
    clock = iter(datetime.fromisoformat(t).replace(tzinfo=timezone.utc) for t in times)
    out = io.StringIO()
    return DaemonLog(out=out, err=out, clock=lambda: next(clock)), out


def test_a_repeated_error_is_printed_once_then_with_backoff_and_its_recovery() -> None:
    log, out = log_at(*[f"2026-01-01T10:00:{s:02d}" for s in range(20)])
    reporter = SyncReporter(log)
    for _ in range(9):
        reporter.report("space", RemoteError("the Hub failed (503)"))
    reporter.report("space", ConflictError("1 remote edit(s) would be overwritten: a.py"))
    lines = out.getvalue().splitlines()
    assert lines == [
        "2026-01-01 10:00:00 space: error: the Hub failed (503)",
        "2026-01-01 10:00:01 space: error: the Hub failed (503) (failed 2 times in a row)",
        "2026-01-01 10:00:02 space: error: the Hub failed (503) (failed 4 times in a row)",
        "2026-01-01 10:00:03 space: error: the Hub failed (503) (failed 8 times in a row)",
        "2026-01-01 10:00:04 space: conflict: 1 remote edit(s) would be overwritten: a.py",
    ]


# -- the command -------------------------------------------------------------------------------


def test_polls_that_find_nothing_print_nothing_unless_verbose(make_repo, tmp_path: Path) -> None:
    repo = make_repo({"hfsync.toml": git_config(tmp_path / "r.git"), "app/a.py": "A = 1\n"})
    for verbose in (False, True):
        args = ["--poll", "0.2"] + (["-v"] if verbose else [])
        with cli_watch(repo, tmp_path, *args) as (proc, out, err):
            wait_for(lambda: "committed" in out.read_text() or "nothing" in out.read_text(), "1st")
            time.sleep(1.5)  # about seven polls
            proc.terminate()
            assert proc.wait(timeout=20) == 0, err.read_text()
        lines = out.read_text().splitlines()
        assert all(LINE.match(line) for line in lines), lines
        quiet = [line for line in lines if "space: nothing to do" in line]
        assert (len(quiet) >= 3) if verbose else not quiet, lines
        assert lines[-1].endswith(" stopped")


def test_an_idle_watcher_stops_on_sigterm_sent_to_any_thread(make_repo, tmp_path: Path) -> None:
    repo = make_repo({"hfsync.toml": git_config(tmp_path / "r.git"), "app/a.py": "A = 1\n"})
    with cli_watch(repo, tmp_path, "--poll", "0") as (proc, out, err):
        wait_for(lambda: "committed" in out.read_text(), "the first commit")
        signal_a_worker_thread(proc.pid)  # e.g. watchdog's observer thread
        assert proc.wait(timeout=20) == 0, err.read_text()
    assert out.read_text().splitlines()[-1].endswith(" stopped")


def test_json_log_lines(make_repo, tmp_path: Path) -> None:
    repo = make_repo({"hfsync.toml": git_config(tmp_path / "r.git"), "app/a.py": "A = 1\n"})
    with cli_watch(repo, tmp_path, "--poll", "0", "--log-format", "json") as (proc, out, err):
        wait_for(lambda: '"committed"' in out.read_text(), "the first commit")
        write_files(repo, {"app/b.py": "B = 1\n"})
        wait_for(lambda: out.read_text().count('"committed"') == 2, "the second commit")
        proc.terminate()
        assert proc.wait(timeout=20) == 0, err.read_text()
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert {tuple(sorted(r)) for r in records} == {
        ("event", "fields", "level", "message", "target", "time")
    }
    committed = [r for r in records if r["event"] == "committed"]
    assert committed[1]["target"] == "space" and committed[1]["fields"]["paths"] == ["app/b.py"]
    assert committed[1]["fields"]["uploaded"] == 1
    datetime.fromisoformat(committed[1]["time"])
    assert err.read_text() == ""


def test_a_rejected_token_stops_the_watcher_with_exit_4(make_repo, tmp_path: Path) -> None:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf") as hub:
        config = '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
        readme = "---\nsdk: gradio\n---\n"
        repo = make_repo({"hfsync.toml": config, "README.md": readme, "app.py": "A = 1\n"})
        env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_not_a_valid_token"}
        with cli_watch(repo, tmp_path, "--poll", "0.2", env=env) as (proc, out, err):
            assert proc.wait(timeout=30) == 4
        (line,) = err.read_text().splitlines()
        assert LINE.match(line) and "stopping: the Hub rejected the token (401)" in line
        assert "hf_not_a_valid_token" not in out.read_text() + err.read_text()


def test_force_lets_the_watcher_delete_more_than_max_delete(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    files = {f"app/{i}.py": f"X = {i}\n" for i in range(3)}
    repo = make_repo({"hfsync.toml": git_config(remote, "max_delete = 1\n"), **files})
    with watching(repo) as outcomes:
        for path in files:
            (repo / path).unlink()
        wait_for(lambda: len(outcomes) == 2, "the sync of the deletions")
    assert isinstance(outcomes[1], TooManyDeletesError)
    assert len(git(remote, "ls-tree", "-r", "--name-only", "main").split()) == 3
    with watching(repo, force=True) as outcomes:
        (synced,) = outcomes
    assert isinstance(synced, SyncResult) and len(synced.plan.deletes) == 3
    assert git(remote, "ls-tree", "-r", "--name-only", "main") == ""


def inotify_watched_inodes() -> set[int]:
    """The inodes this process watches through inotify (from /proc: what the kernel holds)."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            info = Path(f"/proc/self/fdinfo/{fd}").read_text()
        except OSError:
            continue
        inodes |= {int(m, 16) for m in re.findall(r"^inotify wd:\S+ ino:([0-9a-f]+)", info, re.M)}
    return inodes


@pytest.mark.skipif(sys.platform != "linux", reason="counts inotify watches")
def test_git_ignored_folders_are_not_watched(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    repo = make_repo(
        {
            "hfsync.toml": git_config(remote),
            ".gitignore": ".venv/\n__pycache__/\n",
            "app/a.py": "A = 1\n",
        }
    )
    for i in range(200):  # a virtual environment's worth of folders
        (repo / ".venv" / "lib" / f"pkg{i}" / "sub").mkdir(parents=True)
    (repo / "app" / "__pycache__").mkdir()
    with watching(repo) as outcomes:
        watched = inotify_watched_inodes()
        inodes = {p.stat().st_ino: p for p in repo.rglob("*") if p.is_dir()}
        names = {str(inodes[i].relative_to(repo)) for i in watched if i in inodes}
        assert names == {"app"}, names  # and the root, which rglob does not list
        assert not any(n.startswith((".venv", ".git")) or "__pycache__" in n for n in names)
        (repo / "app" / "new" / "deep").mkdir(parents=True)
        write_files(repo, {"app/new/deep/n.py": "N = 1\n"})
        wait_for(lambda: len(outcomes) == 2, "the new folder's file")
        (repo / "fresh").mkdir()  # a new folder at the root: watched from now on
        time.sleep(0.3)
        write_files(repo, {"fresh/x.py": "X = 1\n", "app/fresh.py": "F = 1\n"})
        wait_for(lambda: len(outcomes) == 3, "a change after it")
    tree = git(remote, "ls-tree", "-r", "--name-only", "main").split()
    assert {"app/new/deep/n.py", "app/fresh.py"} <= set(tree)


# -- pacing against the test Hub's commit rate limit ------------------------------------------


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestHub]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf") as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", WRITE_TOKEN)
        yield hub


WINDOW = 6.0


def space_file(hub: TestHub, path: str) -> str | None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import EntryNotFoundError

    try:
        local = HfApi(endpoint=hub.url, token=WRITE_TOKEN).hf_hub_download(
            "user/demo", path, repo_type="space"
        )
    except EntryNotFoundError:
        return None
    return Path(local).read_text()


@pytest.mark.parametrize("budget", [4, None], ids=["budget known", "budget learnt from a 429"])
def test_eight_edits_under_a_commit_budget_all_reach_the_space(
    make_repo, hub: TestHub, budget: int | None
) -> None:
    extra = f"commit_budget = {budget}\n" if budget else ""
    config = f'[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n{extra}'
    readme = "---\nsdk: gradio\n---\n"
    repo = make_repo({"hfsync.toml": config, "README.md": readme, "app.py": "EDIT = 0\n"})
    commit_all(repo)
    hub.control.set_commit_rate_limit(4, window=WINDOW)
    with watching(repo, budget_window=WINDOW) as outcomes:
        for edit in range(1, 9):
            write_files(repo, {"app.py": f"EDIT = {edit}\n"})
            time.sleep(2 * DEBOUNCE)  # each edit settles: without pacing, 8 commits
        wait_for(lambda: space_file(hub, "app.py") == "EDIT = 8\n", "the last edit", 60)
    commits = [o for o in outcomes if isinstance(o, SyncResult) and o.commit]
    assert len(commits) < 1 + 8  # the first sync, then fewer commits than edits
    refused = hub.control.count("POST", "/commit/") - len(commits)
    rate_limited = [r for r in hub.control.requests("POST", "/commit/") if r.status == 429]
    assert len(rate_limited) == refused
    if budget:
        assert not rate_limited, "a known budget provokes no 429"
    assert not [o for o in outcomes if isinstance(o, Exception)] or not budget


def test_watch_serves_health_and_metrics(make_repo, tmp_path: Path) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    repo = make_repo({"hfsync.toml": git_config(tmp_path / "r.git"), "app/a.py": "A = 1\n"})
    with cli_watch(repo, tmp_path, "--poll", "0", "--http", "127.0.0.1:0") as (proc, out, err):
        wait_for(lambda: "committed" in out.read_text(), "the first commit")
        url = re.search(r"endpoints on (http://\S+) ", out.read_text())
        assert url, out.read_text()
        with urllib.request.urlopen(url[1] + "/healthz", timeout=10) as answer:
            assert answer.status == 200
            assert json.load(answer) == {"status": "ok", "targets": {"space": True}}
        with urllib.request.urlopen(url[1] + "/metrics", timeout=10) as answer:
            text = answer.read().decode()
        proc.terminate()
        assert proc.wait(timeout=20) == 0, err.read_text()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("hfsync_commits_total", (("target", "space"),))] == 1
    assert samples[("hfsync_uploaded_files_total", (("target", "space"),))] == 1
    assert samples[("hfsync_uploaded_bytes_total", (("target", "space"),))] == len("A = 1\n")
    assert samples[("hfsync_commit_budget_left", (("target", "space"),))] == 99
