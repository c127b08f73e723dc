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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from hfsync.errors import RemoteError, RemoteMovedError
from hfsync.remotes import Change, RemoteCommit
from hfsync.snapshot import LocalFile, RemoteFile

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hfsync.source import Source

T = TypeVar("T")
# Stages a Space passes through while it builds or starts (huggingface_hub's wait_for_space).
BUSY_STAGES = frozenset({"BUILDING", "RUNNING_BUILDING", "APP_STARTING", "RUNNING_APP_STARTING"})
FAILED_STAGES = frozenset({"BUILD_ERROR", "RUNTIME_ERROR", "CONFIG_ERROR", "NO_APP_FILE"})
PATHS_INFO_CHUNK = 500
MAX_RATE_LIMIT_WAIT = 60.0
REGULAR_FILE_LIMIT = 10 * 1024 * 1024  # larger files always go through LFS


@dataclass(frozen=True)
class CommitLimits:
    """What one Hub commit may hold (create_commit's documented limits)."""

    lfs_files: int = 25_000
    inline_bytes: int = 1_000_000_000


def split_change(change: Change, limits: CommitLimits) -> list[Change]:
    """`change` as the fewest commits within `limits`, in order; deletions go in the first.

    Files under 10 MiB are counted as inline content (the Hub may still store some as LFS, which
    only makes a part smaller than counted).
    """
    parts: list[Change] = []
    uploads: list[tuple[str, LocalFile]] = []
    inline = lfs = 0
    for path, local in change.uploads:
        is_lfs = local.size >= REGULAR_FILE_LIMIT
        too_big = (
            lfs + 1 > limits.lfs_files if is_lfs else inline + local.size > limits.inline_bytes
        )
        if uploads and too_big:
            parts.append(Change(tuple(uploads), change.deletes if not parts else ()))
            uploads, inline, lfs = [], 0, 0
        uploads.append((path, local))
        lfs += is_lfs
        inline += 0 if is_lfs else local.size
    parts.append(Change(tuple(uploads), change.deletes if not parts else ()))
    return parts


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
        self.description = f"{repo_type} {repo_id} (branch {branch})"
        self.api: HfApi = HfApi(endpoint=endpoint or os.environ.get("HF_ENDPOINT"), token=token)
        self._create = create
        self._private = private
        self._space_sdk = space_sdk
        self._trees = cache_dir / repo_type / repo_id.replace("/", "--") / "trees"
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
                raise RemoteError(
                    f"branch '{self.branch}' does not exist on {self.repo_type} {self.repo_id}; "
                    "create it or set 'create = true'"
                ) from None
            raise
        sha: str | None = info.sha
        return sha

    def tree(self, commit: str) -> dict[str, RemoteFile]:
        cached = self._load_tree(commit)
        if cached is not None:
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
            for path, local in part.uploads:
                on_disk = source.local_file_path(local.path)
                content = str(on_disk) if on_disk is not None else source.read_bytes(local.path)
                operations.append(CommitOperationAdd(path_in_repo=path, path_or_fileobj=content))
            part_title = title if len(parts) == 1 else f"{title} (part {number}/{len(parts)})"
            tree = dict(self.tree(commit)) if commit else {}
            commit = self._create_commit(operations, commit, part_title, body)
            for path in part.deletes:
                tree.pop(path, None)
            tree.update(self._paths_info(commit, [path for path, _ in part.uploads]))
            self._save_tree(commit, tree)
        assert commit is not None
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

    def wait_for_build(
        self,
        timeout: float,
        poll_interval: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> str:
        """Poll the Space until it leaves the building stages; return the final stage."""
        deadline = time.monotonic() + timeout
        stage = self.space_stage()
        while stage in BUSY_STAGES:
            if time.monotonic() >= deadline:
                raise RemoteError(
                    f"Space {self.repo_id} still {stage} after {timeout:.0f} s; "
                    "raise build_timeout or check the build logs"
                )
            sleep(poll_interval)
            stage = self.space_stage()
        return stage

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
            if isinstance(cause, HfHubHTTPError) and _status(cause) == 412:
                raise RemoteMovedError(
                    f"{self.description} moved while hfsync was writing"
                ) from None
            if cause is not None and _is_network_error(cause):
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
                wait = _retry_after(exc)
                if retry_rate_limit and wait is not None and wait <= MAX_RATE_LIMIT_WAIT:
                    retry_rate_limit = False
                    time.sleep(wait)
                    continue
                raise RemoteError(self._explain(exc)) from exc
            except Exception as exc:
                if _is_network_error(exc) or _is_missing_token(exc):
                    raise RemoteError(self._explain(exc)) from exc
                raise

    def _explain(self, exc: Exception) -> str:
        from huggingface_hub.errors import (
            HfHubHTTPError,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        where = f"{self.repo_type} {self.repo_id}"
        if _is_missing_token(exc):
            return "no Hub token: set HF_TOKEN or run 'hf auth login'"
        if isinstance(exc, RepositoryNotFoundError):
            return (
                f"{where} not found, or the token cannot see it: check the repo id and HF_TOKEN, "
                "or set 'create = true'"
            )
        if isinstance(exc, RevisionNotFoundError):
            return f"{where}: revision not found ({_server_message(exc)})"
        if isinstance(exc, HfHubHTTPError):
            status = _status(exc)
            if status == 401:
                return (
                    "the Hub rejected the token (401): set a valid HF_TOKEN or run 'hf auth login'"
                )
            if status == 403:
                return f"the token may not write to {where} (403): use a token with write access"
            if status == 429:
                wait = _retry_after(exc)
                when = f"in {wait:.0f} s" if wait is not None else "later"
                return f"the Hub rate-limits {where} (429): nothing was written; try again {when}"
            if status is not None and status >= 500:
                return (
                    f"the Hub failed ({status}) after retries: nothing was written; try again later"
                )
            return f"the Hub refused ({status}) on {where}: {_server_message(exc)}"
        return f"cannot reach the Hub at {self.api.endpoint}: {type(exc).__name__}: {exc}"

    def _load_tree(self, commit: str) -> dict[str, RemoteFile] | None:
        try:
            data = json.loads((self._trees / f"{commit}.json").read_text(encoding="utf-8"))
            return {path: RemoteFile(oid, size) for path, (oid, size) in data.items()}
        except (OSError, ValueError, TypeError):
            return None

    def _save_tree(self, commit: str, tree: dict[str, RemoteFile]) -> None:
        self._trees.mkdir(parents=True, exist_ok=True)
        data = {path: [entry.oid, entry.size] for path, entry in tree.items()}
        fd, tmp = tempfile.mkstemp(dir=self._trees, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(tmp, self._trees / f"{commit}.json")


def _remote_file(blob_id: str, size: int, lfs: Any) -> RemoteFile:
    if lfs is not None:
        return RemoteFile(oid=lfs.sha256, size=lfs.size)
    return RemoteFile(oid=blob_id, size=size)


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _server_message(exc: Exception) -> str:
    message = getattr(exc, "server_message", None) or str(exc).splitlines()[0]
    return str(message).strip()


def _retry_after(exc: Exception) -> float | None:
    """Seconds the Hub asks to wait on a 429 (`RateLimit: ...;t=N` or `Retry-After: N`)."""
    if _status(exc) != 429:
        return None
    headers = exc.response.headers  # type: ignore[attr-defined]
    for part in headers.get("RateLimit", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return float(value)
    retry_after = headers.get("Retry-After", "")
    return float(retry_after) if retry_after.isdigit() else None


def _is_network_error(exc: BaseException | None) -> bool:
    import httpx2

    return isinstance(exc, (httpx2.TransportError, ConnectionError, TimeoutError))


def _is_missing_token(exc: BaseException | None) -> bool:
    from huggingface_hub.errors import LocalTokenNotFoundError

    return isinstance(exc, LocalTokenNotFoundError)
