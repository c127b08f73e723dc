"""Timing and memory of one command, and the statistics of several runs."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mb: float  # peak resident memory of the process itself (not its children)


def run(
    cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, check: bool = True
) -> Sample:
    """Run `cmd` to its end; its wall time and peak RSS. Output is discarded."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(cmd),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    error = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if check and process.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {process.returncode}: {error.decode()[-2000:]}")
    return Sample(seconds, usage.ru_maxrss / 1024)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max (and the number of runs)."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
    }


def repeat(runs: int, action: Callable[[], Sample]) -> tuple[dict[str, float], float]:
    """Run `action` `runs` times: the summary of its seconds, and its highest peak RSS."""
    samples = [action() for _ in range(runs)]
    return summary([s.seconds for s in samples]), max(s.rss_mb for s in samples)
