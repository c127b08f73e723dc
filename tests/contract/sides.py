"""The remote side of the contract suite: one class per remote kind, same questions.

A side creates the target, answers what its branch holds, and plays the person who edits the
Space behind hfsync's back (a second clone for git, the Hub client for the Hub).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from tests.helpers_git import git

if TYPE_CHECKING:
    from hfsync.testing.hub import TestHub


class GitSide:
    """A local bare repository as the target; a second clone is the person editing it."""

    kind = "git"

    def __init__(self, tmp_path: Path) -> None:
        self.url = tmp_path / "remote.git"
        self._editor = tmp_path / "editor"

    def target_config(self) -> str:
        return f'url = "{self.url}"\ncreate = true'

    def env(self) -> dict[str, str]:
        return {}

    def head(self, branch: str = "main") -> str | None:
        if not self.url.exists():
            return None
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
            cwd=self.url,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip() or None

    def files(self, rev: str = "main") -> dict[str, bytes]:
        listing = git(self.url, "ls-tree", "-r", "-z", "--name-only", rev)
        return {
            path: subprocess.run(
                ["git", "cat-file", "blob", f"{rev}:{path}"],
                cwd=self.url,
                capture_output=True,
                check=True,
            ).stdout
            for path in listing.split("\0")
            if path
        }

    def branches(self) -> dict[str, str]:
        out = git(self.url, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
        return dict(line.split() for line in out.splitlines())

    def commits(self, rev: str = "main") -> list[str]:
        """Commit ids, newest first."""
        return git(self.url, "rev-list", "--first-parent", rev).split()

    def changed_paths(self, commit: str) -> list[str]:
        out = git(self.url, "diff-tree", "--root", "--no-commit-id", "-r", "--name-only", commit)
        return sorted(out.split())

    def last_message(self) -> str:
        return git(self.url, "log", "-1", "--format=%B", "main")

    def editor(self) -> Path:
        """A clone of the remote, at its main branch, for history surgery (amend, merge...)."""
        if not self._editor.exists():
            git(self.url.parent, "clone", "-q", str(self.url), str(self._editor))
        git(self._editor, "fetch", "-q", "origin")
        git(self._editor, "checkout", "-q", "-B", "main", "origin/main")
        return self._editor

    def edit(
        self,
        files: dict[str, str | bytes],
        deletes: tuple[str, ...] = (),
        message: str = "web edit",
    ) -> str:
        """Commit an edit on the remote branch as someone else would, and return its id."""
        if not self._editor.exists():
            git(self.url.parent, "clone", "-q", str(self.url), str(self._editor))
        git(self._editor, "pull", "-q", "--ff-only")
        for name, content in files.items():
            path = self._editor / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        for name in deletes:
            (self._editor / name).unlink()
        git(self._editor, "add", "-A")
        git(self._editor, "commit", "-q", "-m", message)
        git(self._editor, "push", "-q", "origin", "HEAD:main")
        return git(self._editor, "rev-parse", "HEAD").strip()


class HubSide:
    """A Space on the test Hub as the target; the real Hub client is the person editing it."""

    kind = "hub"
    repo_id = "user/demo"

    def __init__(self, hub: TestHub, token: str, *, xet: bool = True) -> None:
        from huggingface_hub import HfApi

        self.hub = hub
        self.token = token
        self.xet = xet
        self.api = HfApi(endpoint=hub.url, token=token)

    def target_config(self) -> str:
        return f'repo = "{self.repo_id}"\nrepo_type = "space"\ncreate = true'

    def env(self) -> dict[str, str]:
        """What the hfsync subprocess needs to reach the test Hub (never the real one)."""
        return {
            "HF_ENDPOINT": self.hub.url,
            "HF_TOKEN": self.token,
            "HF_HUB_DISABLE_XET": "0" if self.xet else "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
        }

    def head(self, branch: str = "main") -> str | None:
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:
            info = self.api.repo_info(self.repo_id, repo_type="space", revision=branch)
        except (RepositoryNotFoundError, RevisionNotFoundError):
            return None
        return info.sha

    def files(self, rev: str = "main") -> dict[str, bytes]:
        """The branch's files as the client downloads them (the Hub's own .gitattributes aside)."""
        from huggingface_hub.hf_api import RepoFile

        found = {}
        for entry in self.api.list_repo_tree(
            self.repo_id, recursive=True, revision=rev, repo_type="space"
        ):
            if isinstance(entry, RepoFile) and entry.path != ".gitattributes":
                local = self.api.hf_hub_download(
                    self.repo_id, entry.path, revision=rev, repo_type="space"
                )
                found[entry.path] = Path(local).read_bytes()
        return found

    def last_message(self) -> str:
        (last, *_) = self.api.list_repo_commits(self.repo_id, repo_type="space")
        return f"{last.title}\n\n{last.message}"

    def branches(self) -> dict[str, str]:
        refs = self.api.list_repo_refs(self.repo_id, repo_type="space")
        return {ref.name: ref.target_commit for ref in refs.branches}

    def commits(self, rev: str = "main") -> list[str]:
        return [
            c.commit_id
            for c in self.api.list_repo_commits(self.repo_id, repo_type="space", revision=rev)
        ]

    def changed_paths(self, commit: str) -> list[str]:
        bare = self.hub.git_dir("space", self.repo_id)
        out = git(bare, "diff-tree", "--root", "--no-commit-id", "-r", "--name-only", commit)
        return sorted(out.split())

    def edit(
        self,
        files: dict[str, str | bytes],
        deletes: tuple[str, ...] = (),
        message: str = "web edit",
    ) -> str:
        from huggingface_hub import CommitOperationAdd, CommitOperationDelete

        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationAdd(
                path_in_repo=name,
                path_or_fileobj=content.encode() if isinstance(content, str) else content,
            )
            for name, content in files.items()
        ]
        operations += [CommitOperationDelete(path_in_repo=name) for name in deletes]
        info = self.api.create_commit(
            self.repo_id, operations, commit_message=message, repo_type="space"
        )
        return info.oid
