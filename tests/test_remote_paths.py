"""A remote tree is untrusted input: a path no repository can hold (made with `git mktree`) is
reported as unusable, exit 2, before any write; never a crash, a dropped file or a half-made
backup. Through the CLI, against a real git remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.core.remote_paths import unusable_path
from tests.helpers_git import git, hfsync


def plant(remote: Path, name: str) -> None:
    """A commit on the remote's main whose tree holds a file called `name`, as `git mktree`
    makes it (git's own commands refuse such names)."""
    blob = git(remote, "hash-object", "-w", "--stdin", input=b"planted\n")
    listing = git(remote, "ls-tree", "main") + f"\n100644 blob {blob}\t{name}\n"
    if "/" in name:  # a subtree holding the name
        folder, _, leaf = name.partition("/")
        sub = git(remote, "mktree", input=f"100644 blob {blob}\t{leaf}\n".encode())
        listing = git(remote, "ls-tree", "main") + f"\n040000 tree {sub}\t{folder}\n"
    tree = git(remote, "mktree", input=listing.encode())
    commit = git(remote, "commit-tree", tree, "-p", "main", "-m", "hostile")
    git(remote, "update-ref", "refs/heads/main", commit)


@pytest.mark.parametrize("name", ["..", "sub/..", ".", "sub/.git"])
def test_a_remote_path_no_repository_can_hold_is_reported_not_used(
    make_repo, tmp_path: Path, name: str
) -> None:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "m"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo({"hfsync.toml": config, "a.txt": "a\n"})
    assert hfsync(repo, "run").returncode == 0
    plant(remote, name)
    head, branches = git(remote, "rev-parse", "main"), git(remote, "branch", "--list")
    (repo / "a.txt").write_text("b\n")
    for args in (("status", "--patch"), ("status",), ("run", "--prune")):
        done = hfsync(repo, *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        (line,) = done.stderr.splitlines()[-1:]
        assert line.startswith("hfsync: error: ") and "no repository can hold" in line, line
        assert repr(name) in line and "Traceback" not in done.stderr
    assert git(remote, "rev-parse", "main") == head  # nothing written,
    assert git(remote, "branch", "--list") == branches  # not even a backup branch


def test_usable_paths_pass() -> None:
    for path in (".gitattributes", "a/.env", "a..b/c", "..\\evil", "x/.github/y", "a b/c"):
        assert unusable_path(path) is None, path
    for path in ("", "/a", "a//b", "a/", "./a", "a/./b", "a/../b", ".git/x", "a\0b"):
        assert unusable_path(path) is not None, path
