"""Data safety over every remote kind: a sync never deletes, leaks or fakes what the plan did not
name (issue 8, items 5-12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.contract.conftest import Project, Side
from tests.contract.sides import GitSide
from tests.helpers_unprivileged import hfsync_unprivileged, nobody_dir, open_to_nobody

__all__ = ["nobody_dir"]  # a fixture

WIDE = """
[[targets]]
name = "space"
{target}
allow = ["space-config:README.md"]
max_delete = 20
"""


def use_config(project: Project, template: str, **extra: str) -> None:
    """Replace the project's hfsync.toml (committed) with `template` for this side."""
    project.write({"hfsync.toml": template.format(target=project.side.target_config(), **extra)})
    project.commit("config")


def test_prune_never_deletes_the_remotes_gitattributes(project: Project) -> None:
    use_config(project, WIDE)
    project.sync()
    if project.side.kind == "git":  # a Hub repo is created with one; put one on the git remote
        project.side.edit({".gitattributes": "*.bin filter=lfs diff=lfs merge=lfs -text\n"})
    plan = project.plan("--prune")
    assert ".gitattributes" not in [
        op["path"] for op in plan["operations"] if op["action"] == "delete"
    ]
    project.sync("--prune")
    assert ".gitattributes" in json.dumps(project.plan("--prune"))  # kept, with its reason
    assert ".gitattributes" in remote_paths(project)


def error_lines(stderr: str) -> list[str]:
    """The error lines of a run's stderr (progress lines go there too)."""
    return [line for line in stderr.splitlines() if line.startswith("hfsync: error:")]


def remote_paths(project: Project) -> set[str]:
    """Every path of the remote branch, the Hub's own .gitattributes included."""
    side = project.side
    if side.kind == "git":
        return set(side.files())
    from huggingface_hub.hf_api import RepoFile

    entries = side.api.list_repo_tree(side.repo_id, recursive=True, repo_type="space")
    return {entry.path for entry in entries if isinstance(entry, RepoFile)}


@pytest.mark.parametrize("verify", ["1", "0"], ids=["verified", "not-verified"])
def test_unreadable_directory_is_an_error_not_a_deletion(
    side: Side, nobody_dir: Path, verify: str
) -> None:
    """Also as users run it, without HFSYNC_VERIFY_PLAN (its full plan reads the working tree
    from disk, and says so): git stages what it can see of the working tree, and only warns
    about a directory it cannot open; an incremental plan or a listing from that tree took the
    directory's files for deleted."""
    if side.kind == "git":  # the remote too must be open to the unprivileged user
        side = GitSide(nobody_dir)
    project = Project(nobody_dir / "project", side)
    project.write({"app/main.py": "print()\n"})
    project.commit("app")
    project.write({"app/gen/out.txt": "generated\n"})  # untracked: synced from the working tree
    project.sync()
    head = project.side.head()
    assert project.side.files()["app/gen/out.txt"] == b"generated\n"

    open_to_nobody(nobody_dir)
    (project.root / "app" / "gen").chmod(0)
    try:
        env = {**project.side.env(), "HFSYNC_VERIFY_PLAN": verify}
        done = hfsync_unprivileged(project.root, nobody_dir, "run", env=env)
    finally:
        (project.root / "app" / "gen").chmod(0o700)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot read directory 'app/gen'" in done.stderr
    assert len(error_lines(done.stderr)) == 1
    assert project.side.head() == head
    assert project.side.files()["app/gen/out.txt"] == b"generated\n"


EXCLUDING = """
[[targets]]
name = "space"
{target}
allow = ["space-config:README.md"]
paths = ["app/**", "README.md"]
exclude = ["app/secret/"]
"""


def test_symlinks_never_carry_out_excluded_or_ignored_files(project: Project) -> None:
    use_config(project, EXCLUDING)
    project.write({".gitignore": ".env\n", ".env": "TOKEN=hf_secret\n"})
    project.write({"app/secret/key.pem": "PRIVATE KEY\n", "notes/out.txt": "not in paths\n"})
    project.commit("secrets beside the app")
    project.sync()
    head = project.side.head()

    links = {
        "app/env": "../.env",  # git-ignored (and outside the paths)
        "app/key.pem": "secret/key.pem",  # in `exclude`
        "app/notes.txt": "../notes/out.txt",  # outside the paths
    }
    for link, target in links.items():
        (project.root / link).symlink_to(target)
        project.commit(f"link {link}")
        for source in ("--worktree", "--rev=HEAD"):
            done = project.hfsync("run", source)
            assert done.returncode == 2, (link, source, done.stdout + done.stderr)
            assert f"symlink '{link}' -> '{target}'" in done.stderr, done.stderr
            assert len(error_lines(done.stderr)) == 1
        (project.root / link).unlink()
        project.commit(f"unlink {link}")
    assert project.side.head() == head
    assert not {"app/env", "app/key.pem", "app/notes.txt"} & set(project.side.files())


TWO_TARGETS = """
[[targets]]
name = "app"
{target}
allow = ["space-config:README.md"]
paths = ["app/**"]

[[targets]]
name = "docs"
{target}
allow = ["space-config:README.md"]
paths = ["docs/**"]
"""


def test_rollback_restores_only_the_targets_scope(project: Project) -> None:
    use_config(project, TWO_TARGETS)
    project.write({"docs/guide.md": "v1\n"})
    project.commit("docs")
    project.sync()
    before_app_change = project.side.head()
    project.write({"app/util.py": "X = 2\n", "app/new.py": "new\n"})
    project.commit("app change")
    project.sync("--target", "app")
    project.write({"docs/guide.md": "v2\n"})
    project.commit("docs change")
    project.sync("--target", "docs")
    project.side.edit({"human.txt": "added by hand\n"})

    listed = json.loads(project.hfsync("backups", "--target", "app", "--json").stdout)
    (backup,) = [b["name"] for b in listed if b["commit"] == before_app_change]
    done = project.hfsync("rollback", backup, "--target", "app")
    assert done.returncode == 0, done.stdout + done.stderr

    files = project.side.files()
    assert files["app/util.py"] == b"X = 1\n" and "app/new.py" not in files  # app: rolled back
    assert files["docs/guide.md"] == b"v2\n"  # the other target's newer deploy stays
    assert files["human.txt"] == b"added by hand\n"  # a file outside the scope stays
    assert project.side.changed_paths(project.side.head()) == ["app/new.py", "app/util.py"]


def test_files_the_spaces_gitignore_drops_are_reported_not_committed(project: Project) -> None:
    project.sync()
    project.side.edit({".gitignore": "*.log\n"})
    project.write({"app/debug.log": "noise\n"})
    project.commit("a log file")
    head, branches = project.side.head(), project.side.branches()

    for _ in range(2):  # every run: no empty commit, no backup, no rebuild
        done = project.sync()
        if project.side.kind == "git":  # git keeps every file it is given
            break
        assert "ignored by the Space's .gitignore" in done.stdout
        assert "nothing to do" in done.stdout
        assert project.side.head() == head
        assert project.side.branches() == branches
    files = project.side.files()
    assert ("app/debug.log" in files) == (project.side.kind == "git")


def test_remote_file_where_the_source_has_a_folder_is_a_conflict(project: Project) -> None:
    project.sync()
    project.side.edit({"app/x": "a file added on the remote\n"})
    project.write({"app/x/a.py": "A = 1\n"})
    project.commit("a folder named like the remote's file")
    head = project.side.head()

    done = project.hfsync("run")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "the remote has a file 'app/x' where the source has a folder" in done.stderr
    assert project.side.head() == head

    for policy in ("skip", "overwrite"):
        done = project.hfsync("run", "--on-conflict", policy)
        assert done.returncode == (0 if policy == "skip" else 3), done.stdout + done.stderr
        files = project.side.files()
        assert files["app/x"] == b"a file added on the remote\n"
        assert "app/x/a.py" not in files


def test_overwrite_never_deletes_a_folder_the_remote_made_of_a_file(project: Project) -> None:
    project.sync()
    project.side.edit({}, deletes=("app/util.py",))
    project.side.edit({"app/util.py/notes.md": "a folder now\n"})
    head = project.side.head()

    done = project.hfsync("run", "--on-conflict", "overwrite")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "the remote has a folder 'app/util.py/' where the source has a file" in done.stderr
    assert project.side.head() == head
    assert project.side.files()["app/util.py/notes.md"] == b"a folder now\n"
