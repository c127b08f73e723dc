"""Where the source repository is: its work tree root and its git directory, as git itself
says (one `git rev-parse` each; GitPython, ~45 ms to import, is not needed for them)."""

from __future__ import annotations

import os
from pathlib import Path

from hfsync.core.errors import SourceError
from hfsync.local.gitcmd import run_git


def git_dir(repo_root: Path) -> Path:
    """The repository's git directory (`.git`, or a linked worktree's own), where hfsync keeps
    its caches. git is asked (GitPython, ~45 ms to import, is not needed for it)."""
    done = run_git(repo_root, "rev-parse", "--absolute-git-dir")
    if done.returncode != 0:
        raise SourceError(f"git cannot work in {repo_root}: {_git_says(done.stderr)}")
    return Path(os.fsdecode(done.stdout.rstrip(b"\n")))


def find_repo_root(start: Path) -> Path:
    """The work tree root of the git repository containing `start`."""
    try:
        done = run_git(start, "rev-parse", "--show-toplevel")
    except (FileNotFoundError, NotADirectoryError):
        if start.is_dir():
            raise SourceError("git is not installed (not on PATH): hfsync needs it") from None
        done = None  # `start` is gone
    if done is not None and done.returncode != 0 and b"not a git repository" not in done.stderr:
        # A repository git will not work in: not its owner's, or no work tree (inside .git)
        raise SourceError(f"git cannot work in {start}: {_git_says(done.stderr)}")
    if done is None or done.returncode != 0 or not done.stdout.strip():
        raise SourceError(
            f"not inside a git repository: {start}; run hfsync from your project's checkout"
        )
    return Path(os.fsdecode(done.stdout.rstrip(b"\n")))


def _git_says(stderr: bytes) -> str:
    """git's message on one line, its own advice included."""
    lines = stderr.decode(errors="replace").replace("fatal: ", "").splitlines()
    return " ".join(line.strip() for line in lines if line.strip()) or "git failed"
