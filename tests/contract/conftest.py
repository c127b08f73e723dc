"""Fixtures of the contract suite: a project repository and a remote side of each kind."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.conftest import uses_xet
from tests.contract.sides import GitSide, HubSide
from tests.helpers_git import commit_all, git, hfsync, write_files

Side = GitSide | HubSide
# Binary, so the Hub stores it as a large file (Xet, or LFS on the `hub-lfs` side).
MODEL = bytes(range(256)) * 64

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


# The legacy LFS path, for the tests that apply `also_over_legacy_lfs`.
also_over_legacy_lfs = pytest.mark.parametrize(
    "side", ["git", "hub", pytest.param("hub-lfs", marks=pytest.mark.legacy_lfs)], indirect=True
)


@pytest.fixture(params=["git", "hub"])
def side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Side]:
    """The target: a bare git repo, or a Space whose large files go through Xet (`hub`) or,
    with `also_over_legacy_lfs`, through legacy LFS (`hub-lfs`)."""
    if request.param == "git":
        yield GitSide(tmp_path)
        return
    xet = uses_xet(request)
    with hub_with_client(tmp_path / "hub", tmp_path / "hf-home", xet=xet) as hub:
        yield HubSide(hub, WRITE_TOKEN, xet=xet)
        other_path = "^/_lfs/" if xet else "^/cas/"
        assert hub.control.count(path=other_path) == 0, f"large files went through {other_path}"


@pytest.fixture
def project(tmp_path: Path, side: Side) -> Project:
    project = Project(tmp_path / "project", side)
    project.write(
        {
            "README.md": "# demo\n",
            "app/main.py": "print('hello')\n",
            "app/util.py": "X = 1\n",
            "app/model.bin": MODEL,
            "notes/private.txt": "not synced\n",
        }
    )
    project.commit("initial")
    return project
