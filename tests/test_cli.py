"""The command line as a user runs it: a real subprocess in a real repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, hfsync, push_edit, write_files

DOCS_TREE = {
    "README.md": "r",
    "docs/index.md": "i",
    "docs/guide/setup.md": "s",
    "docs/internal/secret.md": "x",
    "docs/internal/deep/notes.md": "x",
    "docs/.hidden.md": "h",
    "src/app.py": "a",
}


def test_ls_files_with_command_line_patterns_is_exact(make_repo) -> None:
    repo = make_repo(DOCS_TREE)
    write_files(repo, {"docs/untracked.md": "u", "docs/ignored.log": "l", ".gitignore": "*.log\n"})
    done = hfsync(repo, "ls-files", "--paths", "docs/**", "--paths", "!docs/internal/**")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "docs/.hidden.md",
        "docs/guide/setup.md",
        "docs/index.md",
        "docs/untracked.md",
    ]


def test_ls_files_order_of_patterns_matters(make_repo) -> None:
    repo = make_repo(DOCS_TREE)
    done = hfsync(
        repo,
        "ls-files",
        "--paths",
        "docs/**",
        "--paths",
        "!docs/internal/**",
        "--paths",
        "docs/internal/deep/**",
    )
    assert "docs/internal/deep/notes.md" in done.stdout.splitlines()
    assert "docs/internal/secret.md" not in done.stdout.splitlines()


def test_ls_files_paths_ignore_and_subdirectory(make_repo) -> None:
    repo = make_repo(DOCS_TREE)
    done = hfsync(repo / "docs" / "guide", "ls-files", "--paths-ignore", "docs/**")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["README.md", "src/app.py"]


def test_ls_files_rev_lists_that_commit(make_repo) -> None:
    repo = make_repo(DOCS_TREE)
    first = commit_all(repo, "same")
    write_files(repo, {"docs/later.md": "l"})
    commit_all(repo)
    done = hfsync(repo, "ls-files", "--rev", first, "--paths", "docs/*.md")
    assert done.stdout.splitlines() == ["docs/.hidden.md", "docs/index.md"]


def test_ls_files_uses_the_target_scope(make_repo) -> None:
    repo = make_repo(
        {
            **DOCS_TREE,
            "hfsync.toml": '[[targets]]\nname="a"\nrepo="o/s"\npaths=["docs/**"]\n'
            'exclude=["internal/"]\n',
        }
    )
    done = hfsync(repo, "ls-files", "--target", "a")
    assert done.stdout.splitlines() == ["docs/.hidden.md", "docs/guide/setup.md", "docs/index.md"]


def test_rejected_pattern_is_a_usage_error(make_repo) -> None:
    repo = make_repo(DOCS_TREE)
    done = hfsync(repo, "ls-files", "--paths", "**.c++")
    assert done.returncode == 2
    assert "'**.c++'" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_outside_a_repository(tmp_path: Path) -> None:
    done = hfsync(tmp_path, "ls-files", "--paths", "**")
    assert done.returncode == 2
    assert "not inside a git repository" in done.stderr


def test_bad_option_is_exit_2(make_repo) -> None:
    repo = make_repo(DOCS_TREE)
    assert hfsync(repo, "run", "--on-conflict", "merge").returncode == 2
    assert hfsync(repo, "frobnicate").returncode == 2


@pytest.mark.parametrize(
    "command", ["ls-files", "run", "status", "backups", "rollback", "init", "watch", "serve"]
)
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    done = hfsync(tmp_path, command, "--help")
    assert done.returncode == 0
    assert "Usage: hfsync " + command in done.stdout


def test_version(tmp_path: Path) -> None:
    done = hfsync(tmp_path, "--version")
    assert done.returncode == 0 and "hfsync, version" in done.stdout


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from hfsync.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('huggingface_hub', 'git', 'watchdog', 'msgspec', 'rich', "
        "'prometheus_client', 'waitress') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_init_writes_a_config_that_works(make_repo) -> None:
    workflow = (
        "name: sync\non:\n  push:\n    branches: [main]\n    paths:\n      - 'core/**'\n"
        "      - 'docs/**'\n"
    )
    repo = make_repo(
        {".github/workflows/sync.yml": workflow, "core/a.py": "a", "docs/b.md": "b", "x.txt": "x"}
    )
    done = hfsync(
        repo, "init", "--from-workflow", ".github/workflows/sync.yml", "--url", "../t.git"
    )
    assert done.returncode == 0, done.stderr
    assert hfsync(repo, "init").returncode == 2  # never overwrites silently
    listed = hfsync(repo, "ls-files")
    assert listed.stdout.splitlines() == ["core/a.py", "docs/b.md"]
    assert hfsync(repo, "run").returncode == 0


def test_missing_git_target_without_create(make_repo, tmp_path: Path) -> None:
    repo = make_repo(
        {"hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{tmp_path / "nowhere.git"}"\n', "a": "a"}
    )
    done = hfsync(repo, "run")
    assert done.returncode == 4
    assert "no git repository at" in done.stderr and "create = true" in done.stderr


def test_plan_table_prints_paths_as_they_are(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {
            "hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n',
            "app/[bold]x.py": "x",
        }
    )
    done = hfsync(repo, "run", "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "app/[bold]x.py" in done.stdout


def test_credentials_in_a_git_url_never_show(make_repo) -> None:
    url = "https://someone:hf_secret_in_url@127.0.0.1:9/space.git"
    repo = make_repo({"hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{url}"\n', "a": "a"})
    done = hfsync(repo, "run", env={"GIT_TERMINAL_PROMPT": "0"})
    assert done.returncode == 6, done.stderr  # nothing listens on port 9: retried, temporary
    assert "hf_secret_in_url" not in done.stdout + done.stderr  # the retry lines included
    assert "https://***@127.0.0.1:9/space.git" in done.stderr


def test_remote_only_files_are_counted_not_listed(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {"hfsync.toml": f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n', "a": "a"}
    )
    assert hfsync(repo, "run").returncode == 0
    push_edit(remote, tmp_path / "editor", {"space-only.txt": "kept"}, "added on the remote")
    done = hfsync(repo, "run")
    assert "1 remote-only left alone (--prune deletes them)" in done.stdout
    assert "space-only.txt" not in done.stdout
    assert '"path": "space-only.txt"' in hfsync(repo, "run", "--dry-run", "--json").stdout
