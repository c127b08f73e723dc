"""The incremental plan (engine/incremental.py): taken when the remote head is hfsync's own last
commit from this checkout and the source is a commit, equal to the full plan (the suite runs with
HFSYNC_VERIFY_PLAN=1, so every run below is also planned in full and compared), and each fallback
to the full plan said by `run -v`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, git, hfsync, push_edit, write_files

CONFIG = '[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\npaths = ["app/**"]\n'
INCREMENTAL = "hfsync: t: incremental plan"
FULL = "hfsync: t: planned in full: "


@pytest.fixture
def repo(make_repo, tmp_path: Path) -> Path:
    """A checkout synced once (`--rev HEAD`) to a local bare git remote."""
    remote = tmp_path / "remote.git"
    repo: Path = make_repo(
        {
            "hfsync.toml": CONFIG.format(remote=remote),
            "app/main.py": "print('hello')\n",
            "app/util.py": "X = 1\n",
            "docs/notes.md": "not synced\n",
        }
    )
    out = run_v(repo)
    assert FULL + "no plan state from an earlier sync" in out
    return repo


def run_v(repo: Path, *args: str, env: dict[str, str] | None = None, code: int = 0) -> str:
    done = hfsync(repo, "run", "--rev", "HEAD", "-v", *args, env=env)
    assert done.returncode == code, done.stdout + done.stderr
    return done.stdout + done.stderr


def plan_state(repo: Path) -> Path:
    (state,) = (repo / ".git" / "hfsync" / "plans").glob("*/state.json")
    return state


def test_a_commit_after_hfsyncs_own_is_planned_incrementally(repo: Path) -> None:
    write_files(repo, {"app/util.py": "X = 2\n", "app/new.py": "N = 1\n", "docs/notes.md": "x\n"})
    git(repo, "rm", "-q", "app/main.py")
    commit_all(repo, "edit")
    out = run_v(repo)
    assert INCREMENTAL in out
    assert "upload   app/new.py" in out and "upload   app/util.py" in out
    assert "delete   app/main.py" in out
    assert "docs/notes.md" not in out
    again = run_v(repo)  # nothing changed since: incremental, nothing to do
    assert INCREMENTAL in again
    assert "2 in sync" in again or "nothing to do" in again


def test_an_executable_bit_and_a_file_that_becomes_a_folder(repo: Path) -> None:
    os.chmod(repo / "app" / "util.py", 0o755)  # noqa: S103
    commit_all(repo, "executable")
    out = run_v(repo)
    assert INCREMENTAL in out and "upload   app/util.py" in out
    git(repo, "rm", "-q", "app/util.py")
    write_files(repo, {"app/util.py/inner.py": "I = 1\n"})
    commit_all(repo, "a folder where a file was")
    out = run_v(repo)
    assert INCREMENTAL in out
    assert "upload   app/util.py/inner.py" in out and "delete   app/util.py" in out


def test_a_remote_edit_moves_the_head_so_the_plan_is_full(repo: Path, tmp_path: Path) -> None:
    push_edit(tmp_path / "remote.git", tmp_path / "other", {"app/extra.py": "E = 9\n"}, "add")
    write_files(repo, {"app/main.py": "print('bye')\n"})
    commit_all(repo, "edit")
    out = run_v(repo)
    assert FULL + "the remote head is not the commit hfsync wrote last" in out
    assert "upload   app/main.py" in out
    # hfsync's commit is the head again; the remote-only file it left alone is planned each
    # time (a standing path), and --prune deletes it
    write_files(repo, {"app/util.py": "X = 5\n"})
    commit_all(repo, "edit")
    out = run_v(repo, "--prune")
    assert INCREMENTAL in out
    assert "upload   app/util.py" in out and "delete   app/extra.py" in out


def test_a_conflict_skipped_stays_a_conflict(repo: Path, tmp_path: Path) -> None:
    push_edit(tmp_path / "remote.git", tmp_path / "other", {"app/util.py": "X = 'web'\n"}, "web")
    write_files(repo, {"app/util.py": "X = 'mine'\n", "app/main.py": "print(2)\n"})
    commit_all(repo, "edit")
    out = run_v(repo, "--on-conflict", "skip")
    assert "upload   app/main.py" in out and "conflict app/util.py" in out
    write_files(repo, {"app/main.py": "print(3)\n"})
    commit_all(repo, "edit")
    out = run_v(repo, "--on-conflict", "skip")
    assert INCREMENTAL in out
    assert "upload   app/main.py" in out and "conflict app/util.py" in out
    run_v(repo, code=3)  # abort: the skipped remote edit still blocks


def test_a_changed_scope_makes_the_plan_full(repo: Path, tmp_path: Path) -> None:
    config = CONFIG.format(remote=tmp_path / "remote.git").replace(
        '"app/**"', '"app/**", "docs/**"'
    )
    write_files(repo, {"hfsync.toml": config})
    commit_all(repo, "widen the scope")
    out = run_v(repo)
    assert FULL + "the target's config, scope or hfsync's version changed" in out
    assert "upload   docs/notes.md" in out


def test_the_working_tree_is_planned_incrementally_too(repo: Path) -> None:
    """The working tree, staged by git in a copy of its index (the user's staging untouched)."""
    write_files(repo, {"app/util.py": "X = 3\n", "app/untracked.py": "U = 1\n"})
    git(repo, "add", "app/util.py")
    staged = git(repo, "diff", "--cached", "--name-only")
    done = hfsync(repo, "run", "--worktree", "-v")
    assert done.returncode == 0, done.stderr
    assert INCREMENTAL in done.stderr
    assert "upload   app/util.py" in done.stdout and "upload   app/untracked.py" in done.stdout
    assert git(repo, "diff", "--cached", "--name-only") == staged
    (repo / "app" / "untracked.py").unlink()
    write_files(repo, {"app/main.py": "print('saved')\n"})
    done = hfsync(repo, "run", "--worktree", "-v")
    assert done.returncode == 0, done.stderr
    assert INCREMENTAL in done.stderr
    assert "upload   app/main.py" in done.stdout and "delete   app/untracked.py" in done.stdout


def test_a_working_tree_git_may_convert_is_planned_in_full(repo: Path) -> None:
    write_files(repo, {".gitattributes": "*.py text eol=crlf\n", "app/util.py": "X = 4\n"})
    done = hfsync(repo, "run", "--worktree", "-v")
    assert done.returncode == 0, done.stderr
    assert FULL + "a .gitattributes file (git may convert files)" in done.stderr
    (repo / ".gitattributes").unlink()
    git(repo, "update-index", "--assume-unchanged", "app/main.py")
    done = hfsync(repo, "run", "--worktree", "-v")
    assert FULL + "git's index has entries git does not check" in done.stderr


def test_a_missing_or_corrupt_state_makes_the_plan_full(repo: Path) -> None:
    state = plan_state(repo)
    state.write_text('{"version": 1, "commit": [')
    assert FULL + "no plan state" in run_v(repo)
    (text,) = state.parent.glob("*.lines")
    text.write_bytes(text.read_bytes().replace(b"app", b"abc", 1))  # the checksum catches it
    assert FULL + "no plan state" in run_v(repo)
    assert INCREMENTAL in run_v(repo)  # the full run kept a new state


def test_a_state_whose_tree_does_not_match_the_heads_record_makes_the_plan_full(
    repo: Path,
) -> None:
    state = plan_state(repo)
    data = json.loads(state.read_text())
    state.write_text(json.dumps({**data, "digest": "0" * 64}))
    assert FULL + "the head's record does not match the kept tree" in run_v(repo)


def test_a_symlink_in_scope_makes_the_plan_full(repo: Path) -> None:
    os.symlink("main.py", repo / "app" / "link.py")
    commit_all(repo, "a link")
    out = run_v(repo)
    assert FULL + "app/link.py is or was a symlink or submodule" in out
    assert "upload   app/link.py" in out
    write_files(repo, {"app/main.py": "print('through the link too')\n"})
    commit_all(repo, "edit the file the link names")
    out = run_v(repo)  # no state was kept while a link is in scope
    assert FULL + "no plan state" in out
    assert "upload   app/main.py" in out  # (a git target keeps the link a link)


def test_hfsync_full_plan_turns_it_off(repo: Path) -> None:
    assert FULL + "HFSYNC_FULL_PLAN is set" in run_v(repo, env={"HFSYNC_FULL_PLAN": "1"})


def test_a_difference_from_the_full_plan_is_a_loud_error(repo: Path, tmp_path: Path) -> None:
    """The net itself: a state that lies about a standing path's source file (its checksums
    intact) makes the incremental plan differ from the full one: exit 1, nothing written."""
    remote = tmp_path / "remote.git"
    push_edit(remote, tmp_path / "other", {"app/util.py": "X = 'web'\n"}, "web")
    write_files(repo, {"app/util.py": "X = 'mine'\n"})
    commit_all(repo, "edit")
    run_v(repo, "--on-conflict", "skip", "--allow-older")
    write_files(repo, {"app/main.py": "print(4)\n"})
    commit_all(repo, "edit")
    run_v(repo, "--on-conflict", "skip")  # a commit of hfsync's: the state is kept
    state = plan_state(repo)
    data = json.loads(state.read_text())
    data["standing"]["app/util.py"][2] = "0" * 40  # the source file's blob id
    state.write_text(json.dumps(data))
    write_files(repo, {"app/main.py": "print(5)\n"})
    commit_all(repo, "edit")
    head = git(remote, "rev-parse", "main")
    out = run_v(repo, "--on-conflict", "skip", code=1)
    assert "the incremental plan differs from the full plan (HFSYNC_VERIFY_PLAN)" in out
    assert "nothing was written" in out
    assert git(remote, "rev-parse", "main") == head


def test_a_working_tree_sync_then_its_commit_plans_incrementally(repo: Path) -> None:
    """The head records the working tree as its source; the commit of the same files finds
    nothing to do, and the state kept then serves the next commit."""
    write_files(repo, {"app/util.py": "X = 7\n"})
    assert hfsync(repo, "run", "--worktree").returncode == 0
    commit_all(repo, "the same files, committed")
    assert "nothing to do" in run_v(repo) or "0 to upload" in run_v(repo)
    write_files(repo, {"app/util.py": "X = 8\n"})
    commit_all(repo, "edit")
    out = run_v(repo)
    assert INCREMENTAL in out and "upload   app/util.py" in out
