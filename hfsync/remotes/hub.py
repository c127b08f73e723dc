"""Hub targets: a Space, model or dataset repo through the Hub HTTP API (huggingface_hub's HfApi).

Same contract as the git remote: a commit is one `create_commit` pinned to the head the plan was
made on (`parent_commit`: the Hub answers 412 when the branch moved), backups are branches, and a
rollback copies LFS files server-side instead of uploading them again. Trees are immutable per
commit, so they are cached on disk by commit id: a run whose remote has not moved lists nothing.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
from collections.abc import Callable, Collection, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from hfsync.core.commit_check import check_commit
from hfsync.core.errors import RefusedError, RemoteError, RemoteMovedError, SourceError
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.remotes import Change, RemoteCommit, retry
from hfsync.remotes.hub_errors import classify, error_for, is_missing_token, status_of
from hfsync.remotes.hub_head import COMMIT_ID, revision_url
from hfsync.remotes.hub_limits import CommitLimits, split_change

if TYPE_CHECKING:
    from huggingface_hub import HfApi

    from hfsync.core.meter import Meter
    from hfsync.local.source import Source

T = TypeVar("T")
PATHS_INFO_CHUNK = 500
INLINE_SIZE = 1 << 20  # uploads up to this size are read once and sent as the bytes checked
UPLOAD_BATCH = 64 << 20  # with progress shown, large files go up in batches of about this size
PREUPLOAD_CHUNK = 1024  # uploads per preupload call: 4 of the client's 256-path requests
PREUPLOAD_STREAMS = 2  # preupload calls at a time
TREE_CACHE_VERSION = 2
TREES_KEPT = 4  # cached trees kept on disk: the head's, and a few for backups and bases
log = logging.getLogger("hfsync.hub")


class HubRemote:
    """One branch of one Hub repo."""

    drops_gitignored = True  # the Hub leaves out of a commit what the repo's .gitignore matches
    keeps_links = False  # the Hub API stores files only: a link is synced as the file it names

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
        from huggingface_hub import constants

        self.repo_id = repo_id
        self.repo_type = repo_type
        self.branch = branch
        self.where = f"{repo_type} {repo_id}"
        self.description = f"{self.where} (branch {branch})"
        # As the client picks it: the argument, else HF_ENDPOINT, else the public Hub.
        self.endpoint: str = (
            endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
        ).rstrip("/")
        self._token = token
        self._create = create
        self._private = private
        self._space_sdk = space_sdk
        self._trees = cache_dir / repo_type / repo_id.replace("/", "--") / "trees"
        self._tree: dict[str, dict[str, RemoteFile]] = {}  # the last tree read, by commit
        # Operations `prepare` made ready, by (path, blob id): `commit` sends them as they are.
        self._prepared: dict[tuple[str, str], tuple[Any, LocalFile | None]] = {}
        self.limits = limits or CommitLimits()
        self.policy = retry.RetryPolicy.from_env()
        retry.configure_client(self.policy)
        self.missing: str | None = None
        self.sent_bytes: int | None = None  # what the last `prepare` sent, when measured
        self._xet: Any = None

    @functools.cached_property
    def api(self) -> HfApi:
        """The Hub client, made on first use: importing it costs more than the rest of a
        no-change run, which only reads the head."""
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=self._token)

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> str | None:
        """The branch head; None when the repo or branch is missing and `create` is set (the
        plan is then made against an empty remote, and only a real run creates it)."""
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:
            sha = self._call(self._read_head, "read the head")
        except RemoteError as exc:
            cause = exc.__cause__
            if isinstance(cause, RepositoryNotFoundError) and self._create:
                self.missing = f"{self.where}"
                return None
            if isinstance(cause, RevisionNotFoundError):
                if self._create:
                    self.missing = f"branch '{self.branch}' of {self.where}"
                    return None
                raise RefusedError(
                    f"branch '{self.branch}' does not exist on {self.repo_type} {self.repo_id}; "
                    "create it or set 'create = true'"
                ) from None
            raise
        self.missing = None
        return sha

    def _read_head(self) -> str | None:
        """The GET `HfApi.repo_info(expand=["sha"])` makes (same URL, headers and error
        mapping), without making the client: a no-change run needs nothing else from the Hub."""
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        url = revision_url(self.endpoint, self.repo_type, self.repo_id, self.branch)
        response = get_session().get(url, headers=build_hf_headers(token=self._token))
        hf_raise_for_status(response)
        try:
            sha = response.json().get("sha")
        except (ValueError, AttributeError):
            sha = ""
        if sha is not None and not (isinstance(sha, str) and COMMIT_ID.fullmatch(sha)):
            raise RemoteError(
                f"the Hub's answer for the head of {self.description} is not a commit id; "
                f"check HF_ENDPOINT ({self.endpoint})"
            )
        return sha

    def create_missing(self) -> str | None:
        """Create the repo and/or branch `head` found missing; what was created, or None."""
        from huggingface_hub import constants

        if self.missing is None:
            return None
        created = []
        if self.missing == self.where:
            self._call(
                lambda: self.api.create_repo(
                    self.repo_id,
                    repo_type=self.repo_type,
                    private=self._private,
                    space_sdk=self._space_sdk if self.repo_type == "space" else None,
                    exist_ok=True,
                ),
                "create the repo",
            )
            created.append(f"created {self.where}")
            # A new repo has the default branch (asking for it again cost a request)
            has_branch = self.branch == constants.DEFAULT_REVISION
        else:
            has_branch = self.branch in self.branches()
        if not has_branch:
            try:
                self._call(
                    lambda: self.api.create_branch(
                        self.repo_id, branch=self.branch, repo_type=self.repo_type, exist_ok=True
                    ),
                    "create the branch",
                )
            except RemoteError:
                if self.branch not in self.branches():
                    raise
            created.append(f"created branch '{self.branch}'")
        self.missing = None
        return ", ".join(created) or None

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

        tree = self._call(listing, "list the files")
        self._save_tree(commit, tree)
        return tree

    def iter_commits(self, head: str) -> Iterator[RemoteCommit]:
        """Page by page, each page a call of its own (retried alone, as a read)."""
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        url: str | None = (
            f"{self.endpoint}/api/{self.repo_type}s/{self.repo_id}/commits/{quote(head, safe='')}"
        )
        headers = build_hf_headers(token=self._token)

        def page(address: str) -> tuple[list[dict[str, Any]], str | None]:
            response = get_session().get(address, headers=headers)
            hf_raise_for_status(response)
            following = response.links.get("next", {}).get("url")
            return response.json(), following

        while url is not None:
            items, url = self._call(partial(page, url), "read the history")
            for item in items:
                message = item.get("title", "")
                if item.get("message"):
                    message += "\n\n" + item["message"]
                yield RemoteCommit(id=item["id"], message=message)

    def commit_info(self, commit: str) -> RemoteCommit:
        """The commit and its parent: the Hub's listing from a commit starts with it, then (for a
        commit that is not a merge, as hfsync's never are) its parent."""
        newest = self.iter_commits(commit)
        first, second = next(newest, None), next(newest, None)
        if first is None:
            raise RemoteError(f"commit {commit[:12]} not found on {self.description}")
        parents = (second.id,) if second is not None else ()
        return RemoteCommit(id=first.id, message=first.message, parents=parents)

    def prepare(
        self, change: Change, source: Source, meter: Meter | None = None
    ) -> dict[str, RemoteFile]:
        """Ask the Hub how it will store each upload (preupload: regular or LFS, uploading LFS
        content now); `commit` then sends these same operations.

        With a `meter` and more than UPLOAD_BATCH bytes of large files, they are uploaded in
        batches of about that size, each counted once the Hub has it (one preupload and one
        Xet session per batch); otherwise in one go."""
        # A commit's blobs are read by one git process, not one per upload.
        in_git = [local.path for _, local in change.uploads] if source.commit is not None else []
        blobs = dict(source.read_many(in_git))
        prepared = {
            path: _addition(path, local, source, blobs.get(local.path))
            for path, local in change.uploads
        }
        sizes = {path: local.size for path, local in change.uploads}
        batches = _upload_batches(sizes) if meter is not None else [list(sizes)]
        large = [size for size in sizes.values() if size > INLINE_SIZE]
        task = None
        if meter is not None and len(batches) > 1:
            task = meter("sent", len(large), sum(large))
        # The Hub decides what a `.gitignore` being committed drops from what the client sends
        # with each preupload call; the client sends it only with the call that uploads it.
        gitignore = _gitignore_content([addition for addition, _ in prepared.values()])
        self.sent_bytes = None
        try:
            for batch in batches:
                self._preupload([prepared[path][0] for path in batch], gitignore)
                if task is not None:
                    done = [sizes[path] for path in batch if sizes[path] > INLINE_SIZE]
                    task.advance(sum(done), len(done))
        finally:
            if task is not None:
                task.close()
        self._prepared = {(path, local.sha1): prepared[path] for path, local in change.uploads}
        entries = {}
        for path, local in change.uploads:
            addition = prepared[path][0]
            if addition._should_ignore:  # the Space's .gitignore drops it: the tree keeps its entry
                continue
            if addition._upload_mode == "lfs":
                entries[path] = RemoteFile(addition.upload_info.sha256.hex(), local.size)
            else:
                entries[path] = RemoteFile(local.sha1, local.size)
        return entries

    def _preupload(self, operations: list[Any], gitignore: str | None) -> None:
        """Preupload `operations`: many of them in calls of PREUPLOAD_CHUNK, PREUPLOAD_STREAMS
        at a time, so that the client's work on one overlaps the Hub's on another (a
        10,000-file first sync waited ~1 s on 40 requests made one after the other). Every
        call carries the `.gitignore` being committed (`gitignore`), whichever call uploads it."""
        chunks = [
            operations[start : start + PREUPLOAD_CHUNK]
            for start in range(0, len(operations), PREUPLOAD_CHUNK)
        ]
        if len(chunks) <= 1:
            self._count_sent(self._preupload_call(operations, gitignore))
            return
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(PREUPLOAD_STREAMS, thread_name_prefix="hfsync-preupload")
        try:
            calls = [pool.submit(self._preupload_call, chunk, gitignore) for chunk in chunks]
            for future in calls:
                self._count_sent(future.result())
        finally:  # on a failure or Ctrl-C: the calls not started are dropped
            pool.shutdown(wait=True, cancel_futures=True)

    def _count_sent(self, sent: int | None) -> None:
        if sent is not None:
            self.sent_bytes = (self.sent_bytes or 0) + sent

    def _preupload_call(self, operations: list[Any], gitignore: str | None) -> int | None:
        """Preupload one chunk; the bytes sent, when Xet measured them (see hub_xet)."""
        if not operations:
            return None
        from hfsync.remotes.hub_xet import preupload

        try:
            return self._call(
                lambda: preupload(
                    self.api,
                    self.repo_id,
                    self.repo_type,
                    self.branch,
                    operations,
                    gitignore,
                    self._xet_session,
                ),
                "preupload",
            )
        except (ConnectionError, RuntimeError) as exc:  # hf_xet's own, after its retries
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RemoteError(
                f"uploading file content to {self.where} through Xet failed: {reason}; "
                "nothing was committed"
            ) from exc

    def _xet_session(self) -> Any:
        """This remote's hf_xet session, made on first use (a runtime and a connection pool)."""
        if self._xet is None:
            import hf_xet

            self._xet = hf_xet.XetSession()
        return self._xet

    def read_file(self, commit: str, path: str) -> bytes:
        local = self._call(
            lambda: self.api.hf_hub_download(
                self.repo_id, path, revision=commit, repo_type=self.repo_type
            ),
            "download a file",
        )
        return Path(local).read_bytes()

    def branches(self) -> dict[str, str]:
        from huggingface_hub.errors import RepositoryNotFoundError

        if self.missing == self.where:
            return {}
        try:
            refs = self._call(
                lambda: self.api.list_repo_refs(self.repo_id, repo_type=self.repo_type),
                "list the branches",
            )
        except RemoteError as exc:
            if isinstance(exc.__cause__, RepositoryNotFoundError) and self._create:
                self.missing = self.where
                return {}
            raise
        return {ref.name: ref.target_commit for ref in refs.branches}

    # -- writing -----------------------------------------------------------------------------

    def commit(
        self, parent: str | None, change: Change, source: Source, title: str, body: str
    ) -> str:
        """One commit, or, when one would exceed the Hub's limits, several in a row, each
        pinned to the previous one and carrying the same trailers (a crash between two leaves a
        state the next run's plan completes)."""
        from huggingface_hub import CommitOperationDelete

        parts = split_change(change, self.limits)
        commit = parent
        for number, part in enumerate(parts, start=1):
            operations: list[Any] = [
                CommitOperationDelete(path_in_repo=path) for path in part.deletes
            ]
            additions: list[tuple[Any, LocalFile | None]] = []
            for path, local in part.uploads:
                prepared = self._prepared.pop((path, local.sha1), None)
                addition, pinned = prepared or _addition(path, local, source)
                operations.append(addition)
                additions.append((addition, pinned))
            part_title = title if len(parts) == 1 else f"{title} (part {number}/{len(parts)})"
            before = self.tree(commit) if commit else {}
            tree = dict(before)
            try:
                commit = self._create_commit(operations, commit, part_title, body)
            except RemoteError as exc:
                if number == 1:
                    raise
                raise type(exc)(
                    f"{exc} (parts 1 to {number - 1} of {len(parts)} landed, up to commit "
                    f"{commit}; the next run completes the sync)"
                ) from exc.__cause__
            for path in part.deletes:
                tree.pop(path, None)
            written, unknown = _written_entries(additions)
            tree.update(written)
            self._cache_new_tree(commit, tree, unknown)
            # What the Hub kept is what the preupload answers said (a file its .gitignore
            # matches is dropped) and what paths-info shows: hold it to the plan.
            check_commit(
                self.description,
                before,
                self.tree(commit),
                dict(part.uploads),
                part.deletes,
                f"commit {commit[:12]} is on the branch; a backup keeps the tree before it",
                content_may_be_newer=True,
            )
        # split_change returns at least one part, so a commit was made; this narrows the type.
        assert commit is not None  # noqa: S101
        return commit

    def restore(
        self, parent: str, snapshot_commit: str, paths: Collection[str], title: str, body: str
    ) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationCopy, CommitOperationDelete

        wanted, current = self.tree(snapshot_commit), self.tree(parent)
        operations: list[Any] = [
            CommitOperationDelete(path_in_repo=path)
            for path in sorted(paths)
            if path in current and path not in wanted
        ]
        result = {path: entry for path, entry in current.items() if path not in paths}
        for path in sorted(paths):
            entry = wanted.get(path)
            if entry is None:
                continue
            result[path] = entry
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
        self._save_tree(commit, result)
        return commit

    def create_branch(self, name: str, commit: str) -> None:
        self._call(
            lambda: self.api.create_branch(
                self.repo_id, branch=name, revision=commit, repo_type=self.repo_type
            ),
            "create a branch",
        )

    def delete_branch(self, name: str) -> None:
        self._call(
            lambda: self.api.delete_branch(self.repo_id, branch=name, repo_type=self.repo_type),
            "delete a branch",
        )

    # -- Spaces ------------------------------------------------------------------------------

    def space_stage(self) -> str:
        """The Space's runtime stage (RUNNING, BUILDING, BUILD_ERROR, ...)."""
        runtime = self._call(lambda: self.api.get_space_runtime(self.repo_id), "read the Space")
        return str(runtime.stage)

    def space_error_message(self) -> str | None:
        """What the Hub says went wrong with the Space's build or start, if anything."""
        runtime = self._call(lambda: self.api.get_space_runtime(self.repo_id), "read the Space")
        message = runtime.raw.get("errorMessage") if isinstance(runtime.raw, dict) else None
        return message if isinstance(message, str) and message.strip() else None

    def space_log_tail(self, build: bool) -> list[str]:
        """The last lines of the Space's build log (or run log), read with limits; RemoteError
        when it cannot be read."""
        from huggingface_hub.utils import build_hf_headers

        from hfsync.remotes.space_logs import log_url, read_log_tail

        headers = build_hf_headers(token=self.api.token)
        return read_log_tail(log_url(self.api.endpoint, self.repo_id, build), headers)

    # -- helpers -----------------------------------------------------------------------------

    def _create_commit(
        self, operations: list[Any], parent: str | None, title: str, body: str
    ) -> str:
        """One commit pinned to `parent`. A POST that failed in a way worth retrying is retried
        only after checking the branch: if the commit landed (the answer was lost), it is
        returned; if someone else moved the branch, RemoteMovedError (the engine re-plans)."""
        from huggingface_hub.errors import HfHubHTTPError

        attempt = 0

        def post() -> str:
            nonlocal attempt
            attempt += 1
            if attempt > 1 and parent is not None:
                landed = self._landed_commit(parent, title, body)
                if landed is not None:
                    return landed
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
            commit = self._call(post, "commit")
        except RemoteError as exc:
            cause = exc.__cause__
            if isinstance(cause, HfHubHTTPError) and status_of(cause) == 412:
                raise RemoteMovedError(
                    f"{self.description} moved while hfsync was writing"
                ) from None
            raise
        self._confirm_own_commit(commit, parent, title, body)
        return commit

    def _landed_commit(self, parent: str, title: str, body: str) -> str | None:
        """Before retrying a commit whose answer was lost: our commit if it landed, None if the
        branch is still at `parent`; RemoteMovedError if someone else's commit is there."""
        head = self.head()
        if head is None or head == parent:
            return None
        self._confirm_own_commit(head, parent, title, body)
        return head

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

    def _cache_new_tree(self, commit: str, tree: dict[str, RemoteFile], unknown: list[str]) -> None:
        """Cache the new commit's tree: the parent's with the part applied, the entries not
        known from what was sent read back with paths-info. The commit has landed: failing here
        only costs a listing on the next run."""
        if unknown:
            try:
                tree.update(self._paths_info(commit, unknown))
            except RemoteError as exc:
                log.warning("could not read back the new files (%s); the next run lists them", exc)
                return
        self._save_tree(commit, tree)

    def _paths_info(self, commit: str, paths: list[str]) -> dict[str, RemoteFile]:
        from huggingface_hub.hf_api import RepoFile

        found: dict[str, RemoteFile] = {}
        for start in range(0, len(paths), PATHS_INFO_CHUNK):
            chunk = paths[start : start + PATHS_INFO_CHUNK]
            entries = self._call(
                lambda chunk=chunk: self.api.get_paths_info(  # type: ignore[misc]
                    self.repo_id, chunk, revision=commit, repo_type=self.repo_type
                ),
                "read file details",
            )
            for entry in entries:
                if isinstance(entry, RepoFile):
                    found[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
        return found

    def _call(self, action: Callable[[], T], what: str) -> T:
        """Run one client call under the retry policy, turning the client's failures into
        one-line errors: TemporaryError (exit 6) or RemoteError (exit 4)."""
        from huggingface_hub.errors import HfHubHTTPError

        try:
            return retry.call(action, classify, self.policy, f"{what} on {self.where}")
        except retry.GaveUp as exc:
            raise error_for(exc.failure, self.where, self.endpoint, exc.attempts) from exc.failure
        except HfHubHTTPError as exc:
            raise error_for(exc, self.where, self.endpoint) from exc
        except Exception as exc:
            if is_missing_token(exc) or classify(exc) is not None:
                raise error_for(exc, self.where, self.endpoint) from exc
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


def _upload_batches(sizes: dict[str, int]) -> list[list[str]]:
    """The uploads in batches holding about UPLOAD_BATCH bytes of large files each (the small
    ones, sent inline with the commit, ride in the first); one batch when they all fit."""
    batches: list[list[str]] = [[path for path, size in sizes.items() if size <= INLINE_SIZE]]
    filled = 0
    for path, size in sizes.items():
        if size <= INLINE_SIZE:
            continue
        if filled and filled + size > UPLOAD_BATCH:
            batches.append([])
            filled = 0
        batches[-1].append(path)
        filled += size
    return batches


def _addition(
    path: str, local: LocalFile, source: Source, blob: bytes | None = None
) -> tuple[Any, LocalFile | None]:
    """The operation that uploads `local` to `path` (`blob`: its bytes, already read from git),
    and the file it is pinned to (None: sent from disk, its blob read back from the Hub)."""
    in_git = source.commit is not None
    content: str | bytes
    pinned: LocalFile | None = None
    if blob is not None:
        content, pinned = blob, local
    elif in_git or local.size <= INLINE_SIZE:
        # The bytes the plan hashed (read_bytes checks): what lands is then known.
        try:
            content, pinned = source.read_bytes(local.path), local
        except SourceError:
            if in_git:
                raise
            # Saved again since the plan (under `watch`): sent as it is now, as before
            # pinning, and the Hub is asked what landed.
            content = str(source.local_file_path(local.path))
    else:
        content = str(source.local_file_path(local.path))
    return _commit_operation_add()(path_in_repo=path, path_or_fileobj=content), pinned


def _gitignore_content(additions: list[Any]) -> str | None:
    """The text of the `.gitignore` among `additions`, read as the client reads it; None."""
    for addition in additions:
        if addition.path_in_repo == ".gitignore":
            with addition.as_file() as handle:
                return str(handle.read().decode(errors="replace"))
    return None


@functools.cache
def _commit_operation_add() -> Any:
    """The client's CommitOperationAdd: imported once (`from huggingface_hub import` goes
    through the package's lazy `__getattr__` each time, ~10 us, once per file uploaded)."""
    from huggingface_hub import CommitOperationAdd

    return CommitOperationAdd


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
