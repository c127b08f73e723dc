"""A fingerprint of what a working-tree source holds, at the cost of `git status`.

Two fingerprints are equal only if every file a working-tree `Source` would read is unchanged,
as far as git's index and the files' stat data can tell: git's index (its stat data and blob
ids for tracked files), the tracked files `git diff-files` finds changed since the index was
written (each with its lstat), the untracked files that are not ignored (each with its lstat),
HEAD, and the content of the git settings files that decide what is listed or ignored. No file
of the repository is read, so it is only as good as stat data: a caller must not trust a
fingerprint taken while the files it stat'ed were still being written (see `is_settled`).
Tracked files git converts (line endings, filters), symlinks and entries git does not check
(assume-unchanged, skip-worktree, conflicts) are the caller's to exclude
(`Source.fingerprintable`): their bytes may change where the index does not see it.

The git processes start with the fingerprint and run while Python goes on; `digest` waits.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# A stat as recent as this, at the time the fingerprint was taken, could hide a later write in
# the same timestamp tick (1 s on some file systems, 2 s on FAT).
RACY_NS = 3_000_000_000
_GIT_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}  # read-only: never rewrite the index


@dataclass(frozen=True)
class Checkout:
    """Where git says the repository is, seen from the current directory."""

    root: Path
    git_dir: Path
    head: str  # HEAD's commit, or "" on an unborn branch
    index: Path
    settings: tuple[Path, ...]  # the repository's config, info/exclude and info/attributes

    @classmethod
    def locate(cls, cwd: Path) -> Checkout | None:
        """The checkout `cwd` is in, from one `git rev-parse`; None outside a repository."""
        done = subprocess.run(
            [  # noqa: S607
                "git",
                "rev-parse",
                "--show-toplevel",
                "--absolute-git-dir",
                "--git-path",
                "index",
                "--git-path",
                "info/exclude",
                "--git-path",
                "info/attributes",
                "--git-path",
                "config",
                "HEAD",
            ],
            cwd=cwd,
            capture_output=True,
            env={**os.environ, **_GIT_ENV},
        )
        lines = os.fsdecode(done.stdout).split("\n")
        if len(lines) < 7 or not lines[0]:
            return None  # not a repository, or a bare one
        root, git_dir, index, exclude, attributes, config, head = lines[:7]
        return cls(
            Path(root),
            Path(git_dir),
            head if done.returncode == 0 else "",  # an unborn HEAD fails and prints "HEAD"
            cwd / index,
            (cwd / config, cwd / exclude, cwd / attributes),
        )


class Fingerprint:
    """The git processes of one fingerprint, started at once; `digest()` waits for them."""

    def __init__(self, checkout: Checkout, environ: Mapping[str, str]) -> None:
        self.checkout = checkout
        self._defaults = (*checkout.settings, *default_settings(environ))
        self.taken_ns = time.time_ns()  # before git looks at any file
        root = checkout.root
        self._processes = [
            _start(root, "diff-files", "-z", "--name-only"),
            _start(root, "ls-files", "-z", "--others", "--exclude-standard"),
            _start(root, "config", "--list", "--show-origin", "-z"),
        ]
        self.newest_ns = 0
        self._digest: str | None = None
        self._failed = False  # git could not answer

    def digest(self) -> str | None:
        """The fingerprint, or None when git could not answer (the caller plans in full)."""
        if self._digest is not None or self._failed:
            return self._digest
        outputs = [process.communicate()[0] for process in self._processes]  # waits for all
        if any(process.returncode != 0 for process in self._processes):
            self._failed = True
            return None
        changed, untracked, config = outputs
        checkout = self.checkout
        digest = hashlib.sha256()
        digest.update(f"HEAD {checkout.head}\n".encode())
        digest.update(_index_identity(checkout.index))
        for setting in dict.fromkeys((*self._defaults, *_settings_named(checkout.root, config))):
            digest.update(f"{setting}\0".encode() + _content_hash(setting) + b"\n")
        for name, out in (("changed", changed), ("untracked", untracked)):
            paths = sorted(os.fsdecode(out).split("\0")[:-1])
            digest.update(f"{name} {len(paths)}\n".encode())
            for path in paths:
                digest.update(os.fsencode(path) + b"\0")
                digest.update(f"{self._stat(checkout.root / path)}\n".encode())
        self._digest = digest.hexdigest()
        return self._digest

    def is_settled(self) -> bool:
        """Whether every stat it relied on is old enough that a later write changes it: a write
        sets the file's mtime (and ctime) to the current tick, which then differs from an
        mtime older than `RACY_NS` (as the hash index decides, `local/hashindex.py`)."""
        return self.newest_ns < self.taken_ns - RACY_NS

    def _stat(self, path: Path) -> str:
        try:
            st = os.lstat(path)
        except OSError as exc:
            return f"missing {exc.errno}"
        self.newest_ns = max(self.newest_ns, st.st_mtime_ns)
        return f"{st.st_mode} {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def _start(root: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **_GIT_ENV},
    )


def _content_hash(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError as exc:
        return f"missing {exc.errno}".encode()


def _index_identity(index: Path) -> bytes:
    """The index's own checksum (its last 20 or 32 bytes) with its stat; the whole file's hash
    when it has no checksum (index.skipHash)."""
    try:
        with index.open("rb") as handle:
            st = os.fstat(handle.fileno())
            handle.seek(max(0, st.st_size - 32))
            trailer = handle.read()
            if not trailer[-20:].strip(b"\0"):
                handle.seek(0)
                trailer = hashlib.sha256(handle.read()).digest()
    except OSError:
        return b"index missing\n"
    return f"index {st.st_size} {st.st_mtime_ns} {st.st_ino} ".encode() + trailer + b"\n"


def default_settings(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """The files outside the repository that may change what git lists or ignores: the global
    and system config and the default global excludes and attributes files (`_settings_named`
    adds a config's includes and a custom `core.excludesFile` or `core.attributesFile`)."""
    home = Path(environ.get("HOME", "/"))
    xdg = Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "git"
    files = [
        Path(environ.get("GIT_CONFIG_SYSTEM", "/etc/gitconfig")),
        Path(environ.get("GIT_CONFIG_GLOBAL", home / ".gitconfig")),
        xdg / "config",
        xdg / "ignore",
        xdg / "attributes",
    ]
    return tuple(files)


def _settings_named(root: Path, listing: bytes) -> list[Path]:
    """From `git config --list --show-origin -z`: every config file git read (includes too) and
    the excludes and attributes files they name. (Settings given on git's command line come
    from GIT_CONFIG_PARAMETERS, which the caller keys on with the rest of the environment.)"""
    files = []
    fields = os.fsdecode(listing).split("\0")
    for origin, entry in zip(fields[0::2], fields[1::2], strict=False):
        if origin.startswith("file:"):
            files.append(root / origin[5:])
        name, _, value = entry.partition("\n")
        if name in ("core.excludesfile", "core.attributesfile"):
            files.append(root / os.path.expanduser(value))
    return files
