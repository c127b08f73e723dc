"""Run every benchmark and print one table: `python -m bench` (or `python bench/run.py`).

Repositories are generated deterministically (bench/repos.py) in a work folder, hfsync and each
comparison run side by side in the same run as separate processes, each several times (median,
min, max). The table is printed as Markdown and all figures are written as JSON.

    python -m bench                       # default sizes, about 12 minutes on 2 cores
    python -m bench --quick               # small sizes, a smoke test of the runner
    python -m bench --sizes 1000 10000 --table-size 10000 --hub-size 10000 --runs 3
    python -m bench --only incremental    # only issue 23's rows (bench/rows_incremental.py)
    python -m bench --only incremental --quick
    python -m bench --only hub --first-runs 5   # only the Hub rows (bench/rows_hub.py)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import rows_git, rows_hot_reload, rows_hub, rows_incremental
from bench.measure import phase
from bench.table import Row, markdown


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10_000, 50_000, 100_000],
        help="file counts of the scale series (git target)",
    )
    parser.add_argument(
        "--table-size",
        type=int,
        default=50_000,
        help="file count of the git-target rows of the table",
    )
    parser.add_argument(
        "--hub-size",
        type=int,
        default=50_000,
        help="file count of the Hub-target rows (0: skip them)",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs of each quick measurement")
    parser.add_argument(
        "--hub-runs",
        type=int,
        default=3,
        help="runs of each Hub measurement (first sync: --first-runs)",
    )
    parser.add_argument("--first-runs", type=int, default=2)
    parser.add_argument(
        "--incremental-sizes",
        type=int,
        nargs=2,
        default=[2000, 100_000],
        metavar=("SMALL", "LARGE"),
        help="file counts of the one-changed-file CPU rows, compared (G1, G5)",
    )
    parser.add_argument(
        "--incremental-size",
        type=int,
        default=50_000,
        help="file count of the minimal-client, no-change-floor and watch rows (G2-G4)",
    )
    parser.add_argument(
        "--watch-edits", type=int, default=20, help="saves measured by the watch row"
    )
    parser.add_argument(
        "--no-incremental", action="store_true", help="skip the incremental rows (issue 23)"
    )
    parser.add_argument(
        "--only",
        choices=["incremental", "hub"],
        help="run only these rows (incremental: bench/rows_incremental.py; hub: bench/rows_hub.py)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1,000 and 5,000 files, 3 runs, 5 saves: checks the runner in a few minutes",
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder, removed)")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path("bench-results.json"),
        help="where to write the results (default: bench-results.json)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.table_size, args.hub_size = [1000, 5000], 5000, 5000
        args.runs, args.hub_runs, args.first_runs = 3, 2, 1
        args.incremental_sizes, args.incremental_size, args.watch_edits = [1000, 5000], 5000, 5
    if args.only and args.no_incremental:
        parser.error("--only and --no-incremental exclude each other: give one")
    return args


def machine() -> dict[str, object]:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "git": git,
        "os": platform.platform(),
        "load_at_start": load,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hfsync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = rows_git.environment()
    about = machine()
    started = time.perf_counter()
    rows: list[Row] = []
    try:
        print(f"bench: work folder {work}", file=sys.stderr)
        if args.only is None:
            rows += other_rows(work, args, env)
        elif args.only == "hub":
            with phase("Hub rows"):
                rows += rows_hub.rows(work, args.hub_size, args.hub_runs, args.first_runs, env)
        if not args.no_incremental and args.only != "hub":
            with phase("incremental rows"):
                rows += rows_incremental.rows(
                    work,
                    args.incremental_sizes,
                    args.incremental_size,
                    args.runs,
                    args.watch_edits,
                    env,
                )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    about["load_at_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    print(
        f"\nMachine: {about['cpu']}, {about['cores']} cores, Python {about['python']}, "
        f"{about['git']}; load {about['load_at_start']:.1f} at start, "
        f"{about['load_at_end']:.1f} at end. Command: `{command.strip()}`"
        f"; whole bench {elapsed:.0f} s.\n"
    )
    print(markdown(rows))
    args.json.write_text(
        json.dumps(
            {
                "machine": about,
                "command": command.strip(),
                "seconds": elapsed,
                "rows": [row.to_dict() for row in rows],
            },
            indent=2,
        )
    )
    print(f"\nresults written to {args.json}", file=sys.stderr)
    return 0


def other_rows(work: Path, args: argparse.Namespace, env: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    with phase("git rows"):
        rows += rows_git.rows(work, args.sizes, args.table_size, args.runs, env)
    if args.hub_size:
        with phase("Hub rows"):
            rows += rows_hub.rows(work, args.hub_size, args.hub_runs, args.first_runs, env)
        with phase("hot reload row"):
            rows.append(rows_hot_reload.row(work, env))
    with phase("Xet rows"):
        rows += xet_rows(work, env)
    return rows


def xet_rows(work: Path, env: dict[str, str]) -> list[Row]:
    """Large files through Xet vs LFS (bench/bench_xet.py): its rows when it provides
    `rows(work, env)`, else it runs as its own process and prints its own table."""
    try:
        from bench import bench_xet
    except ImportError:
        return []
    if hasattr(bench_xet, "rows"):
        produced: list[Row] = bench_xet.rows(work, env)
        return produced
    subprocess.run([sys.executable, "-m", "bench.bench_xet"], env=env, check=True)
    return []


if __name__ == "__main__":
    sys.exit(main())
