"""Fixtures for the test hub's own tests: a fresh hub per test, the real client pointed at it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub import HfApi

from hfsync.testing.hub import TestHub
from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client

MakeHub = Callable[..., TestHub]


@pytest.fixture(autouse=True)
def no_leaked_server_threads() -> Iterator[None]:
    """Every hub a test started must be fully stopped when the test ends."""
    yield
    leaked = [
        thread.name
        for thread in threading.enumerate()
        if thread.name.startswith("testhub") or "process_request_thread" in thread.name
    ]
    assert not leaked, f"threads left behind by the test hub: {leaked}"


@pytest.fixture
def make_hub(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[MakeHub]:
    """make_hub(**TestHub options) -> a running hub the client points at; stopped after the test.
    The client uploads through Xet, or through legacy LFS in tests marked `legacy_lfs`."""
    xet = request.node.get_closest_marker("legacy_lfs") is None
    with ExitStack() as stack:

        def factory(**options: Any) -> TestHub:
            options.setdefault("xet", xet)
            return stack.enter_context(
                hub_with_client(tmp_path / "hub", tmp_path / "hf_home", **options)
            )

        yield factory


@pytest.fixture
def hub(make_hub: MakeHub) -> TestHub:
    return make_hub()


@pytest.fixture
def api(hub: TestHub) -> HfApi:
    """The real client with the write token of user `user`."""
    return HfApi(endpoint=hub.url, token=WRITE_TOKEN)
