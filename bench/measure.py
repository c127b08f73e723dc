"""Timing and memory of one command, and the statistics of several runs."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    seconds: float
    rss_mb: float  # peak resident memory of the process itself (not its children)
    cpu: float = 0.0  # user + sys seconds of the process and the children it waited for


def run(
    cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None, check: bool = True
) -> Sample:
    """Run `cmd` to its end through `bench.child`; its wall time, peak RSS and CPU time (output
    dropped)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.child", *cmd],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    lines = done.stderr.decode(errors="replace").splitlines()
    report = lines[-1].split() if lines and lines[-1].startswith("bench-child:") else None
    if report is None or (check and report[3] != "0"):
        shown = "\n".join(lines[-20:])
        raise RuntimeError(f"{' '.join(cmd)} failed: {shown}")
    return Sample(float(report[1]), int(report[2]) / 1024, float(report[4]))


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


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Print how long the block took to stderr (`bench: 12.3 s  git 50,000 files: no change`),
    so that a slow run shows where its time goes."""
    started = time.perf_counter()
    try:
        yield
    finally:
        print(f"bench: {time.perf_counter() - started:6.1f} s  {name}", file=sys.stderr, flush=True)
