"""Time `read_source` on the working tree with no hash index (cold) and with one (warm).

The repository has 10,000 small files: half tracked and clean, a quarter tracked and modified, a
quarter untracked. Files are dated a minute ago, as files of a real checkout are, so that none
falls in the hash index's racy window. Run: python -m bench.bench_source [--files N] [--runs R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.gitenv import GIT_ENV, git
from hfsync.local.source import read_source


def build_repo(repo: Path, count: int) -> None:
    """`count` files of 1-4 KiB: half clean, a quarter modified, a quarter untracked."""
    git(repo, "init", "-q", "-b", "main")
    files = [repo / f"pkg{i % 50:02}" / f"file{i:05}.txt" for i in range(count)]
    for i, file in enumerate(files):
        file.parent.mkdir(exist_ok=True)
        file.write_bytes(f"file {i}\n".encode() * (100 + i % 300))
    tracked, untracked = files[: count * 3 // 4], files[count * 3 // 4 :]
    for file in untracked:
        file.rename(file.with_suffix(".tmp"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bench")
    for file in untracked:
        file.with_suffix(".tmp").rename(file)
    for file in tracked[count // 2 :]:
        file.write_bytes(file.read_bytes() + b"modified\n")
    past_ns = time.time_ns() - 60 * 10**9
    for file in files:
        os.utime(file, ns=(past_ns, past_ns))
    git(repo, "update-index", "-q", "--refresh")  # as `git status` would after the edits


def timed(repo: Path) -> tuple[float, int]:
    started = time.perf_counter()
    source = read_source(repo, None, lambda path: True)
    return time.perf_counter() - started, source.files_read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(GIT_ENV)
    repo = Path(tempfile.mkdtemp(prefix="hfsync-bench-"))
    try:
        build_repo(repo, args.files)
        index_dir = repo / ".git" / "hfsync"
        cold: list[float] = []
        warm: list[float] = []
        for _ in range(args.runs):
            shutil.rmtree(index_dir, ignore_errors=True)
            seconds, cold_reads = timed(repo)
            cold.append(seconds)
            seconds, warm_reads = timed(repo)
            warm.append(seconds)
        cold_s, warm_s = statistics.median(cold), statistics.median(warm)
        print(f"{args.files} files, median of {args.runs} runs")
        print(f"cold (no hash index): {cold_s * 1000:8.1f} ms, {cold_reads} files read")
        print(f"warm (hash index):    {warm_s * 1000:8.1f} ms, {warm_reads} files read")
        print(f"cold / warm: {cold_s / warm_s:.1f}x")
    finally:
        shutil.rmtree(repo)


if __name__ == "__main__":
    main()
