"""The local side: a snapshot of the working tree or of one commit (design.md, "Words"), and
access to the bytes behind it. The snapshot is read by `worktree.py` or `commit_reader.py`.

Paths are repository-relative, '/'-separated and spelled exactly as git spells them: every git
call uses -z, so no name is ever quoted. GitPython is imported inside functions, so that
`hfsync --help` does not pay for importing it. The few git calls that are fed on stdin
(check-attr, cat-file --batch) use subprocess: GitPython's `istream` needs a real file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.errors import SourceError
from hfsync.core.snapshot import LocalFile
from hfsync.local.commit_reader import (
    cat_blobs,
    commit_tree,
    read_commit,
    resolve_commit,
)
from hfsync.local.hashindex import CHUNK_SIZE, HashIndex, git_blob_sha1
from hfsync.local.listed_files import ListedFiles
from hfsync.local.repository import git_dir
from hfsync.local.staged_listing import check_same, tree_files
from hfsync.local.switches import enabled, verifying
from hfsync.local.unreadable import unreadable_file_error
from hfsync.local.worktree import Worktree, read_worktree, worktree_listing
from hfsync.local.worktree_tree import WorktreeTree, worktree_tree

if TYPE_CHECKING:
    from git.cmd import Git

    from hfsync.core.meter import Meter

WORKTREE = "worktree"
_HASH_OBJECT_BATCH = 1000  # paths per `git hash-object` call, well under the argv limit
# `read_many(keep=True)` keeps the bytes of files up to KEEP_FILE_BYTES, up to KEEP_BYTES in all,
# for the next read of the same path (the secret scan's reads serve the upload that follows).
KEEP_FILE_BYTES = 1 << 20
KEEP_BYTES = 128 << 20


def list_paths(repo_root: Path, rev: str | None) -> list[str]:
    """The sorted paths of the working tree (`rev` None) or of commit `rev`; no content is read.

    The working tree holds the tracked files still on disk and the untracked files git does not
    ignore; a commit holds its blobs and symlinks (not its submodules).
    """
    git = _git(repo_root)
    if rev is not None:
        return sorted(commit_tree(git, resolve_commit(repo_root, rev))[0])
    root = str(repo_root)
    listing, _ = worktree_listing(git)
    return [path for path in sorted(listing) if _on_disk(f"{root}/{path}")]


def read_source(
    repo_root: Path, rev: str | None, include: Callable[[str], bool], meter: Meter | None = None
) -> Source:
    """The snapshot of commit `rev`, or of the working tree when `rev` is None.

    `include` (the target's scope) is applied to the listing before any file is read. A commit is
    read from git's object database alone: sizes and blob ids come from `git ls-tree`. In the
    working tree, files git knows clean (and does not filter) take their blob id from git's index;
    the others go through the hash index, which reads only files whose stat changed; `meter`
    counts those reads, when there are any. A working tree git staged before it was listed
    (`Source.git_tree`, as a plan does) is listed from that tree, as a commit is: git stated
    and hashed every file for it (unless a symlink is in scope, or HFSYNC_FULL_PLAN is set;
    HFSYNC_VERIFY_PLAN reads it both ways and stops on a difference).
    """
    if rev is not None:
        commit = resolve_commit(repo_root, rev)
        return Source(
            repo_root,
            commit,
            ListedFiles(lambda: read_commit(repo_root, _git(repo_root), commit, include)),
        )
    directory = git_dir(repo_root)
    source = Source(repo_root, None, {}, index=None, git_dir=directory)

    def listing() -> tuple[dict[str, LocalFile], bool]:
        staged = source.staged_tree() if enabled() else None
        files = tree_files(repo_root, staged, include) if staged is not None else None
        if files is not None and not verifying():
            source.took_staged()
            return files, False
        found = read_worktree(repo_root, directory, _git(repo_root), include, meter)
        source.took(found)
        if files is not None:
            check_same(files, found.files)
        return found.files, bool(found.link_files)

    source.files = ListedFiles(listing)
    return source


class Source:
    """One snapshot of the local side, and access to the bytes behind it.

    `files` maps each in-scope path to its LocalFile; `files_read` counts how many files or blobs
    this Source has read the content of (hashing, `fill_sha256`, `read_bytes`; bytes kept from
    an earlier read are not read again).
    """

    def __init__(
        self,
        repo_root: Path,
        commit: str | None,
        files: MutableMapping[str, LocalFile],
        *,
        index: HashIndex | None = None,
        link_files: dict[str, Path] | None = None,
        existing: frozenset[str] | None = None,
        fingerprintable: bool = False,
        git_dir: Path | None = None,
    ) -> None:
        self.repo_root = repo_root
        self.commit = commit
        self.files = files
        self._files_read = 0
        self._git_dir = git_dir  # where the hash index lives (the working tree)
        self._index = index  # a working tree's hash index, once loaded
        # symlink path -> the in-repository file it names; plain strings, as `_disk_path` gives
        # (pathlib would cost more than reading a small file)
        self._link_files = {path: str(file) for path, file in (link_files or {}).items()}
        # every path of the working tree, for pruning the index (None: not listed, keep all)
        self._existing = existing
        self._fingerprintable = fingerprintable
        self._root = str(repo_root)
        self._kept: dict[str, bytes] = {}  # path -> its checked bytes, read once more
        self._kept_size = 0
        self._staged: WorktreeTree | None = None

    def took(self, found: Worktree) -> None:
        """The working tree as `read_worktree` found it (when its listing was needed)."""
        self._index = found.hash_index
        self._link_files = {path: str(file) for path, file in found.link_files.items()}
        self._existing = found.existing
        self._fingerprintable = found.fingerprintable
        self._files_read += found.files_read

    @property
    def files_read(self) -> int:
        """How many files or blobs this Source read the content of (lists the source if it was
        not: hashing the working tree's new files is reading them)."""
        if isinstance(self.files, ListedFiles):
            self.files.every()
        return self._files_read

    @property
    def fingerprintable(self) -> bool:
        """A working tree whose files in scope `memo/fingerprint.py` vouches for: no symlink, no
        file git converts, no entry git does not check (assume-unchanged, skip-worktree,
        conflicted, not a regular file). Lists the working tree if it was not."""
        if self.commit is None and isinstance(self.files, ListedFiles):
            self.files.every()
        return self._fingerprintable

    def staged_tree(self) -> str | None:
        """The working tree's tree id, when `git_tree` staged it already (nothing is staged)."""
        return self._staged.tree if self._staged is not None else None

    def took_staged(self) -> None:
        """The working tree listed from the tree git staged: no symlink in scope, nothing git
        converts or does not check (`worktree_tree` staged none), git hashed every file."""
        self._link_files = {}
        self._existing = None
        self._fingerprintable = True

    def git_tree(self) -> str | WorktreeTree:
        """The source as a git commit or tree id; for the working tree, the tree git stages
        (`worktree_tree.py`) when first asked, before any file is listed (a file saved after it
        is seen as changed by the next sync's diff), or why it cannot. Asked again (a plan made
        again: after creating the repo, when the remote moved), the same answer, as the
        listing is the same."""
        if self.commit is not None:
            return self.commit
        if self._staged is None:
            self._staged = worktree_tree(self.repo_root, self._git_dir or git_dir(self.repo_root))
        return self._staged.tree if self._staged.tree is not None else self._staged

    @property
    def label(self) -> str:
        """The commit sha, or "worktree"."""
        return self.commit or WORKTREE

    def read_bytes(self, path: str) -> bytes:
        """The exact bytes to upload for `path` (a symlink gives its target's bytes)."""
        local = self.files[path]
        kept = self._take_kept(path)
        if kept is not None:
            return kept
        self._files_read += 1
        if self.commit is not None:
            return _git(self.repo_root).cat_file(
                "blob", local.sha1, stdout_as_string=False, strip_newline_in_stdout=False
            )
        data = _read_file(self._disk_path(path), local.size)
        if git_blob_sha1(data) != local.sha1:
            raise _changed_error(path)
        return data

    def read_many(self, paths: Iterable[str], *, keep: bool = False) -> Iterator[tuple[str, bytes]]:
        """(path, `read_bytes(path)`) for each path, in order. A commit's blobs come from one
        `git cat-file --batch` (one git process per file made a 50,000-file first sync or secret
        scan of a commit take minutes); working tree files are read one at a time.

        `keep`: the bytes of small files (KEEP_FILE_BYTES, up to KEEP_BYTES in all) are kept
        for the next read of the same path, which takes them instead of reading again."""
        if self.commit is None:
            for path in paths:
                data = self.read_bytes(path)
                if keep:
                    self._keep(path, data)
                yield path, data
            return
        wanted = list(paths)
        kept = {path: self._kept.get(path) for path in wanted}
        for path in kept:
            self._take_kept(path)
        shas = {self.files[path].sha1 for path, data in kept.items() if data is None}
        blobs = cat_blobs(self.repo_root, shas)
        for path in wanted:
            earlier = kept[path]
            if earlier is None:
                self._files_read += 1
            blob = blobs[self.files[path].sha1] if earlier is None else earlier
            if keep:
                self._keep(path, blob)
            yield path, blob

    def _keep(self, path: str, data: bytes) -> None:
        if path in self._kept:
            return
        if len(data) <= KEEP_FILE_BYTES and self._kept_size + len(data) <= KEEP_BYTES:
            self._kept[path] = data
            self._kept_size += len(data)

    def _take_kept(self, path: str) -> bytes | None:
        data = self._kept.pop(path, None)
        if data is not None:
            self._kept_size -= len(data)
        return data

    def fill_sha256(self, paths: Iterable[str]) -> None:
        """Compute the SHA-256 of these paths' bytes and store it in their LocalFile."""
        index = self._hash_index()
        by_blob: dict[str, str] = {}  # a commit's identical blobs are hashed once
        sha256: str | None
        for path in paths:
            local = self.files[path]
            if local.sha256 is not None:
                continue
            if index is None:
                if local.sha1 not in by_blob:
                    by_blob[local.sha1] = self._blob_sha256(local.sha1)
                sha256 = by_blob[local.sha1]
            else:
                disk = self._disk_path(path)
                try:
                    hashes, was_read = index.hash_file(path, disk, os.stat(disk), sha256=True)
                except FileNotFoundError:
                    raise _changed_error(path) from None
                self._files_read += was_read
                if hashes.sha1 != local.sha1:
                    raise _changed_error(path)
                sha256 = hashes.sha256
            self.files[path] = replace(local, sha256=sha256)
        if index is not None:
            index.save(self._existing)

    def _hash_index(self) -> HashIndex | None:
        """A working tree's hash index (loaded when first needed); None for a commit."""
        if self.commit is None and self._index is None:
            if self._git_dir is None:
                raise ValueError("a working tree source needs its git directory")
            self._index = HashIndex.load(self._git_dir)
        return self._index

    def write_blobs(self, paths: Iterable[str]) -> None:
        """Make sure the git blob of each path's bytes is in the repository's object database.

        A commit's blobs are there already. Working tree files are written with
        `git hash-object -w --no-filters`, given as arguments rather than `--stdin-paths` so that
        a name holding a newline still works.
        """
        if self.commit is not None:
            return
        git = _git(self.repo_root)
        pending = list(paths)
        for start in range(0, len(pending), _HASH_OBJECT_BATCH):
            batch = pending[start : start + _HASH_OBJECT_BATCH]
            disk = [self._disk_path(path) for path in batch]
            written = git.hash_object("-w", "--no-filters", "--", *disk).split("\n")
            for path, sha1 in zip(batch, written, strict=True):
                if sha1 != self.files[path].sha1:
                    raise _changed_error(path)

    def check_readable(self, paths: Iterable[str]) -> None:
        """Refuse, before anything is written, a working tree file to upload that cannot be read
        (its blob id may come from git's index without hfsync reading it). A file whose bytes
        are kept from this sync's read (the secret scan's) was read: its upload takes them."""
        if self.commit is not None:
            return
        for path in paths:
            if path not in self._kept and not os.access(self._disk_path(path), os.R_OK):
                denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES))
                raise unreadable_file_error(path, denied)

    def local_file_path(self, path: str) -> Path | None:
        """The file on disk holding `path`'s bytes (to stream a big upload); None for a commit."""
        if path not in self.files:
            raise KeyError(path)
        return None if self.commit is not None else Path(self._disk_path(path))

    def _disk_path(self, path: str) -> str:
        return self._link_files.get(path) or f"{self._root}/{path}"

    def _blob_sha256(self, sha1: str) -> str:
        process = _git(self.repo_root).cat_file("blob", sha1, as_process=True)
        digest = hashlib.sha256()
        while chunk := process.stdout.read(CHUNK_SIZE):
            digest.update(chunk)
        process.wait()
        self._files_read += 1
        return digest.hexdigest()


def _git(repo_root: Path) -> Git:
    import git

    return git.Git(repo_root)


def _read_file(file: str, size: int) -> bytes:
    """The bytes of `file`, listed `size` long: one read when it gives exactly that (the
    listed file; a read more would only find its end: ~0.05 s at 50,000 files), else read to
    its end (a read may come short, on a network or FUSE file system). A file object's open()
    and read() made twice as many system calls. The caller checks the blob id."""
    fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, size + 1)
        if len(data) == size:
            return data
        parts = [data]
        while chunk := os.read(fd, max(size, CHUNK_SIZE)):
            parts.append(chunk)
    finally:
        os.close(fd)
    return b"".join(parts)


def _on_disk(file: str) -> bool:
    try:
        mode = os.lstat(file).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def _changed_error(path: str) -> SourceError:
    return SourceError(f"{path} changed while hfsync was syncing it; run again once it is saved")
