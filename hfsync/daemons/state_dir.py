"""Folders a daemon writes to: made if missing, refused with the fix if this user cannot write.

In a container the user (uid 10001) often does not own what is mounted: a checkout owned by the
host's user or by root, a volume made by root. Without this check the first write fails deep in a
sync with a bare "Permission denied".
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hfsync.core.errors import ConfigError


def prepare_state_dir(path: Path) -> Path:
    """`serve`'s state folder, made and checked writable."""
    return writable_dir(
        path.expanduser().resolve(),
        "the state folder",
        "pass --state with a writable folder, mount a volume this user can write, or run as "
        "the folder's owner (docker run --user UID:GID)",
    )


def check_checkout_writable(git_dir: Path) -> None:
    """`watch` keeps its caches in the checkout's git folder: it must be writable."""
    writable_dir(
        git_dir / "hfsync",
        "the checkout's git folder",
        "run as the checkout's owner: docker run --user UID:GID with the owner's ids "
        '(for your own checkout: --user "$(id -u):$(id -g)"; for one owned by root: --user 0)',
    )


def writable_dir(path: Path, what: str, fix: str) -> Path:
    """`path`, made and checked writable; else ConfigError naming the uids and the fix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write {what} {path} ({exc.strerror}; hfsync runs as uid {os.getuid()}"
            f"{_owner(path)}): {fix}"
        ) from None
    return path


def _owner(path: Path) -> str:
    for candidate in (path, *path.parents):
        try:
            return f", {candidate} belongs to uid {candidate.stat().st_uid}"
        except OSError:
            continue
    return ""
