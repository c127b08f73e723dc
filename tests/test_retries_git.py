"""Failure behaviour on git targets: git's whole message, read-only commands that create
nothing, and a refused push that is exit 4, not "the remote moved"."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.helpers_git import git, hfsync, write_files


def mirror_config(target: Path) -> str:
    return f'[[targets]]\nname = "mirror"\nurl = "{target}"\ncreate = true\n'


def test_a_refused_push_shows_gits_whole_message(make_repo, tmp_path: Path) -> None:
    target = tmp_path / "target.git"
    repo = make_repo({"hfsync.toml": mirror_config(target), "app.py": "1"})
    assert hfsync(repo, "run").returncode == 0
    hook = target / "hooks" / "pre-receive"
    hook.write_text(  # refuses pushes to main only (backup branches pass)
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  if [ "$ref" = refs/heads/main ]; then\n'
        "    echo 'policy: pushes are frozen' >&2; echo \"until 'Monday'\" >&2; exit 1\n"
        "  fi\ndone\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    write_files(repo, {"app.py": "2"})
    done = hfsync(repo, "run")
    assert done.returncode == 4, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("hfsync: error:")]
    assert "policy: pushes are frozen" in line and "until 'Monday'" in line
    assert "moved" not in line
    assert "no commit was made; backup hfsync-backup-" in line


@pytest.mark.parametrize(
    "args", [("status",), ("run", "--dry-run"), ("backups",)], ids=lambda a: " ".join(a)
)
def test_read_only_commands_do_not_init_the_target(make_repo, tmp_path: Path, args) -> None:
    target = tmp_path / "target.git"
    repo = make_repo({"hfsync.toml": mirror_config(target), "app.py": "1"})
    done = hfsync(repo, *args)
    assert done.returncode == 0, done.stderr
    assert not target.exists()
    if args[0] != "backups":
        assert f"would create git repository {target}" in done.stdout


def test_first_run_inits_the_target_and_says_so(make_repo, tmp_path: Path) -> None:
    target = tmp_path / "target.git"
    text = mirror_config(target) + 'branch = "deploy"\n'
    repo = make_repo({"hfsync.toml": text, "app.py": "1"})
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    assert f"created the bare git repository {target}" in done.stdout
    assert git(target, "ls-tree", "--name-only", "deploy").splitlines() == ["app.py", "hfsync.toml"]
