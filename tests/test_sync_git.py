"""Git-target behaviour that needs the engine in-process: racing writers, reading from git only."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from hfsync.core.errors import RemoteError
from hfsync.engine.sync import run_sync
from hfsync.engine.sync_values import SyncOptions
from hfsync.local.source import Source, read_source
from hfsync.remotes import Change
from hfsync.remotes.git import GitRemote
from hfsync.remotes.target import Target
from tests.conftest import open_first_target
from tests.helpers_git import commit_all, git, hfsync, push_edit, write_files


@pytest.fixture
def repo(make_repo, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    return make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n'
            'paths = ["app/**"]\n',
            "app/main.py": "print('hello')\n",
            "app/util.py": "X = 1\n",
        }
    )


class RacingRemote(GitRemote):
    """A real git remote where someone else pushes right before hfsync's first push lands."""

    def __init__(self, inner: GitRemote, racer: Path, races: int = 1) -> None:
        self.__dict__.update(inner.__dict__)
        self.racer = racer
        self.races = races

    def commit(
        self, parent: str | None, change: Change, source: Source, title: str, body: str
    ) -> str:
        if self.races:
            self.races -= 1
            other = {"app/other.py": f"# pushed by someone else {self.races}\n"}
            push_edit(Path(self.url), self.racer, other, "concurrent push")
        return super().commit(parent, change, source, title, body)


def synced_then_raced(repo: Path, tmp_path: Path, races: int) -> Target:
    """A synced target with a local change, whose next `races` pushes lose to someone else."""
    target = open_first_target(repo)
    run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    racer = tmp_path / "racer"  # someone else's clone, made at the first race
    write_files(repo, {"app/util.py": "X = 2\n"})
    assert isinstance(target.remote, GitRemote)
    target.remote = RacingRemote(target.remote, racer, races)
    return target


def test_a_racing_push_is_never_lost(repo: Path, tmp_path: Path) -> None:
    target = synced_then_raced(repo, tmp_path, races=1)
    result = run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    assert result.attempts == 2
    log = git(tmp_path / "remote.git", "log", "--format=%s", "main").splitlines()
    assert log[0].startswith("hfsync: upload 1 file")
    assert log[1] == "concurrent push"
    files = git(tmp_path / "remote.git", "ls-tree", "-r", "--name-only", "main").split()
    assert "app/other.py" in files  # the other writer's commit survived
    assert git(tmp_path / "remote.git", "show", "main:app/util.py") == "X = 2"


def test_a_remote_that_keeps_moving_gives_up_without_overwriting(
    repo: Path, tmp_path: Path
) -> None:
    target = synced_then_raced(repo, tmp_path, races=5)
    with pytest.raises(RemoteError, match="kept moving"):
        run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())
    assert git(tmp_path / "remote.git", "show", "main:app/util.py") == "X = 1"


def test_a_branch_named_like_the_target_branch_does_not_hide_its_head(
    repo: Path, tmp_path: Path
) -> None:
    """`git ls-remote URL refs/heads/main` matches the tail of a ref name, so it also lists a
    (legal) branch `a/refs/heads/main`, which sorts first. Planned on that decoy, every run was
    refused by the lease and exited 6 ("kept moving"), with a backup of the wrong commit."""
    remote = tmp_path / "remote.git"
    assert hfsync(repo, "run", "--worktree").returncode == 0
    write_files(repo, {"app/util.py": "X = 2\n"})
    assert hfsync(repo, "run", "--worktree").returncode == 0
    decoy = git(remote, "rev-parse", "main~1")
    git(remote, "update-ref", "refs/heads/a/refs/heads/main", decoy)
    head = git(remote, "rev-parse", "main")
    write_files(repo, {"app/util.py": "X = 3\n"})

    done = hfsync(repo, "run", "--worktree")

    assert done.returncode == 0, done.stderr
    assert git(remote, "rev-parse", "main~1") == head  # pinned to main's head, not the decoy's
    assert git(remote, "show", "main:app/util.py") == "X = 3"
    assert git(remote, "rev-parse", "a/refs/heads/main") == decoy  # left alone
    backups = git(remote, "branch", "--list", "hfsync-backup-*").split()
    assert any(name.endswith(f"-{head[:7]}") for name in backups), backups


def test_rev_head_works_from_git_objects_alone(repo: Path, tmp_path: Path) -> None:
    write_files(repo, {"app/util.py": "X = 2\n"})
    commit_all(repo)
    worktree_plan = hfsync(repo, "run", "--dry-run", "--json", "--rev", "HEAD").stdout
    for path in ("app/main.py", "app/util.py"):
        (repo / path).unlink()
    shutil.rmtree(repo / "app")

    target = open_first_target(repo)
    source = read_source(repo, "HEAD", target.scope.includes)
    result = run_sync(target, source, SyncOptions(rev="HEAD"))
    assert [op.path for op in result.plan.uploads] == ["app/main.py", "app/util.py"]
    assert result.commit is not None
    assert git(tmp_path / "remote.git", "show", "main:app/util.py") == "X = 2"
    assert '"app/util.py"' in worktree_plan


def test_no_change_plan_over_thousands_of_files_reads_no_content(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    files: dict[str, str | bytes] = {f"app/{i // 100}/{i}.txt": f"file {i}\n" for i in range(3000)}
    files["hfsync.toml"] = f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo(files)
    write_files(repo, {f"app/untracked/{i}.txt": f"new {i}\n" for i in range(200)})
    past = time.time_ns() - 60 * 10**9  # older than the racy-stat window
    for path in (repo / "app" / "untracked").iterdir():
        os.utime(path, ns=(past, past))
    target = open_first_target(repo)
    run_sync(target, read_source(repo, None, target.scope.includes), SyncOptions())

    source = read_source(repo, None, target.scope.includes)
    assert run_sync(open_first_target(repo), source, SyncOptions()).commit is None
    assert source.files_read == 0

    commit_all(repo, "add the untracked files")
    source = read_source(repo, "HEAD", target.scope.includes)
    assert run_sync(open_first_target(repo), source, SyncOptions(rev="HEAD")).commit is None
    assert source.files_read == 0


def test_local_dir_maps_to_remote_dir(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n'
            'local_dir = "space"\nremote_dir = "app"\n',
            "space/main.py": "main\n",
            "space/sub/util.py": "util\n",
            "other.txt": "not in local_dir\n",
        }
    )
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    assert git(remote, "ls-tree", "-r", "--name-only", "main").split() == [
        "app/main.py",
        "app/sub/util.py",
    ]
    push_edit(remote, tmp_path / "editor", {"app/main.py": "edited\n"}, "web edit")
    status = hfsync(repo, "status")
    assert "--- a/space/main.py" in status.stdout  # the diff speaks of the local path
    assert "+edited" in status.stdout


def test_unusual_file_names(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    names = ["with space/a b.txt", "ünïcödé/名前.md", "tab\there.txt", 'quote"d.txt']
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n',
            **{name: name for name in names},
        }
    )
    assert hfsync(repo, "run").returncode == 0
    listed = git(remote, "ls-tree", "-r", "-z", "--name-only", "main").split("\0")
    assert sorted(p for p in listed if p) == sorted([*names, "hfsync.toml"])
    (repo / names[0]).unlink()
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    listed = git(remote, "ls-tree", "-r", "-z", "--name-only", "main").split("\0")
    assert names[0] not in listed and names[1] in listed


def test_a_target_repository_inside_the_source_and_in_scope_is_refused(make_repo) -> None:
    config = '[[targets]]\nname = "mirror"\nurl = "remote.git"\ncreate = true\n'
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n"})

    done = hfsync(repo, "run")

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.splitlines()[-1] == (
        "hfsync: error: mirror: the target's repository remote.git/ is inside this repository and "
        "in its paths, so every run would copy it into itself; move it outside the repository, "
        "add it to .gitignore, or leave it out of 'paths'"
    )
    assert not (repo / "remote.git").exists()  # nothing was created
    write_files(repo, {".gitignore": "/remote.git/\n"})
    for _ in range(2):  # ignored by git: left out, and the second run has nothing to do
        done = hfsync(repo, "run")
        assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to do" in done.stdout
    assert "remote.git/HEAD" not in git(repo / "remote.git", "ls-tree", "-r", "--name-only", "main")
