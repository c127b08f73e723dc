"""Checks before any write (`hfsync check`, and `hfsync run` first): secrets, `.env` files,
sizes, Space configuration, paths the Hub refuses. Nothing is written when one fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from huggingface_hub import HfApi
from hypothesis import given, settings
from hypothesis import strategies as st

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.helpers_git import commit_all, git, hfsync, write_files

# Made up, the shape of a Hugging Face token (hf_ and 34 letters or digits).
PLANTED = "hf_" + "Zq8LmW2xTp5VnR7yKd3FhJ6sBc9GaE4uNt"


def git_target(remote: Path, extra: str = "") -> str:
    return f'[[targets]]\nname = "space"\nurl = "{remote}"\ncreate = true\n{extra}'


def test_a_planted_token_and_an_env_file_stop_the_run_before_any_write(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo({"hfsync.toml": git_target(remote), "app.py": "print(1)\n"})
    assert hfsync(repo, "run").returncode == 0
    head = git(remote, "rev-parse", "main")
    branches = git(remote, "branch", "--list")
    write_files(
        repo,
        {
            "app.py": f'import os\n\nTOKEN = "{PLANTED}"\n',
            ".env": f"HF_TOKEN={PLANTED}\n",
            ".env.example": "HF_TOKEN=\n",
        },
    )
    commit_all(repo)
    env = {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 2, done.stderr
    assert "hfsync: error: space: 2 problems in the files to upload; nothing was written" in (
        done.stderr
    )
    assert "  app.py:3: looks like a Hugging Face token [secret];" in done.stderr
    assert "  .env:1: an environment file (usually holds secrets) [env-file];" in done.stderr
    assert ".env.example" not in done.stderr  # a template, not secrets
    assert git(remote, "rev-parse", "main") == head  # nothing written: no commit,
    assert git(remote, "branch", "--list") == branches  # and no backup branch
    summary = (tmp_path / "summary.md").read_text()
    outputs = (tmp_path / "output.txt").read_text()
    assert "app.py:3: looks like a Hugging Face token" in summary
    assert "changed=0" in outputs.splitlines() and "commit=" in outputs.splitlines()
    shown = done.stdout + done.stderr + summary + outputs
    for start in range(0, len(PLANTED) - 8):  # no part of the token, not even hf_ and 6 more
        assert PLANTED[start : start + 9] not in shown

    check = hfsync(repo, "check")
    assert check.returncode == 2
    assert "app.py:3: looks like a Hugging Face token" in check.stderr
    assert PLANTED[3:20] not in check.stdout + check.stderr


def test_allow_lets_a_deliberate_exception_through_and_unchanged_files_are_not_scanned(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"
    repo = make_repo(
        {
            "hfsync.toml": git_target(remote, 'allow = ["secret:tests/fixtures/**"]\n'),
            "tests/fixtures/key.pem": key,
        }
    )
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    write_files(repo, {"hfsync.toml": git_target(remote)})  # no allow list any more
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr  # key.pem did not change: not scanned again
    assert "space: checking 1 file(s)" in done.stderr
    write_files(repo, {"tests/fixtures/key.pem": key + "\n"})
    done = hfsync(repo, "run")
    assert done.returncode == 2
    assert "tests/fixtures/key.pem:1: looks like a Private Key [secret]" in done.stderr


def test_size_limit(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    repo = make_repo(
        {"hfsync.toml": git_target(remote, "max_file_mb = 0.001\n"), "big.bin": b"x" * 2000}
    )
    done = hfsync(repo, "run", "--dry-run")
    assert done.returncode == 2
    assert "  big.bin: 0.0 MB, over max_file_mb = 0.001 [size]; " in done.stderr


def test_too_many_entries_in_one_folder(
    make_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hfsync.core.errors import ValidationError
    from hfsync.engine.sync import run_sync
    from hfsync.engine.sync_values import SyncOptions
    from hfsync.local.source import read_source
    from hfsync.validate import paths
    from tests.conftest import open_first_target

    monkeypatch.setattr(paths, "MAX_ENTRIES_PER_FOLDER", 3)  # the Hub's is 10,000
    remote = tmp_path / "remote.git"
    files: dict[str, str | bytes] = {f"data/{i}.txt": str(i) for i in range(4)}
    repo = make_repo({"hfsync.toml": git_target(remote), **files})
    target = open_first_target(repo)
    source = read_source(repo, None, target.scope.includes)
    with pytest.raises(ValidationError) as raised:
        run_sync(target, source, SyncOptions())
    assert [str(f) for f in raised.value.findings] == [
        "data: 4 entries in one folder; the Hub refuses more than 3 [path]; "
        "spread the files over subfolders"
    ]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[TestHub]:
    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home") as hub:
        yield hub


SPACE_README = """---
title: Demo
sdk: gradio
app_file: {app_file}
---
# Demo
"""


def test_a_space_readme_naming_a_missing_app_file_is_refused_by_check_and_run(
    make_repo, hub: TestHub, tmp_path: Path
) -> None:
    env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN}
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("user/demo", repo_type="space", space_sdk="gradio")
    commits_before = len(api.list_repo_commits("user/demo", repo_type="space"))
    config = '[[targets]]\nname = "space"\nrepo = "user/demo"\n'
    repo = make_repo(
        {
            "hfsync.toml": config,
            "README.md": SPACE_README.format(app_file="main.py"),
            "app.py": "import gradio\n",
        }
    )
    check = hfsync(repo, "check", env=env)
    assert check.returncode == 2, check.stderr
    assert "README.md:4: `app_file` 'main.py' will not be in the Space after this sync" in (
        check.stderr
    )
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 2
    assert "README.md:4: `app_file` 'main.py'" in done.stderr
    assert len(api.list_repo_commits("user/demo", repo_type="space")) == commits_before

    write_files(repo, {"README.md": SPACE_README.format(app_file="app.py")})
    assert hfsync(repo, "check", env=env).returncode == 0
    done = hfsync(repo, "run", env=env)
    assert done.returncode == 0, done.stderr


def test_the_whole_file_search_hides_no_secret_line() -> None:
    """The secret scan skips a file in which no detector pattern matches the file's lines joined
    by newlines. That hides nothing only while no pattern is anchored or looks around a match
    (other than `(?!\\w)`): checked on every pattern. And a secret at the start, middle or end
    of a line, whatever breaks the lines, is found on its line as a line-by-line scan finds it."""
    from hfsync.validate import secrets

    detectors = secrets._detectors()
    sieve = secrets._sieve(detectors)
    for detector in detectors:
        for regex in detector.denylist:
            pattern = regex.pattern.replace("(?!\\w)", "").replace("(?:", "").replace("[^", "")
            assert not regex.flags & re.DOTALL, regex.pattern
            for risky in ("^", "$", "\\A", "\\Z", "(?"):
                assert risky not in pattern, (
                    f"{regex.pattern}: {risky} breaks the whole-file search"
                )

    samples = [PLANTED, "AKIA" + "Q" * 16, "-----BEGIN RSA PRIVATE KEY-----", "AIza" + "x" * 35]
    for break_ in ("\n", "\r\n", "\r", "\x0c", "\u2028"):
        for secret in samples:
            for line in (secret, f"key = '{secret}'", f"x {secret} y", f"{secret}."):
                text = break_.join(["import os", line, "", "print(1)"]) + break_
                found = list(secrets._scan("app.py", text, detectors, sieve))
                by_lines = [
                    number
                    for number, one in enumerate(text.splitlines(), start=1)
                    if any(next(iter(d.analyze_string(one)), None) is not None for d in detectors)
                ]
                assert [f.line for f in found] == by_lines == [2], (break_, line)
    assert list(secrets._scan("app.py", "import os\nprint('hf_short')\n", detectors, sieve)) == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c.txt", ".git"]), min_size=1, max_size=4)))
def test_folder_entries_are_each_file_and_subfolder_in_its_folder(parts_sets) -> None:
    """The entries the 10,000-per-folder check counts: for every path, each of its components
    in the folder above it (as spelled out here), whatever the paths share."""
    from hfsync.core.tree_text import PathList

    paths = {"/".join(parts) for parts in parts_sets}
    paths = {p for p in paths if not any(q.startswith(p + "/") for q in paths)}  # files only
    spelled_out = {
        ("/".join(parts[:depth]), parts[depth])
        for parts in (path.split("/") for path in paths)
        for depth in range(len(parts))
    }
    listed = PathList.of(paths)
    for folder in {folder for folder, _ in spelled_out}:
        assert listed.entries_in(folder) == sum(1 for f, _ in spelled_out if f == folder)
