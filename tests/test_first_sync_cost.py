"""What a first sync to a new Space costs (issue 23, G6: at least as fast as `upload_folder`):
the requests it makes and the work it does not repeat, through the CLI against the test Hub."""

from __future__ import annotations

from pathlib import Path

from hfsync.testing.hub import TestHub
from tests.helpers_git import hfsync

REPO = "user/demo"
README = "---\nsdk: gradio\napp_file: app.py\n---\n# Demo\n"


def config() -> str:
    return f'[[targets]]\nname = "space"\nrepo = "{REPO}"\ncreate = true\n'


def calls(hub: TestHub) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in hub.control.requests()]


def test_a_first_sync_reads_the_missing_head_once_before_creating_the_space(
    make_repo, hub: TestHub, env
) -> None:
    repo: Path = make_repo({"hfsync.toml": config(), "README.md": README, "app.py": "print(1)\n"})
    hub.control.clear_log()

    done = hfsync(repo, "run", "--rev", "HEAD")

    assert done.returncode == 0, done.stderr
    made = calls(hub)
    create = made.index(("POST", "/api/repos/create"))
    assert made[:create] == [("GET", f"/api/spaces/{REPO}/revision/main")], made
    assert made[create + 1] == ("GET", f"/api/spaces/{REPO}/revision/main"), made
