"""A remote edit the source took in (the same deletion, the same bytes), seen by a run that had
nothing to write, stays resolved when the source changes the path again.

Found by the soak (seed 901, round 361): the remote and the source both deleted
`data/#hash.txt`, the sync had nothing to do (no hfsync commit, so the base still held the file),
then the source added the path again: the plan called it "deleted on the remote since hfsync last
wrote it", `skip` left the new file out and `abort` refused the sync. Only an agreement a run saw
counts (seed 913, round 83: the source deleted and re-added the file between two runs while the
remote deleted it: a conflict).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from tests.helpers_git import commit_all, git, hfsync, write_files

SPACE = "user/taken-in"
NAME = "data/#hash.txt"  # the soak's name; the fix does not depend on it


class Remote:
    """The target, and a second client that edits it."""

    def __init__(self, kind: str, tmp_path: Path, api: HfApi | None) -> None:
        self.kind, self.api = kind, api
        self.bare, self.clone = tmp_path / "target.git", tmp_path / "other"
        if kind == "hub":
            self.config = (
                f'[[targets]]\nname = "t"\nrepo = "{SPACE}"\ncreate = true\n'
                'allow = ["space-config:README.md"]\n'
            )
        else:
            self.config = f'[[targets]]\nname = "t"\nurl = "{self.bare}"\ncreate = true\n'
        self.config += 'paths = ["app/**", "data/**"]\n'

    def edit(self, path: str, data: bytes | None) -> None:
        """Write (or delete, with None) `path` on the remote as someone else."""
        if self.api is not None:
            operation = (
                CommitOperationDelete(path_in_repo=path)
                if data is None
                else CommitOperationAdd(path_in_repo=path, path_or_fileobj=data)
            )
            self.api.create_commit(SPACE, [operation], commit_message="edit", repo_type="space")
            return
        if not self.clone.exists():
            git(self.clone.parent, "clone", "-q", str(self.bare), str(self.clone))
        git(self.clone, "pull", "-q", "--ff-only")
        if data is None:
            git(self.clone, "rm", "-q", "--", path)
        else:
            write_files(self.clone, {path: data})
        commit_all(self.clone, "edit")
        git(self.clone, "push", "-q", "origin", "HEAD:main")

    def files(self) -> dict[str, bytes]:
        if self.api is not None:
            from huggingface_hub import hf_hub_download
            from huggingface_hub.hf_api import RepoFile

            entries = self.api.list_repo_tree(SPACE, recursive=True, repo_type="space")
            return {
                e.path: Path(
                    hf_hub_download(
                        SPACE,
                        e.path,
                        repo_type="space",
                        endpoint=self.api.endpoint,
                        token=self.api.token,
                    )
                ).read_bytes()
                for e in entries
                if isinstance(e, RepoFile) and e.path.startswith(("app/", "data/"))
            }
        listing = git(self.bare, "ls-tree", "-r", "--name-only", "-z", "main")
        return {path: git_bytes(self.bare, f"main:{path}") for path in listing.split("\0") if path}


def git_bytes(repo: Path, spec: str) -> bytes:
    import subprocess

    return subprocess.run(
        ["git", "cat-file", "blob", spec], cwd=repo, capture_output=True, check=True
    ).stdout


def run(repo: Path, *args: str) -> tuple[int, str]:
    done = hfsync(repo, "run", "--rev", "HEAD", *args)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(params=["hub", "git"])
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Remote:
    if request.param == "git":
        return Remote("git", tmp_path, None)
    hub_api: HfApi = request.getfixturevalue("api")
    request.getfixturevalue("env")
    return Remote("hub", tmp_path, hub_api)


@pytest.mark.parametrize(
    ("remote_version", "policy"),
    [(None, "skip"), (b"remote edit\n", "abort")],
    ids=["deleted-on-both-sides-then-added-again", "remote-edit-brought-in-then-edited-again"],
)
def test_a_remote_edit_the_source_took_in_stays_resolved_when_the_source_changes_it_again(
    make_repo, remote: Remote, remote_version: bytes | None, policy: str
) -> None:
    repo = make_repo({"hfsync.toml": remote.config, "app/main.py": "x = 1\n", NAME: "first\n"})
    assert run(repo)[0] == 0

    # Someone edits (or deletes) the file on the remote; the source takes the same version in.
    remote.edit(NAME, remote_version)
    if remote_version is None:
        git(repo, "rm", "-q", "--", NAME)
    else:
        write_files(repo, {NAME: remote_version})
    commit_all(repo, "take the remote's edit in")
    code, out = run(repo)
    assert code == 0, out
    assert "nothing to do" in out.lower(), out  # no hfsync commit: the base is not rewritten

    # The source changes the path again: that is a local change, not a remote edit.
    write_files(repo, {NAME: b"\x00 new content, binary: no 3-way merge can tell\n"})
    commit_all(repo, "change it again")
    code, out = run(repo, "--on-conflict", policy)
    assert code == 0, out
    assert "conflict" not in out.lower(), out
    assert remote.files()[NAME] == b"\x00 new content, binary: no 3-way merge can tell\n"


def test_a_remote_deletion_the_source_never_took_in_is_still_a_conflict(
    make_repo, remote: Remote
) -> None:
    repo = make_repo({"hfsync.toml": remote.config, "app/main.py": "x = 1\n", NAME: "first\n"})
    assert run(repo)[0] == 0
    remote.edit(NAME, None)
    write_files(repo, {NAME: "edited here while it was deleted there\n"})
    commit_all(repo, "edit")
    code, out = run(repo)
    assert code == 3, out
    assert NAME in out
    assert NAME not in remote.files()


def test_a_deletion_on_both_sides_no_run_saw_is_still_a_conflict(make_repo, remote: Remote) -> None:
    repo = make_repo({"hfsync.toml": remote.config, "app/main.py": "x = 1\n", NAME: "first\n"})
    assert run(repo)[0] == 0
    git(repo, "rm", "-q", "--", NAME)
    commit_all(repo, "delete")
    write_files(repo, {NAME: "added again\n"})
    commit_all(repo, "add again")
    remote.edit(NAME, None)  # deleted there after it was deleted here: not taken in
    code, out = run(repo)
    assert code == 3, out
    assert NAME in out
    assert NAME not in remote.files()


def test_an_agreement_seen_with_the_working_tree_does_not_settle_a_commit_run(
    make_repo, remote: Remote
) -> None:
    repo = make_repo({"hfsync.toml": remote.config, "app/main.py": "x = 1\n", NAME: "first\n"})
    assert run(repo)[0] == 0
    remote.edit(NAME, b"remote edit\n")
    write_files(repo, {NAME: b"remote edit\n"})  # brought in, not committed
    status = hfsync(repo, "status", "--worktree")
    assert status.returncode == 0, status.stdout + status.stderr
    git(repo, "checkout", "--", NAME)  # and dropped again
    code, out = run(repo)  # HEAD never held the remote's edit
    assert code == 3, out
    assert remote.files()[NAME] == b"remote edit\n"
