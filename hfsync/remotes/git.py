"""Git targets: any git URL (a Space's git URL, GitHub, a local bare repository).

The target branch is fetched into the source repository under `refs/hfsync/<target>/`, so the
source's blobs and the remote's trees share one object database: a commit is built with git's
plumbing (a temporary index, `write-tree`, `commit-tree`) from blob ids, reading no file twice,
checked against the plan on git's diff of the two trees (`git_diff.py`), and pushed with a lease
on the head the plan was made on.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from hfsync.core.commit_check import check_commit
from hfsync.core.errors import RefusedError
from hfsync.core.redact import redact
from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, MODE_LINK, RemoteFile
from hfsync.local.gitcmd import listed_ref
from hfsync.remotes import Change, RemoteCommit, git_errors
from hfsync.remotes.git_diff import changed_entries
from hfsync.remotes.git_errors import GitFailed
from hfsync.remotes.git_process import GitProcess
from hfsync.remotes.git_tree import patched_tree
from hfsync.remotes.git_write import commit_tree, push, write_blob, write_tree

if TYPE_CHECKING:
    from hfsync.core.meter import Meter
    from hfsync.local.source import Source

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_RE = re.compile(r"^[^/]+@[^/]+:")
_HISTORY_PAGE = 200
_MODES = {mode: mode for mode in (MODE_FILE, MODE_EXECUTABLE, MODE_LINK)}


def is_local_path(url: str) -> bool:
    """True when `url` names a local path rather than a network remote."""
    return not _SCHEME_RE.match(url) and not _SCP_RE.match(url)


def resolve_url(url: str, repo_root: Path) -> str:
    """A local path is taken relative to the repository root; file:// and network URLs as given."""
    if url.startswith("file://"):
        return url
    if is_local_path(url):
        return str((repo_root / url).resolve())
    return url


class GitRemote:
    """One branch of a git remote, driven through GitPython's git command wrapper."""

    drops_gitignored = False
    keeps_links = True  # a symlink can stay a symlink (mode 120000)
    keeps_modes = True  # trees list each file's mode
    notice: str | None = None  # nothing to say about a git remote itself
    sent_bytes: int | None = None  # git sends packs, not files: not measured

    def __init__(self, repo_root: Path, url: str, branch: str, target: str, create: bool) -> None:
        self.url = resolve_url(url, repo_root)
        self.branch = branch
        self.description = f"{redact(self.url)} (branch {branch})"
        self._ns = f"refs/hfsync/{target}"
        self._process = GitProcess(repo_root, self.url, self.description)
        self._trees: dict[str, dict[str, RemoteFile]] = {}
        self._create = create
        self.missing: str | None = None

    def _check_exists(self) -> bool:
        """False when the target is a local path that does not exist yet and `create` is set
        (the plan is then made against an empty remote; only a real run creates it)."""
        if not is_local_path(self.url) or Path(self.url).exists():
            self.missing = None
            return True
        if not self._create:
            raise RefusedError(
                f"no git repository at {self.url}; create it or set 'create = true' on the target"
            )
        self.missing = f"git repository {self.url}"
        return False

    def create_missing(self) -> str | None:
        """`git init --bare` the repository `head` found missing; what was created, or None."""
        if self.missing is None or self._check_exists():
            return None
        self._process.run("init", "--quiet", "--bare", f"--initial-branch={self.branch}", self.url)
        self.missing = None
        return f"created the bare git repository {self.url}"

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> str | None:
        if not self._check_exists():
            return None
        ref = f"refs/heads/{self.branch}"
        head = listed_ref(self._process.run("ls-remote", "--heads", self.url, ref), ref)
        if head is None:
            return None
        if not self._process.has_object(head):
            self._process.run(
                "fetch",
                "--quiet",
                "--no-tags",
                self.url,
                f"+refs/heads/{self.branch}:{self._ns}/head",
            )
        return head

    def tree(self, commit: str) -> dict[str, RemoteFile]:
        """A commit's tree, listed once per run: the head and the base are often one commit.

        The same dict is returned every time: callers must not change it.
        """
        if commit in self._trees:
            return self._trees[commit]
        records = self._process.run("ls-tree", "-r", "-l", "-z", commit).split("\0")
        # Taken from the end, so each record is freed as its entry is made: at 100,000 files
        # the records and the entries would otherwise be held at once (~15 MB more at the peak).
        records.reverse()
        files: dict[str, RemoteFile] = {}
        while records:
            record = records.pop()
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, oid, size = meta.split()
            if kind != "blob":
                continue  # submodules are not files
            # One string per mode, not one per file.
            files[path] = RemoteFile(oid=oid, size=int(size), mode=_MODES.get(mode, mode))
        self._trees = {commit: files}  # one tree kept: the one being planned on
        return files

    def iter_commits(self, head: str) -> Iterator[RemoteCommit]:
        # Every parent, not only first parents: a person's `git pull` (a merge whose first parent
        # is theirs) must not hide hfsync's commit. Date order shows no commit before its children.
        skip = 0
        while True:
            out = self._process.run(
                "log",
                "--date-order",
                "-z",
                "--format=%H%n%P%n%B",
                f"--skip={skip}",
                f"-n{_HISTORY_PAGE}",
                head,
            )
            entries = [e for e in out.split("\0") if e.strip()]
            for entry in entries:
                yield _log_entry(entry)
            if len(entries) < _HISTORY_PAGE:
                return
            skip += _HISTORY_PAGE

    def commit_info(self, commit: str) -> RemoteCommit:
        return _log_entry(self._process.run("log", "-1", "--format=%H%n%P%n%B", commit))

    def prepare(
        self, change: Change, source: Source, meter: Meter | None = None
    ) -> dict[str, RemoteFile]:
        """Nothing is sent before the push (so nothing to count): the blobs are git's own."""
        return {path: RemoteFile(local.sha1, local.size) for path, local in change.uploads}

    def read_file(self, commit: str, path: str) -> bytes:
        try:
            return self._process.output("cat-file", "blob", f"{commit}:{path}")
        except GitFailed as exc:
            raise git_errors.error_for(
                f"git cat-file on {self.description}", exc, self.url
            ) from None

    def branches(self) -> dict[str, str]:
        if not self._check_exists():
            return {}
        out = self._process.run("ls-remote", "--heads", self.url)
        found = {}
        for line in out.splitlines():
            commit, ref = line.split("\t", 1)
            found[ref.removeprefix("refs/heads/")] = commit
        return found

    # -- writing -----------------------------------------------------------------------------

    def commit(
        self, parent: str | None, change: Change, source: Source, title: str, body: str
    ) -> str:
        source.write_blobs(local.path for _, local in change.uploads if local.mode != MODE_LINK)
        for _, local in change.uploads:
            if local.mode == MODE_LINK and local.link is not None:
                write_blob(self._process, os.fsencode(local.link), local.sha1)
        uploads = {path: (local.mode, local.sha1) for path, local in change.uploads}
        tree = patched_tree(self._process, parent, uploads, change.deletes)
        if tree is None:  # many folders change: a temporary index of the parent's tree
            lines = [f"{mode} {sha1}\t{path}" for path, (mode, sha1) in uploads.items()]
            lines += [f"0 {'0' * 40}\t{path}" for path in change.deletes]
            tree = write_tree(self._process, parent, lines)
        # Held to the plan on what changed (git's diff of the two trees), not on two listings.
        planned = [path for path, _ in change.uploads] + list(change.deletes)
        before, after = changed_entries(self._process, parent, tree, planned)
        check_commit(
            self.description,
            before,
            after,
            dict(change.uploads),
            change.deletes,
            "nothing was written",
        )
        commit = commit_tree(self._process, tree, parent, title, body)
        self._push(commit, parent)
        return commit

    def restore(
        self, parent: str, snapshot_commit: str, paths: Collection[str], title: str, body: str
    ) -> str:
        if not self._process.has_object(snapshot_commit):
            self._process.run(
                "fetch", "--quiet", "--no-tags", self.url, f"+refs/heads/*:{self._ns}/branches/*"
            )
        wanted = self.tree(snapshot_commit)
        # Deletions first, so that a file may replace a folder of the same name and back.
        lines = [f"0 {'0' * 40}\t{path}" for path in sorted(paths) if path not in wanted]
        lines += [
            f"{wanted[path].mode} {wanted[path].oid}\t{path}"
            for path in sorted(paths)
            if path in wanted
        ]
        commit = commit_tree(
            self._process, write_tree(self._process, parent, lines), parent, title, body
        )
        self._push(commit, parent)
        return commit

    def create_branch(self, name: str, commit: str) -> None:
        self._process.run("push", "--quiet", self.url, f"{commit}:refs/heads/{name}", detached=True)

    def delete_branch(self, name: str) -> None:
        self._process.run("push", "--quiet", self.url, f":refs/heads/{name}", detached=True)

    def _push(self, commit: str, expected: str | None) -> None:
        """Push with a lease on `expected`, then keep the new head under hfsync's refs."""
        push(self._process, self.branch, commit, expected)
        self._process.run("update-ref", f"{self._ns}/head", commit)


def _log_entry(entry: str) -> RemoteCommit:
    commit_id, _, rest = entry.lstrip("\n").partition("\n")
    parents, _, message = rest.partition("\n")
    return RemoteCommit(id=commit_id, message=message, parents=tuple(parents.split()))
