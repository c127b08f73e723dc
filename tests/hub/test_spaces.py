"""The simulated Space runtime, secrets and variables through the real client."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from huggingface_hub import HfApi

from hfsync.testing.hub import BUILD_ERROR_MARKER, RUNTIME_ERROR_MARKER, TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN

SPACE = "user/app"


@pytest.fixture
def polled(make_hub: Callable[..., TestHub]) -> tuple[TestHub, HfApi]:
    """A hub whose builds last two runtime reads: deterministic stages."""
    hub = make_hub(build_polls=2)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    return hub, api


def push(api: HfApi, path: str, content: bytes = b"x") -> str:
    return api.upload_file(
        path_or_fileobj=content, path_in_repo=path, repo_id=SPACE, repo_type="space"
    ).oid


def stages(api: HfApi, count: int) -> list[str]:
    return [api.get_space_runtime(SPACE).stage for _ in range(count)]


def test_new_space_has_no_app_file(polled: tuple[TestHub, HfApi]) -> None:
    _, api = polled

    assert stages(api, 1) == ["NO_APP_FILE"]


def test_commit_builds_then_runs(polled: tuple[TestHub, HfApi]) -> None:
    _, api = polled
    sha = push(api, "app.py", b"import gradio\n")

    runtime = api.get_space_runtime(SPACE)

    assert (runtime.stage, runtime.raw["sha"], runtime.hardware) == ("BUILDING", sha, None)
    assert stages(api, 2) == ["BUILDING", "RUNNING"]
    running = api.get_space_runtime(SPACE)
    assert running.hardware == running.requested_hardware == "cpu-basic"
    assert running.raw["errorMessage"] is None


def test_marker_file_makes_the_build_fail(polled: tuple[TestHub, HfApi]) -> None:
    _, api = polled
    push(api, BUILD_ERROR_MARKER, b"pip install failed")

    assert stages(api, 3) == ["BUILDING", "BUILDING", "BUILD_ERROR"]
    assert api.get_space_runtime(SPACE).raw["errorMessage"] == "pip install failed"


def test_runtime_error_marker(polled: tuple[TestHub, HfApi]) -> None:
    _, api = polled
    push(api, RUNTIME_ERROR_MARKER)

    assert stages(api, 3)[-1] == "RUNTIME_ERROR"


def test_control_scripts_the_next_build_only(polled: tuple[TestHub, HfApi]) -> None:
    hub, api = polled
    hub.control.set_next_build_result(SPACE, "BUILD_ERROR", "scripted failure")
    push(api, "app.py")

    assert stages(api, 3)[-1] == "BUILD_ERROR"
    assert api.get_space_runtime(SPACE).raw["errorMessage"] == "scripted failure"
    push(api, "app.py", b"fixed")
    assert stages(api, 3)[-1] == "RUNNING"


def test_restart_rebuilds(polled: tuple[TestHub, HfApi]) -> None:
    _, api = polled
    push(api, "app.py")
    stages(api, 3)

    assert api.restart_space(SPACE).stage == "BUILDING"
    assert stages(api, 2)[-1] == "RUNNING"


def test_build_time_in_seconds(make_hub: Callable[..., TestHub]) -> None:
    hub = make_hub(build_seconds=0.2)
    api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    push(api, "app.py")

    assert api.get_space_runtime(SPACE).stage == "BUILDING"
    time.sleep(0.25)
    assert api.space_info(SPACE).runtime.stage == "RUNNING"  # type: ignore[union-attr]


def test_secrets_and_variables(hub: TestHub, api: HfApi) -> None:
    api.create_repo("app", repo_type="space", space_sdk="docker")

    api.add_space_secret(SPACE, "API_KEY", "s3cret", description="key")
    api.add_space_variable(SPACE, "MODE", "fast")
    api.add_space_variable(SPACE, "OLD", "x")
    api.delete_space_variable(SPACE, "OLD")

    secrets = api.get_space_secrets(SPACE)
    assert list(secrets) == ["API_KEY"] and secrets["API_KEY"].description == "key"
    assert hub.space_settings.secret_values(SPACE) == {"API_KEY": "s3cret"}
    variables = api.get_space_variables(SPACE)
    assert {key: variable.value for key, variable in variables.items()} == {"MODE": "fast"}
    api.delete_space_secret(SPACE, "API_KEY")
    assert api.get_space_secrets(SPACE) == {}
