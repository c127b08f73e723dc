"""The remote kinds hfsync writes to, behind one small interface.

`Remote` is what the sync engine needs from a target: read the branch head and trees, walk the
history, write one commit pinned to a parent (compare-and-swap), and manage branches for backups.
Implementations: `GitRemote` (any git URL or local bare repository) and `HubRemote` (the Hub API).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from hfsync.core.snapshot import LocalFile, RemoteFile

if TYPE_CHECKING:
    from hfsync.core.meter import Meter
    from hfsync.local.source import Source


@dataclass(frozen=True)
class RemoteCommit:
    """A commit of the target branch, as far as base recovery needs it. `parents` is None when
    the listing does not say (the Hub's)."""

    id: str
    message: str
    parents: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Change:
    """The content of one commit: files to write (remote path, source file) and paths to delete;
    `hot_reload`: a running Gradio Space patches it in place instead of rebuilding (the Hub's
    `_hot_reload`; other remotes ignore it); `before`: the remote's entries at the parent for
    the paths this change uploads or deletes (a path absent there has none), so that a remote
    checks and caches the commit from them, never from the parent's whole tree."""

    uploads: tuple[tuple[str, LocalFile], ...]
    deletes: tuple[str, ...]
    hot_reload: bool = False
    before: Mapping[str, RemoteFile] = field(default_factory=dict, hash=False)


class Remote(Protocol):
    """One target branch on one remote."""

    description: str
    missing: str | None  # what `head` found missing and `create_missing` would create
    notice: str | None  # what `head` found a run should say about the remote (a renamed repo)
    drops_gitignored: bool  # a commit silently leaves out files its root .gitignore matches
    keeps_links: bool  # a symlink can be written as a symlink
    keeps_modes: bool  # its trees list each file's mode (git: executable or not)
    sent_bytes: int | None  # file content the last `prepare` sent, where measured (Xet dedupes)
    # Bytes of file content the last `prepare` sent, where the remote measures them (the Hub
    # through Xet, which deduplicates); None: not measured.

    def head(self) -> str | None:
        """The branch's head commit, or None when the branch does not exist yet (or the whole
        target, with `create` set: then `missing` says what a real run will create)."""

    def create_missing(self) -> str | None:
        """Create what `head` found missing; a line saying what was created, or None."""

    def tree(self, commit: str) -> dict[str, RemoteFile]:
        """Every file of a commit: path -> (oid, size)."""

    def iter_commits(self, head: str) -> Iterator[RemoteCommit]:
        """The commits reachable from `head` (all parents), newest first, none before its
        children."""

    def commit_info(self, commit: str) -> RemoteCommit:
        """One commit, with its parents."""

    def prepare(
        self, change: Change, source: Source, meter: Meter | None = None
    ) -> dict[str, RemoteFile]:
        """The entries the uploads of `change` will have in the remote's trees (the Hub decides
        which files it stores as LFS), made ready so that `commit` sends them as they are.
        `meter` counts file content uploaded here, before the commit (large files to the Hub)."""

    def commit(
        self, parent: str | None, change: Change, source: Source, title: str, body: str
    ) -> str:
        """Write one commit on the branch whose parent is `parent`; return its id.

        Raises RemoteMovedError when the branch head is no longer `parent` (nothing written).
        """

    def restore(
        self, parent: str, snapshot_commit: str, paths: Collection[str], title: str, body: str
    ) -> str:
        """Write one commit on top of `parent` in which each of `paths` is as in
        `snapshot_commit` (deleted where that commit has no such file); every other path stays
        as it is at `parent`."""

    def branches(self) -> dict[str, str]:
        """Every branch of the remote: name -> commit id."""

    def create_branch(self, name: str, commit: str) -> None:
        """Create a branch at `commit`."""

    def delete_branch(self, name: str) -> None:
        """Delete a branch."""

    def read_file(self, commit: str, path: str) -> bytes:
        """The content of a file at a commit."""
