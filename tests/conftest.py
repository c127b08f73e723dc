"""Shared fixtures: every test runs isolated from the real home, token and git config."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.helpers_git import init_repo

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hfsync.config.model import TargetConfig
    from hfsync.engine.pipeline import Targets
    from hfsync.remotes.target import Target
    from hfsync.testing.hub import TestHub

# The Hub client reads this at import: keep it away from any telemetry endpoint, before any test
# module imports it. Large files go through Xet, as for every user (the test Hub speaks Xet);
# tests marked `legacy_lfs` put the client on the legacy LFS path instead.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
}


def uses_xet(request: pytest.FixtureRequest) -> bool:
    """Whether the Hub client uploads through Xet: yes, except in tests marked `legacy_lfs`."""
    return request.node.get_closest_marker("legacy_lfs") is None


@pytest.fixture(params=["xet", pytest.param("lfs", marks=pytest.mark.legacy_lfs)])
def upload_path(request: pytest.FixtureRequest) -> str:
    """Run the requesting test twice: large files through Xet, then through legacy LFS."""
    return str(request.param)


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """A temp HOME and HF_HOME, no token, no CI flag, a fixed git identity and no git config;
    the Hub client on Xet, or on legacy LFS in tests marked `legacy_lfs`."""
    home = tmp_path_factory.mktemp("home")
    (home / ".gitconfig").write_text("")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / ".hf"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "0" if uses_xet(request) else "1")
    # Retries as in production, with short waits (a 429's Retry-After is still honoured).
    monkeypatch.setenv("HFSYNC_RETRY_WAIT", "0.05")
    # Every incremental plan is also made in full; a difference fails the run (issue 23).
    monkeypatch.setenv("HFSYNC_VERIFY_PLAN", "1")
    for var in (
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
        # hf_xet's retries and timeouts: hfsync sets them from its policy unless given
        "HF_XET_CLIENT_RETRY_MAX_ATTEMPTS",
        "HF_XET_CLIENT_RETRY_BASE_DELAY",
        "HF_XET_CLIENT_RETRY_MAX_DURATION",
        "HF_XET_CLIENT_CONNECT_TIMEOUT",
        "HF_XET_CLIENT_READ_TIMEOUT",
    ):
        monkeypatch.delenv(var, raising=False)
    for var, value in GIT_IDENTITY.items():
        monkeypatch.setenv(var, value)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """make_repo(files, name='project') -> a git repository with `files` committed on main."""

    def factory(files: dict[str, str | bytes], name: str = "project") -> Path:
        return init_repo(tmp_path / name, files)

    return factory


@pytest.fixture
def hub(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestHub]:
    """A test Hub with a client pointed at it (Xet unless the test is marked legacy_lfs)."""
    from hfsync.testing.hub.fixtures import hub_with_client

    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home", xet=uses_xet(request)) as hub:
        yield hub


@pytest.fixture
def demo_space(hub: TestHub) -> str:
    """`user/demo`: a gradio Space on the test Hub, before its first sync."""
    from huggingface_hub import HfApi

    from hfsync.testing.hub.fixtures import WRITE_TOKEN

    HfApi(endpoint=hub.url, token=WRITE_TOKEN).create_repo(
        "user/demo", repo_type="space", space_sdk="gradio"
    )
    return "user/demo"


@pytest.fixture
def api(hub: TestHub) -> HfApi:
    from huggingface_hub import HfApi

    from hfsync.testing.hub.fixtures import WRITE_TOKEN

    return HfApi(endpoint=hub.url, token=WRITE_TOKEN)


@pytest.fixture
def env(hub: TestHub, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment a user would set: the endpoint and a token (made up)."""
    from hfsync.testing.hub.fixtures import WRITE_TOKEN

    values = {"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def open_first_target(repo: Path) -> Target:
    """The first target of `repo`'s hfsync.toml, opened in-process."""
    from hfsync.config.model import load_config
    from hfsync.config.scope import scope_for_target
    from hfsync.remotes.target import open_target

    config = load_config(repo / "hfsync.toml")
    target = config.targets[0]
    scope = scope_for_target(target, repo, config.path)
    return open_target(target, scope, repo, repo / ".git")


def first_target_of(repo: Path) -> tuple[Targets, list[TargetConfig]]:
    """`repo`'s configured targets and its first target's config, as the daemons take them."""
    from hfsync.config.model import load_config
    from hfsync.engine.pipeline import Targets

    config = load_config(repo / "hfsync.toml")
    return Targets(repo, config), config.targets[:1]
