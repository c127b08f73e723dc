"""In GitHub Actions: step outputs, a job summary on success and on failure, annotations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, git, hfsync, push_edit, write_files


def actions_env(tmp_path: Path, repo: Path) -> dict[str, str]:
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "me/project",
        "GITHUB_SHA": git(repo, "rev-parse", "HEAD"),
        "GITHUB_RUN_ID": "4242",
    }


def read_outputs(env: dict[str, str]) -> dict[str, str]:
    lines = Path(env["GITHUB_OUTPUT"]).read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def fresh(env: dict[str, str]) -> None:
    for key in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        Path(env[key]).unlink(missing_ok=True)


def git_target(name: str, remote: Path, extra: str = "") -> str:
    return f'[[targets]]\nname = "{name}"\nurl = "{remote}"\ncreate = true\n{extra}'


def test_a_sync_writes_every_output_the_summary_and_a_source_link(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo({"hfsync.toml": git_target("space", remote), "app.py": "1\n"})
    env = actions_env(tmp_path, repo)
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 0, done.stderr
    head = git(remote, "rev-parse", "main")
    assert read_outputs(env) == {
        "space-commit": head,
        "space-commit-url": "",  # a local bare repository has no web page
        "space-backup": "",  # a new branch: nothing to back up
        "space-changed": "2",
        "space-conflicts": "0",
        "commit": head,
        "commit-url": "",
        "backup": "",
        "changed": "2",
        "conflicts": "0",
    }
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "### hfsync succeeded" in summary
    assert f"source: HEAD {env['GITHUB_SHA'][:7]}" in summary
    assert f"| space | synced | 2 | 0 | 0 | {head[:12]} | - |" in summary
    message = git(remote, "log", "-1", "--format=%B", "main")
    assert f"HFSync-Source-Url: https://github.com/me/project/commit/{env['GITHUB_SHA']}" in message

    write_files(repo, {"app.py": "2\n"})
    commit_all(repo)
    env = actions_env(tmp_path, repo)
    fresh(env)
    done = hfsync(repo, "run", "--commit-message", "Deploy the new app", env=env)
    assert done.returncode == 0, done.stderr
    outputs = read_outputs(env)
    assert outputs["commit"] == git(remote, "rev-parse", "main") != head
    assert outputs["backup"].startswith("hfsync-backup-") and outputs["changed"] == "1"
    assert git(remote, "rev-parse", outputs["backup"]) == head
    assert git(remote, "log", "-1", "--format=%s", "main") == "Deploy the new app"
    assert outputs["backup"] in Path(env["GITHUB_STEP_SUMMARY"]).read_text()


def test_a_conflict_on_one_target_leaves_the_next_synced_and_reports_both(
    make_repo, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.git", tmp_path / "second.git"
    config = git_target("first", first) + "\n" + git_target("second", second)
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n"})
    assert hfsync(repo, "run", "--rev", "HEAD").returncode == 0
    push_edit(first, tmp_path / "clone", {"app.py": "print('edited on the remote')\n"}, "web edit")
    write_files(repo, {"app.py": "print(2)\n"})
    commit_all(repo)
    env = actions_env(tmp_path, repo)
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 3, done.stderr
    assert "hfsync: error: first: 1 remote edit(s) would be overwritten: app.py" in done.stderr
    assert "second: committed" in done.stdout  # the conflict on `first` did not stop `second`
    assert git(second, "show", "main:app.py") == "print(2)"
    outputs = read_outputs(env)
    assert outputs["first-conflicts"] == "1" and outputs["first-commit"] == ""
    assert outputs["first-changed"] == "0"
    assert outputs["second-commit"] == git(second, "rev-parse", "main")
    assert outputs["conflicts"] == "1" and outputs["changed"] == "1"
    assert outputs["commit"] == ""  # two targets: per-target outputs only
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "### hfsync failed" in summary
    assert "| first | conflict (nothing written) | 0 | 0 | 1 | - | - |" in summary
    assert "| second | synced |" in summary
    assert "<details>" in summary and "remote edit(s) on first: app.py" in summary
    assert "+print('edited on the remote')" in summary  # the remote edit's diff
    assert "::error title=hfsync::first: 1 remote edit(s)" in done.stderr
    # The diff is the base -> remote patch `status --patch` gives (to `git apply --3way`).
    patch = hfsync(repo, "status", "--patch", "--target", "first", "--rev", "HEAD")
    assert patch.returncode == 0 and "diff --git a/app.py b/app.py" in patch.stdout
    assert f"```diff\n{patch.stdout.rstrip()}\n```" in summary


def test_a_remote_error_is_reported_with_its_fix_in_outputs_and_summary(
    make_repo, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.git"
    repo = make_repo(
        {"hfsync.toml": f'[[targets]]\nname = "space"\nurl = "{missing}"\n', "a.txt": "a"}
    )
    env = actions_env(tmp_path, repo)
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 4, done.stderr
    assert "\nhfsync: error: space: no git repository at " in done.stderr
    outputs = read_outputs(env)
    assert outputs["commit"] == "" and outputs["changed"] == "0" and outputs["conflicts"] == "0"
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "### hfsync failed" in summary and "| space | error (exit 4) |" in summary
    assert "#### space: error (exit 4)" in summary
    assert "create = true" in summary  # the fix is in the summary, not only in the log
    # With --json, stdout is the JSON document alone; annotations go with the errors, on stderr.
    done = hfsync(repo, "run", "--json", env=env)
    assert done.returncode == 4
    assert json.loads(done.stdout)["targets"][0]["target"] == "space"
    assert "::error title=hfsync::space: no git repository at " in done.stderr


def test_a_config_error_still_writes_a_summary_and_an_annotation(make_repo, tmp_path: Path) -> None:
    repo = make_repo({"a.txt": "a"})
    (tmp_path / "bad.toml").write_text("[[targets]]\nname = 'x'\n")
    env = actions_env(tmp_path, repo)
    done = hfsync(repo, "run", "--config", str(tmp_path / "bad.toml"), env=env)
    assert done.returncode == 2
    annotation = next(line for line in done.stderr.splitlines() if line.startswith("::error"))
    assert annotation.startswith("::error title=hfsync::")
    assert "exactly one of 'repo'" in annotation
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "### hfsync failed" in summary and "exactly one of 'repo'" in summary


@pytest.mark.parametrize("value", ["false", "0", "", "no"])
def test_ci_false_does_not_switch_the_source_to_head(make_repo, tmp_path: Path, value) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo({"hfsync.toml": git_target("space", remote), "app.py": "1\n"})
    write_files(repo, {"app.py": "uncommitted\n"})
    done = hfsync(repo, "run", env={"CI": value})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("source: working tree\n")
    assert git(remote, "show", "main:app.py") == "uncommitted"


def test_json_is_one_document_with_every_target_and_error(make_repo, tmp_path: Path) -> None:
    good, missing = tmp_path / "good.git", tmp_path / "missing.git"
    config = git_target("good", good) + f'\n[[targets]]\nname = "bad"\nurl = "{missing}"\n'
    repo = make_repo({"hfsync.toml": config, "a.txt": "a"})
    done = hfsync(repo, "run", "--json")
    assert done.returncode == 4
    document = json.loads(done.stdout)
    assert document["exit_code"] == 4
    good_report, bad_report = document["targets"]
    assert good_report["commit"] == git(good, "rev-parse", "main")
    assert bad_report["exit_code"] == 4
    assert "no git repository at" in bad_report["error"]["message"]

    done = hfsync(repo, "run", "--json", "--config", "nowhere.toml")
    assert done.returncode == 2
    assert "config file not found" in json.loads(done.stdout)["error"]["message"]
