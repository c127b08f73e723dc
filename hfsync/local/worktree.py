"""Read the working tree: the tracked and untracked (not ignored) files in scope.

Files git knows clean (and does not convert) take their blob id from git's index without being
read; the others go through the hash index, which reads only files whose stat changed. Paths are
spelled exactly as git spells them: every git call uses -z, so no name is ever quoted.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, LocalFile
from hfsync.local.gitcmd import git_output, split_z
from hfsync.local.hashindex import HashIndex
from hfsync.local.symlinks import direct_link, worktree_link
from hfsync.local.unreadable import check_name, unreadable_dirs_error, unreadable_file_error

if TYPE_CHECKING:
    from git.cmd import Git

    from hfsync.core.meter import Meter, Task

_MODE_GITLINK = "160000"
_REGULAR_MODES = ("100644", "100755")
_ATTRIBUTES = ("filter", "text", "eol", "ident", "working-tree-encoding")
_AUTOCRLF_ON = ("true", "yes", "on", "1", "input")


class Worktree(NamedTuple):
    """The working tree's files in scope, as `Source` holds them."""

    files: dict[str, LocalFile]
    hash_index: HashIndex  # the hash index the files were hashed with
    link_files: dict[str, Path]  # symlink path -> the in-repository file it names
    existing: frozenset[str]  # every path of the working tree, for pruning the index
    fingerprintable: bool  # no symlink, no converted file, no entry git does not check
    files_read: int  # files whose content was read to hash them


def read_worktree(
    repo_root: Path, git_dir: Path, git: Git, include: Callable[[str], bool], meter: Meter | None
) -> Worktree:
    """The files in scope (`include`) of the working tree of `repo_root`, whose git directory
    is `git_dir` (where the hash index lives); `meter` counts the files read to hash them."""
    listing, unchecked = worktree_listing(git)
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

    index = HashIndex.load(git_dir)
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
    return Worktree(files, index, link_files, existing, fingerprintable, reads)


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


def worktree_listing(git: Git) -> tuple[dict[str, str | None], set[str]]:
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
    for record in split_z(out):
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
    for path in split_z(git.ls_files("-z", "-m")):
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


def _file_mode(st: os.stat_result) -> str:
    """The git mode of a regular file: executable when its owner may run it (as git decides)."""
    return MODE_EXECUTABLE if st.st_mode & stat.S_IXUSR else MODE_FILE
