"""Helpers for real git repositories in temp dirs and for running the CLI as a subprocess.

The isolation (no user git config, a fixed identity, a temp HOME) is conftest's autouse fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    """Run git in `repo` and return its output (trailing newline removed)."""
    done = subprocess.run(["git", *args], cwd=repo, input=input, capture_output=True, check=True)
    return done.stdout.decode().removesuffix("\n")


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


def init_repo(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
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


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write several files under `root` (creating folders) now, as a user's edit would."""
    for path, content in files.items():
        write(root, path, content, age_s=0)


def hfsync(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the hfsync CLI as a real subprocess in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "hfsync", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def push_edit(remote: Path, clone: Path, files: dict[str, str | bytes], message: str) -> str:
    """Commit `files` on the remote's main branch as someone else would: from a clone of it
    (made at `clone` the first time, brought up to date after). The new commit's sha."""
    if clone.exists():
        git(clone, "pull", "-q", "--ff-only")
    else:
        git(clone.parent, "clone", "-q", str(remote), str(clone))
    write_files(clone, files)
    commit_all(clone, message)
    git(clone, "push", "-q", "origin", "HEAD:main")
    return git(clone, "rev-parse", "HEAD")
