"""`hfsync watch` on a Gradio 6.1 Space of the test Hub: a save of Python code is one hot-reload
commit with a line per replica, anything else a normal commit that says why, an exception on a
replica is shown with its file and line, a hot reload the Hub cancels is reported and the next
commit works, and `hot_reload = false` turns it off. The real client, over real HTTP; the CLI
as a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.helpers_git import git, write_files

pytestmark = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")

SPACE = "user/demo"
README = "---\ntitle: Demo\nsdk: gradio\nsdk_version: 6.1.0\napp_file: app.py\n---\n"
CONFIG = (
    f'[[targets]]\nname = "space"\nrepo = "{SPACE}"\ncreate = true\n'
    'paths = ["README.md", "**.py", "requirements.txt"]\n'
)
APP = """import gradio as gr

def greet(name):
    return "Hello " + name

with gr.Blocks() as demo:
    gr.Textbox()
"""
APP_EDITED = """import gradio as gr

def greet(name):
    return "Hi " + name

def shout(name):
    return name.upper()

with gr.Blocks() as demo:
    gr.Textbox(label="name")
"""
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d space: (.*)$")


def wait_for(check: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@contextmanager
def space_hub(tmp_path: Path, **options: object) -> Iterator[tuple[TestHub, HfApi, dict[str, str]]]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf", **options) as hub:
        yield (
            hub,
            HfApi(endpoint=hub.url, token=WRITE_TOKEN),
            {
                "HF_ENDPOINT": hub.url,
                "HF_TOKEN": WRITE_TOKEN,
            },
        )


@contextmanager
def cli_watch(
    repo: Path, logs: Path, env: dict[str, str], *args: str
) -> Iterator[tuple[Path, Path]]:
    """`hfsync watch` as a subprocess; stopped with SIGTERM at the end (exit 0 expected)."""
    out, err = logs / "watch.out", logs / "watch.err"
    command = [sys.executable, "-m", "hfsync", "watch", "--debounce", "0.2", "--poll", "0", *args]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            command, cwd=repo, stdout=stdout, stderr=stderr, env={**os.environ, **env}
        )
    try:
        yield out, err
        proc.terminate()
        assert proc.wait(timeout=30) == 0, err.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def running(api: HfApi) -> bool:
    return api.get_space_runtime(SPACE).stage == "RUNNING"


def messages(path: Path) -> list[str]:
    return [m[1] for line in path.read_text().splitlines() if (m := LINE.match(line))]


def test_python_saves_hot_reload_and_the_rest_rebuilds(make_repo, tmp_path: Path) -> None:
    with space_hub(tmp_path) as (hub, api, env):
        hub.state.hot_reloads.set_replicas(SPACE, 2)
        first, second = hub.state.hot_reloads.replica_hashes(SPACE)
        repo = make_repo({"hfsync.toml": CONFIG, "README.md": README, "app.py": APP})
        with cli_watch(repo, tmp_path, env) as (out, err):
            wait_for(lambda: "committed" in out.read_text(), "the first sync")
            wait_for(lambda: running(api), "the first build")
            write_files(repo, {"app.py": APP_EDITED})
            wait_for(lambda: "the same as replica" in out.read_text(), "the hot reload")
            assert running(api)  # patched in place: no build
            write_files(repo, {"requirements.txt": "numpy\n"})
            wait_for(lambda: "requirements.txt lists" in out.read_text(), "the normal commit")
            wait_for(lambda: running(api), "its build")
            write_files(repo, {"app.py": APP_EDITED + '\nraise ValueError("no model")\n'})
            wait_for(lambda: "exception at" in err.read_text(), "the failed hot reload")
        hot_commits = [
            r for r in hub.control.requests("POST", "/commit/") if "hot_reload=1" in r.query
        ]

    said = messages(out)
    hot = [m for m in said if "with hot reload" in m]
    assert len(hot) == 2 and hot[0].endswith("with hot reload: uploaded app.py")
    at = said.index(hot[0])
    assert said[at + 1 : at + 3] == [
        f"replica {first}: app.py: updated greet; added shout; ran line 9; UI updated",
        f"replica {second}: the same as replica {first}",
    ]
    assert re.match(r"committed [0-9a-f]{12}: uploaded requirements\.txt$", said[at + 3])
    assert said[at + 4] == (
        "not hot-reloaded: requirements.txt lists the Space's packages; the Space rebuilds"
    )
    assert messages(err) == [
        f"replica {first}: app.py: exception at app.py:12: ValueError: no model",
        f"replica {second}: the same as replica {first}",
    ]
    assert len(hot_commits) == 2  # the requirements.txt commit went without the flag
    # A hot-reload commit is a commit like any other: hfsync's trailers, a backup before it.
    log = git(hub.git_dir("space", SPACE), "log", "--format=%H %B", "-n", "1", "main")
    assert "HFSync-Target: space" in log and "HFSync-Tree:" in log
    branches = git(hub.git_dir("space", SPACE), "branch", "--list", "hfsync-backup-*")
    assert len(branches.split()) >= 3


def test_a_hot_reload_the_hub_cancels_is_reported_and_the_next_commit_works(
    make_repo, tmp_path: Path
) -> None:
    with space_hub(tmp_path, build_seconds=3600) as (_hub, api, env):  # never RUNNING
        repo = make_repo({"hfsync.toml": CONFIG, "README.md": README, "app.py": APP})
        with cli_watch(repo, tmp_path, env, "--log-format", "json") as (out, _err):
            wait_for(lambda: '"committed"' in out.read_text(), "the first sync")
            write_files(repo, {"app.py": APP_EDITED})
            wait_for(lambda: "hot_reload_failed" in out.read_text(), "the canceled hot reload")
            write_files(repo, {"requirements.txt": "numpy\n"})
            wait_for(lambda: "requirements.txt lists" in out.read_text(), "the next commit")
        assert api.get_space_runtime(SPACE).hot_reloading is None

    records = [json.loads(line) for line in out.read_text().splitlines()]
    events = [
        (r["event"], r["level"])
        for r in records
        if r["event"] not in ("started", "stopping", "stopped")
    ]
    assert events == [
        ("committed", "info"),
        ("rebuild", "info"),  # the first sync uploads README.md
        ("committed", "info"),
        ("hot_reload_failed", "warning"),
        ("committed", "info"),
        ("rebuild", "info"),
    ]
    failed = next(r for r in records if r["event"] == "hot_reload_failed")
    assert failed["message"] == "hot reload failed: the Hub answered 'canceled'"
    commits = [r for r in records if r["event"] == "committed"]
    assert [c["fields"]["hot_reload"] for c in commits] == [False, True, False]
    last = [r for r in records if r["event"] == "rebuild"][-1]
    assert last["fields"]["reason"] == "requirements.txt lists the Space's packages"


def test_hot_reload_false_commits_every_save_normally(make_repo, tmp_path: Path) -> None:
    with space_hub(tmp_path) as (hub, api, env):
        config = CONFIG + "hot_reload = false\n"
        repo = make_repo({"hfsync.toml": config, "README.md": README, "app.py": APP})
        with cli_watch(repo, tmp_path, env) as (out, _err):
            wait_for(lambda: "committed" in out.read_text(), "the first sync")
            wait_for(lambda: running(api), "the first build")
            write_files(repo, {"app.py": APP_EDITED})
            wait_for(lambda: out.read_text().count("committed") == 2, "the second commit")
        assert not [r for r in hub.control.requests("POST", "/commit/") if "hot_reload" in r.query]
    assert not [m for m in messages(out) if "hot" in m or "rebuild" in m]
