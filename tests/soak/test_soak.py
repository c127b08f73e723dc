"""The soak: a short version in every CI run, the long one with HFSYNC_SOAK_ROUNDS=N."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.soak.session import soak_session

SHORT_ROUNDS = 20  # about a minute on 2 free cores


@pytest.mark.timeout(600)  # a busy machine runs it several times slower
def test_soak_short(tmp_path: Path) -> None:
    report = soak_session(tmp_path, seed=20261201, rounds=SHORT_ROUNDS)
    print(report.summary())
    assert report.rounds == SHORT_ROUNDS
    assert not report.violations, "\n".join(report.violations)


@pytest.mark.skipif(not os.environ.get("HFSYNC_SOAK_ROUNDS"), reason="set HFSYNC_SOAK_ROUNDS")
@pytest.mark.timeout(0)
def test_soak_long(tmp_path: Path) -> None:
    rounds = int(os.environ["HFSYNC_SOAK_ROUNDS"])
    seed = int(os.environ.get("HFSYNC_SOAK_SEED", "1"))
    report = soak_session(tmp_path, seed=seed, rounds=rounds, every=50)
    print(report.summary())
    assert not report.violations, "\n".join(report.violations)
