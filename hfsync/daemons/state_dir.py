"""The state folder of `hfsync serve`: created if missing, refused with the fix if not writable."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hfsync.core.errors import ConfigError


def prepare_state_dir(path: Path) -> Path:
    """`path`, made and checked writable by this process; ConfigError saying what to pass."""
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        owner = _owner(path)
        raise ConfigError(
            f"cannot write the state folder {path} ({exc.strerror}; hfsync runs as uid "
            f"{os.getuid()}{owner}): pass --state with a writable folder, mount a volume this "
            "user can write, or run as the folder's owner (docker run --user UID:GID)"
        ) from None
    return path


def _owner(path: Path) -> str:
    try:
        return f", the folder belongs to uid {path.stat().st_uid}"
    except OSError:
        return ""
