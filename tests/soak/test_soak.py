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


def _source_files(root: Path) -> dict[str, bytes]:
    import subprocess

    def git(*args: str) -> bytes:
        return subprocess.run(
            ["git", *args], cwd=root / "source", capture_output=True, check=True
        ).stdout

    paths = [p for p in git("ls-tree", "-r", "-z", "--name-only", "HEAD").decode().split("\0") if p]
    return {p: git("cat-file", "blob", f"HEAD:{p}") for p in paths if p != "hfsync.toml"}


def test_soak_from_a_later_round_starts_from_the_source_earlier_rounds_left(tmp_path: Path) -> None:
    from tests.soak.runner import files_before

    report = soak_session(tmp_path / "all", seed=7, rounds=3)
    assert report.rounds == 3
    assert _source_files(tmp_path / "all") == files_before(7, 4)

    report = soak_session(tmp_path / "late", seed=7, rounds=5, start=4)
    assert report.rounds == 2
    assert not report.violations, "\n".join(report.violations)
    assert _source_files(tmp_path / "late") == files_before(7, 6)
