"""A soak session: an isolated environment, a test Hub and a git remote, then the rounds."""

from __future__ import annotations

import os
import time
from pathlib import Path
from unittest import mock

from huggingface_hub import HfApi

from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.soak.runner import Report, Soak
from tests.soak.sides import GitSide, HubSide

ISOLATION = {
    "GIT_AUTHOR_NAME": "Soak",
    "GIT_AUTHOR_EMAIL": "soak@example.com",
    "GIT_COMMITTER_NAME": "Soak",
    "GIT_COMMITTER_EMAIL": "soak@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}


def soak_session(root: Path, seed: int, rounds: int, every: int = 0, start: int = 1) -> Report:
    """Run soak rounds `start` to `rounds` of `seed` under `root`; the report (violations
    included). From a `start` after 1, the rounds before it are skipped (see Soak.start_at)."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("")
    env = {**ISOLATION, "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}
    with (
        mock.patch.dict(os.environ, env),
        hub_with_client(root / "hub", root / "hf-home", xet=False) as hub,
    ):
        os.environ["HF_TOKEN"] = WRITE_TOKEN
        api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
        soak = Soak(
            root,
            seed,
            HubSide(hub=hub, api=api),
            GitSide(bare=root / "target.git", clone=root / "second-client"),
        )
        if start > 1:
            soak.start_at(start)
        began = time.monotonic()
        for number in range(start, rounds + 1):
            soak.round(number)
            if every and number % every == 0:
                rate = (number - start + 1) / (time.monotonic() - began)
                print(
                    f"[{number}/{rounds}, {rate:.2f} rounds/s] {soak.report.summary()}", flush=True
                )
        return soak.report
