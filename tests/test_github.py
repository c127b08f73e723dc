"""In GitHub Actions: a job summary per run and errors as annotations."""

from __future__ import annotations

from pathlib import Path

from tests.helpers_git import commit_all, hfsync, write_files


def test_job_summary_and_error_annotation(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n',
            "app.py": "1\n",
        }
    )
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "CI": "true"}
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 0, done.stderr
    assert "| space | 2 | 0 | 0 |" in summary.read_text()  # app.py and hfsync.toml

    write_files(repo, {"app.py": "2\n"})
    commit_all(repo)
    assert hfsync(repo, "run", env=env).returncode == 0
    assert "| space | 1 | 0 | 0 |" in summary.read_text()

    (tmp_path / "bad.toml").write_text("[[targets]]\nname = 'x'\n")
    done = hfsync(repo, "run", "--config", str(tmp_path / "bad.toml"), env=env)
    assert done.returncode == 2
    assert done.stdout.startswith("::error title=hfsync::")
    assert "exactly one of 'repo'" in done.stdout
