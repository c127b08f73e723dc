"""git run for one remote, in the source repository: never prompting, giving up on a stalled
transfer, retried under the policy when that is safe, its failures as one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

from hfsync.local.gitcmd import NEVER_PROMPT, run_git
from hfsync.remotes import git_errors, retry
from hfsync.remotes.git_errors import GitFailed

# git's messages in English, whatever the user's locale: git_errors reads them.
_ENGLISH = {"LANGUAGE": "C", "LC_ALL": "C"}


class GitProcess:
    """git, as a subprocess in the source repository, for one remote (`url`, named
    `description`)."""

    def __init__(self, repo_root: Path, url: str, description: str) -> None:
        self.repo_root = repo_root
        self.url = url
        self.description = description
        self.policy = retry.RetryPolicy.from_env()
        # A transfer slower than 1 kB/s for HFSYNC_TIMEOUT seconds is a stall: git gives up.
        self.limits = (
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            f"http.lowSpeedTime={max(1, int(self.policy.timeout))}",
        )

    def output(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: bytes | None = None,
        detached: bool = False,
    ) -> bytes:
        """The stdout of one `git args`, not retried; GitFailed when git fails. `env` adds to
        the environment; `detached` runs git in its own session, so that a Ctrl-C meant for
        hfsync (sent to the terminal's whole process group) does not kill a push half-way:
        hfsync lets the push finish, then stops."""
        done = run_git(
            self.repo_root,
            *args,
            stdin=stdin,
            env={**os.environ, **_ENGLISH, **NEVER_PROMPT, **(env or {})},
            detached=detached,
        )
        if done.returncode != 0:
            raise GitFailed(args, done.returncode, _text(done.stdout), _text(done.stderr))
        return done.stdout

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        stdin: bytes | None = None,
        detached: bool = False,
    ) -> str:
        """`git args` with the transfer limits, retried under the policy when nothing is sent
        on stdin (`stdin`: sent once, not repeatable); its stdout as text. A failure is a
        one-line RemoteError (`git_errors.error_for`)."""

        def execute() -> str:
            out = self.output(*self.limits, *args, env=env, stdin=stdin, detached=detached)
            return _text(out)

        try:
            if stdin is not None:
                return execute()
            return retry.call(
                execute, git_errors.classify, self.policy, f"git {args[0]} on {self.description}"
            )
        except (GitFailed, retry.GaveUp) as exc:
            raise git_errors.error_for(
                f"git {args[0]} on {self.description}", exc, self.url
            ) from None

    def has_object(self, oid: str) -> bool:
        """Whether the commit `oid` is in the source repository's object database."""
        try:
            self.output("cat-file", "-e", f"{oid}^{{commit}}")
        except GitFailed:
            return False
        return True

    def config(self, key: str) -> str | None:
        """The value git's settings give `key`, or None."""
        try:
            return _text(self.output("config", "--get", key)).strip() or None
        except GitFailed:
            return None


def _text(data: bytes) -> str:
    """git's output as text; bytes that are not UTF-8 kept as surrogates (a path is bytes)."""
    return data.decode("utf-8", "surrogateescape")
