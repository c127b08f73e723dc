"""What a person reads from `hfsync run` and `hfsync status`: phases, a short plan, exit codes."""

from __future__ import annotations

from pathlib import Path

from tests.helpers_git import commit_all, git, hfsync, push_edit, write_files


def git_target(remote: Path, extra: str = "") -> str:
    return f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n{extra}'


def test_a_3000_file_first_sync_prints_few_lines_when_piped(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    files: dict[str, str | bytes] = {f"data/{i // 100}/file-{i}.txt": f"{i}\n" for i in range(3000)}
    repo = make_repo({"hfsync.toml": git_target(remote), **files})
    done = hfsync(repo, "run", "--rev", "HEAD")
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    lines = output.splitlines()
    assert len(lines) < 30, output
    assert "\r" not in output
    assert lines[0] == f"source: HEAD {git(repo, 'rev-parse', 'HEAD')[:7]}"
    assert f"planning git {remote}" in lines
    assert [line for line in lines if line.startswith("uploading 3,001 files, ")]
    assert "space: 3,001 to upload, 0 to delete, 0 remote edit(s), 0 in sync (first sync)" in lines
    assert "  ... and 2,991 more (-v lists them all)" in lines
    assert git(remote, "ls-tree", "-r", "--name-only", "main").count("\n") == 3000


def test_verbose_lists_every_row_in_full_and_quiet_none(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    deep = "a-rather-long-folder-name/" * 8 + "and-a-file-whose-name-is-long-too.txt"
    files: dict[str, str | bytes] = {f"f{i}.txt": "x" for i in range(15)}
    repo = make_repo({"hfsync.toml": git_target(remote), deep: "d", **files})
    done = hfsync(repo, "run", "--dry-run", "-v")
    assert f"  upload   {deep}  (new in the source)" in done.stdout.splitlines()  # never cut
    assert len([line for line in done.stdout.splitlines() if "  upload   " in line]) == 17
    quiet = hfsync(repo, "run", "--dry-run", "-q")
    assert quiet.returncode == 0
    assert "upload   " not in quiet.stdout and "planning" not in quiet.stderr
    assert "dry run: nothing written" in quiet.stdout


def test_progress_reminders_are_plain_lines_when_not_a_terminal(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    files: dict[str, str | bytes] = {f"d/{i}.txt": f"{i}\n" for i in range(2000)}
    repo = make_repo({"hfsync.toml": git_target(remote), **files})
    done = hfsync(repo, "run", env={"HFSYNC_PROGRESS_INTERVAL": "0.1"})
    assert done.returncode == 0, done.stderr
    reminders = [line for line in done.stderr.splitlines() if line.startswith("... ")]
    assert reminders, done.stderr
    assert all(line.endswith(" s)") for line in reminders)
    assert "\r" not in done.stderr


def test_a_dry_run_blocked_by_max_delete_prints_the_plan_then_the_reason(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    files: dict[str, str | bytes] = {f"f{i}.txt": "x" for i in range(5)}
    repo = make_repo({"hfsync.toml": git_target(remote, "max_delete = 2\n"), **files})
    assert hfsync(repo, "run").returncode == 0
    for i in range(5):
        (repo / f"f{i}.txt").unlink()
    done = hfsync(repo, "run", "--dry-run")
    assert done.returncode == 2
    assert "space: 0 to upload, 5 to delete" in done.stdout
    assert "  delete   f0.txt  (deleted in the source)" in done.stdout
    assert "hfsync: error: space: the plan deletes 5 files, more than max_delete = 2" in done.stderr


def test_status_exit_code_is_a_drift_check(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo({"hfsync.toml": git_target(remote), "app.py": "1\n"})
    assert hfsync(repo, "run").returncode == 0
    assert hfsync(repo, "status", "--exit-code").returncode == 0
    write_files(repo, {"app.py": "2\n"})
    assert hfsync(repo, "status", "--exit-code").returncode == 1
    assert hfsync(repo, "status").returncode == 0  # without the flag: information only
    commit_all(repo)
    push_edit(remote, tmp_path / "clone", {"app.py": "edited\n"}, "web edit")
    assert hfsync(repo, "status", "--exit-code").returncode == 3


def test_usage_errors_have_the_same_form(make_repo) -> None:
    repo = make_repo({"a.txt": "a"})
    done = hfsync(repo, "run", "--rev", "HEAD", "--worktree")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith(
        "hfsync: error: use --rev or --worktree, not both"
    )
    done = hfsync(repo, "run", "--no-such-option")
    assert done.returncode == 2
    assert "hfsync: error: No such option '--no-such-option'" in done.stderr
