"""The serve-under-hostile-clients soak: a short version in every CI run, a long one with
HFSYNC_SOAK_HOSTILE_ROUNDS=N (or `python -m tests.soak.hostile`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.soak.hostile import hostile_session

SHORT_ROUNDS = 8


@pytest.mark.timeout(600)
def test_soak_serve_under_hostile_clients_short(tmp_path: Path) -> None:
    report = hostile_session(tmp_path, seed=20261207, rounds=SHORT_ROUNDS)
    print(report.summary())
    assert report.rounds == SHORT_ROUNDS
    assert not report.violations, "\n".join(report.violations)


@pytest.mark.skipif(
    not os.environ.get("HFSYNC_SOAK_HOSTILE_ROUNDS"), reason="set HFSYNC_SOAK_HOSTILE_ROUNDS"
)
@pytest.mark.timeout(0)
def test_soak_serve_under_hostile_clients_long(tmp_path: Path) -> None:
    rounds = int(os.environ["HFSYNC_SOAK_HOSTILE_ROUNDS"])
    seed = int(os.environ.get("HFSYNC_SOAK_SEED", "1"))
    report = hostile_session(tmp_path, seed=seed, rounds=rounds, every=10)
    print(report.summary())
    assert not report.violations, "\n".join(report.violations)
