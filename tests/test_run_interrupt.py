"""Ctrl-C during `hfsync run` says what was written, as the remote shows it: a real CLI process
against the test Hub, SIGINT sent while a request is held by an injected latency."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from huggingface_hub import HfApi

from hfsync.core.backups import list_backups
from hfsync.testing.hub import TestHub
from tests.helpers_git import hfsync, write_files

REPO = "user/demo"
# No Space configuration on purpose (see test_hub_target.config).
CONFIG = (
    f'[[targets]]\nname = "space"\nrepo = "{REPO}"\ncreate = true\n'
    'allow = ["space-config:README.md"]\n'
)


def head(api: HfApi) -> str:
    return str(api.repo_info(REPO, repo_type="space").sha)


def backups(api: HfApi) -> dict[str, str]:
    refs = api.list_repo_refs(REPO, repo_type="space")
    return {
        b.name: b.commit for b in list_backups({r.name: r.target_commit for r in refs.branches})
    }


def _as_from_a_terminal() -> None:
    """SIGINT as a terminal delivers it: a shell that runs the tests in the background leaves it
    ignored, and an ignored signal stays ignored across exec (Python then sets no handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def interrupted_run(repo: Path, env: dict[str, str], when: Callable[[str], bool]) -> str:
    """Run `hfsync run` and send it SIGINT once `when(stderr so far)` holds; its stderr.

    The process must exit 130."""
    log = repo.parent / "run.stderr"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hfsync", "run", "--wait"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, **env},
            preexec_fn=_as_from_a_terminal,
        )
        try:
            deadline = time.monotonic() + 60
            while not when(log.read_text()):
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.02)
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=60) == 130, log.read_text()
        finally:
            proc.kill()
            proc.wait()
    return log.read_text()


def test_ctrl_c_while_the_commit_is_in_flight_says_it_has_not_landed(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str]
) -> None:
    repo = make_repo({"hfsync.toml": CONFIG, "app.py": "print(1)\n"})
    assert hfsync(repo, "run").returncode == 0
    before = head(api)
    write_files(repo, {"app.py": "print(2)\n"})
    held = hub.control.inject("/commit/", method="POST", latency=4.0)

    stderr = interrupted_run(repo, env, lambda _: held.hits == 1)

    (backup,) = [name for name, commit in backups(api).items() if commit == before]
    line = stderr.splitlines()[-1]
    assert line == (
        f"hfsync: error: space: stopped mid-sync; backup {backup} points at {before[:12]}; "
        f"the commit was sent but has not landed: space {REPO} (branch main) is still at "
        f"{before[:12]}, and may still take it; 'hfsync status' or the next run tells"
    )
    assert head(api) == before  # true when said: the Hub still holds the request
    assert "Traceback" not in stderr
    # The Hub takes the commit once its latency is over; the next run recognises it.
    deadline = time.monotonic() + 30
    while head(api) == before:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    again = hfsync(repo, "run")
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stdout
    assert api.hf_hub_download(REPO, "app.py", repo_type="space") is not None


def test_ctrl_c_while_waiting_for_the_build_says_the_commit_landed(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str]
) -> None:
    repo = make_repo({"hfsync.toml": CONFIG, "app.py": "print(1)\n"})
    assert hfsync(repo, "run").returncode == 0
    before = head(api)
    write_files(repo, {"app.py": "print(2)\n"})
    hub.control.inject(f"/api/spaces/{REPO}/runtime", method="GET", latency=20.0, times=100)

    stderr = interrupted_run(repo, env, lambda err: "waiting for the Space build" in err)

    after = head(api)
    assert after != before
    (backup,) = [name for name, commit in backups(api).items() if commit == before]
    assert stderr.splitlines()[-1] == (
        f"hfsync: error: space: stopped while waiting for the Space build; commit {after[:12]} "
        f"is on space {REPO} (branch main); backup {backup} keeps the tree before it"
    )


def test_ctrl_c_before_anything_is_written_says_so(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str]
) -> None:
    repo = make_repo({"hfsync.toml": CONFIG, "app.py": "print(1)\n"})
    assert hfsync(repo, "run").returncode == 0
    before = head(api)
    write_files(repo, {"app.py": "print(2)\n"})
    held = hub.control.inject("/refs", method="GET", latency=20.0)  # the backup's branch listing

    stderr = interrupted_run(repo, env, lambda _: held.hits == 1)

    assert stderr.splitlines()[-1].startswith(
        "hfsync: error: space: stopped mid-sync; no backup branch yet (one was being created); "
        f"no commit was written (space {REPO} (branch main) is still at {before[:12]})"
    )
    assert head(api) == before and before not in backups(api).values()
