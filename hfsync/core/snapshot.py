"""Snapshot values: what one side holds at one moment, path -> content identity.

These are plain frozen values shared by the source reader, the remotes and the pure planner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

SHA1_HEX_LEN = 40
SHA256_HEX_LEN = 64
MODE_FILE = "100644"
MODE_EXECUTABLE = "100755"
MODE_LINK = "120000"


@dataclass(frozen=True, slots=True)
class LocalFile:
    """One file of the source, identified by the bytes hfsync would upload.

    `sha1` is the git blob SHA-1 of those bytes; `sha256` is filled in only when a remote entry
    stored as LFS (identified by SHA-256) must be compared with it. `mode` is the git file mode a
    git target keeps (executable or not). `link` is set for a symlink whose target text leads,
    as written, to the file it names (no other link on the way): a git target may keep it a link.

    Slots: a snapshot holds one per file (100,000 with a __dict__ each were ~25 MB).
    """

    path: str
    size: int
    sha1: str
    sha256: str | None = None
    mode: str = MODE_FILE
    link: str | None = None


class RemoteFile(NamedTuple):
    """One file of a remote tree: `oid` is a git blob SHA-1 (regular) or a SHA-256 (LFS).

    A NamedTuple rather than a frozen dataclass: a tree holds one per file, and it is built
    about three times faster (a 100,000-file tree is read on every run).

    `mode` is the git file mode where the remote keeps one (git targets), else None.
    """

    oid: str
    size: int
    mode: str | None = None

    @property
    def is_lfs(self) -> bool:
        return len(self.oid) == SHA256_HEX_LEN


def same_content(local: LocalFile | None, remote: RemoteFile | None) -> bool:
    """True when the local file and the remote entry hold the same bytes (both absent counts).

    A remote LFS entry is compared by size first, then by SHA-256; the caller must have filled in
    `local.sha256` when sizes match (the source reader does this on request).
    """
    if local is None or remote is None:
        return local is None and remote is None
    if remote.mode is not None and remote.mode != local.mode:
        return False  # same bytes, but a git target must also get the executable bit right
    if remote.is_lfs:
        if local.size != remote.size:
            return False
        if local.sha256 is None:
            raise ValueError(f"SHA-256 of {local.path} is needed to compare with an LFS entry")
        return local.sha256 == remote.oid
    return local.sha1 == remote.oid
