"""`hfsync run` gives its last answer again when nothing it depends on changed
(hfsync/memo/answer.py), and plans in full whenever anything did.

A replayed answer is told apart by `-v`, which says so on stderr. Each test compares what a
replaying run prints with what a full run (HFSYNC_NO_MEMO=1) prints in the same state.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers_git import commit_all, git, hfsync, init_repo, push_edit, write

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hfsync.testing.hub import TestHub

REPLAYED = "nothing changed since the last run"
CONFIG = '[[targets]]\nname = "site"\nurl = "../site.git"\ncreate = true\npaths = ["app/**"]\n'


def run(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[bool, str]:
    """(replayed, stdout) of a working-tree `hfsync run -v`; fails on a non-zero exit."""
    done = hfsync(repo, "run", "--worktree", "-v", *args, env=env)
    assert done.returncode == 0, done.stderr
    return REPLAYED in done.stderr, done.stdout


def full(repo: Path, *args: str) -> str:
    """What a full run prints in the same state."""
    replayed, out = run(repo, *args, env={"HFSYNC_NO_MEMO": "1"})
    assert not replayed
    return out


@pytest.fixture
def synced(tmp_path: Path) -> Path:
    """A repository synced once to a bare git target (`../site.git`), its files settled."""
    repo = init_repo(
        tmp_path / "project",
        {"hfsync.toml": CONFIG, "app/main.py": "print('hi')\n", "app/data.txt": "one\n"},
    )
    assert hfsync(repo, "run", "--worktree").returncode == 0
    return repo


def test_a_run_with_nothing_changed_gives_the_last_answer_again(synced: Path) -> None:
    assert run(synced) == (False, full(synced))  # the full run after a write is remembered
    replayed, out = run(synced)
    assert replayed
    assert out == full(synced)
    assert "nothing to do" in out
    # A dry run and a JSON run are answers of their own, each remembered the same way.
    for args in (("--dry-run",), ("--json",)):
        assert run(synced, *args) == (False, full(synced, *args))
        assert run(synced, *args) == (True, full(synced, *args))
    json.loads(run(synced, "--json")[1])


def _edit_tracked_same_size(repo: Path) -> None:
    # Dated 20 s ago, not 10 as the fixture's files: two same-size writes aged alike within
    # one second have the same stat seconds, which git (and so the fingerprint, and `git
    # status`) cannot tell apart; a real save is dated now, where git's racy check reads it.
    write(repo, "app/data.txt", "two\n", age_s=20)


def _edit_tracked_and_stage(repo: Path) -> None:
    write(repo, "app/data.txt", "three\n")
    git(repo, "add", "app/data.txt")


def _commit_an_edit(repo: Path) -> None:
    write(repo, "app/data.txt", "four\n")
    commit_all(repo, "edit")


def _delete_tracked(repo: Path) -> None:
    (repo / "app/data.txt").unlink()


def _add_untracked(repo: Path) -> None:
    write(repo, "app/new.txt", "new\n")


def _make_executable(repo: Path) -> None:
    (repo / "app/main.py").chmod(0o755)


def _ignore_a_tracked_name(repo: Path) -> None:  # only untracked files are affected...
    write(repo, "app/extra.txt", "extra\n")
    write(repo, ".gitignore", "app/extra.txt\n")  # ...and .gitignore itself is untracked


def _exclude_in_git_dir(repo: Path) -> None:
    write(repo, "app/local.txt", "local\n")
    run(repo, "--dry-run")  # remembered with app/local.txt listed
    (repo / ".git/info").mkdir(exist_ok=True)
    (repo / ".git/info/exclude").write_text("app/local.txt\n")


def _edit_config(repo: Path) -> None:
    write(repo, "hfsync.toml", CONFIG.replace('"app/**"', '"app/*.py"'))


def _another_writer_pushes(repo: Path) -> None:
    push_edit(repo.parent / "site.git", repo.parent / "other", {"app/theirs.txt": "x\n"}, "edit")


def _another_writer_pushes_past_a_decoy(repo: Path) -> None:
    """A branch whose name ends like the target's (`a/refs/heads/main`) stays at the old head,
    and `git ls-remote URL refs/heads/main` lists it first."""
    site = repo.parent / "site.git"
    git(site, "update-ref", "refs/heads/a/refs/heads/main", "main")
    _another_writer_pushes(repo)


def _switch_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    commit_all(repo, "empty on another branch")


def _forget_local_state(repo: Path) -> None:
    for state in (repo / ".git/hfsync/targets").iterdir():
        state.write_text("{}")


def _git_settings(repo: Path) -> None:
    git(repo, "config", "core.autocrlf", "true")


CHANGES: dict[str, Callable[[Path], None]] = {
    "tracked file edited, same size": _edit_tracked_same_size,
    "tracked file edited and staged": _edit_tracked_and_stage,
    "edit committed": _commit_an_edit,
    "tracked file deleted": _delete_tracked,
    "untracked file added": _add_untracked,
    "mode changed": _make_executable,
    "an untracked .gitignore": _ignore_a_tracked_name,
    "info/exclude edited": _exclude_in_git_dir,
    "config edited": _edit_config,
    "remote moved": _another_writer_pushes,
    "remote moved, a branch named like it did not": _another_writer_pushes_past_a_decoy,
    "HEAD moved": _switch_branch,
    "local state changed": _forget_local_state,
    "git settings changed": _git_settings,
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_the_answer_depends_on_means_a_full_run(
    synced: Path, change: Callable[[Path], None]
) -> None:
    run(synced, "--dry-run")
    assert run(synced, "--dry-run")[0]
    change(synced)
    replayed, out = run(synced, "--dry-run")
    assert not replayed
    assert out == full(synced, "--dry-run")


def test_a_hub_target_answers_again_after_one_request_and_sees_a_web_edit(
    make_repo: Callable[..., Path], hub: TestHub, env: dict[str, str], api: HfApi
) -> None:
    config = (
        '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
        'allow = ["space-config:README.md"]\n'
    )
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n"})
    assert hfsync(repo, "run", "--worktree").returncode == 0
    expected = full(repo)
    run(repo)  # remembered
    hub.control.clear_log()
    assert run(repo) == (True, expected)
    requests = hub.control.requests()
    assert [(r.method, r.path) for r in requests] == [
        ("GET", "/api/spaces/user/demo/revision/main")
    ]
    assert requests[0].query == "expand=sha"
    api.upload_file(
        path_or_fileobj=b"edited on the web\n",
        path_in_repo="README.md",
        repo_id="user/demo",
        repo_type="space",
    )
    replayed, out = run(repo, "--dry-run")
    assert not replayed
    assert out == full(repo, "--dry-run")


def test_a_private_space_is_read_with_the_token_file_as_the_client_reads_it(
    make_repo: Callable[..., Path], hub: TestHub, api: HfApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No HF_TOKEN: the token saved by `hf auth login` (HF_HOME/token) is sent, so a private
    Space's head is read in one request too; without any token the read is refused and the
    run plans in full (and fails as a full run does)."""
    from hfsync.testing.hub.fixtures import WRITE_TOKEN

    api.create_repo("user/private", repo_type="space", space_sdk="gradio", private=True)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    token_file = Path(os.environ["HF_HOME"]) / "token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(WRITE_TOKEN + "\n")
    config = '[[targets]]\nname = "space"\nrepo = "user/private"\n'
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n"})
    assert hfsync(repo, "run", "--worktree").returncode == 0
    expected = full(repo)
    run(repo)
    hub.control.clear_log()
    assert run(repo) == (True, expected)
    assert len(hub.control.requests()) == 1
    token_file.unlink()
    done = hfsync(repo, "run", "--worktree", "-v")
    assert done.returncode == 4
    assert REPLAYED not in done.stderr
    assert WRITE_TOKEN not in done.stdout + done.stderr


def test_a_config_file_outside_the_repository_is_an_input(synced: Path) -> None:
    outside = synced.parent / "outside.toml"
    write(synced.parent, "outside.toml", CONFIG)
    run(synced, "--config", str(outside))
    assert run(synced, "--config", str(outside))[0]
    write(synced.parent, "outside.toml", CONFIG.replace('"app/**"', '"app/*.py"'))
    replayed, out = run(synced, "--config", str(outside))
    assert not replayed
    assert "1 in sync" in out  # app/data.txt is out of scope now, and kept on the remote


def test_on_a_terminal_the_answer_given_again_is_the_whole_answer(synced: Path) -> None:
    """On a terminal the progress line routes stdout through rich while it is shown: what was
    printed then is part of the remembered answer too."""
    from tests.test_progress_counts import run_on_a_terminal

    run_on_a_terminal(synced, "run", "--worktree", "-v")
    again = run_on_a_terminal(synced, "run", "--worktree", "-v")
    assert REPLAYED in again
    assert "site: 0 to upload, 0 to delete, 0 remote edit(s), 2 in sync" in again
    assert "site: nothing to do" in again


def test_other_options_or_environment_are_other_questions(synced: Path) -> None:
    run(synced)
    assert run(synced)[0]
    assert not run(synced, "--prune")[0]
    assert not run(synced, env={"HF_HUB_OFFLINE": "0"})[0]
    assert not run(synced, env={"CI": "true"})[0]  # never in CI...
    assert not run(synced, env={"GITHUB_ACTIONS": "true"})[0]


def test_a_file_written_just_before_a_run_is_not_trusted_until_it_settles(synced: Path) -> None:
    write(synced, "app/new.txt", "new\n", age_s=0)
    run(synced)  # synced it; the next run has nothing to do but the file is still fresh
    assert not run(synced)[0]
    assert not run(synced)[0]  # never remembered while the file's stat could hide a write
    write(synced, "app/new.txt", "new\n", age_s=10)  # (settled: as if written 10 s ago)
    run(synced)
    assert run(synced)[0]
    write(synced, "app/new.txt", "mew\n", age_s=0)  # same size, same second as the last run
    assert run(synced, "--dry-run") == (False, full(synced, "--dry-run"))


def test_files_git_converts_or_links_are_never_answered_from_memory(synced: Path) -> None:
    write(synced, ".gitattributes", "*.txt text eol=crlf\n")
    commit_all(synced, "line endings")
    run(synced)
    assert not run(synced)[0]
    (synced / ".gitattributes").unlink()
    commit_all(synced, "no conversion")
    os.symlink("main.py", synced / "app/link.py")
    run(synced)
    assert not run(synced)[0]


def test_a_damaged_or_hostile_memo_is_ignored(synced: Path) -> None:
    run(synced)
    memo = synced / ".git/hfsync/last-run.json"
    data = json.loads(memo.read_text())
    expected = full(synced)
    for damaged in (
        "not json",
        json.dumps({**data, "version": 99}),
        json.dumps({**data, "heads": [{"kind": "git", "url": ["x"], "branch": 1, "head": 2}]}),
        json.dumps({**data, "heads": [{**data["heads"][0], "kind": "ssh"}]}),
        json.dumps({**data, "stdout": 5}),
        json.dumps([1, 2]),
        json.dumps({**data, "inputs": [["/dev/zero"], ["/dev/urandom"]]}),  # never read through
    ):
        memo.write_text(damaged)
        assert run(synced) == (False, expected)
    assert run(synced) == (True, expected)


def test_replaying_matches_a_full_run_through_random_edits(tmp_path: Path) -> None:
    """The property: whatever happened between two runs, a run that replays prints what a full
    run prints. Edits are random (tracked, untracked, ignored, staged, committed, settled or
    fresh, dry and real runs)."""
    rng = random.Random(1201)
    repo = init_repo(
        tmp_path / "project",
        {"hfsync.toml": CONFIG, ".gitignore": "*.log\n", "app/a.txt": "a\n", "app/b.txt": "b\n"},
    )
    replays = 0
    for step in range(20):
        name = rng.choice(["app/a.txt", "app/b.txt", "app/c.txt", "app/d.log", "other.txt"])
        action = rng.choice(["write", "write", "delete", "stage", "commit", "none", "none"])
        path = repo / name
        if action == "write":
            write(repo, name, rng.choice(["x\n", "y\n", "zz\n"]), age_s=rng.choice([0, 10]))
        elif action == "delete" and path.exists():
            path.unlink()
        elif action == "stage":
            git(repo, "add", "-A")
        elif action == "commit":
            commit_all(repo, f"step {step}")
        args = ("--dry-run",) if rng.random() < 0.5 else ()
        expected = full(repo, "--dry-run")
        replayed, out = run(repo, *args)
        if args:
            assert out == expected, f"step {step}: {action} {name}"
        replays += replayed
    assert replays >= 3  # the property was exercised
