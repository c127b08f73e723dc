"""A full or read-only `.git/hfsync`: the caches only save time, so a run goes on without them
and says so once; the run lock is no cache, so a run that cannot take it stops with exit 2,
naming it and the cause. Through the CLI, with a real full (or read-only) filesystem mounted
over `.git/hfsync` in a mount namespace of the CLI's own (`unshare -m`, as root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers_git import git, write_files

# Copies the folder's content into a small tmpfs mounted over it, then fills it (or makes it
# read-only), then runs the command: only the command's mount namespace sees the mount.
MOUNT = """
set -e
dir="$1"; mode="$2"; shift 2
saved=$(mktemp -d)
cp -a "$dir/." "$saved/"
mount -t tmpfs -o size=64k tmpfs "$dir"
cp -a "$saved/." "$dir/"
rm -rf "$saved"
if [ "$mode" = full ]; then
  dd if=/dev/zero of="$dir/.fill" bs=4k 2>/dev/null || true
else
  mount -o remount,ro "$dir"
fi
exec "$@"
"""


def can_mount() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt"], capture_output=True
    )
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not can_mount(), reason="needs root and mount namespaces")

WARNING = "hfsync: warning: cannot write hfsync's caches in {folder} ({why}); going on without"


def hfsync_on(repo: Path, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = ["unshare", "-m", "sh", "-c", MOUNT, "sh", str(repo / ".git" / "hfsync"), mode]
    return subprocess.run(
        [*command, sys.executable, "-m", "hfsync", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def synced(make_repo, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    config = f'[[targets]]\nname = "m"\nurl = "{remote}"\ncreate = true\n'
    repo = make_repo({"hfsync.toml": config, "a.txt": "a\n", "b.txt": "b\n"})
    done = subprocess.run(
        [sys.executable, "-m", "hfsync", "run"], cwd=repo, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return repo


def test_a_full_cache_folder_costs_the_caches_not_the_run(synced: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    folder = synced / ".git" / "hfsync"
    warning = WARNING.format(folder=folder, why="No space left on device")
    write_files(synced, {"a.txt": "changed\n"})
    done = hfsync_on(synced, "full", "run")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "m: committed" in done.stdout
    assert git(remote, "show", "main:a.txt") == "changed"
    assert done.stderr.count("cannot write hfsync's caches") == 1  # said once
    assert warning in done.stderr
    assert "unexpected error" not in done.stderr

    write_files(synced, {"b.txt": "changed too\n"})
    for args in (("status",), ("run", "--dry-run"), ("check",)):
        done = hfsync_on(synced, "full", *args)
        assert done.returncode == 0, (args, done.stdout + done.stderr)
        assert done.stderr.count("cannot write hfsync's caches") <= 1


def test_a_read_only_cache_folder_stops_a_run_on_its_lock(synced: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    head = git(remote, "rev-parse", "main")
    folder = synced / ".git" / "hfsync"
    write_files(synced, {"a.txt": "changed\n"})
    done = hfsync_on(synced, "ro", "run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert (
        f"hfsync: error: m: cannot take hfsync's run lock {folder / 'run.lock'} "
        "(Read-only file system); nothing was written: free space or make"
    ) in done.stderr
    assert git(remote, "rev-parse", "main") == head
    assert git(remote, "branch", "--list", "hfsync-backup-*") == ""
    # Commands that write nothing remote need no lock: they go on without the caches.
    done = hfsync_on(synced, "ro", "status")
    assert done.returncode == 0, done.stderr
    assert "1 to upload" in done.stdout
    assert done.stderr.count("cannot write hfsync's caches") <= 1
