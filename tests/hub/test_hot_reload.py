"""Hot reload of a running Gradio Space: huggingface_hub's own `hf spaces hot-reload` against the
test Hub, the runtime's `hotReloading`, when the Hub builds instead, the replica route's
answers, and the events derived from the change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN, WRITE_TOKEN
from hfsync.testing.hub.hot_reload import reload_events, version_allows
from tests.hub.conftest import MakeHub

SPACE = "user/demo"
README = "---\ntitle: Demo\nsdk: gradio\nsdk_version: {version}\napp_file: app.py\n---\n# Demo\n"
APP = """import gradio as gr

def greet(name):
    return "Hello " + name

with gr.Blocks() as demo:
    gr.Textbox()
"""
APP_EDITED = """import gradio as gr

def greet(name):
    return "Hi " + name

def shout(name):
    return name.upper()

with gr.Blocks() as demo:
    gr.Textbox(label="name")
"""


def settled(api: HfApi) -> str:
    deadline = time.monotonic() + 30
    while (stage := api.get_space_runtime(SPACE).stage) == "BUILDING":
        assert time.monotonic() < deadline, "the build never ended"
        time.sleep(0.05)
    return stage


def running_space(make_hub: MakeHub, version: str = "6.1.0") -> tuple[TestHub, HfApi]:
    """A Gradio Space running its first commit; a build takes two runtime reads."""
    hub = make_hub(build_polls=2)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("demo", repo_type="space", space_sdk="gradio")
    files = {"README.md": README.format(version=version), "app.py": APP}
    commit(api, files, hot=False)
    assert settled(api) == "RUNNING"
    return hub, api


def commit(api: HfApi, files: dict[str, str], *, hot: bool, delete: str | None = None) -> str:
    operations: list[CommitOperationAdd | CommitOperationDelete] = [
        CommitOperationAdd(path, content.encode()) for path, content in files.items()
    ]
    if delete:
        operations.append(CommitOperationDelete(delete))
    info = api.create_commit(
        SPACE, operations, commit_message="edit", repo_type="space", _hot_reload=hot
    )
    return str(info.oid)


def hf_cli(hub: TestHub, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """huggingface_hub's own `hf` command, as a user runs it (a made-up token)."""
    return subprocess.run(
        [sys.executable, "-m", "huggingface_hub.cli.hf", *args],
        cwd=cwd,
        env={**os.environ, "HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hf_spaces_hot_reload_patches_each_replica_and_shows_the_summary(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    hub, api = running_space(make_hub)
    hub.state.hot_reloads.set_replicas(SPACE, 2)
    (tmp_path / "app.py").write_text(APP_EDITED)

    done = hf_cli(hub, tmp_path, "spaces", "hot-reload", SPACE, "app.py", "-f", "app.py")

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    first, second = hub.state.hot_reloads.replica_hashes(SPACE)
    assert lines[lines.index("Hot-reload summary:") + 1 :] == [
        f"---- Replica {first} ----",
        "✔︎ app.py updated",
        "✔︎ Updated greet function",
        "✔︎ Created shout function",
        "▶ Run app.py, line 9",  # the CLI prints a two-line region as its first line
        "with gr.Blocks() as demo:",
        '    gr.Textbox(label="name")',
        "⟳ UI updated",
        f"---- Replica {second} ----",
        "✔︎ Same as first replica",
    ]
    assert WRITE_TOKEN not in done.stdout + done.stderr
    info = api.space_info(SPACE)
    assert info.runtime is not None and info.runtime.hot_reloading is not None
    assert info.runtime.hot_reloading.status == "created"
    assert info.runtime.hot_reloading.replica_statuses == [[first, "created"], [second, "created"]]
    assert info.runtime.stage == "RUNNING"  # patched in place: no build
    assert api.get_space_runtime(SPACE).stage == "RUNNING"


def test_an_exception_at_import_is_shown_with_its_file_and_line(
    make_hub: MakeHub, tmp_path: Path
) -> None:
    hub, _ = running_space(make_hub)
    (tmp_path / "app.py").write_text(APP + '\nraise ValueError("no model")\n')

    done = hf_cli(hub, tmp_path, "spaces", "hot-reload", SPACE, "app.py", "-f", "app.py")

    assert done.returncode == 0, done.stdout + done.stderr
    summary = [
        line for line in done.stdout.split("Hot-reload summary:\n", 1)[1].splitlines() if line
    ]
    assert summary[:2] == ["✔︎ app.py updated", "✘ Exception at app.py, line 9"]
    assert summary[-1] == "ValueError: no model"


def test_a_normal_commit_after_a_hot_reload_builds_and_clears_it(make_hub: MakeHub) -> None:
    _, api = running_space(make_hub)
    hot = commit(api, {"app.py": APP_EDITED}, hot=True)
    runtime = api.get_space_runtime(SPACE)
    assert runtime.raw["sha"] == hot and runtime.hot_reloading is not None

    commit(api, {"app.py": APP}, hot=False)

    runtime = api.get_space_runtime(SPACE)
    assert runtime.stage == "BUILDING" and runtime.hot_reloading is None
    assert settled(api) == "RUNNING"


@pytest.mark.parametrize(
    "case", ["requirements", "deletion", "old gradio", "building", "not gradio"]
)
def test_what_cannot_be_hot_reloaded_is_canceled_and_built(make_hub: MakeHub, case: str) -> None:
    hub, api = running_space(make_hub, version="5.49.1" if case == "old gradio" else "6.2.0")
    files, delete = {"app.py": APP_EDITED}, None
    if case == "requirements":
        files["requirements.txt"] = "torch\n"
    elif case == "deletion":
        commit(api, {"helpers.py": "X = 1\n"}, hot=True)
        delete = "helpers.py"
    elif case == "building":
        commit(api, {"other.py": "Y = 1\n"}, hot=False)
    elif case == "not gradio":
        readme = README.format(version="6.2.0").replace("sdk: gradio", "sdk: streamlit")
        commit(api, {"README.md": readme}, hot=False)
        settled(api)

    sha = commit(api, files, hot=True, delete=delete)

    runtime = api.get_space_runtime(SPACE)
    assert runtime.hot_reloading is not None and runtime.raw["sha"] == sha
    assert (runtime.hot_reloading.status, runtime.hot_reloading.replica_statuses) == (
        "canceled",
        [],
    )
    assert runtime.stage == "BUILDING"
    assert settled(api) == "RUNNING"
    assert hub.state.hot_reloads.find(SPACE, sha) is not None


def post_get_reload(hub: TestHub, replica: str, reload_id: str, token: str | None) -> int:
    url = f"{hub.url}/_apps/user-demo--7887/--replicas/+{replica}/get-reload"
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"reloadId": reload_id}).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_the_replica_route_answers_like_a_reload_server(make_hub: MakeHub) -> None:
    hub, api = running_space(make_hub)
    sha = commit(api, {"app.py": APP_EDITED}, hot=True)
    (replica,) = hub.state.hot_reloads.replica_hashes(SPACE)
    assert api.space_info(SPACE).host == f"{hub.url}/_apps/user-demo"

    assert post_get_reload(hub, replica, sha, WRITE_TOKEN) == 200
    assert post_get_reload(hub, replica, "0" * 40, WRITE_TOKEN) == 204  # no such reload
    assert post_get_reload(hub, "ffffffffff", sha, WRITE_TOKEN) == 404  # no such replica
    assert post_get_reload(hub, replica, sha, None) == 401
    assert post_get_reload(hub, replica, sha, OTHER_WRITE_TOKEN) == 403


# -- the events derived from the change (pure) --------------------------------------------------


def kinds(events: list[dict[str, object]]) -> list[tuple[object, ...]]:
    shown = []
    for event in events:
        data = event["data"]
        assert isinstance(data, dict)
        kind = data["kind"]
        if kind in ("add", "update", "delete"):
            shown.append((kind, data["objectName"], data["objectType"]))
        elif kind in ("run", "exception"):
            region = data["region"]
            assert isinstance(region, dict)
            shown.append((kind, region["startLine"] - 1))
        else:
            shown.append((kind, data.get("created", data.get("updated"))))
    return shown


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("def f():\n    return 1\n", "def f():\n    return 2\n", [("update", "f", "function")]),
        ("def f():\n    return 1\n", "\n\ndef f():\n    return 1\n", []),  # moved only
        ("X = 1\n", "X = 1\nclass C:\n    pass\n", [("add", "C", "class")]),
        (
            "def f():\n    pass\ndef g():\n    pass\n",
            "def g():\n    pass\n",
            [("delete", "f", "function")],
        ),
        ("X = 1\n", "X = 2\n", [("run", 1)]),
        ("X = 1\n", 'X = 1\nraise KeyError("k")\nY = 2\n', [("exception", 2)]),
    ],
    ids=["update", "moved", "add class", "delete", "run", "raise"],
)
def test_events_follow_the_top_level_changes(
    old: str, new: str, expected: list[tuple[object, ...]]
) -> None:
    events = kinds(reload_events("app.py", old.encode(), new.encode()))
    assert events[0] == ("file", False)
    body = events[1:]
    if expected and expected[-1][0] == "exception":
        assert body == expected  # the file's events end at the exception
    else:
        assert body == [*expected, ("ui", any(e[0] == "run" for e in expected))]


def test_a_file_that_does_not_compile_is_one_exception_at_its_line() -> None:
    events = reload_events("src/m.py", None, b"x = 1\ndef f(:\n")
    assert kinds(events) == [("file", True), ("exception", 2)]
    assert "SyntaxError" in events[1]["data"]["traceback"]
    assert 'File "src/m.py", line 2' in events[1]["data"]["traceback"]


@pytest.mark.parametrize(
    "source", [b"x = 1\0\n", b"(" * 10_000 + b")" * 10_000, b"x = 1" + b"+1" * 2000 + b"\n"]
)
def test_hostile_sources_are_an_error_event_not_a_crash(source: bytes) -> None:
    events = reload_events("app.py", b"", source)
    assert [e["data"]["kind"] for e in events][-1] in ("error", "exception")


@pytest.mark.parametrize(
    ("version", "allowed"),
    [
        *[("6.1.0", True), ("6.1", True), ("6.10.2", True), ("7.0.0b1", True)],
        *[("6.0.9", False), ("6.1.0rc1", False), ("5.49.1", False), ("latest", False), ("", False)],
    ],
)
def test_gradio_versions_that_hot_reload(version: str, allowed: bool) -> None:
    assert version_allows(version) is allowed
