"""git from PATH, run as a subprocess with an argument list (never a shell), for the plumbing
GitPython does not wrap: stdin, a private index, exit codes as answers."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

# git must never wait for a person: no terminal prompt, no credential-manager dialog, no ssh
# passphrase or host-key question (each fails at once instead, and hfsync says what to do).
NEVER_PROMPT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GCM_INTERACTIVE": "never",
    "GIT_SSH_COMMAND": os.environ.get("GIT_SSH_COMMAND", "ssh -o BatchMode=yes"),
}


def run_git(
    repo: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    detached: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    """`git args` in `repo`, whatever its exit code (`env`: the whole environment, if given;
    without `stdin`, git reads nothing: it never waits on the terminal). `detached` runs git
    in its own session: a Ctrl-C sent to the terminal's process group does not reach it."""
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=repo,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        env=None if env is None else dict(env),
        start_new_session=detached,
    )


def git_output(
    repo: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """The stdout of `git args` in `repo`; `subprocess.CalledProcessError` when git fails."""
    done = run_git(repo, *args, stdin=stdin, env=env)
    done.check_returncode()
    return done.stdout


def split_z(out: str) -> list[str]:
    """The records of git's `-z` output (each ended by a NUL)."""
    return out.split("\0")[:-1]


def listed_ref(ls_remote: str, ref: str) -> str | None:
    """The commit `git ls-remote` lists for exactly `ref` (a full name, `refs/heads/main`), or
    None. git matches its patterns against the tail of each ref name, so asking for
    `refs/heads/main` also lists `refs/heads/a/refs/heads/main`, which may come first: only the
    line naming `ref` itself counts."""
    for line in ls_remote.splitlines():
        commit, _, name = line.partition("\t")
        if name == ref:
            return commit
    return None
