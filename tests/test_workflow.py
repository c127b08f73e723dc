"""Tests of hfsync.config.workflow on real workflow files written to a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from hfsync.config.workflow import read_workflow_filter
from hfsync.core.errors import ConfigError
from hfsync.core.filters import FilterError, PathFilter

SYNC_HF_SPACE = """\
name: Sync to Hugging Face Space

on:
  push:
    branches: [main]
    paths:
      - 'core/**'
      - 'configs/**'
      - 'data/**'
      - 'docs/**'
      - 'tests/**'
      - '.github/workflows/sync-hf-space.yml'
  workflow_dispatch:

concurrency:
  group: sync-hf-space
  cancel-in-progress: false

jobs:
  sync:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
          lfs: true
      - name: Push to the Space
        env:
          HF_TOKEN: ${{ secrets.HF_TOKEN }}
        run: git push --force https://user:$HF_TOKEN@huggingface.co/spaces/org/space main
"""


def _write(tmp_path: Path, text: str, name: str = "workflow.yml") -> Path:
    path = tmp_path / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_realistic_sync_workflow(tmp_path: Path) -> None:
    path = _write(tmp_path, SYNC_HF_SPACE, "sync-hf-space.yml")
    found = read_workflow_filter(path)
    assert found == PathFilter.from_paths(
        [
            "core/**",
            "configs/**",
            "data/**",
            "docs/**",
            "tests/**",
            ".github/workflows/sync-hf-space.yml",
        ]
    )
    included = ["core/model.py", "configs/a/b.yaml", "docs/index.md", "tests/test_x.py"]
    assert all(found.includes(p) for p in included)
    assert found.includes(".github/workflows/sync-hf-space.yml")
    excluded = ["README.md", "app.py", "core", ".github/workflows/ci.yml", "src/core/x.py"]
    assert not any(found.includes(p) for p in excluded)


@pytest.mark.parametrize(
    "on_key",
    ["on", "'on'", '"on"'],
    ids=["bare on (YAML 1.1 reads True)", "single-quoted", "double-quoted"],
)
def test_on_key_spellings(tmp_path: Path, on_key: str) -> None:
    path = _write(tmp_path, f"{on_key}:\n  push:\n    paths: ['src/**']\n")
    assert read_workflow_filter(path).patterns == ("src/**",)


def test_paths_ignore(tmp_path: Path) -> None:
    path = _write(tmp_path, "on:\n  push:\n    paths-ignore:\n      - 'docs/**'\n      - '**.md'\n")
    found = read_workflow_filter(path)
    assert (found.kind, found.patterns) == ("paths-ignore", ("docs/**", "**.md"))
    assert found.includes("src/app.py")
    assert not found.includes("docs/a.txt")


def test_negative_entries_keep_their_order(tmp_path: Path) -> None:
    text = """\
on:
  push:
    paths:
      - 'sub/**'
      - '!sub/docs/**'
      - 'sub/docs/api/**'
"""
    found = read_workflow_filter(_write(tmp_path, text))
    assert found.includes("sub/docs/api/x.md")
    assert not found.includes("sub/docs/x.md")


def test_push_wins_over_pull_request(tmp_path: Path) -> None:
    text = "on:\n  pull_request:\n    paths: ['pr/**']\n  push:\n    paths: ['push/**']\n"
    assert read_workflow_filter(_write(tmp_path, text)).patterns == ("push/**",)


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_pull_request_when_push_has_no_paths(tmp_path: Path, event: str) -> None:
    text = f"on:\n  push:\n    branches: [main]\n  {event}:\n    paths-ignore: ['docs/**']\n"
    found = read_workflow_filter(_write(tmp_path, text))
    assert (found.kind, found.patterns) == ("paths-ignore", ("docs/**",))


def test_pull_request_before_pull_request_target(tmp_path: Path) -> None:
    text = (
        "on:\n  pull_request_target:\n    paths: ['t/**']\n  pull_request:\n    paths: ['p/**']\n"
    )
    assert read_workflow_filter(_write(tmp_path, text)).patterns == ("p/**",)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yml"
    with pytest.raises(ConfigError) as info:
        read_workflow_filter(missing)
    assert str(info.value) == f"workflow file not found: {missing}"


def test_directory_is_not_a_workflow(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a regular file"):
        read_workflow_filter(tmp_path)


def test_invalid_yaml_says_where(tmp_path: Path) -> None:
    # The cheat sheet's own example of a parse error: an unquoted pattern starting with `*`.
    path = _write(tmp_path, "on:\n  push:\n    paths:\n      - **/README.md\n")
    with pytest.raises(ConfigError) as info:
        read_workflow_filter(path)
    message = str(info.value)
    assert message.startswith(f"invalid YAML in {path} at line 4, column ")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("on: push\n", "neither 'paths' nor 'paths-ignore'"),
        ("on: [push, pull_request]\n", "neither 'paths' nor 'paths-ignore'"),
        ("on:\n  push:\n    branches: [main]\n", "drop from_workflow"),
        ("on: workflow_dispatch\n", "no push, pull_request or pull_request_target event"),
        ("on:\n  schedule:\n    - cron: '0 0 * * *'\n", "no push, pull_request"),
        ("name: x\njobs: {}\n", "has no 'on' section"),
        ("", "must be a YAML mapping"),
        ("- a\n- b\n", "must be a YAML mapping"),
        ("on: 3\n", "'on' must be an event name"),
        ("on: [push, {pull_request: {}}]\n", "'on' must be an event name"),
        ("on:\n  push: [main]\n", "'on.push' must be a mapping"),
        ("on:\n  push:\n    paths: 'src/**'\n", "'on.push.paths' must be a list"),
        ("on:\n  push:\n    paths:\n", "'on.push.paths' must be a list"),
        ("on:\n  push:\n    paths: [2024]\n", "must be a list of quoted patterns"),
        ("on: push\n'on': pull_request\n", "two 'on' sections"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        read_workflow_filter(path)
    message = str(info.value)
    assert fragment in message
    assert str(path) in message
    assert "\n" not in message


@pytest.mark.parametrize("event", ["push", "pull_request", "pull_request_target"])
def test_paths_and_paths_ignore_on_one_event(tmp_path: Path, event: str) -> None:
    other = "" if event == "push" else "  push:\n    branches: [main]\n"  # no duplicate key
    text = f"on:\n{other}  {event}:\n    paths: ['a/**']\n    paths-ignore: ['b/**']\n"
    with pytest.raises(ConfigError, match=f"'on.{event}' sets both 'paths' and 'paths-ignore'"):
        read_workflow_filter(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("on:\n  push:\n    paths: ['**.c++']\n", "on.push.paths: invalid pattern '**.c++'"),
        ("on:\n  push:\n    paths: ['!docs/**']\n", "on.push.paths: invalid 'paths' list"),
        (
            "on:\n  pull_request:\n    paths-ignore: ['!docs/**']\n",
            "on.pull_request.paths-ignore: invalid 'paths-ignore' entry '!docs/**'",
        ),
        ("on:\n  push:\n    paths: []\n", "on.push.paths: an empty 'paths' list"),
        ("on:\n  push:\n    paths: ['./src/**']\n", "write 'src/**'"),
    ],
)
def test_bad_patterns_name_the_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(FilterError) as info:
        read_workflow_filter(path)
    assert str(info.value).startswith(f"{path}: ")
    assert fragment in str(info.value)


WORKFLOW_SCOPE = """
[[targets]]
name = "space"
url = "remote.git"
from_workflow = ".github/workflows/sync-hf-space.yml"
{extra}
"""


@pytest.mark.parametrize(("extra", "github_listed"), [("", False), ("include_github = true", True)])
def test_workflow_scope_leaves_out_the_workflow_file(
    make_repo, extra: str, github_listed: bool
) -> None:
    from tests.helpers_git import hfsync

    repo = make_repo(
        {
            ".github/workflows/sync-hf-space.yml": SYNC_HF_SPACE,
            "hfsync.toml": WORKFLOW_SCOPE.format(extra=extra),
            "core/app.py": "print()\n",
            "notes.txt": "out of scope\n",
        }
    )
    done = hfsync(repo, "ls-files")
    assert done.returncode == 0, done.stderr
    expected = ["core/app.py"]
    if github_listed:
        expected.insert(0, ".github/workflows/sync-hf-space.yml")
    assert done.stdout.split() == expected


def test_include_github_needs_from_workflow(make_repo) -> None:
    from tests.helpers_git import hfsync

    config = '[[targets]]\nname = "s"\nurl = "r.git"\ninclude_github = true\n'
    repo = make_repo({"hfsync.toml": config})
    done = hfsync(repo, "ls-files")
    assert done.returncode == 2
    assert "include_github" in done.stderr and "from_workflow" in done.stderr
