"""Hub targets: a Space, model or dataset repo through the Hub HTTP API (huggingface_hub's HfApi).

Same contract as the git remote: a commit is one `create_commit` pinned to the head the plan was
made on (`parent_commit`: the Hub answers 412 when the branch moved), backups are branches, and a
rollback copies LFS files server-side instead of uploading them again. Trees are immutable per
commit, so they are cached on disk by commit id: a run whose remote has not moved lists nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from hfsync.core.errors import RefusedError, RemoteError, RemoteMovedError
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.remotes import Change, RemoteCommit
from hfsync.remotes.hub_errors import (
    error_class,
    explain,
    is_missing_token,
    is_network_error,
    retry_after,
    status_of,
)
from hfsync.remotes.hub_limits import CommitLimits, split_change

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hfsync.local.source import Source

T = TypeVar("T")
PATHS_INFO_CHUNK = 500
INLINE_SIZE = 1 << 20  # uploads up to this size are read once and sent as the bytes checked
TREE_CACHE_VERSION = 2
TREES_KEPT = 4  # cached trees kept on disk: the head's, and a few for backups and bases
MAX_RATE_LIMIT_WAIT = 60.0


class HubRemote:
    """One branch of one Hub repo."""

    def __init__(
        self,
        repo_id: str,
        repo_type: str,
        branch: str,
        *,
        create: bool,
        private: bool,
        space_sdk: str,
        cache_dir: Path,
        endpoint: str | None = None,
        token: str | None = None,
        limits: CommitLimits | None = None,
    ) -> None:
        from huggingface_hub import HfApi

        self.repo_id = repo_id
        self.repo_type = repo_type
        self.branch = branch
        self.where = f"{repo_type} {repo_id}"
        self.description = f"{self.where} (branch {branch})"
        self.api: HfApi = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT"), token=token)
        self._create = create
        self._private = private
        self._space_sdk = space_sdk
        self._trees = cache_dir / repo_type / repo_id.replace("/", "--") / "trees"
        self._tree: dict[str, dict[str, RemoteFile]] = {}  # the last tree read, by commit
        self.limits = limits or CommitLimits()

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> str | None:
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:
            info = self._call(
                lambda: self.api.repo_info(
                    self.repo_id, repo_type=self.repo_type, revision=self.branch
                )
            )
        except RemoteError as exc:
            cause = exc.__cause__
            if isinstance(cause, RepositoryNotFoundError) and self._create:
                self._create_repo()
                return self.head()
            if isinstance(cause, RevisionNotFoundError):
                if self._create:
                    self._call(
                        lambda: self.api.create_branch(
                            self.repo_id, branch=self.branch, repo_type=self.repo_type
                        )
                    )
                    return self.head()
                raise RefusedError(
                    f"branch '{self.branch}' does not exist on {self.repo_type} {self.repo_id}; "
                    "create it or set 'create = true'"
                ) from None
            raise
        sha: str | None = info.sha
        return sha

    def tree(self, commit: str) -> dict[str, RemoteFile]:
        """A commit's tree: from memory (the head and the base are often one commit), else from
        the cache on disk, else listed. The same dict may be returned again: do not change it."""
        if commit in self._tree:
            return self._tree[commit]
        cached = self._load_tree(commit)
        if cached is not None:
            self._tree = {commit: cached}
            return cached
        from huggingface_hub.hf_api import RepoFile

        def listing() -> dict[str, RemoteFile]:
            files = {}
            for entry in self.api.list_repo_tree(
                self.repo_id, recursive=True, revision=commit, repo_type=self.repo_type
            ):
                if isinstance(entry, RepoFile):
                    files[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
            return files

        tree = self._call(listing)
        self._save_tree(commit, tree)
        return tree

    def iter_commits(self, head: str) -> Iterator[RemoteCommit]:
        from huggingface_hub.utils import build_hf_headers, paginate

        url = (
            f"{self.api.endpoint}/api/{self.repo_type}s/{self.repo_id}/commits/"
            f"{quote(head, safe='')}"
        )
        headers = build_hf_headers(token=self.api.token)
        pages = iter(paginate(url, params={}, headers=headers))
        while True:
            item = self._call(lambda: next(pages, None), retry_rate_limit=False)
            if item is None:
                return
            message = item.get("title", "")
            if item.get("message"):
                message += "\n\n" + item["message"]
            yield RemoteCommit(id=item["id"], message=message)

    def read_file(self, commit: str, path: str) -> bytes:
        local = self._call(
            lambda: self.api.hf_hub_download(
                self.repo_id, path, revision=commit, repo_type=self.repo_type
            )
        )
        return Path(local).read_bytes()

    def branches(self) -> dict[str, str]:
        refs = self._call(lambda: self.api.list_repo_refs(self.repo_id, repo_type=self.repo_type))
        return {ref.name: ref.target_commit for ref in refs.branches}

    # -- writing -----------------------------------------------------------------------------

    def commit(
        self, parent: str | None, change: Change, source: Source, title: str, body: str
    ) -> str:
        """One commit, or, when one would exceed the Hub's limits, several in a row, each
        pinned to the previous one and carrying the same trailers (a crash between two leaves a
        state the next run's plan completes)."""
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        parts = split_change(change, self.limits)
        commit = parent
        for number, part in enumerate(parts, start=1):
            operations: list[Any] = [
                CommitOperationDelete(path_in_repo=path) for path in part.deletes
            ]
            additions: list[tuple[Any, LocalFile | None]] = []
            for path, local in part.uploads:
                on_disk = source.local_file_path(local.path)
                if on_disk is None or local.size <= INLINE_SIZE:
                    # The bytes the plan hashed (read_bytes checks): what lands is then known.
                    content: str | bytes = source.read_bytes(local.path)
                    pinned: LocalFile | None = local
                else:
                    content, pinned = str(on_disk), None
                addition = CommitOperationAdd(path_in_repo=path, path_or_fileobj=content)
                operations.append(addition)
                additions.append((addition, pinned))
            part_title = title if len(parts) == 1 else f"{title} (part {number}/{len(parts)})"
            tree = dict(self.tree(commit)) if commit else {}
            commit = self._create_commit(operations, commit, part_title, body)
            for path in part.deletes:
                tree.pop(path, None)
            written, unknown = _written_entries(additions)
            tree.update(written)
            if unknown:
                tree.update(self._paths_info(commit, unknown))
            self._save_tree(commit, tree)
        # split_change returns at least one part, so a commit was made; this narrows the type.
        assert commit is not None  # noqa: S101
        return commit

    def restore(self, parent: str, snapshot_commit: str, title: str, body: str) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete

        wanted, current = self.tree(snapshot_commit), self.tree(parent)
        operations: list[Any] = [
            CommitOperationDelete(path_in_repo=path) for path in current if path not in wanted
        ]
        for path, entry in wanted.items():
            if current.get(path) == entry:
                continue
            if entry.is_lfs:  # copied on the server: no LFS content travels
                operations.append(
                    CommitOperationCopy(
                        src_path_in_repo=path, path_in_repo=path, src_revision=snapshot_commit
                    )
                )
            else:
                content = self.read_file(snapshot_commit, path)
                operations.append(CommitOperationAdd(path_in_repo=path, path_or_fileobj=content))
        commit = self._create_commit(operations, parent, title, body)
        self._save_tree(commit, wanted)
        return commit

    def create_branch(self, name: str, commit: str) -> None:
        self._call(
            lambda: self.api.create_branch(
                self.repo_id, branch=name, revision=commit, repo_type=self.repo_type
            )
        )

    def delete_branch(self, name: str) -> None:
        self._call(
            lambda: self.api.delete_branch(self.repo_id, branch=name, repo_type=self.repo_type)
        )

    # -- Spaces ------------------------------------------------------------------------------

    def space_stage(self) -> str:
        """The Space's runtime stage (RUNNING, BUILDING, BUILD_ERROR, ...)."""
        runtime = self._call(lambda: self.api.get_space_runtime(self.repo_id))
        return str(runtime.stage)

    def space_error_message(self) -> str | None:
        """What the Hub says went wrong with the Space's build or start, if anything."""
        runtime = self._call(lambda: self.api.get_space_runtime(self.repo_id))
        message = runtime.raw.get("errorMessage") if isinstance(runtime.raw, dict) else None
        return message if isinstance(message, str) and message.strip() else None

    # -- helpers -----------------------------------------------------------------------------

    def _create_commit(
        self, operations: list[Any], parent: str | None, title: str, body: str
    ) -> str:
        from huggingface_hub.errors import HfHubHTTPError

        def post() -> str:
            info = self.api.create_commit(
                self.repo_id,
                operations,
                commit_message=title,
                commit_description=body,
                repo_type=self.repo_type,
                revision=self.branch,
                parent_commit=parent,
            )
            return str(info.oid)

        try:
            commit = self._call(post)
        except RemoteError as exc:
            cause = exc.__cause__
            if isinstance(cause, HfHubHTTPError) and status_of(cause) == 412:
                raise RemoteMovedError(
                    f"{self.description} moved while hfsync was writing"
                ) from None
            if cause is not None and is_network_error(cause):
                return self._landed_commit(parent, title, body, cause)
            raise
        self._confirm_own_commit(commit, parent, title, body)
        return commit

    def _landed_commit(
        self, parent: str | None, title: str, body: str, cause: BaseException
    ) -> str:
        """After the connection broke during the commit POST: our commit if it landed.

        If it did not, RemoteMovedError makes the engine re-plan; the pinned parent makes the
        retry safe either way (never a duplicate, never a lost commit).
        """
        head = self.head()
        if head is not None and head != parent:
            try:
                self._confirm_own_commit(head, parent, title, body)
            except RemoteMovedError:
                pass
            else:
                return head
        raise RemoteMovedError(f"lost the connection to the Hub while committing: {cause}")

    def _confirm_own_commit(self, commit: str, parent: str | None, title: str, body: str) -> None:
        """Make sure `commit` is the one just written on top of `parent`.

        When every file already has the content sent, the client skips the POST and returns
        the branch's current head instead, whatever `parent_commit` says; that head may be
        someone else's commit, which must not be taken for ours. Our body is unique (its
        `HFSync-Run` trailer), so the message tells.
        """
        newest = self.iter_commits(commit)
        first, second = next(newest, None), next(newest, None)
        ours = (
            first is not None
            and first.message.partition("\n")[0] == title
            and body.strip() in first.message
        )
        on_parent = (second.id if second else None) == parent
        if not (ours and on_parent):
            raise RemoteMovedError(f"{self.description} moved and already holds these changes")

    def _paths_info(self, commit: str, paths: list[str]) -> dict[str, RemoteFile]:
        from huggingface_hub.hf_api import RepoFile

        found: dict[str, RemoteFile] = {}
        for start in range(0, len(paths), PATHS_INFO_CHUNK):
            chunk = paths[start : start + PATHS_INFO_CHUNK]
            entries = self._call(
                lambda chunk=chunk: self.api.get_paths_info(  # type: ignore[misc]
                    self.repo_id, chunk, revision=commit, repo_type=self.repo_type
                )
            )
            for entry in entries:
                if isinstance(entry, RepoFile):
                    found[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
        return found

    def _create_repo(self) -> None:
        self._call(
            lambda: self.api.create_repo(
                self.repo_id,
                repo_type=self.repo_type,
                private=self._private,
                space_sdk=self._space_sdk if self.repo_type == "space" else None,
                exist_ok=True,
            )
        )
        self._create = False

    def _call(self, action: Callable[[], T], retry_rate_limit: bool = True) -> T:
        """Run one client call, turning the client's errors into one-line RemoteErrors.

        A 429 asking for a short wait is waited out once; a longer one ends the run (exit 4)
        with the time to wait.
        """
        from huggingface_hub.errors import HfHubHTTPError

        while True:
            try:
                return action()
            except HfHubHTTPError as exc:
                wait = retry_after(exc)
                if retry_rate_limit and wait is not None and wait <= MAX_RATE_LIMIT_WAIT:
                    retry_rate_limit = False
                    time.sleep(wait)
                    continue
                error = error_class(exc)
                raise error(explain(exc, self.where, self.api.endpoint)) from exc
            except Exception as exc:
                if is_network_error(exc) or is_missing_token(exc):
                    error = error_class(exc)
                    raise error(explain(exc, self.where, self.api.endpoint)) from exc
                raise

    def _load_tree(self, commit: str) -> dict[str, RemoteFile] | None:
        """The cached tree of `commit`, or None (missing, corrupt, another version)."""
        try:
            data = json.loads((self._trees / f"{commit}.json").read_text(encoding="utf-8"))
            if data["version"] != TREE_CACHE_VERSION:
                return None
            paths, oids, sizes = data["paths"], data["oids"], data["sizes"]
            if not len(paths) == len(oids) == len(sizes):
                return None
            # Columns, not one object per path: about 4x quicker to load at 100,000 paths.
            return dict(zip(paths, map(RemoteFile, oids, sizes), strict=True))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _save_tree(self, commit: str, tree: dict[str, RemoteFile]) -> None:
        """Cache `commit`'s tree on disk (trees are immutable per commit) and in memory; keep
        only the newest few on disk."""
        self._tree = {commit: tree}
        self._trees.mkdir(parents=True, exist_ok=True)
        data = {
            "version": TREE_CACHE_VERSION,
            "paths": list(tree),
            "oids": [entry.oid for entry in tree.values()],
            "sizes": [entry.size for entry in tree.values()],
        }
        fd, tmp = tempfile.mkstemp(dir=self._trees, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, separators=(",", ":"))
            os.replace(tmp, self._trees / f"{commit}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        saved = sorted(self._trees.glob("*.json"), key=_mtime, reverse=True)
        for old in saved[TREES_KEPT:]:
            old.unlink(missing_ok=True)


def _written_entries(
    additions: list[tuple[Any, LocalFile | None]],
) -> tuple[dict[str, RemoteFile], list[str]]:
    """The tree entries a commit of these additions wrote, as far as they are known without
    asking the Hub; and the paths whose entry must be asked for (paths-info).

    The preupload answer said, for each addition, how the Hub stores it: an LFS entry is the
    SHA-256 the client computed of the bytes it uploaded; a regular one is the git blob of the
    bytes sent, known when they were pinned (read and checked against the plan). A file the
    Space's .gitignore made the client skip wrote nothing.
    """
    written: dict[str, RemoteFile] = {}
    unknown: list[str] = []
    for addition, pinned in additions:
        mode = getattr(addition, "_upload_mode", None)
        if getattr(addition, "_should_ignore", None):
            continue
        if mode == "lfs":
            info = addition.upload_info
            written[addition.path_in_repo] = RemoteFile(info.sha256.hex(), info.size)
        elif mode == "regular" and pinned is not None:
            written[addition.path_in_repo] = RemoteFile(pinned.sha1, pinned.size)
        else:
            unknown.append(addition.path_in_repo)
    return written, unknown


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0


def _remote_file(blob_id: str, size: int, lfs: Any) -> RemoteFile:
    if lfs is not None:
        return RemoteFile(oid=lfs.sha256, size=lfs.size)
    return RemoteFile(oid=blob_id, size=size)
