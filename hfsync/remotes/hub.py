"""Hub targets: a Space, model or dataset repo through the Hub HTTP API (huggingface_hub's HfApi).

Same contract as the git remote: a commit is one `create_commit` pinned to the head the plan was
made on (`parent_commit`: the Hub answers 412 when the branch moved; `hub_commit.py`), backups
are branches, and a rollback copies LFS files server-side instead of uploading them again. Trees
are cached on disk by commit id (`hub_tree_cache.py`): a run whose remote has not moved lists
nothing, and a commit hfsync wrote is cached as a patch on its parent (it costs what it changes).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync.core.commit_check import check_commit
from hfsync.core.errors import RefusedError, RemoteError
from hfsync.core.snapshot import RemoteFile
from hfsync.remotes import Change, RemoteCommit
from hfsync.remotes.hub_client import HubClient
from hfsync.remotes.hub_commit import create_commit
from hfsync.remotes.hub_head import read_head
from hfsync.remotes.hub_history import commit_info, iter_commits
from hfsync.remotes.hub_limits import CommitLimits, split_change
from hfsync.remotes.hub_moved import renamed_note
from hfsync.remotes.hub_space import SpaceRuntime
from hfsync.remotes.hub_tree_cache import TreeCache
from hfsync.remotes.hub_trees import list_tree, paths_info
from hfsync.remotes.hub_upload import Prepared, addition, prepare_uploads, written_entries

if TYPE_CHECKING:
    from hfsync.core.meter import Meter
    from hfsync.local.source import Source

log = logging.getLogger("hfsync.hub")


class HubRemote:
    """One branch of one Hub repo."""

    drops_gitignored = True  # the Hub leaves out of a commit what the repo's .gitignore matches
    keeps_links = False  # the Hub API stores files only: a link is synced as the file it names
    keeps_modes = False  # the Hub lists no file modes

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
        self.client = HubClient(repo_id, repo_type, branch, endpoint, token)
        self.repo_id = repo_id
        self.repo_type = repo_type
        self.branch = branch
        self.where = self.client.where
        self.description = self.client.description
        self.endpoint = self.client.endpoint
        self.space = SpaceRuntime(self.client)
        self._create = create
        self._private = private
        self._space_sdk = space_sdk
        self._trees = TreeCache(cache_dir / repo_type / repo_id.replace("/", "--") / "trees")
        # Operations `prepare` made ready, by (path, blob id): `commit` sends them as they are.
        self._prepared: dict[tuple[str, str], Prepared] = {}
        self.limits = limits or CommitLimits()
        self.missing: str | None = None
        self.sent_bytes: int | None = None  # what the last `prepare` sent, when Xet measured it
        self.notice: str | None = None  # the repo's new id, when the Hub redirected the old one

    # -- reading -----------------------------------------------------------------------------

    def head(self) -> str | None:
        """The branch head; None when the repo or branch is missing and `create` is set (the
        plan is then made against an empty remote, and only a real run creates it)."""
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:
            sha, new_id = self.client.call(lambda: read_head(self.client), "read the head")
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
        self.notice = renamed_note(self.repo_type, self.repo_id, new_id) if new_id else None
        return sha

    def create_missing(self) -> str | None:
        """Create the repo and/or branch `head` found missing; what was created, or None."""
        from huggingface_hub import constants

        if self.missing is None:
            return None
        created = []
        if self.missing == self.where:
            self.client.call(
                lambda: self.client.api.create_repo(
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
                self.client.call(
                    lambda: self.client.api.create_branch(
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
        cached = self._trees.get(commit)
        if cached is not None:
            return cached
        tree = list_tree(self.client, commit)
        self._trees.put(commit, tree)
        return tree

    def iter_commits(self, head: str) -> Iterator[RemoteCommit]:
        """Page by page, each page a call of its own (retried alone, as a read)."""
        return iter_commits(self.client, head)

    def commit_info(self, commit: str) -> RemoteCommit:
        return commit_info(self.client, commit)

    def prepare(
        self, change: Change, source: Source, meter: Meter | None = None
    ) -> dict[str, RemoteFile]:
        """Preupload the uploads of `change` (`hub_upload.py`); `commit` then sends these same
        operations."""
        self._prepared, entries, self.sent_bytes = prepare_uploads(
            self.client, change, source, meter
        )
        return entries

    def read_file(self, commit: str, path: str) -> bytes:
        local = self.client.call(
            lambda: self.client.api.hf_hub_download(
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
            refs = self.client.call(
                lambda: self.client.api.list_repo_refs(self.repo_id, repo_type=self.repo_type),
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
        # The entries of the paths the change touches, at the parent of the next part: each
        # part is checked and cached on these alone, never on the parent's whole tree.
        known = dict(change.before)
        commit = parent
        for number, part in enumerate(parts, start=1):
            operations: list[Any] = [
                CommitOperationDelete(path_in_repo=path) for path in part.deletes
            ]
            additions: list[Prepared] = []
            for path, local in part.uploads:
                prepared = self._prepared.pop((path, local.sha1), None)
                operation, pinned = prepared or addition(path, local, source)
                operations.append(operation)
                additions.append((operation, pinned))
            part_title = title if len(parts) == 1 else f"{title} (part {number}/{len(parts)})"
            touched = [path for path, _ in part.uploads] + list(part.deletes)
            before = {path: known[path] for path in touched if path in known}
            hot_reload = change.hot_reload and len(parts) == 1
            part_parent = commit
            try:
                commit = create_commit(
                    self.client, operations, commit, part_title, body, self.head, hot_reload
                )
            except RemoteError as exc:
                if number == 1:
                    raise
                raise type(exc)(
                    f"{exc} (parts 1 to {number - 1} of {len(parts)} landed, up to commit "
                    f"{commit}; the next run completes the sync)"
                ) from exc.__cause__
            after = self._written(part_parent, commit, before, part.deletes, additions)
            for path in touched:
                if path in after:
                    known[path] = after[path]
                else:
                    known.pop(path, None)
            # What the Hub kept is what the preupload answers said (a file its .gitignore
            # matches is dropped) and what paths-info shows: hold it to the plan.
            check_commit(
                self.description,
                before,
                after,
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
        for path in sorted(paths):
            entry = wanted.get(path)
            if entry is None or current.get(path) == entry:
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
        commit = create_commit(self.client, operations, parent, title, body, self.head)
        restored = {path: wanted[path] for path in paths if path in wanted}
        self._trees.put_patch(
            commit, parent, restored, [path for path in paths if path not in wanted]
        )
        return commit

    def create_branch(self, name: str, commit: str) -> None:
        self.client.call(
            lambda: self.client.api.create_branch(
                self.repo_id, branch=name, revision=commit, repo_type=self.repo_type
            ),
            "create a branch",
        )

    def delete_branch(self, name: str) -> None:
        self.client.call(
            lambda: self.client.api.delete_branch(
                self.repo_id, branch=name, repo_type=self.repo_type
            ),
            "delete a branch",
        )

    def _written(
        self,
        parent: str | None,
        commit: str,
        before: dict[str, RemoteFile],
        deletes: Collection[str],
        additions: list[Prepared],
    ) -> dict[str, RemoteFile]:
        """The entries the new commit has at the paths it touched (`before`: theirs at the
        parent), and the commit cached as a patch on its parent (a first commit: whole): the
        entries known from what was sent, the others read back with paths-info. Should that
        fail, the commit's tree is listed (the commit has landed: a failure costs time only)."""
        touched = [*deletes, *(operation.path_in_repo for operation, _ in additions)]
        deleted = set(deletes)
        after = {path: entry for path, entry in before.items() if path not in deleted}
        written, unknown = written_entries(additions)
        after.update(written)
        if unknown:
            try:
                found = paths_info(self.client, commit, unknown)
            except RemoteError as exc:
                log.warning("could not read back the new files (%s); listing the commit", exc)
                tree = self.tree(commit)
                return {path: tree[path] for path in touched if path in tree}
            for path in unknown:
                if path in found:
                    after[path] = found[path]
                else:
                    after.pop(path, None)
        if parent is None:
            self._trees.put(commit, after)
        else:
            gone = [path for path in touched if path not in after]
            self._trees.put_patch(commit, parent, after, gone)
        return after
