"""The base is hfsync's own, and what the remote says is untrusted: over every remote kind.

Issue 8, items 1-4 and 16: hostile commit trailers, path names that could forge trailer lines,
forged / amended / cherry-picked / merged / rewritten history.
"""

from __future__ import annotations

import json

import pytest

from tests.contract.conftest import Project

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
