"""Git targets: any git URL (a Space's git URL, GitHub, a local bare repository).

The target branch is fetched into the source repository under `refs/hfsync/<target>/`, so the
source's blobs and the remote's trees share one object database: a commit is built with git's
plumbing (a temporary index, `write-tree`, `commit-tree`) from blob ids, reading no file twice, and
pushed with a lease on the head the plan was made on.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.core.commit_check import check_commit
from hfsync.core.errors import RefusedError, RemoteError, RemoteMovedError, TemporaryError
from hfsync.core.redact import redact
from hfsync.core.snapshot import MODE_EXECUTABLE, MODE_FILE, MODE_LINK, RemoteFile
from hfsync.local.gitcmd import NEVER_PROMPT
from hfsync.remotes import Change, RemoteCommit, git_errors, retry

if TYPE_CHECKING:
    from git import Git

    from hfsync.core.meter import Meter
    from hfsync.local.source import Source

_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP_RE = re.compile(r"^[^/]+@[^/]+:")
_HISTORY_PAGE = 200
_MODES = {mode: mode for mode in (MODE_FILE, MODE_EXECUTABLE, MODE_LINK)}
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "hfsync",
    "GIT_AUTHOR_EMAIL": "hfsync@localhost",
    "GIT_COMMITTER_NAME": "hfsync",
    "GIT_COMMITTER_EMAIL": "hfsync@localhost",
}


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
    sent_bytes: int | None = None  # git sends packs, not files: not measured

    def __init__(self, repo_root: Path, url: str, branch: str, target: str, create: bool) -> None:
        from git import Git

        self.url = resolve_url(url, repo_root)
        self.branch = branch
        self.description = f"{redact(self.url)} (branch {branch})"
        self._ns = f"refs/hfsync/{target}"
        self._git: Git = Git(str(repo_root))
        self._git.update_environment(**NEVER_PROMPT)
        self._trees: dict[str, dict[str, RemoteFile]] = {}
        self._create = create
        self.policy = retry.RetryPolicy.from_env()
        self.missing: str | None = None
        # A transfer slower than 1 kB/s for HFSYNC_TIMEOUT seconds is a stall: git gives up.
        self._limits = (
            "-c",
            "http.lowSpeedLimit=1000",
            "-c",
            f"http.lowSpeedTime={max(1, int(self.policy.timeout))}",
        )

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
        self._run("init", "--quiet", "--bare", f"--initial-branch={self.branch}", self.url)
        self.missing = None
        return f"created the bare git repository {self.url}"

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> str | None:
        if not self._check_exists():
            return None
        out = self._run("ls-remote", self.url, f"refs/heads/{self.branch}")
        if not out.strip():
            return None
        head = out.split()[0]
        if not self._has_object(head):
            self._run(
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
        records = self._run("ls-tree", "-r", "-l", "-z", commit).split("\0")
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
            out = self._run(
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
        return _log_entry(self._run("log", "-1", "--format=%H%n%P%n%B", commit))

    def prepare(
        self, change: Change, source: Source, meter: Meter | None = None
    ) -> dict[str, RemoteFile]:
        """Nothing is sent before the push (so nothing to count): the blobs are git's own."""
        return {path: RemoteFile(local.sha1, local.size) for path, local in change.uploads}

    def read_file(self, commit: str, path: str) -> bytes:
        data = self._git.execute(
            ["git", "cat-file", "blob", f"{commit}:{path}"],
            stdout_as_string=False,
            strip_newline_in_stdout=False,
        )
        # GitPython returns bytes here (stdout_as_string=False); this narrows its untyped result.
        assert isinstance(data, bytes)  # noqa: S101
        return data

    def branches(self) -> dict[str, str]:
        if not self._check_exists():
            return {}
        out = self._run("ls-remote", "--heads", self.url)
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
                self._write_blob(os.fsencode(local.link), local.sha1)
        lines = [f"{local.mode} {local.sha1}\t{path}" for path, local in change.uploads]
        lines += [f"0 {'0' * 40}\t{path}" for path in change.deletes]
        tree = self._write_tree(parent, lines)
        check_commit(
            self.description,
            self.tree(parent) if parent is not None else {},
            self.tree(tree),
            dict(change.uploads),
            change.deletes,
            "nothing was written",
        )
        commit = self._commit_tree(tree, parent, title, body)
        self._push(commit, parent)
        return commit

    def restore(
        self, parent: str, snapshot_commit: str, paths: Collection[str], title: str, body: str
    ) -> str:
        if not self._has_object(snapshot_commit):
            self._run(
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
        commit = self._commit_tree(self._write_tree(parent, lines), parent, title, body)
        self._push(commit, parent)
        return commit

    def create_branch(self, name: str, commit: str) -> None:
        self._run("push", "--quiet", self.url, f"{commit}:refs/heads/{name}", detached=True)

    def delete_branch(self, name: str) -> None:
        self._run("push", "--quiet", self.url, f":refs/heads/{name}", detached=True)

    # -- plumbing ----------------------------------------------------------------------------

    def _write_tree(self, parent: str | None, index_lines: list[str]) -> str:
        with tempfile.TemporaryDirectory(prefix="hfsync-index-") as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            if parent is None:
                self._run("read-tree", "--empty", env=env)
            else:
                self._run("read-tree", parent, env=env)
            info = Path(tmp, "info")
            info.write_text("".join(line + "\0" for line in index_lines), encoding="utf-8")
            with info.open("rb") as stream:
                self._run("update-index", "-z", "--index-info", env=env, istream=stream)
            return self._run("write-tree", env=env).strip()

    def _write_blob(self, data: bytes, expected: str) -> None:
        """Store `data` (a symlink's target text) as a blob in the object database."""
        with tempfile.TemporaryDirectory(prefix="hfsync-blob-") as tmp:
            blob = Path(tmp, "blob")
            blob.write_bytes(data)
            written = self._run("hash-object", "-w", "--no-filters", "--", str(blob)).strip()
        if written != expected:
            raise RemoteError(f"git stored the link text as {written}, not {expected}")

    def _commit_tree(self, tree: str, parent: str | None, title: str, body: str) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".msg", delete=False) as handle:
            handle.write(f"{title}\n\n{body}")
        try:
            args = ["commit-tree", tree, "-F", handle.name]
            if parent is not None:
                args += ["-p", parent]
            return self._run(*args, env=self._identity()).strip()
        finally:
            os.unlink(handle.name)

    def _push(self, commit: str, expected: str | None) -> None:
        """Push `commit` with a lease on `expected`. A push that failed in a way worth retrying
        is retried after reading the branch: done if it holds `commit` (the answer was lost),
        RemoteMovedError if it holds anything but `expected`."""
        from git import GitCommandError

        ref = f"refs/heads/{self.branch}"
        attempt = 0

        def push() -> None:
            nonlocal attempt
            attempt += 1
            if attempt > 1:
                now = self._run("ls-remote", self.url, ref).split()
                head = now[0] if now else None
                if head == commit:
                    return
                if head != expected:
                    raise RemoteMovedError(f"{self.description} moved while hfsync was writing")
            self._git.execute(
                [
                    "git",
                    *self._limits,
                    "push",
                    "--porcelain",
                    f"--force-with-lease={ref}:{expected or ''}",
                    self.url,
                    f"{commit}:{ref}",
                ],
                start_new_session=True,  # see `_run`'s `detached`
            )

        try:
            retry.call(push, git_errors.classify, self.policy, f"push to {self.description}")
        except (GitCommandError, retry.GaveUp) as exc:
            failure = exc.failure if isinstance(exc, retry.GaveUp) else exc
            if git_errors.is_moved(failure):
                raise RemoteMovedError(
                    f"{self.description} moved while hfsync was writing"
                ) from None
            raise _error(f"push to {self.description}", exc, self.url) from None
        self._run("update-ref", f"{self._ns}/head", commit)

    def _identity(self) -> dict[str, str]:
        env = {}
        for var, fallback in _FALLBACK_IDENTITY.items():
            if var not in os.environ:
                key = "user.email" if var.endswith("EMAIL") else "user.name"
                configured = self._config(key)
                env[var] = configured or fallback
        return env

    def _config(self, key: str) -> str | None:
        from git import GitCommandError

        try:
            return self._git.execute(["git", "config", "--get", key]).strip() or None
        except GitCommandError:
            return None

    def _has_object(self, oid: str) -> bool:
        from git import GitCommandError

        try:
            self._git.execute(["git", "cat-file", "-e", f"{oid}^{{commit}}"])
        except GitCommandError:
            return False
        return True

    def _run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        istream: Any = None,
        detached: bool = False,
    ) -> str:
        """Run git; `detached` runs it in its own session, so that a Ctrl-C meant for hfsync
        (sent to the terminal's whole process group) does not kill a push half-way: hfsync
        lets the push finish, then stops."""
        from git import GitCommandError

        def execute() -> object:
            return self._git.execute(
                ["git", *self._limits, *args],
                env=env,
                istream=istream,
                strip_newline_in_stdout=False,
                start_new_session=detached,
            )

        try:
            if istream is not None:  # a stream is read once: not repeatable
                out = execute()
            else:
                out = retry.call(
                    execute, git_errors.classify, self.policy, f"git {args[0]} on {self.url}"
                )
        except (GitCommandError, retry.GaveUp) as exc:
            raise _error(f"git {args[0]} on {self.description}", exc, self.url) from None
        # GitPython returns str here; this narrows its untyped result.
        assert isinstance(out, str)  # noqa: S101
        return out


_CREDENTIAL_SIGNS = (
    "terminal prompts disabled",
    "could not read Username",
    "could not read Password",
    "Authentication failed",
    "Permission denied (publickey",
)


def needs_credentials(exc: Any) -> bool:
    """True when git failed because the remote wants credentials it was not given."""
    text = str(exc.stderr or "")
    return any(sign in text for sign in _CREDENTIAL_SIGNS)


def credentials_message(url: str) -> str:
    return (
        f"git needs credentials for {redact(url)}: give git a credential helper "
        "('git config --global credential.helper ...') or an ssh key, or a token in the URL "
        "from a secret; hfsync never prompts"
    )


def _error(what: str, exc: Exception, url: str) -> RemoteError:
    """TemporaryError (exit 6) when git failed on the network and retries did not help, with
    git's whole message; RemoteError (exit 4) otherwise."""
    failure = exc.failure if isinstance(exc, retry.GaveUp) else exc
    if needs_credentials(failure):
        return RemoteError(credentials_message(url))
    if isinstance(exc, retry.GaveUp):
        tries = f" after {exc.attempts} attempts" if exc.attempts > 1 else ""
        text = git_errors.message(exc.failure)
        return TemporaryError(f"{what} failed{tries} ({exc.transient.kind}): {text}")
    return RemoteError(f"{what} failed: {git_errors.message(exc)}")


def _log_entry(entry: str) -> RemoteCommit:
    commit_id, _, rest = entry.lstrip("\n").partition("\n")
    parents, _, message = rest.partition("\n")
    return RemoteCommit(id=commit_id, message=message, parents=tuple(parents.split()))
