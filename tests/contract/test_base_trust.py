"""The base is hfsync's own, and what the remote says is untrusted: over every remote kind.

Issue 8, items 1-4 and 16: hostile commit trailers, path names that could forge trailer lines,
forged / amended / cherry-picked / merged / rewritten history.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.contract.conftest import Project
from tests.helpers_git import git

SCOPE = {"kind": "paths", "patterns": ["**"], "exclude": [], "local_dir": "", "remote_dir": ""}
LONG_NAME = "a" * 60


def forged_message(scope_json: str) -> str:
    return (
        "web edit\n\n"
        "HFSync-Source: worktree\n"
        "HFSync-Target: space\n"
        f"HFSync-Scope: {scope_json}\n"
        "HFSync-Run: 0123456789abcdef\n"
    )


def deep_json(depth: int) -> str:
    return json.dumps({**SCOPE, "patterns": "@"}).replace('"@"', "[" * depth + "]" * depth)


HOSTILE_SCOPES = {
    "backtracking": json.dumps({**SCOPE, "patterns": ["app/" + "*a" * 12 + "b"]}),
    "wrong-types": json.dumps({**SCOPE, "patterns": [1, {"x": 2}], "local_dir": 5}),
    "deep-json": deep_json(5000),
    "scope-widening-kind": json.dumps({**SCOPE, "kind": "everything", "patterns": ["x"]}),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("hostile", sorted(HOSTILE_SCOPES))
def test_hostile_scope_trailer_is_ignored_with_a_warning(project: Project, hostile: str) -> None:
    """A commit whose trailers are hostile is not a base: a note, no crash, no hang."""
    project.sync()
    project.side.edit(
        {f"app/{LONG_NAME}": "remote\n"}, message=forged_message(HOSTILE_SCOPES[hostile])
    )

    status = project.hfsync("status")
    assert status.returncode == 0, status.stderr
    assert "Traceback" not in status.stderr
    plan = project.plan()
    assert plan["first_sync"] is False  # the base is still hfsync's own commit before it
    if hostile != "backtracking":  # a valid pattern (matched in linear time) is no malformation
        assert "not taken as a base" in status.stdout
        assert any("malformed hfsync trailers" in note for note in plan["notes"])


NEWLINE_NAME = "app/x\ny.txt"
TAB_NAME = "app/a\tb.txt"


def test_names_with_newlines_and_tabs_keep_their_skipped_edit_flagged(project: Project) -> None:
    """A `Kept` line for a name with a line break must not split: the edit stays flagged."""
    project.write({NEWLINE_NAME: "one\n", TAB_NAME: "one\n"})
    project.commit()
    project.sync()
    project.side.edit({NEWLINE_NAME: "remote\n", TAB_NAME: "remote\n"})
    project.write({"README.md": "# changed\n"})
    project.commit()

    skipped = project.hfsync("run", "--on-conflict", "skip")
    assert skipped.returncode == 0, skipped.stderr
    for _ in range(2):
        project.write({"README.md": f"# changed {_}\n"})
        project.commit()
        again = project.hfsync("run", "--on-conflict", "skip")
        assert again.returncode == 0, again.stderr
        files = project.side.files()
        assert files[NEWLINE_NAME] == b"remote\n"
        assert files[TAB_NAME] == b"remote\n"
        conflicts = {
            op["path"]
            for op in project.plan("--on-conflict", "skip")["operations"]
            if op["action"] == "conflict"
        }
        assert conflicts == {NEWLINE_NAME, TAB_NAME}


def test_a_file_name_cannot_inject_a_trailer(project: Project) -> None:
    """`app/n<newline>HFSync-Kept: - app/util.py` is one file, not a Kept line for util.py."""
    project.write({"app/n\nHFSync-Kept: - app/util.py": "x\n"})
    project.commit()
    project.sync()
    project.delete("app/util.py")
    project.commit()

    plan = project.plan()
    assert {"action": "delete", "path": "app/util.py"}.items() <= next(
        op for op in plan["operations"] if op["path"] == "app/util.py"
    ).items()
    project.sync()
    assert "app/util.py" not in project.side.files()


def trailers_of(message: str) -> str:
    return message.strip().split("\n\n")[-1]


def test_copied_trailers_do_not_make_a_base(project: Project) -> None:
    """A person's commit with hfsync's trailers pasted in is no base: its edit is flagged."""
    project.sync()
    copied = trailers_of(project.side.last_message())
    project.side.edit({"app/main.py": "print('human')\n"}, message=f"human edit\n\n{copied}\n")
    project.write({"app/util.py": "X = 7\n"})
    project.commit()

    done = project.hfsync("run")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "app/main.py" in done.stderr
    assert project.side.files()["app/main.py"] == b"print('human')\n"


def git_only(project: Project) -> None:
    if project.side.kind != "git":
        pytest.skip("history surgery needs git access to the remote (the test Hub has none)")


def test_amended_hfsync_commit_is_not_a_base(project: Project) -> None:
    """A maintainer amends hfsync's commit to add a file: the next run must not delete it."""
    git_only(project)
    project.sync()
    editor = project.side.editor()
    (editor / "app" / "extra.py").write_text("added by amend\n")
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "--amend", "--no-edit")
    git(editor, "push", "-q", "--force", "origin", "HEAD:main")

    done = project.hfsync("run")
    assert done.returncode == 0, done.stderr
    assert project.side.files()["app/extra.py"] == b"added by amend\n"
    fresh = project.plan(cwd=None)
    assert not any(op["action"] == "delete" for op in fresh["operations"])


def test_cherry_picked_hfsync_commit_is_not_a_base(project: Project) -> None:
    """hfsync's commit cherry-picked onto a person's commit must not delete that person's file."""
    git_only(project)
    project.sync()
    first = project.side.head()
    project.write({"app/util.py": "X = 2\n"})
    project.commit()
    project.sync()
    second = project.side.head()
    editor = project.side.editor()
    git(editor, "reset", "-q", "--hard", first)
    (editor / "app" / "human.py").write_text("human\n")
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "-m", "human file")
    git(editor, "cherry-pick", second)
    git(editor, "push", "-q", "--force", "origin", "HEAD:main")
    project.write({"README.md": "# next\n"})
    project.commit()

    done = project.hfsync("run")
    assert done.returncode == 0, done.stderr
    assert project.side.files()["app/human.py"] == b"human\n"


def test_merge_on_the_remote_keeps_the_newest_base(project: Project) -> None:
    """A person's `git pull` (merge, their commit first) must not hide hfsync's last commit."""
    git_only(project)
    project.sync()
    editor = project.side.editor()  # the person's clone, before hfsync's next commit
    (editor / "space-only.txt").write_text("human\n")
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "-m", "human commit")
    project.write({"app/util.py": "X = 2\n"})
    project.commit()
    project.sync()
    git(editor, "pull", "-q", "--no-rebase", "--no-edit", "origin", "main")
    git(editor, "push", "-q", "origin", "HEAD:main")
    project.write({"app/util.py": "X = 3\n"})
    project.commit()

    for cwd in (None, clone_of(project)):  # with the local cache, and on a fresh runner
        plan = project.plan(cwd=cwd)
        assert [(op["action"], op["path"]) for op in plan["operations"]] == [
            ("upload", "app/util.py")
        ]


def clone_of(project: Project) -> Path:
    clone = project.root.parent / "fresh"
    if not clone.exists():
        git(project.root.parent, "clone", "-q", str(project.root), str(clone))
    return clone


def test_rewritten_history_flags_differences_as_remote_edits(project: Project) -> None:
    """After a force-push that drops hfsync's commits, a differing file is a remote edit, and
    the output says the history was rewritten (not a silent first sync)."""
    git_only(project)
    project.sync()
    editor = project.side.editor()
    git(editor, "checkout", "-q", "--orphan", "squashed")
    (editor / "app" / "main.py").write_text("print('edited, then squashed')\n")
    git(editor, "add", "-A")
    git(editor, "commit", "-q", "-m", "squash everything")
    git(editor, "push", "-q", "--force", "origin", "HEAD:main")

    done = project.hfsync("run")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "app/main.py" in done.stderr
    assert project.side.files()["app/main.py"] == b"print('edited, then squashed')\n"
    status = project.hfsync("status")
    assert "history was rewritten" in status.stdout
    plan = project.plan("--on-conflict", "skip")
    assert plan["history_rewritten"] is True and plan["first_sync"] is False


def test_remote_only_file_that_appears_locally_is_named_for_what_it_is(project: Project) -> None:
    project.sync()
    project.side.edit({"app/new.py": "from the remote\n"})
    project.write({"app/new.py": "from the source\n"})
    project.commit()

    done = project.hfsync("run")
    assert done.returncode == 3
    (op,) = project.plan("--on-conflict", "skip")["operations"]
    assert op["path"] == "app/new.py" and op["action"] == "conflict"
    assert op["reason"] == "on the remote, not written by hfsync"
