"""Run the hfsync CLI as an unprivileged user, so that file permissions really apply.

Tests (and CI) run as root, whom `chmod 000` does not stop. As root, the CLI runs as `nobody`
through `setpriv`; as anyone else it runs as that user. Its files live in `nobody_dir`, a temp
directory of its own: pytest's temp root is private (0700) and every pytest run starting on the
machine resets it, so it cannot be opened to another user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import hfsync

NOBODY = 65534


@pytest.fixture
def nobody_dir() -> Iterator[Path]:
    """A world-writable temp directory for a test whose CLI runs unprivileged."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop privileges to test permissions")
    path = Path(tempfile.mkdtemp(prefix="hfsync-test-"))
    path.chmod(0o777)
    yield path
    for directory, dirs, _files in os.walk(path):  # undo the test's chmod 000 before removing
        for name in dirs:
            Path(directory, name).chmod(0o700)
    shutil.rmtree(path, ignore_errors=True)


def open_to_nobody(root: Path) -> None:
    """Let the unprivileged user read and write everything under `root` (a `nobody_dir`)."""
    if os.geteuid() != 0:
        return
    for directory, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(directory, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o666 | (0o111 if path.is_dir() else 0))


def hfsync_unprivileged(
    cwd: Path, root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in `cwd` as an unprivileged user, with a home under `root` (a `nobody_dir`,
    opened with `open_to_nobody`)."""
    home = root / "nobody-home"
    home.mkdir(exist_ok=True)
    home.chmod(0o777)
    gitconfig = home / ".gitconfig"
    # The repositories belong to root: nobody must be allowed to use them.
    gitconfig.write_text("[safe]\n\tdirectory = *\n")
    gitconfig.chmod(0o644)
    command = [sys.executable, "-m", "hfsync", *args]
    # The package's own folder (an editable install points into the clone) may be closed to the
    # unprivileged user, e.g. a CI clone under a private directory: run a readable copy of it.
    package = root / "python-path"
    if not package.exists():
        shutil.copytree(
            Path(hfsync.__file__).parent,
            package / "hfsync",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        open_to_nobody(package)
    if os.geteuid() == 0:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    isolated = {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "HF_HOME": str(home / "hf"),
        "PYTHONPATH": str(package),
    }
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), **isolated},
        timeout=120,
    )
