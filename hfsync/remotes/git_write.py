"""A commit built with git's plumbing from blob ids (a temporary index, `write-tree`,
`commit-tree`), and pushed with a lease on the head the plan was made on."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.errors import RemoteError, RemoteMovedError
from hfsync.local.gitcmd import listed_ref
from hfsync.remotes import git_errors, retry
from hfsync.remotes.git_errors import GitFailed

if TYPE_CHECKING:
    from hfsync.remotes.git_process import GitProcess

_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "hfsync",
    "GIT_AUTHOR_EMAIL": "hfsync@localhost",
    "GIT_COMMITTER_NAME": "hfsync",
    "GIT_COMMITTER_EMAIL": "hfsync@localhost",
}


def write_tree(process: GitProcess, parent: str | None, index_lines: list[str]) -> str:
    """The tree of `parent` (or an empty one) changed by `index_lines` (`update-index
    --index-info` records), written to the object database."""
    with tempfile.TemporaryDirectory(prefix="hfsync-index-") as tmp:
        env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        if parent is None:
            process.run("read-tree", "--empty", env=env)
        else:
            process.run("read-tree", parent, env=env)
        info = "".join(line + "\0" for line in index_lines).encode("utf-8", "surrogateescape")
        process.run("update-index", "-z", "--index-info", env=env, stdin=info)
        return process.run("write-tree", env=env).strip()


def write_blob(process: GitProcess, data: bytes, expected: str) -> None:
    """Store `data` (a symlink's target text) as a blob in the object database."""
    with tempfile.TemporaryDirectory(prefix="hfsync-blob-") as tmp:
        blob = Path(tmp, "blob")
        blob.write_bytes(data)
        written = process.run("hash-object", "-w", "--no-filters", "--", str(blob)).strip()
    if written != expected:
        raise RemoteError(f"git stored the link text as {written}, not {expected}")


def commit_tree(process: GitProcess, tree: str, parent: str | None, title: str, body: str) -> str:
    """A commit of `tree` on `parent` with this message, by the configured identity (else
    hfsync's)."""
    with tempfile.NamedTemporaryFile("w", suffix=".msg", delete=False) as handle:
        handle.write(f"{title}\n\n{body}")
    try:
        args = ["commit-tree", tree, "-F", handle.name]
        if parent is not None:
            args += ["-p", parent]
        return process.run(*args, env=_identity(process)).strip()
    finally:
        os.unlink(handle.name)


def push(process: GitProcess, branch: str, commit: str, expected: str | None) -> None:
    """Push `commit` to `branch` with a lease on `expected`. A push that failed in a way worth
    retrying is retried after reading the branch: done if it holds `commit` (the answer was
    lost), RemoteMovedError if it holds anything but `expected`."""
    ref = f"refs/heads/{branch}"
    attempt = 0

    def push_once() -> None:
        nonlocal attempt
        attempt += 1
        if attempt > 1:
            head = listed_ref(process.run("ls-remote", "--heads", process.url, ref), ref)
            if head == commit:
                return
            if head != expected:
                raise RemoteMovedError(f"{process.description} moved while hfsync was writing")
        process.output(
            *process.limits,
            "push",
            "--porcelain",
            f"--force-with-lease={ref}:{expected or ''}",
            process.url,
            f"{commit}:{ref}",
            detached=True,  # see GitProcess.output
        )

    try:
        retry.call(push_once, git_errors.classify, process.policy, f"push to {process.description}")
    except (GitFailed, retry.GaveUp) as exc:
        failure = exc.failure if isinstance(exc, retry.GaveUp) else exc
        if isinstance(failure, GitFailed) and git_errors.is_moved(failure):
            raise RemoteMovedError(
                f"{process.description} moved while hfsync was writing"
            ) from None
        raise git_errors.error_for(f"push to {process.description}", exc, process.url) from None


def _identity(process: GitProcess) -> dict[str, str]:
    env = {}
    for var, fallback in _FALLBACK_IDENTITY.items():
        if var not in os.environ:
            key = "user.email" if var.endswith("EMAIL") else "user.name"
            configured = process.config(key)
            env[var] = configured or fallback
    return env
