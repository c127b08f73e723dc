"""The differential net on random histories: edits, renames, deletions, mode changes, file/folder
swaps, scope changes and remote edits (and deletions), each followed by a sync of the commit
under a random policy, with HFSYNC_VERIFY_PLAN=1 (set for the whole suite): every incremental
plan is checked against the full plan, and a difference fails the sync."""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfsync.core.errors import ConflictError, TooManyDeletesError
from hfsync.engine.sync import SyncOptions, run_sync
from hfsync.local.source import read_source
from tests.conftest import open_first_target
from tests.helpers_git import commit_all, git, init_repo, write

PATHS = ["app/a.txt", "app/b.txt", "app/sub/c.txt", "lib/d.txt", "app/x", "app/x/y.txt"]
CONTENTS = ["one\n", "two\n", "three\n"]
SCOPES = [
    '["app/**"]',
    '["app/**", "lib/**"]',
    '["app/sub/**", "lib/**"]',
]

path = st.sampled_from(PATHS)
content = st.sampled_from(CONTENTS)
local_step = st.one_of(
    st.tuples(st.just("edit"), path, content),
    st.tuples(st.just("delete"), path),
    st.tuples(st.just("rename"), path, path),
    st.tuples(st.just("chmod"), path),
)
# Most rounds only change the source (so most plans can be incremental); some change the scope
# or the remote (the full plan, then the incremental one again after hfsync's next commit).
step = st.one_of(
    local_step,
    local_step,
    local_step,
    st.tuples(st.just("scope"), st.integers(0, len(SCOPES) - 1)),
    st.tuples(st.just("remote-edit"), path, content),
    st.tuples(st.just("remote-delete"), path),
)
policy = st.tuples(st.sampled_from(["abort", "skip", "overwrite"]), st.booleans())


class Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.incremental = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.incremental += ": incremental plan:" in record.getMessage()


def put(root: Path, name: str, text: str, age_s: float = 10.0) -> None:
    """Write `root/name`, first removing a file or folder in its way (a file/folder swap)."""
    parts = name.split("/")
    for at in range(1, len(parts)):
        above = root.joinpath(*parts[:at])
        if above.is_file():
            above.unlink()
    target = root / name
    if target.is_dir():
        shutil.rmtree(target)
    write(root, name, text, age_s=age_s)


def config(remote: Path, scope: int) -> str:
    return (
        f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\nmax_delete = 100\n'
        f"paths = {SCOPES[scope]}\n"
    )


def apply(
    step: tuple[object, ...], repo: Path, clone: Path, remote: Path, commit: bool = True
) -> None:
    kind = step[0]
    # An edit of the working tree is dated now, as a real save is: a file aged back into the
    # second of an earlier one of the same size would fool git's stat check (and `git status`).
    age = 10.0 if commit else 0.0
    if kind == "edit":
        put(repo, str(step[1]), str(step[2]), age)
    elif kind == "delete" and (repo / str(step[1])).is_file():
        (repo / str(step[1])).unlink()
    elif kind == "rename" and (repo / str(step[1])).is_file() and step[1] != step[2]:
        data = (repo / str(step[1])).read_text()
        (repo / str(step[1])).unlink()
        put(repo, str(step[2]), data, age)
    elif kind == "chmod" and (repo / str(step[1])).is_file():
        file = repo / str(step[1])
        file.chmod(file.stat().st_mode ^ 0o111)
    elif kind == "scope":
        put(repo, "hfsync.toml", config(remote, int(str(step[1]))), age)
    elif kind in ("remote-edit", "remote-delete"):
        if git(remote, "branch", "--list", "main") == "":
            return  # nothing synced yet
        git(clone, "fetch", "-q", "origin")
        git(clone, "reset", "-q", "--hard", "origin/main")
        if kind == "remote-edit":
            put(clone, str(step[1]), str(step[2]))
        elif (clone / str(step[1])).is_file():
            (clone / str(step[1])).unlink()
        commit_all(clone, "someone else")
        git(clone, "push", "-q", "origin", "HEAD:main")
        return
    if commit:
        commit_all(repo, str(kind))


@pytest.mark.parametrize("worktree", [False, True], ids=["commits", "working-tree"])
def test_random_histories_plan_the_same_incrementally_and_in_full(
    tmp_path_factory: pytest.TempPathFactory, worktree: bool
) -> None:
    """Commits synced with `--rev` (CI, serve), or the working tree changed and synced without
    committing (watch)."""
    counter = Counter()
    logger = logging.getLogger("hfsync.plan")
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)

    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        st.lists(st.tuples(st.lists(step, min_size=1, max_size=3), policy), min_size=3, max_size=7)
    )
    def history(rounds: list[tuple[list[tuple[object, ...]], tuple[str, bool]]]) -> None:
        root = tmp_path_factory.mktemp("history")
        remote, clone = root / "remote.git", root / "clone"
        repo = init_repo(
            root / "repo",
            {"hfsync.toml": config(remote, 0), "app/a.txt": "one\n", "lib/d.txt": "two\n"},
        )
        git(root, "init", "-q", "--bare", "-b", "main", str(remote))
        git(root, "clone", "-q", str(remote), str(clone))
        for steps, (on_conflict, prune) in rounds:
            for one in steps:
                apply(one, repo, clone, remote, commit=not worktree)
            target = open_first_target(repo)
            rev = None if worktree else "HEAD"
            source = read_source(repo, rev, target.scope.includes)
            options = SyncOptions(rev=rev, on_conflict=on_conflict, prune=prune, force=True)
            # refused before writing (a conflict), after both plans were compared
            with contextlib.suppress(ConflictError, TooManyDeletesError):
                run_sync(target, source, options)

    try:
        history()
    finally:
        logger.removeHandler(counter)
        logger.setLevel(logging.NOTSET)
    assert counter.incremental > 5  # the net saw many incremental plans, none differing
