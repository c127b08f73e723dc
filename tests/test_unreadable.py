"""What the source cannot read is an error naming it (exit 2), never a deletion or a traceback
(issue 8 item 8). The directory case runs over both target kinds in tests/contract/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, git, hfsync, init_repo
from tests.helpers_unprivileged import hfsync_unprivileged, nobody_dir, open_to_nobody

__all__ = ["nobody_dir"]  # a fixture


@pytest.fixture
def repo(nobody_dir: Path) -> Path:
    remote = nobody_dir / "remote.git"
    return init_repo(
        nobody_dir / "project",
        {
            "hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n'
            'paths = ["app/**"]\n',
            "app/main.py": "print('hello')\n",
            "app/secret.txt": "v1\n",
        },
    )


def remote_head(root: Path) -> str:
    return git(root / "remote.git", "rev-parse", "main")


def test_unreadable_tracked_file_is_an_error_naming_it(repo: Path, nobody_dir: Path) -> None:
    assert hfsync(repo, "run").returncode == 0
    head = remote_head(nobody_dir)
    (repo / "app" / "secret.txt").write_text("v2, not readable\n")
    open_to_nobody(nobody_dir)
    (repo / "app" / "secret.txt").chmod(0)

    done = hfsync_unprivileged(repo, nobody_dir, "run")
    assert done.returncode == 2, done.stderr
    assert (
        "cannot read 'app/secret.txt': Permission denied; make it readable (chmod) or exclude it "
        "from this target"
    ) in done.stderr
    assert remote_head(nobody_dir) == head


@pytest.mark.parametrize("source", ["--worktree", "--rev=HEAD"])
def test_file_name_not_utf8_is_an_error_naming_it(
    repo: Path, nobody_dir: Path, source: str
) -> None:
    bad = os.fsdecode(b"app/caf\xe9.txt")
    (repo / bad).write_text("latin-1 name\n")
    commit_all(repo, "a latin-1 name")

    for _ in range(2):  # the same clear error every run, nothing written
        done = hfsync(repo, "run", source)
        assert done.returncode == 2, done.stderr
        assert "file name 'app/caf\\xe9.txt' is not valid UTF-8" in done.stderr
        assert not (nobody_dir / "remote.git" / "refs" / "heads" / "main").exists()

    # Out of the target's scope, the name is no concern of hfsync's.
    (repo / "hfsync.toml").write_text(
        (repo / "hfsync.toml").read_text().replace('"app/**"', '"app/**", "!app/caf*"')
    )
    done = hfsync(repo, "run", "--worktree")
    assert done.returncode == 0, done.stderr
