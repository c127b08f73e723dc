"""Every mode makes the same checks: `check` and `run --dry-run` agree on every case, a token
saved under `watch` or pushed to `serve`'s source never reaches the remote, and the line,
`/healthz` and `/metrics` say which file and which check (never the secret)."""

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
from pathlib import Path

import pytest

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.helpers_git import commit_all, git, hfsync, init_repo, write_files

pytestmark = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")

TOKEN = "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"  # made up: the shape of a Hub token
README = "---\ntitle: Demo\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"


def wait_for(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[TestHub]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home") as hub:
        yield hub


def space_config(extra: str = "") -> str:
    return f'[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n{extra}'


def git_config(remote: Path, extra: str = "") -> str:
    return f'[[targets]]\nname = "g"\nurl = "{remote}"\ncreate = true\n{extra}'


# Each case: (files of the repository, config extra, what the check finds or None). The config
# is a new Space on the test Hub (created by the sync) unless the case says "git".
CASES: dict[str, tuple[dict[str, str | bytes], str, str | None]] = {
    "clean space": ({"README.md": README, "app.py": "print(1)\n"}, "", None),
    "a token": ({"README.md": README, "app.py": f'T = "{TOKEN}"\n'}, "", "[secret]"),
    "an env file": ({"README.md": README, "app.py": "1\n", ".env": "A=1\n"}, "", "[env-file]"),
    "over max_file_mb": (
        {"README.md": README, "app.py": "1\n", "big.bin": b"x" * 3000},
        "max_file_mb = 0.001\n",
        "[size]",
    ),
    "allowed token": (
        {"README.md": README, "app.py": f'T = "{TOKEN}"\n'},
        'allow = ["secret:app.py"]\n',
        None,
    ),
    "README outside the paths of a new Space": (
        {"README.md": README, "app/app.py": "1\n"},
        'paths = ["app/**"]\n',
        "no README.md: the Space has no configuration",
    ),
    "a new Space without README": ({"app.py": "1\n"}, "", "no README.md"),
    "README without front matter": (
        {"README.md": "# Demo\n", "app.py": "1\n"},
        "",
        "no YAML front matter",
    ),
    "app_file missing": (
        {"README.md": README.replace("app.py", "main.py"), "app.py": "1\n"},
        "",
        "`app_file` 'main.py' will not be in the Space",
    ),
    "git target with a token": ({"app.py": f'T = "{TOKEN}"\n'}, "git", "[secret]"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_and_run_dry_run_agree(case: str, make_repo, hub: TestHub, tmp_path: Path) -> None:
    files, extra, expected = CASES[case]
    config = git_config(tmp_path / "r.git") if extra == "git" else space_config(extra)
    repo = make_repo({"hfsync.toml": config, **files})
    env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN}
    check = hfsync(repo, "check", "--json", env=env)
    dry = hfsync(repo, "run", "--dry-run", "--json", env=env)
    assert check.returncode == dry.returncode == (0 if expected is None else 2), (
        check.stderr + dry.stderr
    )
    (checked,) = json.loads(check.stdout)["targets"]
    found_by_check = sorted(
        f"{f['path']}:{f['line']}: {f['problem']} [{f['check']}]; {f['fix']}".replace(":0:", ":")
        for f in checked["findings"]
    )
    (ran,) = json.loads(dry.stdout)["targets"]
    found_by_run = sorted(ran["error"]["findings"]) if ran["error"] else []
    assert found_by_check == found_by_run
    if expected is not None:
        assert any(expected in line for line in found_by_run), found_by_run
    assert TOKEN not in check.stdout + check.stderr + dry.stdout + dry.stderr
    # Neither wrote anything: no Space was created, no git repository made.
    assert not (tmp_path / "r.git").exists()
    assert hfsync(repo, "status", env=env).returncode == 0


def test_run_refuses_to_create_a_space_whose_readme_lies_outside_its_paths(
    make_repo, hub: TestHub
) -> None:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError

    files, extra, _ = CASES["README outside the paths of a new Space"]
    repo = make_repo({"hfsync.toml": space_config(extra), **files})
    done = hfsync(repo, "run", env={"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN})
    assert done.returncode == 2
    assert "README.md: no README.md: the Space has no configuration [space-config]" in done.stderr
    with pytest.raises(RepositoryNotFoundError):  # nothing was created
        HfApi(endpoint=hub.url, token=WRITE_TOKEN).space_info("user/demo")


def test_a_token_saved_under_watch_never_reaches_the_remote(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "r.git"
    repo = make_repo({"hfsync.toml": git_config(remote), "app.py": "A = 1\n"})
    out, err = tmp_path / "watch.out", tmp_path / "watch.err"
    command = [sys.executable, "-m", "hfsync", "watch", "--debounce", "0.2", "--poll", "0"]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(command, cwd=repo, stdout=stdout, stderr=stderr)
    try:
        wait_for(lambda: "uploaded app.py" in out.read_text(), "the first sync")
        write_files(repo, {"config.py": f'TOKEN = "{TOKEN}"\n', "app.py": "A = 2\n"})
        wait_for(lambda: "[secret]" in out.read_text() + err.read_text(), "the refusal")
        # Still watching: a fix is synced, with the rest of the batch.
        write_files(repo, {"config.py": 'TOKEN = os.environ["HF_TOKEN"]\n'})
        wait_for(lambda: "uploaded app.py, config.py" in out.read_text(), "the fixed batch")
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    printed = out.read_text() + err.read_text()
    assert TOKEN not in printed
    refusal = next(line for line in printed.splitlines() if "[secret]" in line)
    assert "config.py:1:" in refusal and "nothing was written" in refusal
    assert TOKEN not in git(remote, "log", "-p", "--all")
    assert git(remote, "show", "main:config.py") == 'TOKEN = os.environ["HF_TOKEN"]'


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_token_pushed_to_serve_is_not_synced_and_healthz_says_why(
    hub: TestHub, tmp_path: Path
) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    work = init_repo(
        tmp_path / "work", {"hfsync.toml": space_config(), "README.md": README, "app.py": "1\n"}
    )
    bare = tmp_path / "source.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(work, "remote", "add", "origin", str(bare))
    out = tmp_path / "serve.out"
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN}
    command = [
        *(sys.executable, "-m", "hfsync", "serve", "--source", str(bare)),
        *("--state", str(tmp_path / "state"), "--http", "127.0.0.1:0", "--poll", "0.3"),
    ]
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            command, cwd=tmp_path, stdout=stdout, stderr=subprocess.STDOUT, env=env
        )
    try:
        wait_for(lambda: "endpoints on" in out.read_text(), "start")
        url = re.search(r"endpoints on (http://\S+);", out.read_text())[1]  # type: ignore[index]
        wait_for(lambda: "space: committed" in out.read_text(), "the first sync")
        assert http_get(url + "/healthz")[0] == 200
        commits = len(api.list_repo_commits("user/demo", repo_type="space"))
        write_files(work, {"config.py": f'TOKEN = "{TOKEN}"\n'})
        commit_all(work, "a token")
        git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
        wait_for(lambda: http_get(url + "/healthz")[0] == 503, "healthz to turn red")
        _status, body = http_get(url + "/healthz")
        reason = json.loads(body)["reasons"][0]
        assert reason["problem"] == "checks"
        assert any("config.py:1:" in f and "[secret]" in f for f in reason["findings"])
        metrics = http_get(url + "/metrics")[1]
        assert re.search(r'hfsync_check_findings_total\{check="secret",target="space"\} 1', metrics)
        assert len(api.list_repo_commits("user/demo", repo_type="space")) == commits
    finally:
        proc.terminate()
        assert proc.wait(timeout=20) == 0
    assert TOKEN not in out.read_text()
