"""Read the local side: a snapshot of the working tree or of one commit (design.md, "Words").

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
import subprocess
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.errors import SourceError
from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, LocalFile
from hfsync.local.gitcmd import git_output
from hfsync.local.hashindex import CHUNK_SIZE, HashIndex, git_blob_sha1
from hfsync.local.symlinks import (
    MODE_LINK,
    TreeBlob,
    direct_link,
    resolve_tree_link,
    tree_dirs,
    worktree_link,
)
from hfsync.local.unreadable import check_name, unreadable_dirs_error, unreadable_file_error

if TYPE_CHECKING:
    from git.cmd import Git

    from hfsync.core.meter import Meter, Task

WORKTREE = "worktree"
_MODE_GITLINK = "160000"
_REGULAR_MODES = ("100644", "100755")
_HASH_OBJECT_BATCH = 1000  # paths per `git hash-object` call, well under the argv limit
# `read_many(keep=True)` keeps the bytes of files up to KEEP_FILE_BYTES, up to KEEP_BYTES in all,
# for the next read of the same path (the secret scan's reads serve the upload that follows).
KEEP_FILE_BYTES = 1 << 20
KEEP_BYTES = 128 << 20
_ATTRIBUTES = ("filter", "text", "eol", "ident", "working-tree-encoding")
_AUTOCRLF_ON = ("true", "yes", "on", "1", "input")


def git_dir(repo_root: Path) -> Path:
    """The repository's git directory (`.git`, or a linked worktree's own), where hfsync keeps
    its caches."""
    import git

    with git.Repo(repo_root) as repo:
        return Path(repo.git_dir)


def find_repo_root(start: Path) -> Path:
    """The work tree root of the git repository containing `start`."""
    import git

    try:
        with git.Repo(start, search_parent_directories=True) as repo:
            root = repo.working_tree_dir
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        root = None
    if root is None:
        raise SourceError(
            f"not inside a git repository: {start}; run hfsync from your project's checkout"
        )
    return Path(root)


def list_paths(repo_root: Path, rev: str | None) -> list[str]:
    """The sorted paths of the working tree (`rev` None) or of commit `rev`; no content is read.

    The working tree holds the tracked files still on disk and the untracked files git does not
    ignore; a commit holds its blobs and symlinks (not its submodules).
    """
    git = _git(repo_root)
    if rev is not None:
        return sorted(_commit_tree(git, _resolve_commit(git, repo_root, rev))[0])
    root = str(repo_root)
    listing, _ = _worktree_listing(git)
    return [path for path in sorted(listing) if _on_disk(f"{root}/{path}")]


def read_source(
    repo_root: Path, rev: str | None, include: Callable[[str], bool], meter: Meter | None = None
) -> Source:
    """The snapshot of commit `rev`, or of the working tree when `rev` is None.

    `include` (the target's scope) is applied to the listing before any file is read. A commit is
    read from git's object database alone: sizes and blob ids come from `git ls-tree`. In the
    working tree, files git knows clean (and does not filter) take their blob id from git's index;
    the others go through the hash index, which reads only files whose stat changed; `meter`
    counts those reads, when there are any.
    """
    git = _git(repo_root)
    if rev is not None:
        return _read_commit(repo_root, git, _resolve_commit(git, repo_root, rev), include)
    return _read_worktree(repo_root, git, include, meter)


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
        files: dict[str, LocalFile],
        *,
        index: HashIndex | None = None,
        link_files: dict[str, Path] | None = None,
        existing: frozenset[str] = frozenset(),
        fingerprintable: bool = False,
    ) -> None:
        self.repo_root = repo_root
        self.commit = commit
        self.files = files
        self.files_read = 0
        self._index = index  # None for a commit
        # symlink path -> the in-repository file it names; plain strings, as `_disk_path` gives
        # (pathlib would cost more than reading a small file)
        self._link_files = {path: str(file) for path, file in (link_files or {}).items()}
        self._existing = existing  # every path of the working tree, for pruning the index
        # A working tree whose files in scope `memo/fingerprint.py` vouches for: no symlink,
        # no file git converts, no entry git does not check (assume-unchanged, skip-worktree,
        # conflicted, not a regular file).
        self.fingerprintable = fingerprintable
        self._root = str(repo_root)
        self._kept: dict[str, bytes] = {}  # path -> its checked bytes, read once more
        self._kept_size = 0

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
        self.files_read += 1
        if self._index is None:
            return _git(self.repo_root).cat_file(
                "blob", local.sha1, stdout_as_string=False, strip_newline_in_stdout=False
            )
        with open(self._disk_path(path), "rb") as handle:
            data = handle.read()
        if git_blob_sha1(data) != local.sha1:
            raise _changed_error(path)
        return data

    def read_many(self, paths: Iterable[str], *, keep: bool = False) -> Iterator[tuple[str, bytes]]:
        """(path, `read_bytes(path)`) for each path, in order. A commit's blobs come from one
        `git cat-file --batch` (one git process per file made a 50,000-file first sync or secret
        scan of a commit take minutes); working tree files are read one at a time.

        `keep`: the bytes of small files (KEEP_FILE_BYTES, up to KEEP_BYTES in all) are kept
        for the next read of the same path, which takes them instead of reading again."""
        if self._index is not None:
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
        blobs = _cat_blobs(self.repo_root, shas)
        for path in wanted:
            earlier = kept[path]
            if earlier is None:
                self.files_read += 1
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
        index = self._index
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
                self.files_read += was_read
                if hashes.sha1 != local.sha1:
                    raise _changed_error(path)
                sha256 = hashes.sha256
            self.files[path] = replace(local, sha256=sha256)
        if index is not None:
            index.save(self._existing)

    def write_blobs(self, paths: Iterable[str]) -> None:
        """Make sure the git blob of each path's bytes is in the repository's object database.

        A commit's blobs are there already. Working tree files are written with
        `git hash-object -w --no-filters`, given as arguments rather than `--stdin-paths` so that
        a name holding a newline still works.
        """
        if self._index is None:
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
        (its blob id may come from git's index without hfsync reading it)."""
        if self._index is None:
            return
        for path in paths:
            if not os.access(self._disk_path(path), os.R_OK):
                denied = PermissionError(errno.EACCES, os.strerror(errno.EACCES))
                raise unreadable_file_error(path, denied)

    def local_file_path(self, path: str) -> Path | None:
        """The file on disk holding `path`'s bytes (to stream a big upload); None for a commit."""
        if path not in self.files:
            raise KeyError(path)
        return None if self._index is None else Path(self._disk_path(path))

    def _disk_path(self, path: str) -> str:
        return self._link_files.get(path) or f"{self._root}/{path}"

    def _blob_sha256(self, sha1: str) -> str:
        process = _git(self.repo_root).cat_file("blob", sha1, as_process=True)
        digest = hashlib.sha256()
        while chunk := process.stdout.read(CHUNK_SIZE):
            digest.update(chunk)
        process.wait()
        self.files_read += 1
        return digest.hexdigest()


def _read_worktree(
    repo_root: Path, git: Git, include: Callable[[str], bool], meter: Meter | None
) -> Source:

    listing, unchecked = _worktree_listing(git)
    in_scope = sorted(path for path in listing if include(path))
    repo_real = Path(os.path.realpath(repo_root))

    def syncs(target: str) -> bool:  # what a symlink may lead to: listed (not ignored), in scope
        return target in listing and include(target)

    root = str(repo_root)  # plain strings: pathlib would triple the cost of this loop
    # A file git's index may vouch for keeps only its size and mode (100,000 stat results
    # would be ~60 MB); the others keep their stat for the hash index.
    stats: dict[str, os.stat_result | tuple[int, str]] = {}
    link_files: dict[str, Path] = {}
    link_texts: dict[str, str] = {}
    check_names = not "".join(in_scope).isascii()  # ASCII names are valid UTF-8 already
    for path in in_scope:
        if check_names:
            check_name(path)
        try:
            st = os.lstat(f"{root}/{path}")
        except (FileNotFoundError, NotADirectoryError):
            continue  # a tracked file deleted from the working tree
        except PermissionError as exc:  # in a directory hfsync may not enter
            raise unreadable_file_error(path, exc) from None
        if stat.S_ISLNK(st.st_mode):
            link_files[path], st = worktree_link(repo_real, path, syncs)
            final = link_files[path].relative_to(repo_real).as_posix()
            text = direct_link(path, os.readlink(f"{root}/{path}"), final)
            if text is not None:
                link_texts[path] = text
        elif not stat.S_ISREG(st.st_mode):
            continue  # a tracked file replaced by a directory: gone as a file
        if listing[path] is not None and path not in link_files:
            stats[path] = (st.st_size, _file_mode(st))
        else:
            stats[path] = st
    clean, converted = _clean_in_git_index(
        repo_root, git, listing, [p for p in stats if p not in link_files]
    )

    index = HashIndex.load(git_dir(repo_root))
    task = None
    if meter is not None:
        task = _hashing_task(
            meter, index, stats, clean, lambda path: str(link_files.get(path) or f"{root}/{path}")
        )
    on_bytes = None if task is None else task.advance
    files: dict[str, LocalFile] = {}
    reads = 0
    try:
        for path, kept in stats.items():
            if path in clean:
                if isinstance(kept, os.stat_result):  # (a stat result is a tuple too)
                    size, mode = kept.st_size, _file_mode(kept)
                else:
                    size, mode = kept
                files[path] = LocalFile(path, size, clean[path], mode=mode)
                continue
            disk = link_files.get(path) or f"{root}/{path}"
            try:
                # git's index has a blob id, but not for these bytes: stat again for the index.
                st = kept if isinstance(kept, os.stat_result) else os.lstat(disk)
                hashes, was_read = index.hash_file(path, disk, st, sha256=False, on_bytes=on_bytes)
            except FileNotFoundError:
                continue  # deleted since it was listed: absent from this snapshot
            except PermissionError as exc:
                raise unreadable_file_error(path, exc) from None
            reads += was_read
            if task is not None and was_read:
                task.advance(files=1)
            files[path] = LocalFile(
                path, hashes.size, hashes.sha1, hashes.sha256, _file_mode(st), link_texts.get(path)
            )
    finally:
        if task is not None:
            task.close()
    existing = frozenset(listing.keys() - (set(in_scope) - stats.keys()))
    index.save(existing)
    fingerprintable = not (link_files or converted or unchecked.intersection(in_scope))
    source = Source(
        repo_root,
        None,
        files,
        index=index,
        link_files=link_files,
        existing=existing,
        fingerprintable=fingerprintable,
    )
    source.files_read = reads
    return source


def _hashing_task(
    meter: Meter,
    index: HashIndex,
    stats: dict[str, os.stat_result | tuple[int, str]],
    clean: dict[str, str],
    disk: Callable[[str], str],
) -> Task | None:
    """A counted task for the files the hash index will read; None when it reads none.

    Only files git does not know clean are looked at (few, on a no-change run)."""
    to_read = []
    for path, kept in stats.items():
        if path in clean:
            continue
        try:
            st = kept if isinstance(kept, os.stat_result) else os.lstat(disk(path))
        except OSError:
            continue  # gone or unreadable: the hashing loop reports it
        if index.needs_read(path, st, sha256=False):
            to_read.append(st.st_size)
    return meter("hashing", len(to_read), sum(to_read)) if to_read else None


def _worktree_listing(git: Git) -> tuple[dict[str, str | None], set[str]]:
    """The tracked and the untracked, not ignored paths of the working tree, and the tracked
    paths whose index entry cannot be trusted.

    Each maps to its blob id in git's index when that can be trusted once `git ls-files -m` does
    not list the path: a regular file at stage 0, neither assume-unchanged nor skip-worktree
    (which `ls-files -m` does not check). Other paths, untracked ones included, map to None.
    """
    # -v tags each record: 'H' cached, 'h'/'s' assume-unchanged, 'S' skip-worktree, 'M' unmerged
    # (one record per stage), '?' untracked (no stage data).
    args = ["ls-files", "-z", "-s", "-v", "--cached", "--others", "--exclude-standard"]
    env = {**os.environ, "LC_ALL": "C"}  # git's warnings in English, to recognise them
    # git from PATH, as GitPython runs it; an argument list, no shell.
    done = subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=git.working_dir,
        capture_output=True,
        check=True,
        env=env,
    )
    unreadable = unreadable_dirs_error(done.stderr.decode(errors="replace"))
    if unreadable is not None:
        raise unreadable
    out = os.fsdecode(done.stdout)
    listing: dict[str, str | None] = {}
    unchecked: set[str] = set()
    for record in _split_z(out):
        tag, rest = record[0], record[2:]
        if tag == "?":
            if not rest.endswith("/"):  # "dir/" is an embedded repository, not a file
                listing[rest] = None
            continue
        info, path = rest.split("\t", 1)
        mode, sha1, stage = info.split(" ")
        if mode != _MODE_GITLINK:
            trusted = tag == "H" and stage == "0" and mode in _REGULAR_MODES
            listing[path] = sha1 if trusted else None
            if not trusted:
                unchecked.add(path)
    return listing, unchecked


def _clean_in_git_index(
    repo_root: Path, git: Git, listing: dict[str, str | None], regular: list[str]
) -> tuple[dict[str, str], bool]:
    """Of these regular files, those whose bytes are their git index blob (path -> blob id), and
    whether git converts any of the others it holds clean."""
    candidates = {path: sha1 for path in regular if (sha1 := listing[path]) is not None}
    if not candidates:
        return {}, False
    for path in _split_z(git.ls_files("-z", "-m")):
        candidates.pop(path, None)
    converted = _converted_by_git(repo_root, git, list(candidates))
    for path in converted:
        del candidates[path]
    return candidates, bool(converted)


def _converted_by_git(repo_root: Path, git: Git, paths: list[str]) -> set[str]:
    """The paths whose git blob may differ from their bytes (filter, eol conversion, ident...)."""
    if not paths:
        return set()
    autocrlf = git.config("--get", "core.autocrlf", with_exceptions=False).strip().lower()
    # --all names only the attributes a path has (set, unset or valued): with few attributes in
    # the repository the answer is short, and much quicker to produce and parse than asking for
    # each attribute of each path.
    out = git_output(
        repo_root,
        "check-attr",
        "-z",
        "--stdin",
        "--all",
        stdin=os.fsencode("\0".join(paths) + "\0"),
    )
    fields = os.fsdecode(out).split("\0")
    attributes: dict[str, dict[str, str]] = {}
    for at in range(0, len(fields) - 2, 3):
        path, name, value = fields[at : at + 3]
        if name in _ATTRIBUTES:
            attributes.setdefault(path, {})[name] = value
    if autocrlf in _AUTOCRLF_ON:
        return {path for path in paths if _converts(attributes.get(path, {}), autocrlf_on=True)}
    # Without core.autocrlf only a path with one of these attributes can convert.
    return {path for path, values in attributes.items() if _converts(values, autocrlf_on=False)}


def _converts(values: dict[str, str], *, autocrlf_on: bool) -> bool:
    """Whether `git add` converts a file with these attributes (absent means unspecified)."""

    def given(name: str) -> bool:  # set or valued: neither unspecified nor unset
        return values.get(name, "unset") != "unset"

    if given("filter") or given("ident") or given("working-tree-encoding"):
        return True
    text = values.get("text")
    if text == "unset":  # `-text` (or `binary`) turns every line-ending conversion off
        return False
    return text is not None or given("eol") or autocrlf_on


def _read_commit(repo_root: Path, git: Git, commit: str, include: Callable[[str], bool]) -> Source:
    blobs, submodules = _commit_tree(git, commit)
    in_scope = [path for path in blobs if include(path)]
    links: dict[str, str] = {}
    dirs: set[str] = set()
    if any(blobs[path].mode == MODE_LINK for path in in_scope):
        links = _link_targets(repo_root, blobs)
        dirs = tree_dirs(blobs, submodules)
    files: dict[str, LocalFile] = {}
    for path in in_scope:
        check_name(path)
        blob, text = blobs[path], None
        if blob.mode == MODE_LINK:
            final, blob = resolve_tree_link(path, blobs, dirs, links, include)
            text = direct_link(path, links[path], final)
        mode = MODE_EXECUTABLE if blob.mode == MODE_EXECUTABLE else MODE_FILE
        files[path] = LocalFile(path, blob.size, blob.sha1, mode=mode, link=text)
    return Source(repo_root, commit, files)


def _commit_tree(git: Git, commit: str) -> tuple[dict[str, TreeBlob], set[str]]:
    """The blobs and symlinks of `commit` (sorted by path), and its submodules' paths."""
    blobs: dict[str, TreeBlob] = {}
    submodules: set[str] = set()
    for record in _split_z(git.ls_tree("-r", "-l", "-z", "--full-tree", commit)):
        info, path = record.split("\t", 1)
        mode, kind, sha1, size = info.split()
        if kind == "blob":
            blobs[path] = TreeBlob(mode, sha1, int(size))
        else:
            submodules.add(path)
    return blobs, submodules


def _link_targets(repo_root: Path, blobs: dict[str, TreeBlob]) -> dict[str, str]:
    """Symlink path -> its target, for every link of the tree (one may lead through another)."""
    links = {path: blob.sha1 for path, blob in blobs.items() if blob.mode == MODE_LINK}
    targets = _cat_blobs(repo_root, set(links.values()))
    return {path: os.fsdecode(targets[sha1]) for path, sha1 in links.items()}


def _cat_blobs(repo_root: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """Blob id -> content, for these blobs of the repository, read by one git process."""
    wanted = sorted(shas)
    if not wanted:
        return {}
    out = git_output(
        repo_root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in wanted).encode()
    )
    blobs: dict[str, bytes] = {}
    at = 0
    for sha1 in wanted:  # each answer is "<sha> blob <size>\n<content>\n", in request order
        header_end = out.find(b"\n", at)
        header = out[at:header_end].split() if header_end >= 0 else []
        if len(header) != 3 or header[0] != sha1.encode() or header[1] != b"blob":
            raise SourceError(f"git cannot read blob {sha1} of {repo_root}")
        size = int(header[2])
        blobs[sha1] = out[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1
    return blobs


def _resolve_commit(git: Git, repo_root: Path, rev: str) -> str:
    import git as gitpython

    error = SourceError(
        f"unknown revision {rev!r}: no commit by that name in {repo_root}; "
        "give a branch, tag or commit sha"
    )
    if rev.startswith("-"):  # would be taken as an option
        raise error
    try:
        return str(git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")).strip()
    except gitpython.GitCommandError:
        raise error from None


def _git(repo_root: Path) -> Git:
    import git

    return git.Git(repo_root)


def _split_z(out: str) -> list[str]:
    return out.split("\0")[:-1]


def _on_disk(file: str) -> bool:
    try:
        mode = os.lstat(file).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return False
    return stat.S_ISREG(mode) or stat.S_ISLNK(mode)


def _file_mode(st: os.stat_result) -> str:
    """The git mode of a regular file: executable when its owner may run it (as git decides)."""
    return MODE_EXECUTABLE if st.st_mode & stat.S_IXUSR else MODE_FILE


def _changed_error(path: str) -> SourceError:
    return SourceError(f"{path} changed while hfsync was syncing it; run again once it is saved")
