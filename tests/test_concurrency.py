"""Two `hfsync run` at once, on one checkout or on two machines (clones) syncing one target:
both succeed, one of them saying the other got there first; never exit 4 or 1, never two
commits for one change. Git targets (a local bare repository), real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, git, hfsync, write_files

ROUNDS = 10  # per setting: 20 rounds in all


def start(cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hfsync", "run"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


@pytest.mark.timeout(600)  # 40 CLI runs: minutes on a busy machine
@pytest.mark.parametrize("setting", ["one checkout", "two machines"])
def test_two_runs_at_once_both_succeed_and_commit_once(
    make_repo, tmp_path: Path, setting: str
) -> None:
    target = tmp_path / "target.git"
    text = f'[[targets]]\nname = "mirror"\nurl = "{target}"\ncreate = true\n'
    first = make_repo({"hfsync.toml": text, "app.py": "0"})
    assert hfsync(first, "run").returncode == 0
    checkouts = [first]
    if setting == "two machines":
        second = tmp_path / "second"
        git(tmp_path, "clone", "-q", str(first), str(second))
        checkouts.append(second)
    for round_ in range(1, ROUNDS + 1):
        commits_before = int(git(target, "rev-list", "--count", "main"))
        for checkout in checkouts:
            write_files(checkout, {"app.py": str(round_), f"data/{round_}.txt": "x"})
            commit_all(checkout, f"round {round_}")
        runs = [start(checkouts[0]), start(checkouts[-1])]
        outcomes = [finish(run) for run in runs]
        codes = [code for code, _ in outcomes]
        assert codes == [0, 0], (round_, outcomes)
        committed = [out for _, out in outcomes if "committed" in out]
        assert len(committed) == 1, (round_, outcomes)
        other = next(out for _, out in outcomes if "committed" not in out)
        assert "nothing to do" in other, (round_, outcomes)
        assert int(git(target, "rev-list", "--count", "main")) == commits_before + 1
    heads = git(target, "for-each-ref", "--format=%(objectname)", "refs/heads/hfsync-backup-*")
    if setting == "one checkout":  # the run lock orders them: the second reuses the backup
        assert len(heads.split()) == len(set(heads.split())), "two backups of one head"
    # Two machines share no lock: both may list the branches before either backs the head up,
    # and each make one (retention counts them once: test_retention_counts_distinct_heads).
