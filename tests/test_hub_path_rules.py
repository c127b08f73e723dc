"""Names the Hub refuses are found before any write (exit 2), not at the commit after a backup
branch and a preupload: through the CLI, against the test Hub and a plain git remote."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN
from tests.helpers_git import git, hfsync

SPACE = '[[targets]]\nname = "space"\nrepo = "user/demo"\nallow = ["space-config:**"]\n'


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("..\\evil.txt", "a '.' or '..' part (the Hub counts '\\' as '/'), which the Hub refuses"),
        ("a\\..\\b.txt", "a '.' or '..' part (the Hub counts '\\' as '/'), which the Hub refuses"),
        ("\\lead.txt", "a path starting with '\\', which the Hub refuses"),
        (".cache/x.txt", "a path with a '.cache' component, which huggingface_hub refuses"),
    ],
)
def test_a_name_the_hub_refuses_stops_the_run_before_any_write(
    make_repo, hub: TestHub, env: dict[str, str], demo_space: str, name: str, problem: str
) -> None:
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    repo = make_repo({"hfsync.toml": SPACE, "app.py": "print(1)\n"})
    assert hfsync(repo, "run").returncode == 0, "the first sync"
    branches = api.list_repo_refs(demo_space, repo_type="space").branches
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text("x\n")
    hub.control.clear_log()

    done = hfsync(repo, "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "1 problem in the files to upload; nothing was written" in done.stderr
    assert f"  {name}: {problem}" in done.stderr
    assert [r.method for r in hub.control.requests() if r.method != "GET"] == []  # no write
    assert api.list_repo_refs(demo_space, repo_type="space").branches == branches
    check = hfsync(repo, "check")
    assert check.returncode == 2 and f"{name}: {problem}" in check.stderr


def test_a_plain_git_remote_takes_a_backslash_name(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "mirror"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo({"hfsync.toml": config, "..\\evil.txt": "x\n"})
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    assert "..\\evil.txt" in git(remote, "ls-tree", "-z", "--name-only", "main").split("\0")
