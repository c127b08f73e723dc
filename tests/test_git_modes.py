"""Git targets keep file modes: an executable file arrives as 100755 (issue 8 item 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, git, hfsync


@pytest.mark.parametrize("source", ["--worktree", "--rev=HEAD"])
def test_executable_files_keep_their_mode_on_a_git_target(
    make_repo, tmp_path: Path, source: str
) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n',
            "run.sh": "#!/bin/sh\necho hi\n",
            "data.txt": "plain\n",
        }
    )
    os.chmod(repo / "run.sh", 0o755)  # noqa: S103 (an executable script is the point)
    commit_all(repo, "executable")

    def modes() -> dict[str, str]:
        out = git(remote, "ls-tree", "-r", "main")
        return {line.split("\t")[1]: line.split()[0] for line in out.splitlines()}

    done = hfsync(repo, "run", source)
    assert done.returncode == 0, done.stderr
    assert modes()["run.sh"] == "100755" and modes()["data.txt"] == "100644"

    # A mode change alone is a change: the next sync carries it.
    os.chmod(repo / "run.sh", 0o644)
    commit_all(repo, "not executable any more")
    done = hfsync(repo, "run", source)
    assert done.returncode == 0, done.stderr
    assert modes()["run.sh"] == "100644"
    assert "nothing to do" in hfsync(repo, "run", source).stdout


@pytest.mark.parametrize("source", ["--worktree", "--rev=HEAD"])
def test_symlinks_stay_symlinks_on_a_git_target(make_repo, tmp_path: Path, source: str) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n'
            'local_dir = "space"\n',
            "space/v2.txt": "version 2\n",
            "shared.txt": "outside the mapped folder\n",
        }
    )
    (repo / "space" / "current.txt").symlink_to("v2.txt")  # stays right on the remote
    (repo / "space" / "up.txt").symlink_to("../space/v2.txt")  # would leave the remote's root
    commit_all(repo, "links")

    done = hfsync(repo, "run", source)
    assert done.returncode == 0, done.stderr
    tree = git(remote, "ls-tree", "-r", "main")
    entries = {line.split("\t")[1]: line.split()[0] for line in tree.splitlines()}
    assert entries == {"current.txt": "120000", "up.txt": "100644", "v2.txt": "100644"}
    assert git(remote, "cat-file", "-p", "main:current.txt") == "v2.txt"
    assert git(remote, "cat-file", "-p", "main:up.txt") == "version 2"
    assert "nothing to do" in hfsync(repo, "run", source).stdout
