"""Real git repositories in temp dirs, isolated from the user's git configuration."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

IDENTITY = {
    "GIT_AUTHOR_NAME": "hfsync tests",
    "GIT_AUTHOR_EMAIL": "tests@hfsync.invalid",
    "GIT_COMMITTER_NAME": "hfsync tests",
    "GIT_COMMITTER_EMAIL": "tests@hfsync.invalid",
}


def isolate_git(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Give git (the CLI and GitPython alike) an identity and no user or system config."""
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` and return its output (trailing newline removed)."""
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.removesuffix("\n")


def write(repo: Path, path: str, content: str | bytes, *, age_s: float = 10.0) -> Path:
    """Write `repo/path`, dated `age_s` seconds ago (0: now).

    Ageing keeps the file outside the hash index's racy window, so a test can tell a file that
    is read from one that is served from the cache.
    """
    file = repo / path
    file.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode()
    file.write_bytes(content)
    if age_s:
        past_ns = time.time_ns() - int(age_s * 1e9)
        os.utime(file, ns=(past_ns, past_ns))
    return file


def make_repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A new repository at `root` with `files` committed (one commit, branch main)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for path, content in (files or {}).items():
        write(root, path, content)
    commit_all(root)
    return root


def commit_all(repo: Path, message: str = "test commit") -> str:
    """Commit everything in the working tree; the new commit's sha."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def hash_object(repo: Path, path: str) -> str:
    """The blob id git gives the bytes of `repo/path`, with no filter applied."""
    return git(repo, "hash-object", "--no-filters", "--", path)
