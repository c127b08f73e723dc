"""The sync contract, run over every remote kind: same scenarios, same expected results."""

from __future__ import annotations

import json
import shutil

from tests.contract.conftest import MODEL, Project, also_over_legacy_lfs
from tests.helpers_git import git

SYNCED = {
    "README.md": b"# demo\n",
    "app/main.py": b"print('hello')\n",
    "app/util.py": b"X = 1\n",
    "app/model.bin": MODEL,
}


def backups_of(project: Project) -> list[dict[str, str]]:
    done = project.hfsync("backups", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@also_over_legacy_lfs
def test_first_sync_uploads_everything_in_scope_then_nothing(project: Project) -> None:
    project.sync()
    assert project.side.files() == SYNCED
    head, branches = project.side.head(), project.side.branches()

    done = project.sync()
    assert "nothing to do" in done.stdout
    assert project.side.head() == head
    assert project.side.branches() == branches


def new_backups(project: Project, known: list[dict[str, str]]) -> list[dict[str, str]]:
    names = {b["name"] for b in known}  # by name: `current` and `next` change as the remote does
    return [b for b in backups_of(project) if b["name"] not in names]


@also_over_legacy_lfs
def test_one_changed_file_is_one_commit_with_one_backup(project: Project) -> None:
    project.sync()
    known = backups_of(project)  # a Hub repo has a first commit to back up; a new git repo none
    before = project.side.head()
    project.write({"app/util.py": "X = 2\n"})
    project.commit()

    project.sync()
    after = project.side.head()
    assert project.side.commits()[1] == before
    assert project.side.changed_paths(after) == ["app/util.py"]
    assert project.side.files()["app/util.py"] == b"X = 2\n"
    (backup,) = new_backups(project, known)
    assert backup["commit"] == before
    assert backup["name"].startswith("hfsync-backup-") and backup["name"].endswith(before[:7])


def test_deletion_is_propagated_and_out_of_scope_files_are_untouched(project: Project) -> None:
    project.sync()
    project.side.edit({"space-only/config.json": "{}"})
    project.delete("app/util.py")
    project.commit()

    project.sync()
    files = project.side.files()
    assert "app/util.py" not in files
    assert files["space-only/config.json"] == b"{}"


def test_max_delete_stops_a_mass_deletion_unless_forced(project: Project) -> None:
    project.write({f"app/gen/{i}.py": str(i) for i in range(5)})
    project.commit()
    project.sync()
    head = project.side.head()
    shutil.rmtree(project.root / "app" / "gen")
    project.commit()

    done = project.hfsync("run")
    assert done.returncode == 2
    assert "max_delete = 3" in done.stderr and "--force" in done.stderr
    assert project.side.head() == head

    project.sync("--force")
    assert not any(p.startswith("app/gen/") for p in project.side.files())


def test_remote_edit_aborts_with_exit_3_and_a_diff(project: Project) -> None:
    project.sync()
    known = backups_of(project)
    edit = project.side.edit({"app/main.py": "print('edited on the Hub')\n"})
    project.write({"app/util.py": "X = 3\n"})
    project.commit()

    done = project.hfsync("run")
    assert done.returncode == 3
    assert "app/main.py" in done.stderr
    assert project.side.head() == edit
    assert new_backups(project, known) == []

    status = project.hfsync("status")
    assert status.returncode == 0
    assert "-print('hello')" in status.stdout and "+print('edited on the Hub')" in status.stdout


def test_status_diff_applies_to_bring_the_edit_in(project: Project) -> None:
    project.sync()
    project.side.edit({"app/main.py": "print('edited on the Hub')\n"})
    status = project.hfsync("status", "--json")
    (report,) = json.loads(status.stdout)
    git(project.root, "apply", input="".join(report["diffs"]).encode())
    project.commit("bring the Hub edit in")

    assert project.plan()["operations"] == []
    assert project.hfsync("run").returncode == 0


def test_skip_syncs_the_rest_and_keeps_flagging_the_edit(project: Project) -> None:
    project.sync()
    project.side.edit({"app/main.py": "print('edited on the Hub')\n"})
    project.write({"app/util.py": "X = 3\n"})
    project.commit()

    done = project.hfsync("run", "--on-conflict", "skip")
    assert done.returncode == 0, done.stderr
    files = project.side.files()
    assert files["app/util.py"] == b"X = 3\n"
    assert files["app/main.py"] == b"print('edited on the Hub')\n"

    for _ in range(2):  # the next run and the one after
        project.write({"README.md": f"# demo {_}\n"})
        project.commit()
        again = project.hfsync("run")
        assert again.returncode == 3
        assert "app/main.py" in again.stderr
        skipped = project.hfsync("run", "--on-conflict", "skip")
        assert skipped.returncode == 0
        assert project.side.files()["app/main.py"] == b"print('edited on the Hub')\n"


@also_over_legacy_lfs
def test_overwrite_writes_and_the_backup_keeps_the_edit(project: Project) -> None:
    project.sync()
    known = backups_of(project)
    edit = project.side.edit({"app/main.py": "print('edited on the Hub')\n"})

    project.sync("--on-conflict", "overwrite")
    assert project.side.files()["app/main.py"] == b"print('hello')\n"
    (backup,) = new_backups(project, known)
    assert backup["commit"] == edit
    assert project.side.files(backup["name"])["app/main.py"] == b"print('edited on the Hub')\n"


@also_over_legacy_lfs
def test_rollback_restores_a_backup_tree_exactly(project: Project) -> None:
    project.sync()
    first_tree = project.side.files()
    known = backups_of(project)
    project.write({"app/util.py": "X = 2\n", "app/new.py": "new\n", "app/model.bin": MODEL[::-1]})
    project.commit()
    project.sync()
    (backup,) = new_backups(project, known)

    done = project.hfsync("rollback", backup["name"])
    assert done.returncode == 0, done.stderr
    assert project.side.files() == first_tree
    assert len(new_backups(project, known)) == 2  # the rollback backed up first

    # After a rollback the next sync deploys the source again.
    project.sync()
    assert project.side.files()["app/new.py"] == b"new\n"


def test_retention_keeps_backup_keep_backups(project: Project) -> None:
    project.sync()
    for i in range(5):
        project.write({"app/util.py": f"X = {i + 10}\n"})
        project.commit()
        project.sync()
    found = backups_of(project)
    assert len(found) == 3
    assert found[0]["commit"] == project.side.commits()[1]
    assert found == sorted(found, key=lambda b: b["name"], reverse=True)


def test_fresh_clone_plans_the_same(project: Project, tmp_path) -> None:
    project.sync()
    project.side.edit({"app/main.py": "print('edited')\n"})
    project.write({"app/util.py": "X = 5\n"})
    project.commit()
    original = project.plan("--on-conflict", "skip")

    clone = tmp_path / "fresh"
    git(tmp_path, "clone", "-q", str(project.root), str(clone))
    assert not (clone / ".git" / "hfsync").exists()
    fresh = project.plan("--on-conflict", "skip", cwd=clone)
    assert fresh == original
    assert [op["action"] for op in fresh["operations"]] == ["conflict", "upload"]
