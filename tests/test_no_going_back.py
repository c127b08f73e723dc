"""A deploy never goes backwards by accident: `run --rev HEAD~1` after `run --rev HEAD` (a re-run
of an old CI job, two runs finishing out of order) is refused and the remote keeps the newer
files; `--allow-older` and `rollback` are the deliberate ways back; diverged sources pass."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers_git import commit_all, git, hfsync, init_repo, write_files

CI = {"CI": "true"}


def config(remote: Path) -> str:
    return f'[[targets]]\nname = "g"\nurl = "{remote}"\ncreate = true\n'


def test_an_older_commit_is_refused_and_the_newer_files_stay(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    repo = make_repo({"hfsync.toml": config(remote), "app.py": "V = 1\n"})
    write_files(repo, {"app.py": "V = 2\n"})
    v2 = commit_all(repo, "v2")
    assert hfsync(repo, "run", "--rev", "HEAD", env=CI).returncode == 0
    # The old job runs again (or finishes last): its commit is an ancestor of what is deployed.
    old = hfsync(repo, "run", "--rev", "HEAD~1", env=CI)
    assert old.returncode == 3, old.stdout + old.stderr
    (line,) = [x for x in old.stderr.splitlines() if x.startswith("hfsync: error:")]
    assert f"already holds {v2[:12]}, which is newer than the source" in line
    assert "'hfsync rollback', or 'hfsync run --allow-older'" in line
    assert git(remote, "show", "main:app.py") == "V = 2"
    assert hfsync(repo, "run", "--rev", "HEAD~1", "--dry-run", env=CI).returncode == 3
    # The same commit again, or a newer one, is no going back.
    assert hfsync(repo, "run", "--rev", "HEAD", env=CI).returncode == 0
    # On purpose: the older commit lands.
    done = hfsync(repo, "run", "--rev", "HEAD~1", "--allow-older", env=CI)
    assert done.returncode == 0, done.stderr
    assert git(remote, "show", "main:app.py") == "V = 1"


def test_diverged_sources_and_the_working_tree_are_not_refused(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    repo = make_repo({"hfsync.toml": config(remote), "app.py": "V = 1\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    write_files(repo, {"app.py": "V = 'feature'\n"})
    commit_all(repo, "feature")
    assert hfsync(repo, "run", "--rev", "feature", env=CI).returncode == 0
    git(repo, "checkout", "-q", "main")
    write_files(repo, {"app.py": "V = 'main'\n"})
    commit_all(repo, "main moves on")
    # Neither contains the other: nothing says which is newer, so the sync goes ahead.
    assert hfsync(repo, "run", "--rev", "main", env=CI).returncode == 0
    assert git(remote, "show", "main:app.py") == "V = 'main'"
    git(repo, "checkout", "-q", "HEAD~1")
    assert hfsync(repo, "run", "--worktree").returncode == 0  # a working tree is not a commit


def test_rollback_is_the_deliberate_way_back(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    repo = make_repo({"hfsync.toml": config(remote), "app.py": "V = 1\n"})
    assert hfsync(repo, "run", "--rev", "HEAD", env=CI).returncode == 0
    write_files(repo, {"app.py": "V = 2\n"})
    commit_all(repo, "v2")
    assert hfsync(repo, "run", "--rev", "HEAD", env=CI).returncode == 0
    assert hfsync(repo, "rollback").returncode == 0
    assert git(remote, "show", "main:app.py") == "V = 1"


def test_serve_does_not_sync_an_older_push(tmp_path: Path) -> None:
    def wait_for(check: object, what: str) -> None:
        deadline = time.monotonic() + 60
        while not check():  # type: ignore[operator]
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    def healthz(url: str) -> tuple[int, dict[str, object]]:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    remote = tmp_path / "r.git"
    work = init_repo(tmp_path / "work", {"hfsync.toml": config(remote), "app.py": "V = 1\n"})
    write_files(work, {"app.py": "V = 2\n"})
    commit_all(work, "v2")
    bare = tmp_path / "source.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    out = tmp_path / "serve.out"
    command = [
        *(sys.executable, "-m", "hfsync", "serve", "--source", str(bare)),
        *("--state", str(tmp_path / "state"), "--http", "127.0.0.1:0", "--poll", "0.3"),
    ]
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            command, cwd=tmp_path, stdout=stdout, stderr=subprocess.STDOUT, env=dict(os.environ)
        )
    try:
        wait_for(lambda: "g: committed" in out.read_text(), "the first sync")
        url = re.search(r"endpoints on (http://\S+);", out.read_text())[1]  # type: ignore[index]
        git(work, "push", "-q", "--force", "origin", "HEAD~1:refs/heads/main")  # back to v1
        wait_for(lambda: healthz(url)[0] == 503, "healthz to turn red")
        reason = healthz(url)[1]["reasons"][0]  # type: ignore[index]
        assert reason["problem"] == "conflict"
        assert "newer than the source" in reason["message"]
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    assert git(remote, "show", "main:app.py") == "V = 2"
