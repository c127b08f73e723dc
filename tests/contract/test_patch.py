"""`hfsync status --patch`: base -> remote patches made by git, that `git apply --3way` merges
into a repository with its own edits (issue 8, item 15), over every remote kind."""

from __future__ import annotations

import subprocess

from tests.contract.conftest import Project
from tests.helpers_git import git

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
MAIN = "".join(f"line {i}\n" for i in range(1, 21))


def test_status_patch_merges_every_kind_of_remote_edit_and_keeps_local_work(
    project: Project,
) -> None:
    project.write(
        {
            "hfsync.toml": MAPPED.format(target=project.side.target_config()),
            "app/main.py": MAIN,
            "app/nonl.txt": "a\nb",
            "app/bin.dat": BINARY,
            "app/gone.txt": "to be deleted\n",
        }
    )
    project.commit()
    project.sync()
    project.side.edit(
        {
            "src/main.py": MAIN.replace("line 2\n", "line 2, edited on the remote\n"),
            "src/nonl.txt": "a\nB",
            "src/bin.dat": BINARY[::-1],
            "src/new.txt": "created on the remote\n",
        },
        deletes=("src/gone.txt",),
    )
    local_main = MAIN.replace("line 19\n", "line 19, edited locally\n")
    project.write({"app/main.py": local_main, "app/other.py": "local only\n"})
    project.commit("local work")

    done = project.hfsync("status", "--patch")
    assert done.returncode == 0, done.stderr
    patch = done.stdout.encode()
    assert b"a/app/main.py" in patch and b"GIT binary patch" in patch
    applied = subprocess.run(
        ["git", "apply", "--3way"], cwd=project.root, input=patch, capture_output=True
    )
    assert applied.returncode == 0, applied.stderr.decode()

    root = project.root / "app"
    assert (root / "main.py").read_text() == local_main.replace(
        "line 2\n", "line 2, edited on the remote\n"
    )
    assert (root / "nonl.txt").read_text() == "a\nB"
    assert (root / "bin.dat").read_bytes() == BINARY[::-1]
    assert (root / "new.txt").read_text() == "created on the remote\n"
    assert not (root / "gone.txt").exists()
    assert (root / "other.py").read_text() == "local only\n"
    project.commit("bring the remote edits in")

    plan = project.plan()
    assert {op["path"]: op["action"] for op in plan["operations"]} == {
        "src/main.py": "upload",
        "src/other.py": "upload",
    }
    project.sync()
    files = project.side.files()
    assert files["src/main.py"] == (root / "main.py").read_bytes()

    # A remote edit brought in stays settled on the next local edit of the same file.
    project.write({"app/nonl.txt": "a\nB\nc\n"})
    project.commit("edit again")
    assert [(op["path"], op["action"]) for op in project.plan()["operations"]] == [
        ("src/nonl.txt", "upload")
    ]
    assert git(project.root, "status", "--porcelain") == ""


def test_a_skipped_edit_brought_in_stays_settled_on_the_next_local_edit(project: Project) -> None:
    project.sync()
    remote = "print('hello')\nprint('remote')\n"
    project.side.edit({"app/main.py": remote})
    project.write({"app/util.py": "X = 2\n"})
    project.commit()
    assert project.hfsync("run", "--on-conflict", "skip").returncode == 0

    patch = project.hfsync("status", "--patch").stdout.encode()
    git(project.root, "apply", "--3way", input=patch)
    project.commit("bring the skipped edit in")
    assert project.plan()["operations"] == []

    project.write({"app/main.py": remote + "print('local')\n"})
    project.commit("edit it further")
    (op,) = project.plan()["operations"]
    assert (op["path"], op["action"]) == ("app/main.py", "upload")
    project.sync()
    assert project.side.files()["app/main.py"] == (remote + "print('local')\n").encode()
