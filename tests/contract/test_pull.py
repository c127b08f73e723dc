"""`hfsync pull` (issue 21): remote edits come home into a working tree with local work, and a
resolution travels with the source to a fresh CI clone, over every remote kind."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.contract.conftest import Project
from tests.helpers_git import git, hfsync

MAIN = "".join(f"line {i}\n" for i in range(1, 21))
RECORD = ".hfsync/pulled.json"


def pulled(project: Project, *args: str) -> subprocess.CompletedProcess[str]:
    return project.hfsync("pull", *args)


def ci_clone(project: Project, tmp_path: Path) -> Path:
    """A fresh clone of the pushed source, as a CI runner makes it: no `.git/hfsync/`."""
    tmp_path.mkdir(exist_ok=True)
    origin = tmp_path / "origin.git"
    if not origin.exists():
        git(tmp_path, "init", "-q", "--bare", "--initial-branch=main", str(origin))
    git(project.root, "push", "-q", "--force", str(origin), "HEAD:refs/heads/main")
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    assert not (clone / ".git" / "hfsync").exists()
    return clone


def ci_run(project: Project, clone: Path) -> subprocess.CompletedProcess[str]:
    return hfsync(clone, "run", "--rev", "HEAD", env={**project.side.env(), "CI": "true"})


def test_a_remote_edit_and_unstaged_local_work_in_one_file_are_merged_and_uploaded(
    project: Project,
) -> None:
    project.write({"app/main.py": MAIN})
    project.commit()
    project.sync()
    remote = MAIN.replace("line 2\n", "line 2, edited on the Space\n")
    project.side.edit({"app/main.py": remote})
    local = MAIN.replace("line 19\n", "line 19, edited here\n")
    project.write({"app/main.py": local})  # not staged, not committed

    # `status --patch | git apply --3way` refuses this file ("does not match index"): pull does not.
    done = pulled(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "merged" in done.stdout and "app/main.py" in done.stdout
    merged = MAIN.replace("line 2\n", "line 2, edited on the Space\n").replace(
        "line 19\n", "line 19, edited here\n"
    )
    assert (project.root / "app/main.py").read_text() == merged
    assert json.loads((project.root / RECORD).read_text())["targets"]["space"]["taken"]

    project.commit("merge the Space's edit")
    done = project.hfsync("run", "--rev", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    files = project.side.files()
    assert files["app/main.py"] == merged.encode()
    assert RECORD not in files  # the record is the source's, never synced


def test_a_conflict_resolved_by_hand_stays_resolved_on_a_fresh_ci_clone(
    project: Project, tmp_path: Path
) -> None:
    project.write({"app/main.py": MAIN})
    project.commit()
    project.sync()
    project.side.edit({"app/main.py": MAIN.replace("line 5\n", "line 5 from the Space\n")})
    project.write({"app/main.py": MAIN.replace("line 5\n", "line 5 from here\n")})

    done = pulled(project)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "conflict" in done.stdout and "app/main.py" in done.stdout
    text = (project.root / "app/main.py").read_text()
    assert "<<<<<<< yours\nline 5 from here\n=======\nline 5 from the Space\n>>>>>>> " in text

    # Committed with its markers, the file is not uploaded: from here nor from CI.
    project.commit("oops, markers")
    done = project.hfsync("run")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "still hold what 'hfsync pull' wrote for a conflict: app/main.py" in done.stderr
    done = ci_run(project, ci_clone(project, tmp_path))
    assert done.returncode == 3, done.stdout + done.stderr

    resolution = MAIN.replace("line 5\n", "line 5 from here and from the Space\n")
    project.write({"app/main.py": resolution})
    project.commit("resolve")
    clone = ci_clone(project, tmp_path / "second")
    done = ci_run(project, clone)
    assert done.returncode == 0, done.stdout + done.stderr
    assert project.side.files()["app/main.py"] == resolution.encode()


def test_a_remote_edit_made_after_the_pull_is_still_a_conflict(
    project: Project, tmp_path: Path
) -> None:
    project.write({"app/main.py": MAIN})
    project.commit()
    project.sync()
    first = MAIN.replace("line 2\n", "line 2 from the Space\n")
    project.side.edit({"app/main.py": first})
    assert pulled(project).returncode == 0
    project.write({"app/main.py": first + "line 21 from here\n"})
    project.commit("merge and go on")

    later = first.replace("line 9\n", "line 9, a later edit on the Space\n")
    project.side.edit({"app/main.py": later})
    for done in (
        project.hfsync("run", "--rev", "HEAD"),
        ci_run(project, ci_clone(project, tmp_path)),
    ):
        assert done.returncode == 3, done.stdout + done.stderr
        assert "app/main.py" in done.stderr
    assert project.side.files()["app/main.py"] == later.encode()

    # A record edited to claim the later version was taken in is not believed.
    record = json.loads((project.root / RECORD).read_text())
    entry = record["targets"]["space"]
    entry["taken"]["app/main.py"] = git(
        project.root, "hash-object", "--stdin", input=later.encode()
    )
    (project.root / RECORD).write_text(json.dumps(record))
    project.commit("claim more than was pulled")
    done = project.hfsync("run", "--rev", "HEAD")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "did not hold what it says was taken in" in done.stdout
    assert project.side.files()["app/main.py"] == later.encode()


def test_committing_only_the_record_leaves_the_remote_edit_a_conflict(project: Project) -> None:
    project.write({"app/main.py": MAIN})
    project.commit()
    project.sync()
    remote = MAIN.replace("line 2\n", "line 2 from the Space\n")
    project.side.edit({"app/main.py": remote})
    project.write({"app/main.py": MAIN + "line 21\n"})
    project.commit("local work")
    assert pulled(project).returncode == 0
    git(project.root, "add", RECORD)
    git(project.root, "commit", "-q", "-m", "only the record")

    done = project.hfsync("run", "--rev", "HEAD")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "its merge is not in this source" in done.stdout
    assert project.side.files()["app/main.py"] == remote.encode()


MAPPED = """
[[targets]]
name = "space"
{target}
local_dir = "app"
remote_dir = "src"
# The test Space has no configuration of its own (README.md): on purpose.
allow = ["space-config:README.md"]
"""
BINARY = bytes(range(256)) * 4


def test_pull_brings_every_kind_of_remote_edit_home_through_the_folder_mapping(
    project: Project,
) -> None:
    project.write(
        {
            "hfsync.toml": MAPPED.format(target=project.side.target_config()),
            "app/main.py": MAIN,
            "app/nonl.txt": "a\nb",
            "app/bin.dat": BINARY,
            "app/both.dat": BINARY,
            "app/gone.txt": "to be deleted\n",
        }
    )
    project.commit()
    project.sync()
    project.side.edit(
        {
            "src/main.py": MAIN.replace("line 2\n", "line 2 from the Space\n"),
            "src/nonl.txt": "a\nB",
            "src/bin.dat": BINARY[::-1],
            "src/both.dat": BINARY[::-1],
            "src/new.txt": "created on the Space\n",
        },
        deletes=("src/gone.txt",),
    )
    project.write({"app/both.dat": BINARY[::2], "app/other.py": "local only\n"})

    done = pulled(project, "--dry-run")
    assert done.returncode == 3, done.stdout + done.stderr
    assert (project.root / "app/both.dat").read_bytes() == BINARY[::2]  # nothing written
    done = pulled(project)
    assert done.returncode == 3, done.stdout + done.stderr
    root = project.root / "app"
    assert (root / "main.py").read_text() == MAIN.replace("line 2\n", "line 2 from the Space\n")
    assert (root / "nonl.txt").read_text() == "a\nB"
    assert (root / "bin.dat").read_bytes() == BINARY[::-1]
    assert (root / "new.txt").read_text() == "created on the Space\n"
    assert not (root / "gone.txt").exists()
    assert (root / "other.py").read_text() == "local only\n"
    # A binary file edited on both sides: yours stays, the remote's is beside it.
    assert (root / "both.dat").read_bytes() == BINARY[::2]
    assert (root / "both.remote.dat").read_bytes() == BINARY[::-1]
    assert "app/both.remote.dat" in done.stdout

    # The copy beside is no upload: the run waits until one of the two is chosen.
    project.commit("bring the Space's edits home")
    done = project.hfsync("run")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "src/both.remote.dat" in done.stderr
    (root / "both.remote.dat").replace(root / "both.dat")  # the Space's version wins
    project.commit("take the Space's binary")
    project.sync()
    files = project.side.files()
    assert files["src/both.dat"] == BINARY[::-1]
    assert files["src/other.py"] == b"local only\n"
    assert "src/gone.txt" not in files and "src/both.remote.dat" not in files
    assert project.plan()["operations"] == []


def killed_pull(project: Project, after: int) -> None:
    """`hfsync pull` killed (SIGKILL) right after writing `after` files."""
    done = hfsync(
        project.root, "pull", env={**project.side.env(), "HFSYNC_TEST_PULL_KILL_AFTER": str(after)}
    )
    assert done.returncode == -9, done.stdout + done.stderr


def three_remote_edits(project: Project) -> dict[str, str]:
    """a, b and c edited on the remote; a also edited here, on another line, and not committed.
    Returns the working tree's files before the pull."""
    start = {f"app/{name}.txt": MAIN for name in "abc"}
    project.write(start)
    project.commit()
    project.sync()
    project.side.edit(
        {path: text.replace("line 1\n", "line 1 remote\n") for path, text in start.items()}
    )
    local = {**start, "app/a.txt": MAIN.replace("line 20\n", "line 20 local\n")}
    project.write(local)
    return local


def test_an_interrupted_pull_is_finished_by_the_next_pull(project: Project) -> None:
    three_remote_edits(project)
    killed_pull(project, after=1)
    root = project.root / "app"
    assert "line 1 remote" in (root / "a.txt").read_text()
    assert "line 1 remote" not in (root / "b.txt").read_text()
    assert not (project.root / RECORD).exists()
    project.write({"app/c.txt": MAIN + "edited after the kill\n"})

    done = pulled(project)
    assert done.returncode == 3, done.stdout + done.stderr
    assert "finished the hfsync pull that was interrupted" in done.stdout
    assert "app/c.txt" in done.stdout and "changed meanwhile" in done.stdout
    text = (root / "a.txt").read_text()
    assert "line 1 remote" in text and "line 20 local" in text
    assert "line 1 remote" in (root / "b.txt").read_text()
    assert (root / "c.txt").read_text() == MAIN + "edited after the kill\n"  # left alone
    assert (project.root / RECORD).exists()


def test_an_interrupted_pull_is_undone_with_undo(project: Project) -> None:
    before = three_remote_edits(project)
    killed_pull(project, after=2)
    assert "line 1 remote" in (project.root / "app/b.txt").read_text()

    done = pulled(project, "--undo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 file(s) put back" in done.stdout
    for path, text in before.items():
        assert (project.root / path).read_text() == text
    assert not (project.root / RECORD).exists()
    done = pulled(project, "--undo")
    assert done.returncode == 2 and "no hfsync pull to undo" in done.stderr
