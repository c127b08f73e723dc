"""`hfsync watch` says what it holds and what it sees (issue 21): a line when pacing holds
changes back (and `/metrics`), the changes not synced when it stops, and each file someone else
changed on the remote, once, with `hfsync pull` to bring it home."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest

from hfsync.daemons.holding import Holding
from tests.helpers_git import push_edit, write_files
from tests.test_watch_daemon import cli_watch, git_config, wait_for

pytestmark = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")


def test_holding_tells_a_hold_of_changes_once_and_what_was_not_synced() -> None:
    holding = Holding()
    assert holding.hold("space", 100.0, 10.0, "budget") is None  # a poll held: nothing waits
    holding.release("space")
    holding.saw({"space"}, ["app/b.py", "app/a.py"])
    notice = holding.hold("space", 100.0, 10.0, "commit budget: 1 of 2 left in the window")
    assert notice is not None
    assert (notice.kind, notice.paths, notice.count, notice.wait_s) == (
        "held",
        ("app/a.py", "app/b.py"),
        2,
        90.0,
    )
    assert holding.hold("space", 120.0, 50.0, "budget") is None  # the same hold, told once
    assert holding.held("space") == 2
    (unsynced,) = holding.unsynced()
    assert (unsynced.kind, unsynced.paths) == ("unsynced", ("app/a.py", "app/b.py"))
    holding.synced("space")
    assert holding.unsynced() == [] and holding.held("space") == 0


def metric(url: str, name: str) -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as answer:
        text = answer.read().decode()
    found = re.search(rf'^{name}{{target="space"}} (\S+)$', text, re.MULTILINE)
    assert found, text
    return float(found[1])


def test_watch_says_what_pacing_holds_and_names_it_as_not_synced_at_stop(
    make_repo, tmp_path: Path
) -> None:
    config = git_config(tmp_path / "r.git", "commit_budget = 2\n")
    repo = make_repo({"hfsync.toml": config, "app/a.py": "A = 1\n"})
    with cli_watch(repo, tmp_path, "--poll", "0", "--http", "127.0.0.1:0") as (proc, out, err):
        wait_for(lambda: "committed" in out.read_text(), "the first commit")
        url = re.search(r"endpoints on (http://\S+) ", out.read_text())
        assert url, out.read_text()
        assert metric(url[1], "hfsync_held_changes") == 0
        write_files(repo, {"app/a.py": "A = 2\n"})  # half the budget is spent: this one waits
        wait_for(lambda: "app/a.py) waits until" in out.read_text(), "the held line")
        assert "commit budget: 1 of 2 left in the window" in out.read_text()
        assert metric(url[1], "hfsync_held_changes") == 1
        proc.terminate()
        assert proc.wait(timeout=20) == 0, err.read_text()
    assert "space: stopping with 1 change (app/a.py) not synced; 'hfsync run' syncs it" in (
        err.read_text()
    )
    assert len([line for line in out.read_text().splitlines() if "committed" in line]) == 1


def test_watch_names_each_file_someone_else_changed_on_the_remote_once(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "r.git"
    repo = make_repo({"hfsync.toml": git_config(remote), "app/a.py": "A = 1\n"})
    with cli_watch(repo, tmp_path, "--poll", "0.2") as (proc, out, err):
        wait_for(lambda: "committed" in out.read_text(), "the first commit")
        push_edit(remote, tmp_path / "other", {"app/new.py": "NEW = 1\n"}, "web edit")
        wait_for(lambda: "app/new.py (created)" in out.read_text(), "the created file's line")
        push_edit(remote, tmp_path / "other", {"app/a.py": "A = 'web'\n"}, "web edit")
        wait_for(lambda: "app/a.py (edited)" in out.read_text(), "the edited file's line")
        time.sleep(1.0)  # about five more polls
        proc.terminate()
        assert proc.wait(timeout=20) == 0, err.read_text()
    lines = out.read_text().splitlines()
    named = [line for line in lines if "changed on the remote by someone else" in line]
    assert len(named) == 2, lines
    assert all(line.endswith("; 'hfsync pull' brings them home") for line in named)
