"""Fixtures of the contract suite: a project repository and a remote side of each kind."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.contract.sides import GitSide, HubSide
from tests.helpers_git import commit_all, git, hfsync, write_files

Side = GitSide | HubSide

CONFIG = """
[[targets]]
name = "space"
{target}
paths = ["app/**", "README.md"]
max_delete = 3
backup_keep = 3
# The test Space's README.md has no Space configuration (front matter): on purpose.
allow = ["space-config:README.md"]
"""


class Project:
    """The user's git repository with an hfsync.toml pointing at the side."""

    def __init__(self, root: Path, side: Side) -> None:
        self.root = root
        self.side = side
        root.mkdir()
        git(root, "init", "-q", "--initial-branch=main")
        write_files(root, {"hfsync.toml": CONFIG.format(target=side.target_config())})

    def write(self, files: dict[str, str | bytes]) -> None:
        write_files(self.root, files)

    def delete(self, *names: str) -> None:
        for name in names:
            (self.root / name).unlink()

    def commit(self, message: str = "change") -> str:
        return commit_all(self.root, message)

    def hfsync(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return hfsync(cwd or self.root, *args, env=self.side.env())

    def sync(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`hfsync run` that must succeed."""
        done = self.hfsync("run", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def plan(self, *args: str, cwd: Path | None = None) -> dict[str, object]:
        done = self.hfsync("run", "--dry-run", "--json", *args, cwd=cwd)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)["targets"][0]["plan"]


@pytest.fixture(params=["git", "hub"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Side]:
    if request.param == "git":
        yield GitSide(tmp_path)
        return
    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home", xet=False) as hub:
        yield HubSide(hub, WRITE_TOKEN)


@pytest.fixture
def project(tmp_path: Path, side: Side) -> Project:
    project = Project(tmp_path / "project", side)
    project.write(
        {
            "README.md": "# demo\n",
            "app/main.py": "print('hello')\n",
            "app/util.py": "X = 1\n",
            "notes/private.txt": "not synced\n",
        }
    )
    project.commit("initial")
    return project
