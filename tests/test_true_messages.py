"""Messages that say what happened, through the CLI (issue 24, "true messages"): no hint that
offers `--prune` for a file it keeps; a plan made again says why; a job summary of a run that
wrote nothing says nothing was uploaded."""

from __future__ import annotations

from pathlib import Path

from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN
from tests.helpers_git import commit_all, git, hfsync, push_edit, write_files

SPACE = '[[targets]]\nname = "space"\nrepo = "user/demo"\ncreate = true\n'
README = "---\ntitle: Demo\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"


def test_the_hubs_own_gitattributes_is_not_offered_to_prune(
    make_repo, hub: TestHub, env: dict[str, str]
) -> None:
    repo = make_repo({"hfsync.toml": SPACE, "README.md": README, "app.py": "print(1)\n"})
    first = hfsync(repo, "run")
    assert first.returncode == 0, first.stderr
    assert "remote-only" not in first.stdout  # only the Space's .gitattributes is left alone
    assert "--prune" not in first.stdout

    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.upload_file(
        path_or_fileobj=b"by hand\n", path_in_repo="notes.txt", repo_id="user/demo",
        repo_type="space",
    )  # fmt: skip
    write_files(repo, {"app.py": "print(2)\n"})
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    assert "1 remote-only left alone (--prune deletes them)" in done.stdout  # notes.txt only

    pruned = hfsync(repo, "run", "--prune")
    assert pruned.returncode == 0, pruned.stderr
    files = api.list_repo_files("user/demo", repo_type="space")
    assert "notes.txt" not in files and ".gitattributes" in files


def test_the_job_summary_of_a_conflict_says_nothing_was_uploaded(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n", "util.py": "X = 1\n"})
    assert hfsync(repo, "run", "--rev", "HEAD").returncode == 0
    push_edit(remote, tmp_path / "clone", {"app.py": "print('edited on the remote')\n"}, "edit")
    write_files(repo, {"app.py": "print(2)\n", "util.py": "X = 2\n"})
    commit_all(repo)
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 3, done.stderr
    assert "changed=0" in (tmp_path / "output.txt").read_text().splitlines()
    summary = (tmp_path / "summary.md").read_text()
    # util.py was planned, not uploaded: the row says so.
    assert "| space | conflict (nothing written) | 0 (1 planned) | 0 | 1 | - | - |" in summary

    dry = hfsync(repo, "run", "--dry-run", "--on-conflict", "skip", env=env)
    assert dry.returncode == 0, dry.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "| space | dry run | 0 (1 planned) | 0 | 1 | - | - |" in summary


def test_a_plan_made_again_because_the_remote_moved_says_why(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo({"hfsync.toml": config, "app.py": "print(1)\n"})
    assert hfsync(repo, "run").returncode == 0
    # Someone's commit, ready on a side branch; a hook lands it on main right after hfsync's
    # backup branch is pushed, so that hfsync's own push finds main moved.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    write_files(clone, {"other.txt": "someone else\n"})
    theirs = commit_all(clone, "someone else's commit")
    git(clone, "push", "-q", "origin", "HEAD:refs/heads/side")
    hook = remote / "hooks" / "post-receive"
    hook.write_text(
        "#!/bin/sh\nwhile read old new ref; do\n"
        '  case "$ref" in refs/heads/hfsync-backup-*)\n'
        f"    if [ ! -e moved ]; then touch moved; git update-ref refs/heads/main {theirs}; fi;;\n"
        "  esac\ndone\n"
    )
    hook.chmod(0o755)
    write_files(repo, {"app.py": "print(2)\n"})
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    plans = [line for line in done.stdout.splitlines() if line.startswith("space: 1 to upload")]
    assert len(plans) == 2  # planned twice
    note = (
        "space: note: the remote moved while hfsync was writing: another commit landed first, "
        "so nothing was written; planned again on the new head"
    )
    lines = done.stdout.splitlines()
    assert lines.index(note) == lines.index(plans[1]) - 1  # said just before the second plan
    assert git(remote, "show", "main:app.py") == "print(2)"
    assert git(remote, "show", "main:other.txt") == "someone else"
