"""`hfsync rollback` on every remote kind, through the CLI: it shows its plan first, honours
max_delete and --force, treats files hfsync did not write as `run` does, has --dry-run; and
repeated rollbacks step back one deploy at a time, with `hfsync backups` marking where the
remote is and which backup comes next."""

from __future__ import annotations

import json

from tests.contract.conftest import CONFIG, Project

NEW = [f"app/new{i}.py" for i in range(5)]


def backups(project: Project) -> list[dict[str, object]]:
    done = project.hfsync("backups", "--json")
    assert done.returncode == 0, done.stderr
    found: list[dict[str, object]] = json.loads(done.stdout)
    return found


def test_rollback_shows_its_plan_and_honours_max_delete_and_files_it_did_not_write(
    project: Project,
) -> None:
    project.sync()
    v1 = project.side.files()
    project.write({"app/util.py": "X = 2\n", **{path: "new\n" for path in NEW}})
    project.commit("v2: five new files")
    project.sync()
    project.side.edit({"app/human.py": "added by a person\n"})  # in scope, after the backup
    head, branches = project.side.head(), project.side.branches()

    done = project.hfsync("rollback")  # 5 deletions > max_delete = 3
    assert done.returncode == 2, done.stdout + done.stderr
    assert "space: 1 to upload, 5 to delete, 0 remote edit(s)" in done.stdout
    assert "1 remote-only left alone (--prune deletes them)" in done.stdout
    assert "  delete   app/new0.py  (not in the backup)" in done.stdout
    assert "  upload   app/util.py  (as in the backup)" in done.stdout
    assert "the plan deletes 5 files, more than max_delete = 3" in done.stderr
    assert (project.side.head(), project.side.branches()) == (head, branches)  # nothing written

    dry = project.hfsync("rollback", "--dry-run", "--force")
    assert dry.returncode == 0, dry.stderr
    assert "5 to delete" in dry.stdout and "space: dry run: nothing written" in dry.stdout
    assert (project.side.head(), project.side.branches()) == (head, branches)

    done = project.hfsync("rollback", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    files = project.side.files()
    assert files == {**v1, "app/human.py": b"added by a person\n"}  # the person's file stays

    # The next sync deploys the source again and still leaves the person's file alone.
    done = project.sync()
    files = project.side.files()
    assert files["app/human.py"] == b"added by a person\n" and "app/new4.py" in files
    assert "1 remote-only left alone" in done.stdout


def test_rollback_over_a_remote_edit_follows_the_conflict_policy(project: Project) -> None:
    project.sync()
    project.write({"app/util.py": "X = 2\n"})
    project.commit("v2")
    project.sync()
    project.side.edit({"app/util.py": "X = 'edited on the remote'\n"})
    head = project.side.head()

    done = project.hfsync("rollback")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "1 remote edit(s) would be overwritten: app/util.py" in done.stderr
    assert project.side.head() == head

    done = project.hfsync("rollback", "--on-conflict", "overwrite")
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.side.files()["app/util.py"] == b"X = 1\n"


def test_rollback_twice_steps_back_twice(project: Project) -> None:
    config = CONFIG.format(target=project.side.target_config())
    project.write({"hfsync.toml": config.replace("backup_keep = 3", "backup_keep = 10")})
    project.commit("keep every backup")
    versions = []
    for version in ("1", "2", "3"):
        project.write({"app/util.py": f"X = {version}\n"})
        project.commit(f"v{version}")
        project.sync()
        versions.append(project.side.files())
    v1, v2, v3 = versions

    done = project.hfsync("rollback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.side.files() == v2
    listed = backups(project)
    (current,) = [b for b in listed if b["current"]]
    (following,) = [b for b in listed if b["next"]]
    assert project.side.files(str(current["name"])) == v2
    assert project.side.files(str(following["name"])) == v1  # not v3: no toggling back
    text = project.hfsync("backups").stdout
    assert f"{current['name']}  {str(current['commit'])[:12]}" in text
    assert [line.split()[0] for line in text.splitlines() if line.endswith("  remote now")] == [
        current["name"]
    ]
    assert [line.split()[0] for line in text.splitlines() if line.endswith("next rollback")] == [
        following["name"]
    ]

    done = project.hfsync("rollback")
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.side.files() == v1

    head = project.side.head()
    done = project.hfsync("rollback")
    if project.side.kind == "git":  # nothing before v1: the branch began with it
        assert done.returncode == 2, done.stdout + done.stderr
        assert project.side.head() == head
    else:  # before v1 stands the Space as the Hub made it (its README.md): one step further back
        assert done.returncode == 0, done.stdout + done.stderr
        assert "app/util.py" not in project.side.files()
        head = project.side.head()
        done = project.hfsync("rollback")
        assert done.returncode == 2, done.stdout + done.stderr
        assert project.side.head() == head

    # A backup named on purpose is restored, whichever it is: v3 again.
    (v3_backup,) = [b for b in backups(project) if project.side.files(str(b["name"])) == v3]
    done = project.hfsync("rollback", str(v3_backup["name"]))
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.side.files() == v3
