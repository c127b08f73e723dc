"""Failure behaviour on Hub targets: one retry policy for every call, timeouts, exit code 6 for
what may pass, messages that say what was written, one backup per head, and read-only commands
that create nothing. Through the real client against the test Hub's injected faults."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import HfApi

from hfsync.core.backups import list_backups
from hfsync.core.errors import RemoteError, TemporaryError
from hfsync.engine.sync import run_sync
from hfsync.engine.sync_values import SyncOptions, SyncResult
from hfsync.local.source import read_source
from hfsync.remotes.hub_xet import xet_error
from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN
from tests.conftest import open_first_target
from tests.helpers_git import hfsync, write_files

REPO = "user/demo"
# Text over hfsync's 1 MiB inline size: streamed from disk, so its entry is read back with
# paths-info after the commit (the only change that makes hfsync call paths-info).
BIG_TEXT = "x = 1\n" * (400 << 10)


def config(extra: str = "") -> str:
    # No Space configuration on purpose (see test_hub_target.config).
    return (
        f'[[targets]]\nname = "space"\nrepo = "{REPO}"\ncreate = true\n'
        f'allow = ["space-config:README.md"]\n{extra}'
    )


def sync(repo: Path) -> SyncResult:
    target = open_first_target(repo)
    return run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())


def backups(api: HfApi) -> dict[str, str]:
    refs = api.list_repo_refs(REPO, repo_type="space")
    found = list_backups({r.name: r.target_commit for r in refs.branches})
    return {b.name: b.commit for b in found}


# Every call a sync makes, by the path the test Hub sees (method, regex).
HUB_CALLS = {
    "repo_info": ("GET", r"/api/spaces/user/demo/revision/"),
    "tree": ("GET", r"/tree/"),
    "commits": ("GET", r"/commits/"),
    "refs": ("GET", r"/refs"),
    "create_branch": ("POST", r"/branch/"),
    "preupload": ("POST", r"/preupload/"),
    "commit": ("POST", r"/commit/"),
    "paths-info": ("POST", r"/paths-info/"),
}


@pytest.mark.parametrize("call", list(HUB_CALLS))
def test_a_single_500_on_any_hub_call_is_retried_and_the_sync_succeeds(
    make_repo, hub: TestHub, api: HfApi, env, call: str
) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1", "lib.py": "1"})
    sync(repo)
    write_files(repo, {"app.py": "2", "big.py": BIG_TEXT})
    shutil.rmtree(repo / ".git" / "hfsync")  # no cache: the tree and history are read again
    method, path = HUB_CALLS[call]
    fault = hub.control.inject(path, method=method, status=500)
    result = sync(repo)
    assert fault.hits == 1, f"the sync never made the {call} call"
    assert result.commit == api.repo_info(REPO, repo_type="space").sha
    assert sync(repo).commit is None


def run_cli(repo: Path, env: dict[str, str], **extra: str) -> tuple[int, list[str]]:
    done = hfsync(repo, "run", env={**env, **extra})
    assert WRITE_TOKEN not in done.stdout + done.stderr
    return done.returncode, done.stderr.strip().splitlines()


def test_a_stalled_request_times_out_with_one_line_exit_6(make_repo, hub: TestHub, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    hub.control.inject(r"/api/spaces/user/demo/revision/", latency=5.0, times=10)
    code, lines = run_cli(repo, env, HFSYNC_TIMEOUT="0.5", HFSYNC_RETRY_ATTEMPTS="2")
    errors = [line for line in lines if line.startswith("hfsync: error:")]
    assert code == 6, lines
    assert len(errors) == 1 and "timed out" in errors[0] and "after 2 attempts" in errors[0]
    assert "nothing was written" in errors[0]


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"status": 503}, ["failed (503)", "after 3 attempts"]),
        ({"drop": True}, ["connection was lost", "after 3 attempts"]),
        ({"status": 429, "retry_after": 600}, ["429", "600 s"]),
    ],
    ids=["5xx", "dropped connection", "long rate limit"],
)
def test_temporary_failures_exit_6_and_say_what_was_written(
    make_repo, hub: TestHub, api: HfApi, env, fault: dict[str, object], words: list[str]
) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    assert run_cli(repo, env)[0] == 0
    head = api.repo_info(REPO, repo_type="space").sha
    write_files(repo, {"app.py": "2"})
    hub.control.inject("/commit/", method="POST", times=10, **fault)
    code, lines = run_cli(repo, env, HFSYNC_RETRY_ATTEMPTS="3")
    assert code == 6, lines
    error = lines[-1]
    for word in words:
        assert word in error
    assert "moved" not in error and "kept moving" not in error
    (backup,) = [name for name, commit in backups(api).items() if commit == head]
    assert f"no commit was made; backup {backup} points at the head" in error
    assert api.repo_info(REPO, repo_type="space").sha == head
    assert not [line for line in lines if "thrown while requesting" in line], lines


def test_retries_are_reported_as_hfsync_lines(make_repo, hub: TestHub, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    hub.control.inject("/preupload/", method="POST", status=503, times=2)
    code, lines = run_cli(repo, env)
    assert code == 0, lines
    retries = [line for line in lines if "attempt" in line]
    assert len(retries) == 2 and all(line.startswith("hfsync: ") for line in retries), lines
    assert "answered 503" in retries[0] and "attempt 2 of 5" in retries[0]
    raw = [line for line in lines if "thrown while requesting" in line or "Retrying in" in line]
    assert not raw, lines  # the client's own retry lines never reach the terminal


def test_a_failed_read_after_the_commit_landed_is_not_a_failure(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    sync(repo)
    write_files(repo, {"app.py": "2", "big.py": BIG_TEXT})
    fault = hub.control.inject("/paths-info/", method="POST", status=500, times=20)
    code, lines = run_cli(repo, env, HFSYNC_RETRY_ATTEMPTS="2")
    assert code == 0, lines
    assert fault.hits == 2, "the new file was read back (and failed twice)"
    assert "nothing was written" not in "\n".join(lines)
    files = {e.path for e in api.list_repo_tree(REPO, repo_type="space")}
    assert "app.py" in files
    hub.control.clear_faults()
    assert sync(repo).commit is None


def test_refusals_stay_exit_4(make_repo, hub: TestHub, env) -> None:
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    code, lines = run_cli(repo, env, HF_TOKEN="hf_not_a_real_token_at_all")
    assert code == 4 and "rejected the token" in lines[-1]
    assert "nothing was written" in lines[-1]


# -- Xet under the retry budget (issue 26 item 4) ------------------------------------------------

# Binary (a NUL byte): the Hub stores it as LFS, so its content goes up through Xet.
WEIGHTS = bytes(range(256)) * 100
XET_ROUTES = {"write token": r"/xet-write-token/", "shard": r"^/cas/v2/shards"}


@pytest.mark.timeout(90)  # before the fix: silent for 90 to 130 s, hf_xet retrying on its own
@pytest.mark.parametrize("route", XET_ROUTES.values(), ids=XET_ROUTES.keys())
def test_a_failing_xet_route_ends_in_the_retry_budget_and_names_the_status(
    make_repo, hub: TestHub, api: HfApi, env, route: str
) -> None:
    """hf_xet retries inside its own runtime: it is given hfsync's budget, its failure is not
    retried again on top, and the error names what the server answered (it was not a lost
    connection)."""
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    assert run_cli(repo, env)[0] == 0
    head = api.repo_info(REPO, repo_type="space").sha
    write_files(repo, {"weights.bin": WEIGHTS})
    fault = hub.control.inject(route, status=503, times=1000)

    code, lines = run_cli(repo, env, HFSYNC_RETRY_MAX_TIME="15", HFSYNC_TIMEOUT="3")

    assert code == 6, lines
    assert fault.hits > 1, "hf_xet did not retry"
    error = lines[-1]
    assert "the Hub failed (503)" in error and "try again later" in error
    assert "connection was lost" not in error and "HF_ENDPOINT" not in error
    assert "no commit was made" in error
    assert api.repo_info(REPO, repo_type="space").sha == head


@pytest.mark.parametrize(
    ("failure", "kind", "words"),
    [
        (
            ConnectionError(
                "Server error: Request error: HTTP status server error (503 SERVICE "
                "UNAVAILABLE), domain: http://127.0.0.1:1/cas/v2/shards"
            ),
            TemporaryError,
            "the Hub failed (503) on space user/demo (/cas/v2/shards)",
        ),
        (
            ConnectionError(
                "Network error: Request error: HTTP status client error (403 FORBIDDEN), "
                "domain: http://127.0.0.1:1/cas/v2/shards"
            ),
            RemoteError,
            "to space user/demo through Xet failed: the Hub refused it (403, /cas/v2/shards)",
        ),
        (
            ConnectionError("Network error: error sending request for url (http://h/cas/v1/x)"),
            TemporaryError,
            "hf_xet could not reach the Hub for space user/demo (/cas/v1/x)",
        ),
        (RuntimeError("x" * 100_000 + "HTTP status server error (500 X)"), RemoteError, "x" * 200),
        (RuntimeError(""), RemoteError, "through Xet failed: RuntimeError"),
        (
            ConnectionError("HTTP status server error (502 X), domain: http://[bad/cas"),
            TemporaryError,
            "the Hub failed (502) on space user/demo while",
        ),
    ],
    ids=["5xx", "refused", "network", "huge", "empty", "not a url"],
)
def test_hf_xet_failures_are_read_with_limits(
    failure: Exception, kind: type[Exception], words: str
) -> None:
    error = xet_error(failure, "space user/demo")
    assert type(error) is kind
    assert words in str(error) and len(str(error)) < 400 and "\n" not in str(error)


def test_hf_xet_reads_the_retry_policy_and_keeps_a_setting_given(tmp_path: Path) -> None:
    """hf_xet reads its settings from the environment when the client makes its session, and
    silently ignores a duration without a unit: its own XetConfig shows what it will use."""
    script = (
        "import hf_xet\n"
        "from hfsync.remotes.hub_xet import configure_xet\n"
        "from hfsync.remotes.retry import RetryPolicy\n"
        "configure_xet(RetryPolicy.from_env())\n"
        "config = dict(hf_xet.XetConfig())\n"
        "for key in ('retry_max_attempts', 'retry_base_delay', 'retry_max_duration',\n"
        "            'connect_timeout', 'read_timeout'):\n"
        "    value = config['client.' + key]\n"
        "    print(key, getattr(value, 'total_seconds', lambda: value)())\n"
    )
    env = {
        **os.environ,
        "HFSYNC_RETRY_ATTEMPTS": "3",
        "HFSYNC_RETRY_WAIT": "0.5",
        "HFSYNC_RETRY_MAX_TIME": "15",
        "HFSYNC_TIMEOUT": "30",
        "HF_XET_CLIENT_READ_TIMEOUT": "7s",  # the user's own setting wins
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert dict(line.split() for line in done.stdout.splitlines()) == {
        "retry_max_attempts": "2",
        "retry_base_delay": "0.5",
        "retry_max_duration": "15.0",
        "connect_timeout": "15.0",
        "read_timeout": "7.0",
    }


# -- one backup per head (issue 8 item 13) ------------------------------------------------------


def test_twenty_faults_leave_one_backup_per_head_and_delete_no_earlier_one(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    repo = make_repo({"hfsync.toml": config("backup_keep = 5\n"), "app.py": "0"})
    sync(repo)
    for n in (1, 2):  # earlier backups, of distinct heads
        write_files(repo, {"app.py": str(n)})
        sync(repo)
    earlier = backups(api)
    assert len(earlier) == 3
    write_files(repo, {"app.py": "3"})
    faults = [
        hub.control.inject("/commit/", method="POST", drop=True, times=7),
        hub.control.inject("/commit/", method="POST", status=503, times=7),
        hub.control.inject("/commit/", method="POST", status=429, retry_after=0, times=6),
    ]
    outcomes = []
    for _ in range(10):
        code, lines = run_cli(repo, env, HFSYNC_RETRY_ATTEMPTS="3")
        outcomes.append(code)
        if code == 0:
            break
        assert code == 6 and "no commit was made; backup" in lines[-1], lines
    assert outcomes[-1] == 0 and sum(f.hits for f in faults) == 20
    after = backups(api)
    assert set(earlier.items()) <= set(after.items()), "an earlier backup was deleted"
    assert len(after) == 4 and len(set(after.values())) == 4, after  # one per distinct head


def test_retention_counts_distinct_heads(make_repo, hub: TestHub, api: HfApi, env) -> None:
    repo = make_repo({"hfsync.toml": config("backup_keep = 2\n"), "app.py": "0"})
    sync(repo)
    head = api.repo_info(REPO, repo_type="space").sha
    for name in (
        "hfsync-backup-20200101T000000Z-aaaaaaa",
        "hfsync-backup-20200101T000001Z-bbbbbbb",
    ):
        api.create_branch(REPO, branch=name, revision=head, repo_type="space")  # two copies
    write_files(repo, {"app.py": "1"})
    result = sync(repo)
    assert result.backup == "hfsync-backup-20200101T000001Z-bbbbbbb"  # reused, not a third
    assert result.pruned_backups == ()
    write_files(repo, {"app.py": "2"})
    sync(repo)
    assert len(set(backups(api).values())) == 2


# -- read-only commands create nothing (issue 8 item 14) ----------------------------------------


@pytest.mark.parametrize(
    "args", [("status",), ("run", "--dry-run"), ("backups",)], ids=lambda a: " ".join(a)
)
def test_read_only_commands_create_nothing(make_repo, hub: TestHub, api: HfApi, env, args) -> None:
    repo = make_repo({"hfsync.toml": config('branch = "dev"\n'), "app.py": "1"})
    done = hfsync(repo, *args, env=env)
    assert done.returncode == 0, done.stderr
    assert not api.repo_exists(REPO, repo_type="space")
    assert hub.control.count("POST") == 0
    if args[0] != "backups":
        assert f"would create space {REPO}" in done.stdout
        assert "2 to upload" in done.stdout


def test_first_run_creates_a_missing_repo_and_branch_and_says_so(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    repo = make_repo({"hfsync.toml": config('branch = "dev"\n'), "app.py": "1"})
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 0, done.stderr
    assert f"created space {REPO}" in done.stdout and "created branch 'dev'" in done.stdout
    files = {e.path for e in api.list_repo_tree(REPO, repo_type="space", revision="dev")}
    assert "app.py" in files
    assert hfsync(repo, "run", env=env).returncode == 0


def test_a_new_repo_is_not_asked_again_for_its_default_branch(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    """A repo the run creates has its default branch `main`: no request creates it again (the
    first sync made one more request than `upload_folder` for it), and the run does not claim
    to have created it."""
    repo = make_repo({"hfsync.toml": config(), "app.py": "1"})
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 0, done.stderr
    assert f"created space {REPO}" in done.stdout and "created branch" not in done.stdout
    assert hub.control.count("POST", "/branch/main$") == 0
    files = {e.path for e in api.list_repo_tree(REPO, repo_type="space", revision="main")}
    assert "app.py" in files


def test_missing_branch_on_an_existing_repo_is_created_by_run_only(
    make_repo, hub: TestHub, api: HfApi, env
) -> None:
    api.create_repo(REPO, repo_type="space", space_sdk="gradio")
    repo = make_repo({"hfsync.toml": config('branch = "dev"\n'), "app.py": "1"})
    done = hfsync(repo, "status", env=env)
    assert "would create branch 'dev'" in done.stdout
    assert "dev" not in {b.name for b in api.list_repo_refs(REPO, repo_type="space").branches}
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 0 and "created branch 'dev'" in done.stdout, done.stderr
