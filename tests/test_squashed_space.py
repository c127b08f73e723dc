"""hfsync on a Space whose history someone squashed with the real client
(`HfApi.super_squash_history`, as a person does to reclaim storage): the next run treats the
history as rewritten (every difference is a remote edit, a remote-only file stays), says so and
loses nothing, on the machine that synced before and on a fresh clone alike; after an
`--on-conflict overwrite` run, later runs are normal again. `run` and `watch`."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

from huggingface_hub import HfApi

from hfsync.core.errors import ConflictError
from hfsync.engine.sync import SyncOptions, SyncResult, run_sync
from hfsync.local.source import read_source
from hfsync.testing.hub import TestHub
from tests.conftest import open_first_target
from tests.helpers_git import commit_all, git, hfsync, write_files
from tests.test_watch import cli_watch, wait_for, watching

SPACE = "user/demo"
README = "---\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"
WEB_EDIT = "U = 'edited in the web UI'\n"


def config(name: str = "space", extra: str = "") -> str:
    return f'[[targets]]\nname = "{name}"\nrepo = "{SPACE}"\ncreate = true\n{extra}'


def sync(repo: Path) -> SyncResult:
    """One sync in-process, as `hfsync run` makes it (the setup of a test)."""
    target = open_first_target(repo)
    return run_sync(target, read_source(repo, "HEAD", target.scope.includes), SyncOptions())


def space_text(api: HfApi, path: str, revision: str = "main") -> str:
    local = api.hf_hub_download(SPACE, path, repo_type="space", revision=revision)
    return Path(local).read_text()


def head(api: HfApi) -> str:
    sha = api.space_info(SPACE).sha
    assert sha is not None
    return sha


def synced_then_squashed(make_repo, api: HfApi, env: dict[str, str]) -> Path:
    """A project synced twice to the Space; then, on the Space, an edit of util.py in the web UI,
    a file added by hand, and the history squashed; then a local change of app.py, committed."""
    repo = make_repo(
        {"hfsync.toml": config(), "README.md": README, "app.py": "print(1)\n", "util.py": "U = 1\n"}
    )
    assert sync(repo).commit is not None
    write_files(repo, {"util.py": "U = 2\n"})
    commit_all(repo)
    assert sync(repo).commit is not None
    api.upload_file(
        repo_id=SPACE, repo_type="space", path_in_repo="util.py", path_or_fileobj=WEB_EDIT.encode()
    )
    api.upload_file(
        repo_id=SPACE, repo_type="space", path_in_repo="notes.txt", path_or_fileobj=b"by hand\n"
    )
    api.super_squash_history(repo_id=SPACE, repo_type="space")
    write_files(repo, {"app.py": "print(2)\n"})
    commit_all(repo)
    return repo


def assert_rewritten_and_nothing_written(repo: Path, api: HfApi, squashed: str) -> None:
    done = hfsync(repo, "run")

    assert done.returncode == 3, done.stderr
    assert "note: the remote's history was rewritten" in done.stdout
    assert "(history rewritten)" in done.stdout
    assert "conflict util.py" in done.stdout and "conflict app.py" in done.stdout
    [error] = [line for line in done.stderr.splitlines() if "error" in line]
    assert "2 remote edit(s) would be overwritten: app.py, util.py" in error
    assert "history was rewritten: hfsync cannot tell who changed them" in error
    assert head(api) == squashed  # nothing written, not even a backup of the squashed head
    branches = api.list_repo_refs(SPACE, repo_type="space").branches
    assert not [b for b in branches if b.name != "main" and b.target_commit == squashed]


def test_a_run_after_a_squash_treats_the_history_as_rewritten(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str]
) -> None:
    repo = synced_then_squashed(make_repo, api, env)
    squashed = head(api)
    assert len(api.list_repo_commits(SPACE, repo_type="space")) == 1

    assert_rewritten_and_nothing_written(repo, api, squashed)
    status = hfsync(repo, "status", "--json")
    [report] = json.loads(status.stdout)
    assert report["plan"]["history_rewritten"] is True and report["plan"]["first_sync"] is False

    overwrite = hfsync(repo, "run", "--on-conflict", "overwrite")

    assert overwrite.returncode == 0, overwrite.stderr
    assert "committed" in overwrite.stdout
    assert space_text(api, "app.py") == "print(2)\n" and space_text(api, "util.py") == "U = 2\n"
    assert space_text(api, "notes.txt") == "by hand\n"  # a remote-only file stays
    backup = re.search(r"committed \w+; backup (\S+)", overwrite.stdout).group(1)  # type: ignore[union-attr]
    assert space_text(api, "util.py", revision=backup) == WEB_EDIT  # the edit, kept

    write_files(repo, {"util.py": "U = 3\n"})
    commit_all(repo)
    later = hfsync(repo, "run")

    assert later.returncode == 0, later.stderr
    assert "rewritten" not in later.stdout and "conflict" not in later.stdout
    assert "upload   util.py" in later.stdout
    assert space_text(api, "notes.txt") == "by hand\n"


def test_a_fresh_clone_tells_a_squash_from_a_first_sync_by_the_backups(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str], tmp_path: Path
) -> None:
    """No local state (a CI runner): hfsync's backup branches, which the squash of main left,
    lead to its earlier commits of the target."""
    repo = synced_then_squashed(make_repo, api, env)
    squashed = head(api)
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(repo), str(fresh))

    assert_rewritten_and_nothing_written(fresh, api, squashed)


def test_a_new_target_on_a_synced_space_is_still_a_first_sync(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str]
) -> None:
    """Backups of another target's syncs say nothing about this one."""
    repo = make_repo(
        {
            "hfsync.toml": config(extra='paths = ["app.py", "README.md"]\n'),
            "README.md": README,
            "app.py": "print(1)\n",
        }
    )
    assert sync(repo).commit is not None
    write_files(repo, {"app.py": "print(2)\n"})
    commit_all(repo)
    assert sync(repo).commit is not None
    api.upload_file(
        repo_id=SPACE, repo_type="space", path_in_repo="data/a.txt", path_or_fileobj=b"web\n"
    )
    api.super_squash_history(repo_id=SPACE, repo_type="space")
    write_files(
        repo,
        {
            "hfsync.toml": config(extra='paths = ["app.py", "README.md"]\n')
            + config("data", 'paths = ["data/**"]\n'),
            "data/a.txt": "local\n",
        },
    )
    commit_all(repo)

    done = hfsync(repo, "run", "--target", "data")

    assert done.returncode == 0, done.stderr
    assert "(first sync)" in done.stdout and "rewritten" not in done.stdout
    assert space_text(api, "data/a.txt") == "local\n"


def test_watch_reports_the_rewritten_history_then_syncs_after_overwrite(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str]
) -> None:
    repo = make_repo(
        {"hfsync.toml": config(), "README.md": README, "app.py": "print(1)\n", "util.py": "U = 1\n"}
    )
    with watching(repo) as outcomes:
        assert outcomes[0].commit is not None  # type: ignore[union-attr]
        api.super_squash_history(repo_id=SPACE, repo_type="space")
        write_files(repo, {"app.py": "print(2)\n"})
        wait_for(lambda: len(outcomes) == 2, "the sync of the change")
    conflict = outcomes[1]
    assert isinstance(conflict, ConflictError) and conflict.paths == ("app.py",)
    assert conflict.plan is not None and conflict.plan.history_rewritten
    assert "history was rewritten" in str(conflict)
    assert space_text(api, "app.py") == "print(1)\n"

    with watching(repo, on_conflict="overwrite") as outcomes:
        assert outcomes[0].commit is not None  # type: ignore[union-attr]
        assert space_text(api, "app.py") == "print(2)\n"
        write_files(repo, {"util.py": "U = 2\n"})
        wait_for(lambda: len(outcomes) == 2, "the next sync")
    later = outcomes[1]
    assert not isinstance(later, Exception) and later.commit is not None
    assert not later.plan.history_rewritten and not later.plan.conflicts


def test_the_watch_command_says_once_that_the_history_was_rewritten(
    make_repo, hub: TestHub, api: HfApi, env: dict[str, str], tmp_path: Path
) -> None:
    repo = make_repo({"hfsync.toml": config(), "README.md": README, "app.py": "print(1)\n"})
    with cli_watch(repo, tmp_path, "--poll", "0.3") as watch:
        api.super_squash_history(repo_id=SPACE, repo_type="space")
        write_files(repo, {"app.py": "print(2)\n"})
        wait_for(lambda: "conflict:" in watch.stderr(), "the conflict")
        wait_for(lambda: watch.stderr().count("conflict:") >= 2, "a poll that finds it again")
        watch.proc.send_signal(signal.SIGTERM)
        assert watch.proc.wait(timeout=20) == 0
    errors = watch.stderr()
    assert errors.count("note: the remote's history was rewritten") == 1, errors
    assert "history was rewritten: hfsync cannot tell who changed them" in errors


def test_a_git_target_fresh_clone_passes_over_backups_it_has_not_fetched(
    make_repo, tmp_path: Path
) -> None:
    """A git target (a Space's git URL, say) squashed by hand: a fresh clone does not have the
    backups' commits and does not fetch them; it plans as a first sync, as before, and does not
    fail on them."""
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n',
            "app.py": "print(1)\n",
        }
    )
    assert sync(repo).commit is not None
    write_files(repo, {"app.py": "print(2)\n"})
    commit_all(repo)
    assert sync(repo).commit is not None  # after a backup branch of the first commit
    squashed = git(remote, "commit-tree", git(remote, "rev-parse", "main^{tree}"), "-m", "squash")
    git(remote, "update-ref", "refs/heads/main", squashed)
    fresh = tmp_path / "fresh"
    git(tmp_path, "clone", "--no-local", "-q", str(repo), str(fresh))

    done = hfsync(fresh, "run", "--dry-run")

    assert done.returncode == 0, done.stderr
    assert "(first sync)" in done.stdout
