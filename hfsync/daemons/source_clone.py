"""`hfsync serve`'s own clone of the source repository, kept in its state folder.

Only a cache: deleted, it is cloned again. Each fetch takes the branch's newest commit and checks
it out (detached, forced: nobody else writes there), so that the config and the workflow files
it names are read from that commit; the sync itself reads the commit (`--rev`), not the files.
git never prompts: a URL that needs credentials fails with git's message, credentials hidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hfsync.core.errors import TemporaryError
from hfsync.core.redact import redact

FETCH_TIMEOUT = 300.0


class SourceFetchError(TemporaryError):
    """The source repository could not be cloned or fetched (network, URL, credentials)."""


class SourceClone:
    """A clone of one branch of `url` at `directory`."""

    def __init__(self, url: str, branch: str, directory: Path) -> None:
        self.url = url
        self.branch = branch
        self.directory = directory

    def fetch(self) -> str:
        """Clone or fetch the branch, check its newest commit out; that commit's id."""
        remote_ref = f"refs/remotes/origin/{self.branch}"
        if not (self.directory / ".git").is_dir() or self._origin() != self.url:
            self._clone()  # none yet, or one of another source (--source changed)
        else:
            self._git(
                "fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{self.branch}:{remote_ref}"
            )
        commit = self._git("rev-parse", "--verify", f"{remote_ref}^{{commit}}").strip()
        self._git("checkout", "--quiet", "--detach", "--force", commit)
        return commit

    def _origin(self) -> str:
        try:
            return self._git("config", "--get", "remote.origin.url").strip()
        except SourceFetchError:
            return ""

    def _clone(self) -> None:
        partial = self.directory.with_name(self.directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.parent.mkdir(parents=True, exist_ok=True)
        self._git(
            "clone",
            "--quiet",
            "--no-checkout",
            "--no-tags",
            "--single-branch",
            "--branch",
            self.branch,
            "--",
            self.url,
            str(partial),
            cwd=partial.parent,
        )
        shutil.rmtree(self.directory, ignore_errors=True)
        partial.rename(self.directory)  # a clone cut short never looks like a clone

    def _git(self, *args: str, cwd: Path | None = None) -> str:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
        try:
            # git from PATH, an argument list, no shell; the URL is the operator's own.
            done = subprocess.run(  # noqa: S603
                ["git", *args],  # noqa: S607
                cwd=cwd or self.directory,
                env=env,
                capture_output=True,
                timeout=FETCH_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SourceFetchError(
                f"git {args[0]} of {redact(self.url)} took over {FETCH_TIMEOUT:.0f} s"
            ) from None
        if done.returncode != 0:
            message = " ".join(done.stderr.decode("utf-8", "replace").split())
            raise SourceFetchError(
                f"git {args[0]} of {redact(self.url)} (branch {self.branch}) failed: "
                f"{redact(message) or f'exit {done.returncode}'}"
            )
        return done.stdout.decode("utf-8", "replace")
