"""Space runtime through the real client: hardware, sleep time, pause, restart and the SSE logs."""

from __future__ import annotations

import time

import pytest
from huggingface_hub import CommitOperationAdd, HfApi, SpaceHardware
from huggingface_hub.errors import BadRequestError, HfHubHTTPError

from hfsync.testing.hub import BUILD_ERROR_MARKER, RUNTIME_ERROR_MARKER, TestHub
from hfsync.testing.hub.fixtures import OTHER_WRITE_TOKEN


def settled(api: HfApi, space: str) -> str:
    """The Space's stage once its build is over."""
    deadline = time.monotonic() + 30
    while (stage := api.get_space_runtime(space).stage) == "BUILDING":
        assert time.monotonic() < deadline, "the build never ended"
        time.sleep(0.05)
    return stage


@pytest.fixture
def space(api: HfApi) -> str:
    api.create_repo("app", repo_type="space", space_sdk="gradio")
    api.upload_file(
        path_or_fileobj=b"print(1)\n", path_in_repo="app.py", repo_id="user/app", repo_type="space"
    )
    return "user/app"


def test_hardware_and_sleep_time_answers(api: HfApi, space: str) -> None:
    runtime = api.get_space_runtime(space)
    assert runtime.requested_hardware == SpaceHardware.CPU_BASIC
    assert runtime.sleep_time == 48 * 3600  # free hardware sleeps after 48 hours
    assert runtime.storage is None

    upgraded = api.request_space_hardware(space, SpaceHardware.T4_SMALL, sleep_time=3600)
    assert upgraded.requested_hardware == "t4-small"
    assert upgraded.sleep_time == 3600
    assert api.set_space_sleep_time(space, 600).sleep_time == 600
    assert api.space_info(space).runtime.raw["gcTimeout"] == 600  # type: ignore[union-attr]
    with pytest.raises(BadRequestError):
        api.request_space_hardware(space, "quantum-x1")  # type: ignore[arg-type]
    with pytest.raises(BadRequestError):
        api.set_space_sleep_time(space, 0)


def test_pause_then_restart(api: HfApi, space: str) -> None:
    api.space_info(space)
    paused = api.pause_space(space)
    assert paused.stage == "PAUSED"
    assert api.get_space_runtime(space).stage == "PAUSED"

    restarted = api.restart_space(space, factory_reboot=True)

    assert restarted.stage in ("BUILDING", "RUNNING")
    assert settled(api, space) == "RUNNING"


def test_only_the_owner_pauses(hub: TestHub, space: str) -> None:
    other = HfApi(endpoint=hub.url, token=OTHER_WRITE_TOKEN)
    with pytest.raises(HfHubHTTPError) as raised:
        other.pause_space(space)
    assert raised.value.response.status_code == 403


def test_failed_build_log_shows_why(api: HfApi, space: str) -> None:
    api.create_commit(
        space,
        [CommitOperationAdd(BUILD_ERROR_MARKER, b"pip install failed: no matching torch==0.0")],
        commit_message="break the build",
        repo_type="space",
    )
    assert settled(api, space) == "BUILD_ERROR"

    build = list(api.fetch_space_logs(space, build=True))
    run = list(api.fetch_space_logs(space))

    assert any("pip install failed: no matching torch==0.0" in line for line in build)
    assert build[-1] == "--> Build failed\n"
    assert run == []


def test_run_log_of_a_running_and_a_crashed_space(api: HfApi, space: str) -> None:
    assert settled(api, space) == "RUNNING"
    assert any("Running on local URL" in line for line in api.fetch_space_logs(space))

    api.upload_file(
        path_or_fileobj=b"ZeroDivisionError: division by zero",
        path_in_repo=RUNTIME_ERROR_MARKER,
        repo_id=space,
        repo_type="space",
    )
    assert settled(api, space) == "RUNTIME_ERROR"

    run = list(api.fetch_space_logs(space))
    assert run[-1] == "ZeroDivisionError: division by zero\n"
    assert list(api.fetch_space_logs(space, build=True))[-1] == "DONE\n"
