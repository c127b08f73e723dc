"""A config file of the repository that is a symlink leading out of it is refused in every mode,
reading nothing through it (a hostile branch must not make hfsync read, and echo, any file the
machine can read); `hfsync init` never writes through a link. Through the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers_git import commit_all, git, hfsync, init_repo

MARKER = "value-only-the-server-holds"
# Were it read, its values would show: max_delete's error quotes the value it got.
OUTSIDE = f'[[targets]]\nname = "t"\nurl = "/nowhere.git"\nmax_delete = "{MARKER}"\n'
REFUSED = "is a symlink that leads outside the repository; hfsync read nothing through it"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "secret.toml"
    path.parent.mkdir()
    path.write_text(OUTSIDE)
    return path


def linked_repo(tmp_path: Path, outside: Path, name: str = "hfsync.toml") -> Path:
    repo = init_repo(tmp_path / "project", {"app.py": "print(1)\n"})
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).symlink_to(outside)
    commit_all(repo, "a config that is a link")
    return repo


@pytest.mark.parametrize(
    "args",
    [
        ("run",),
        ("run", "--dry-run", "--json"),
        ("status",),
        ("check",),
        ("ls-files",),
        ("backups",),
        ("rollback",),
        ("watch", "--poll", "0"),
    ],
    ids=lambda args: " ".join(args),
)
def test_a_config_linked_out_of_the_repository_is_refused(
    tmp_path: Path, outside: Path, args: tuple[str, ...]
) -> None:
    repo = linked_repo(tmp_path, outside)
    done = hfsync(repo, *args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"config file hfsync.toml {REFUSED}" in done.stderr
    assert MARKER not in done.stdout + done.stderr
    assert str(outside) not in done.stdout + done.stderr


def test_config_given_inside_the_repository_is_checked_and_one_outside_is_read(
    tmp_path: Path, outside: Path
) -> None:
    repo = linked_repo(tmp_path, outside, name="deploy/hfsync.toml")
    done = hfsync(repo, "status", "--config", "deploy/hfsync.toml")
    assert done.returncode == 2
    assert f"config file deploy/hfsync.toml {REFUSED}" in done.stderr
    assert MARKER not in done.stderr
    # A file outside the repository, named on purpose, is the operator's choice: read.
    done = hfsync(repo, "status", "--config", str(outside))
    assert done.returncode == 2 and MARKER in done.stderr  # its (bad) value, as it is


def test_a_link_to_a_file_inside_the_repository_works(make_repo, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo({"config/hfsync.toml": config, "app.py": "print(1)\n"})
    (repo / "hfsync.toml").symlink_to("config/hfsync.toml")
    done = hfsync(repo, "run")
    assert done.returncode == 0, done.stderr
    assert git(remote, "show", "main:app.py") == "print(1)"


def test_a_pyproject_linked_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.toml"
    outside.write_text(f'[tool.hfsync]\n[[tool.hfsync.targets]]\nname = "{MARKER}!"\n')
    repo = linked_repo(tmp_path, outside, name="pyproject.toml")
    done = hfsync(repo, "run")
    assert done.returncode == 2
    assert f"config file pyproject.toml {REFUSED}" in done.stderr
    assert MARKER not in done.stderr


def test_serve_refuses_a_source_commit_whose_config_is_a_link(
    tmp_path: Path, outside: Path
) -> None:
    work = linked_repo(tmp_path, outside)
    bare = tmp_path / "source.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "hfsync", "serve", "--source", str(bare)]
    command += ["--state", str(tmp_path / "state"), "--poll", "600"]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while REFUSED not in log.read_text() and proc.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert f"config file hfsync.toml {REFUSED}" in text
    assert MARKER not in text


def test_init_never_writes_through_a_link(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "project", {"app.py": "print(1)\n"})
    target = tmp_path / "elsewhere.toml"
    (repo / "hfsync.toml").symlink_to(target)  # dangling: init would create `target`
    for args in (("init",), ("init", "--force")):
        done = hfsync(repo, *args)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "is a symlink; hfsync init writes no file through a link" in done.stderr
        assert not target.exists()
    target.write_text("kept\n")  # a link to an existing file: --force must not overwrite it
    assert hfsync(repo, "init", "--force").returncode == 2
    assert target.read_text() == "kept\n"
    assert os.path.islink(repo / "hfsync.toml")

    (repo / "hfsync.toml").unlink()
    done = hfsync(repo, "init", "--repo", "me/app")
    assert done.returncode == 0, done.stderr
    assert 'repo = "me/app"' in (repo / "hfsync.toml").read_text()
    assert hfsync(repo, "init").returncode == 2  # exists: --force to overwrite
    done = hfsync(repo, "init", "--force", "--url", str(tmp_path / "r.git"))
    assert done.returncode == 0 and "url = " in (repo / "hfsync.toml").read_text()


def test_init_reads_no_workflow_outside_the_repository(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "project", {"app.py": "print(1)\n"})
    outside = tmp_path / "wf.yml"
    outside.write_text(f"on:\n  push:\n    paths: [{MARKER}\n")  # unparsable: its text would show
    done = hfsync(repo, "init", "--from-workflow", str(outside))
    assert done.returncode == 2
    assert "outside the repository" in done.stderr and MARKER not in done.stderr
    assert not (repo / "hfsync.toml").exists()


def test_a_remembered_answer_is_not_given_through_a_config_now_linked_out(
    make_repo, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "t"\nurl = "{remote}"\ncreate = true\n'
    # hfsync.toml ignored by git: only the memo's own check of the config sees it change.
    repo = make_repo({".gitignore": "hfsync.toml\n", "app.py": "print(1)\n"})
    (repo / "hfsync.toml").write_text(config)
    assert hfsync(repo, "run").returncode == 0
    time.sleep(3.5)  # past the memo's 3-second window for young files
    assert hfsync(repo, "run", "-v").returncode == 0  # nothing to do: remembered
    assert "nothing changed since the last run" in hfsync(repo, "run", "-v").stderr
    copy = tmp_path / "same.toml"
    copy.write_text(config)  # the same bytes, outside the repository
    (repo / "hfsync.toml").unlink()
    (repo / "hfsync.toml").symlink_to(copy)
    done = hfsync(repo, "run", "-v")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"config file hfsync.toml {REFUSED}" in done.stderr
