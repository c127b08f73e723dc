"""git run for one remote, in the source repository: never prompting, giving up on a stalled
transfer, retried under the policy when that is safe, its failures as one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.local.gitcmd import NEVER_PROMPT
from hfsync.remotes import git_errors, retry

if TYPE_CHECKING:
    from git import Git


class GitProcess:
    """GitPython's git command wrapper for one remote (`url`, named `description`)."""

    def __init__(self, repo_root: Path, url: str, description: str) -> None:
        from git import Git

        self.url = url
        self.description = description
        self.git: Git = Git(str(repo_root))
        self.git.update_environment(**NEVER_PROMPT)
        self.policy = retry.RetryPolicy.from_env()
        # A transfer slower than 1 kB/s for HFSYNC_TIMEOUT seconds is a stall: git gives up.
        self.limits = (
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            f"http.lowSpeedTime={max(1, int(self.policy.timeout))}",
        )

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        istream: Any = None,
        detached: bool = False,
    ) -> str:
        """Run git; `detached` runs it in its own session, so that a Ctrl-C meant for hfsync
        (sent to the terminal's whole process group) does not kill a push half-way: hfsync
        lets the push finish, then stops."""
        from git import GitCommandError

        def execute() -> object:
            return self.git.execute(
                ["git", *self.limits, *args],
                env=env,
                istream=istream,
                strip_newline_in_stdout=False,
                start_new_session=detached,
            )

        try:
            if istream is not None:  # a stream is read once: not repeatable
                out = execute()
            else:
                out = retry.call(
                    execute, git_errors.classify, self.policy, f"git {args[0]} on {self.url}"
                )
        except (GitCommandError, retry.GaveUp) as exc:
            raise git_errors.error_for(
                f"git {args[0]} on {self.description}", exc, self.url
            ) from None
        # GitPython returns str here; this narrows its untyped result.
        assert isinstance(out, str)  # noqa: S101
        return out

    def has_object(self, oid: str) -> bool:
        """Whether the commit `oid` is in the source repository's object database."""
        from git import GitCommandError

        try:
            self.git.execute(["git", "cat-file", "-e", f"{oid}^{{commit}}"])
        except GitCommandError:
            return False
        return True

    def config(self, key: str) -> str | None:
        """The value git's settings give `key`, or None."""
        from git import GitCommandError

        try:
            return self.git.execute(["git", "config", "--get", key]).strip() or None
        except GitCommandError:
            return None
