"""Checks on what a config names: branch names as git allows them; config files read with limits.

Config files and workflow files are input hfsync does not control: they are read only when they
are regular files inside the limits below, so that `/dev/zero`, a FIFO or a huge file is an error
message, never a hang.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hfsync.core.errors import ConfigError

MAX_CONFIG_BYTES = 256 << 10  # a config or workflow file larger than 256 KiB is not a config
MAX_FLOW_DEPTH = 100  # brackets nested deeper than any real config; parsers slow down on them
_FORBIDDEN_IN_REFS = set(" ~^:?*[\\\x7f")


def branch_problem(name: str) -> str | None:
    """Why git would refuse `name` as a branch (`git check-ref-format --branch`), or None."""
    if not name:
        return "is empty"
    if name == "HEAD" or name.startswith(("-", "refs/")):
        return "is reserved by git ('HEAD', a leading '-' or 'refs/')"
    bad = sorted({ch for ch in name if ch in _FORBIDDEN_IN_REFS or ord(ch) < 0x20})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad)
        return f"contains characters git forbids in branch names ({shown})"
    if ".." in name or "@{" in name or name == "@" or "//" in name:
        return "contains '..', '@{' or '//', or is '@'"
    if name.startswith("/") or name.endswith(("/", ".")):
        return "starts with '/' or ends with '/' or '.'"
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return "has a part that starts with '.' or ends with '.lock'"
    return None


def refuse_link_out(path: Path, repo_root: Path, what: str) -> None:
    """Refuse, reading nothing, a file of the repository (its name is inside `repo_root`) that
    is a symlink leading out of it: a branch could otherwise make hfsync read any file the
    machine can read, and echo its values in errors. A file named outside the repository (an
    operator's `--config /etc/hfsync.toml`) is the operator's choice, links and all."""
    root = repo_root.resolve()
    named = Path(os.path.abspath(path))  # the name as given, no link followed
    if not named.is_relative_to(root):
        return
    if not Path(os.path.realpath(path)).is_relative_to(root):
        shown = named.relative_to(root).as_posix()
        raise ConfigError(
            f"{what} {shown} is a symlink that leads outside the repository; hfsync read "
            "nothing through it: put the file itself in the repository"
        )


def read_config_text(path: Path, what: str) -> str:
    """The text of a config or workflow file: a regular file, UTF-8, at most MAX_CONFIG_BYTES."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{what} {path} is not a regular file; name a file in the repository")
    if info.st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{what} {path} is {info.st_size} bytes, more than the {MAX_CONFIG_BYTES} a config "
            "may have; name the right file"
        )
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{what} {path} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None


def flow_depth_exceeds(text: str, limit: int = MAX_FLOW_DEPTH) -> bool:
    """True when `[` / `{` nest deeper than `limit` (counted on the raw text, quotes included:
    no real config comes near the limit, and YAML and TOML parsers get slow or recurse past it)."""
    depth = 0
    for char in text:
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}" and depth:
            depth -= 1
    return False
