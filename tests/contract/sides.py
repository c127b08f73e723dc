"""The remote side of the contract suite: one class per remote kind, same questions.

A side creates the target, answers what its branch holds, and plays the person who edits the
Space behind hfsync's back (a second clone for git, the Hub client for the Hub).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import git


class GitSide:
    """A local bare repository as the target; a second clone is the person editing it."""

    kind = "git"

    def __init__(self, tmp_path: Path) -> None:
        self.url = tmp_path / "remote.git"
        self._editor = tmp_path / "editor"

    def target_config(self) -> str:
        return f'url = "{self.url}"\ncreate = true'

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

    def edit(
        self, files: dict[str, str], deletes: tuple[str, ...] = (), message: str = "web edit"
    ) -> str:
        """Commit an edit on the remote branch as someone else would, and return its id."""
        if not self._editor.exists():
            git(self.url.parent, "clone", "-q", str(self.url), str(self._editor))
        git(self._editor, "pull", "-q", "--ff-only")
        for name, content in files.items():
            path = self._editor / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        for name in deletes:
            (self._editor / name).unlink()
        git(self._editor, "add", "-A")
        git(self._editor, "commit", "-q", "-m", message)
        git(self._editor, "push", "-q", "origin", "HEAD:main")
        return git(self._editor, "rev-parse", "HEAD").strip()
