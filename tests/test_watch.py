"""`hfsync watch`: real watchdog observers on real repositories, a bare git repository as target.

In-process tests run the Watcher's loop in a thread and read what it reported; the CLI tests run
`hfsync watch` as a subprocess. Results are awaited by polling with a deadline; the only sleeps
give a change time to (not) be synced before checking that nothing was.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from hfsync.core.errors import ConflictError
from hfsync.core.scope import scope_from_patterns
from hfsync.daemons.debounce import Debouncer
from hfsync.daemons.watch import Watcher, relative_path, touched_targets
from hfsync.engine.sync_values import SyncResult
from tests.conftest import first_target_of
from tests.helpers_git import git, hfsync, push_edit, write_files

DEBOUNCE = 0.3
QUIET = 3 * DEBOUNCE  # long enough for a change to have been synced, had it been relevant
REMOTE_EDIT = "print('edited on the Space')\n"
TIME_AND_TARGET = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d space: ")

# watchdog 7.1 warns when it is asked twice to watch a nested folder created at once (git makes
# some in .git during a sync) and reuses the watch: harmless, as the CLI also says.
pytestmark = pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning")


@pytest.fixture
def repo(make_repo, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    return make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n'
            'paths = ["app/**"]\n',
            "app/main.py": "print('hello')\n",
            "app/util.py": "X = 1\n",
            "app/sub/deep.py": "D = 1\n",
            "docs/guide.md": "guide\n",
        }
    )


def commits(tmp_path: Path) -> int:
    """How many commits the target branch of the bare remote has (0 before the first sync)."""
    remote = tmp_path / "remote.git"
    try:
        return int(git(remote, "rev-list", "--count", "main"))
    except (subprocess.CalledProcessError, FileNotFoundError, NotADirectoryError):
        return 0


def remote_files(tmp_path: Path) -> set[str]:
    return set(git(tmp_path / "remote.git", "ls-tree", "-r", "--name-only", "main").split())


def wait_for(check: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def edit_on_the_remote(tmp_path: Path) -> None:
    """Someone edits app/main.py on the Space: a push from another clone."""
    push_edit(
        tmp_path / "remote.git",
        tmp_path / "clone",
        {"app/main.py": REMOTE_EDIT},
        "edit on the Space",
    )


Outcomes = list[SyncResult | Exception]


@contextmanager
def watching(
    repo: Path, *, poll: float = 0.0, on_conflict: str | None = None
) -> Iterator[Outcomes]:
    """An in-process Watcher whose loop runs in a thread; yields what it reports, once synced.

    On leaving, the loop must have ended without error and no thread of the watcher may be left.
    """
    before = set(threading.enumerate())
    outcomes: Outcomes = []
    failures: list[BaseException] = []
    watcher = Watcher(
        *first_target_of(repo),
        debounce=DEBOUNCE,
        poll=poll,
        on_conflict=on_conflict,
        report=lambda _name, outcome, _seconds: outcomes.append(outcome),
    )

    def loop() -> None:
        try:
            watcher.run_until_stopped()
        except BaseException as exc:
            failures.append(exc)

    runner = threading.Thread(target=loop, name="test-watch-loop")
    with watcher:
        runner.start()
        try:
            wait_for(lambda: outcomes or failures, "the first sync")
            yield outcomes
        finally:
            watcher.stop()
            runner.join(timeout=30)
    assert not runner.is_alive()
    assert not failures
    leaked = [thread for thread in threading.enumerate() if thread not in before]
    assert not leaked, f"threads left running: {leaked}"


@dataclass
class WatchProcess:
    """`hfsync watch` running as a subprocess, its output going to files."""

    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text()

    def stderr(self) -> str:
        return self.err.read_text()

    def synced(self) -> list[str]:
        """The lines about syncs of the target, each checked to start with the local time."""
        lines = [line for line in self.stdout().splitlines() if " space: " in line]
        assert all(TIME_AND_TARGET.match(line) for line in lines), lines
        return lines


@contextmanager
def cli_watch(repo: Path, logs: Path, *args: str) -> Iterator[WatchProcess]:
    """Start `hfsync watch` in `repo` and wait for its first sync; kill it if a test leaves it."""
    out, err = logs / "watch.out", logs / "watch.err"
    command = [sys.executable, "-m", "hfsync", "watch", "--debounce", str(DEBOUNCE), *args]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        # Its own process group, like a program started from a terminal: Ctrl-C goes to the group.
        proc = subprocess.Popen(
            command, cwd=repo, stdout=stdout, stderr=stderr, start_new_session=True
        )
    watch = WatchProcess(proc, out, err)
    try:
        wait_for(lambda: "space: " in watch.stdout() or proc.poll() is not None, "the first sync")
        assert proc.poll() is None, watch.stderr()
        yield watch
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the pure pieces ---------------------------------------------------------------------------


def test_debouncer_hands_over_the_batch_once_changes_settle() -> None:
    debouncer = Debouncer(delay=1.0, max_wait=10.0)
    assert debouncer.due_in(0.0) is None
    debouncer.add({"a"}, at=0.0)
    debouncer.add(set(), at=0.5)  # a change that touches no target does not restart the wait
    debouncer.add({"b"}, at=0.8)
    assert debouncer.due_in(1.0) == pytest.approx(0.8)
    assert debouncer.take_due(1.7) == frozenset()
    assert debouncer.take_due(1.8) == {"a", "b"}
    assert debouncer.due_in(1.9) is None
    assert debouncer.take_due(5.0) == frozenset()


def test_debouncer_bounds_the_wait_of_a_steady_stream() -> None:
    debouncer = Debouncer(delay=1.0, max_wait=3.0)
    for tick in range(10):
        debouncer.add({"a"}, at=tick * 0.5)
    assert debouncer.due_in(2.0) == pytest.approx(1.0)
    assert debouncer.take_due(3.0) == {"a"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/r/app/main.py", "app/main.py"),
        ("/r/.github/workflows/sync.yml", ".github/workflows/sync.yml"),
        ("/r/..not-a-parent", "..not-a-parent"),
        ("/r/.gitignore", ".gitignore"),
        ("/r/.git", None),
        ("/r/.git/objects/ab/cdef", None),
        ("/r", None),
        ("/elsewhere/app/main.py", None),
        ("", None),  # the missing side of a move
    ],
)
def test_relative_path(path: str, expected: str | None) -> None:
    assert relative_path("/r", path) == expected


SCOPES = {
    "app": scope_from_patterns(("app/**",), ()).includes,
    "docs": scope_from_patterns(("docs/**", "!docs/internal/**"), ()).includes,
}
KNOWN = {"app": ["app/main.py", "app/sub/deep.py"], "docs": ["docs/guide.md"]}


@pytest.mark.parametrize(
    ("paths", "directory_gone", "expected"),
    [
        (["app/main.py"], False, {"app"}),
        (["docs/internal/notes.md"], False, set()),
        (["notes.txt"], False, set()),
        ([".main.py.swp", "app/main.py"], False, {"app"}),  # an editor's save: a rename into scope
        (["app/main.py", "docs/guide.md"], False, {"app", "docs"}),
        (["app/sub"], True, {"app"}),  # moved out of the tree: no event for the files inside
        (["app/su"], True, set()),  # a name's prefix is not its folder
        (["build"], True, set()),
        (["docs"], True, {"docs"}),
    ],
)
def test_touched_targets(paths: list[str], directory_gone: bool, expected: set[str]) -> None:
    assert touched_targets(paths, directory_gone, SCOPES, KNOWN) == expected


# -- in-process watcher ------------------------------------------------------------------------


def test_the_first_sync_happens_at_start(repo: Path, tmp_path: Path) -> None:
    with watching(repo) as outcomes:
        (first,) = outcomes
        assert isinstance(first, SyncResult) and first.commit is not None
        assert commits(tmp_path) == 1
        assert remote_files(tmp_path) == {"app/main.py", "app/util.py", "app/sub/deep.py"}


def test_a_burst_of_writes_is_one_commit_with_all_of_them(repo: Path, tmp_path: Path) -> None:
    burst = {f"app/new_{i}.py": f"N = {i}\n" for i in range(5)}
    with watching(repo) as outcomes:
        write_files(repo, {**burst, "app/util.py": "X = 2\n"})
        wait_for(lambda: commits(tmp_path) == 2, "the burst's commit")
        time.sleep(QUIET)
        assert commits(tmp_path) == 2
        assert len(outcomes) == 2
    assert set(burst) <= remote_files(tmp_path)
    assert git(tmp_path / "remote.git", "show", "main:app/util.py") == "X = 2"
    assert isinstance(outcomes[1], SyncResult) and len(outcomes[1].plan.uploads) == 6


def test_writes_outside_the_scope_or_in_git_sync_nothing(repo: Path, tmp_path: Path) -> None:
    with watching(repo) as outcomes:
        write_files(repo, {"docs/guide.md": "changed\n", "notes.txt": "n\n", ".git/probe": "x"})
        (repo / "build").mkdir()
        time.sleep(QUIET)
        assert len(outcomes) == 1  # not even a sync with nothing to do
        write_files(repo, {"app/util.py": "X = 3\n"})  # the watcher is alive and listening
        wait_for(lambda: commits(tmp_path) == 2, "the in-scope change")
    assert len(outcomes) == 2


def test_a_folder_moved_out_of_the_repository_is_deleted(repo: Path, tmp_path: Path) -> None:
    with watching(repo):
        (repo / "app" / "sub").rename(tmp_path / "moved-away")
        wait_for(lambda: commits(tmp_path) == 2, "the deletion")
    assert remote_files(tmp_path) == {"app/main.py", "app/util.py"}


def test_a_remote_edit_is_reported_and_the_watcher_goes_on(repo: Path, tmp_path: Path) -> None:
    with watching(repo) as outcomes:
        edit_on_the_remote(tmp_path)
        write_files(repo, {"app/util.py": "X = 2\n"})
        wait_for(lambda: len(outcomes) == 2, "the sync of the change")
        conflict = outcomes[1]
        assert isinstance(conflict, ConflictError) and conflict.paths == ("app/main.py",)
        assert commits(tmp_path) == 2  # the first sync and the edit: hfsync wrote nothing
        write_files(repo, {"app/main.py": REMOTE_EDIT})  # the edit, brought into the repository
        wait_for(lambda: commits(tmp_path) == 3, "the sync once the edit is resolved")
    assert git(tmp_path / "remote.git", "show", "main:app/util.py") == "X = 2"
    assert git(tmp_path / "remote.git", "show", "main:app/main.py") == REMOTE_EDIT.strip()


def test_polling_notices_a_remote_edit_without_any_local_change(repo: Path, tmp_path: Path) -> None:
    with watching(repo, poll=0.5) as outcomes:
        edit_on_the_remote(tmp_path)
        wait_for(lambda: any(isinstance(o, ConflictError) for o in outcomes), "the poll")
    conflict = next(o for o in outcomes if isinstance(o, ConflictError))
    assert isinstance(conflict, ConflictError) and conflict.paths == ("app/main.py",)


# -- the command -------------------------------------------------------------------------------


def test_cli_skip_reports_the_remote_edit_and_syncs_the_rest(repo: Path, tmp_path: Path) -> None:
    with cli_watch(repo, tmp_path, "--poll", "0", "--on-conflict", "skip") as watch:
        assert "space: committed " in watch.synced()[0]
        edit_on_the_remote(tmp_path)
        write_files(repo, {"app/util.py": "X = 2\n"})
        wait_for(lambda: commits(tmp_path) == 3, "the sync of the change")

        def committed() -> list[str]:
            return [line for line in watch.synced() if "space: committed " in line]

        wait_for(lambda: len(committed()) == 2, "its line")
        line = committed()[1]
        assert ": uploaded app/util.py; skipped 1 remote edit(s): app/main.py" in line
        (seen,) = [line for line in watch.synced() if "changed on the remote by" in line]
        assert "app/main.py (edited); 'hfsync pull' brings them home" in seen
        write_files(repo, {"app/later.py": "L = 1\n"})  # still running, still syncing
        wait_for(lambda: commits(tmp_path) == 4, "a later change")
        watch.proc.send_signal(signal.SIGTERM)
        assert watch.proc.wait(timeout=20) == 0
    assert git(tmp_path / "remote.git", "show", "main:app/main.py") == REMOTE_EDIT.strip()
    assert git(tmp_path / "remote.git", "show", "main:app/util.py") == "X = 2"


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGINT, True)],
    ids=["SIGTERM", "SIGINT", "Ctrl-C to the process group"],
)
def test_a_signal_during_a_sync_lets_it_finish_then_exits_0(
    repo: Path, tmp_path: Path, signum: signal.Signals, group: bool
) -> None:
    burst = {f"app/gen/{i}.py": f"G = {i}\n" for i in range(40)}
    remote = tmp_path / "remote.git"
    with cli_watch(repo, tmp_path, "--poll", "0") as watch:
        # The remote sends the signal while it receives the sync's first push (the backup
        # branch): the signal lands in the middle of that sync, every time.
        hook = remote / "hooks" / "pre-receive"
        pid = f"-- -{watch.proc.pid}" if group else str(watch.proc.pid)
        once = tmp_path / "signalled"
        hook.write_text(
            f"#!/bin/sh\ncat >/dev/null\n[ -e {once} ] && exit 0\ntouch {once}\n"
            f"kill -s {signum.name[3:]} {pid}\n"
        )
        hook.chmod(0o755)
        write_files(repo, burst)
        assert watch.proc.wait(timeout=20) == 0, watch.stderr()
    assert "Traceback" not in watch.stderr()
    assert commits(tmp_path) == 2  # the sync in flight was finished, commit and all
    assert set(burst) <= remote_files(tmp_path)
    assert "space: committed " in watch.synced()[-1]
    git(remote, "fsck", "--strict", "--no-dangling")
    assert not list(remote.rglob("*.lock"))


def test_a_second_ctrl_c_abandons_the_commit_not_yet_sent_and_exits_130(
    repo: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    with cli_watch(repo, tmp_path, "--poll", "0") as watch:
        # Two Ctrl-C while the remote receives the backup branch: the commit is not sent yet.
        hook = remote / "hooks" / "pre-receive"
        hook.write_text(
            f"#!/bin/sh\ncat >/dev/null\nkill -INT {watch.proc.pid}\nsleep 0.5\n"
            f"kill -INT {watch.proc.pid}\nsleep 0.5\n"
        )
        hook.chmod(0o755)
        write_files(repo, {"app/late.py": "L = 1\n"})
        assert watch.proc.wait(timeout=20) == 130, watch.stderr()
    assert "stopping after the sync in flight" in watch.stdout()
    assert (
        "space: stopped mid-sync; no backup branch yet (one was being created); " in watch.stderr()
    )
    assert "; no commit was written (" in watch.stderr()
    assert "Traceback" not in watch.stderr()
    assert commits(tmp_path) == 1
    assert "app/late.py" not in remote_files(tmp_path)


def test_a_source_error_at_start_exits_2(repo: Path, tmp_path: Path) -> None:
    os.symlink(tmp_path / "outside.txt", repo / "app" / "link.py")
    done = hfsync(repo, "watch", "--poll", "0")
    assert done.returncode == 2, done.stderr
    assert "leaves the repository" in done.stderr
    assert commits(tmp_path) == 0


def test_watch_has_help(tmp_path: Path) -> None:
    done = hfsync(tmp_path, "watch", "--help")
    assert done.returncode == 0 and "--debounce" in done.stdout and "--poll" in done.stdout
