"""Run the hfsync CLI as an unprivileged user, so that file permissions really apply.

Tests (and CI) run as root, whom `chmod 000` does not stop. As root, the CLI runs as `nobody`
through `setpriv`, over a test directory opened to it (world-writable, its parents traversable);
as anyone else it runs as that user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NOBODY = 65534


def open_to_nobody(tmp_path: Path) -> None:
    """Let `nobody` reach and write `tmp_path` (and traverse its parents)."""
    if os.geteuid() != 0:
        return
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test permissions")
    for parent in [tmp_path, *tmp_path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
    for directory, dirs, files in os.walk(tmp_path):
        for name in [*dirs, *files]:
            path = Path(directory, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o666 | (0o111 if path.is_dir() else 0))
    tmp_path.chmod(0o777)


def hfsync_unprivileged(
    cwd: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `cwd` as an unprivileged user (call `open_to_nobody` first)."""
    home = tmp_path / "nobody-home"
    home.mkdir(exist_ok=True, mode=0o777)
    home.chmod(0o777)
    gitconfig = home / ".gitconfig"
    # The repositories belong to root: nobody must be allowed to use them.
    gitconfig.write_text("[safe]\n\tdirectory = *\n")
    gitconfig.chmod(0o644)
    command = [sys.executable, "-m", "hfsync", *args]
    if os.geteuid() == 0:
        command = [
            "setpriv",
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
            *command,
        ]
    isolated = {"HOME": str(home), "GIT_CONFIG_GLOBAL": str(gitconfig), "HF_HOME": str(home / "hf")}
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), **isolated},
        timeout=120,
    )
