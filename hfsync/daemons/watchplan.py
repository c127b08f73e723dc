"""Which folders `hfsync watch` asks the file system to watch: all but git-ignored ones and `.git`.

A recursive watch of a checkout costs one inotify watch per folder, and a virtual environment
or `node_modules` holds thousands of folders that never sync. git knows which folders are
ignored (`ls-files --others --ignored --directory`, in C). Every folder that holds an ignored one,
however deep, gets a watch of its own files only; each of its other subfolders gets a recursive
watch. Folders created later are checked as they appear (`is_ignored`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

NEVER_WATCHED = ".git"


def ignored_folders(repo_root: Path) -> set[str]:
    """The repository-relative folders git ignores as a whole (outermost ones only)."""
    listing = ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"]
    # git from PATH, as GitPython runs it; an argument list, no shell.
    out = subprocess.run(  # noqa: S603
        ["git", *listing],  # noqa: S607
        cwd=repo_root,
        capture_output=True,
        check=True,
    ).stdout
    entries = (os.fsdecode(entry) for entry in out.split(b"\0"))
    return {entry.rstrip("/") for entry in entries if entry.endswith("/")} | {NEVER_WATCHED}


def is_ignored(repo_root: Path, relative: str) -> bool:
    """Whether git ignores this folder (a folder created after the watch started)."""
    if relative == NEVER_WATCHED or relative.startswith(NEVER_WATCHED + "/"):
        return True
    done = subprocess.run(  # noqa: S603
        ["git", "check-ignore", "-q", "--", relative + "/"],  # noqa: S607
        cwd=repo_root,
        capture_output=True,
    )
    return done.returncode == 0


def plan_watches(
    ignored: Iterable[str], subfolders: Callable[[str], list[str]]
) -> list[tuple[str, bool]]:
    """(folder, recursive) pairs covering every folder but the ignored ones; "" is the root.

    `subfolders(folder)` lists a folder's direct subfolders (repository-relative paths).
    """
    ignored = set(ignored)
    holders = {""}
    for folder in ignored:
        parts = folder.split("/")
        holders.update("/".join(parts[:depth]) for depth in range(1, len(parts)))
    plan = []
    for holder in sorted(holders):
        plan.append((holder, False))
        for child in subfolders(holder):
            if child not in ignored and child not in holders:
                plan.append((child, True))
    return plan


def list_subfolders(repo_root: Path) -> Callable[[str], list[str]]:
    """`subfolders` for `plan_watches`, reading the disk (symlinks to folders are not followed)."""

    def subfolders(folder: str) -> list[str]:
        try:
            with os.scandir(repo_root / folder) as entries:
                names = [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:  # gone meanwhile, or unreadable: nothing to watch there
            return []
        return sorted(f"{folder}/{name}" if folder else name for name in names)

    return subfolders
