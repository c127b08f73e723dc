"""Rows of issue 23, a sync that costs what the change costs: one changed file committed, then
`hfsync run --rev HEAD` (as CI and `serve` sync), to a git target and to a Space on the test Hub.

- G1: hfsync's CPU time (user + sys of the CLI and the git processes it waits for; not the test
  Hub's) for one changed file, at a small and a large repository, each beside the same run
  planned in full (`HFSYNC_FULL_PLAN=1`), alternated pair by pair; then large / small.
- G5: the peak memory of those runs at the large size.
- G2: one changed file to a Space against the minimal client (bench/minimal_client.py), pair by
  pair, the median of the per-pair ratios of wall time (both wait for the same local server).
- G3: no change, planned without the replay (`HFSYNC_NO_MEMO=1`), against `git status` +
  `python -c pass`, the three alternated.
- G4: `watch`, save -> commit visible on a git target.

Every comparison runs in the same run as hfsync's, on the same machine: on a shared, loaded
machine CPU time is steadier than wall time, and the ratios are what to read.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench.measure import Sample, phase, run, summary
from bench.repos import build_repo, small_paths
from bench.rows_git import watch_latency
from bench.rows_hub import TOKEN, hub_config, space_readme, test_hub
from bench.table import Row

HFSYNC = [sys.executable, "-m", "hfsync"]
SYNC = [*HFSYNC, "run", "--rev", "HEAD"]
GIT_CONFIG = """[[targets]]
name = "bench"
url = "../target.git"
create = true
paths = ["app/**"]
"""
FULL_PLAN = {"HFSYNC_FULL_PLAN": "1"}
CPU_GOAL = 1.5  # G1: CPU at the large size / at the small size
RSS_GOAL_MB = 80.0  # G5
CLIENT_GOAL = 1.3  # G2
FLOOR_GOAL = 2.0  # G3
WATCH_MARGIN = 0.5  # G4: seconds over the debounce


def alternate(
    runs: int, first: Callable[[int], Sample], second: Callable[[int], Sample]
) -> tuple[list[Sample], list[Sample]]:
    """`runs` pairs, the order swapped every pair (so that a drift of the machine's load
    weighs on both sides alike); each side's samples in run order."""
    ours: list[Sample] = []
    theirs: list[Sample] = []
    for n in range(runs):
        if n % 2 == 0:
            ours.append(first(n))
            theirs.append(second(n))
        else:
            theirs.append(second(n))
            ours.append(first(n))
    return ours, theirs


def commit_change(repo: Path, path: str, text: str, env: dict[str, str]) -> None:
    """A one-line change to one file, committed (what `run --rev HEAD` then syncs)."""
    (repo / path).write_text(text)
    subprocess.run(["git", "commit", "-q", "-am", "edit"], cwd=repo, env=env, check=True)


def one_change_pairs(
    repo: Path, count: int, runs: int, env: dict[str, str]
) -> tuple[list[Sample], list[Sample]]:
    """One changed file synced, incrementally and planned in full, `runs` pairs. Each sync
    leaves its commit as the target's head, so the next incremental run can start from it."""
    path = small_paths(count)[7]

    def sync(extra: dict[str, str], side: str) -> Callable[[int], Sample]:
        def once(n: int) -> Sample:
            commit_change(repo, path, f"changed {n} {side}\n", env)
            return run(SYNC, repo, env | extra)

        return once

    return alternate(runs, sync({}, "incremental"), sync(FULL_PLAN, "full"))


def cpu(samples: list[Sample]) -> dict[str, float]:
    return summary([s.cpu for s in samples])


def rss(samples: list[Sample]) -> dict[str, float]:
    return summary([s.rss_mb for s in samples])


def pair_row(target: str, count: int, ours: list[Sample], full: list[Sample]) -> Row:
    mine, theirs = cpu(ours), cpu(full)
    return Row(
        f"G1 one changed file, {target}, `run --rev HEAD` ({count:,} files), CPU",
        mine,
        "the same planned in full (`HFSYNC_FULL_PLAN=1`), CPU",
        theirs,
        ratio=mine["median"] / theirs["median"],
        extra={
            "wall_s": summary([s.seconds for s in ours])["median"],
            "full_wall_s": summary([s.seconds for s in full])["median"],
            "peak_rss_mb": max(s.rss_mb for s in ours),
        },
    )


def scale_rows(target: str, measured: list[tuple[int, list[Sample], list[Sample]]]) -> list[Row]:
    """G1 (CPU at the largest size / at the smallest, a ratio of medians) and G5 (the peak
    memory at the largest size: the highest of its runs is held to the goal)."""
    (small, little, _), (large, big, big_full) = measured[0], measured[-1]
    ratio = cpu(big)["median"] / cpu(little)["median"]
    full_ratio = cpu(big_full)["median"] / cpu(measured[0][2])["median"]
    peak = max(s.rss_mb for s in big)
    return [
        Row(
            f"G1 one changed file, {target}: CPU at {large:,} files / at {small:,}",
            cpu(big),
            f"CPU at {small:,} files",
            cpu(little),
            ratio=ratio,
            goal=f"<= {CPU_GOAL:g}x",
            met=ratio <= CPU_GOAL,
            extra={"full_plan_ratio": full_ratio},
        ),
        Row(
            f"G5 peak memory, one changed file, {target} ({large:,} files)",
            rss(big),
            "the same planned in full",
            rss(big_full),
            ratio=peak / max(s.rss_mb for s in big_full),
            goal=f"<= {RSS_GOAL_MB:g} MB (highest run)",
            met=peak <= RSS_GOAL_MB,
            extra={"peak_rss_mb": peak},
            unit="MB",
        ),
    ]


def hub_env(root: Path, env: dict[str, str]) -> dict[str, str]:
    return env | {
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(root / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


def hub_repo(root: Path, count: int, repo_id: str) -> Path:
    repo = root / "repo"
    extra = {"hfsync.toml": hub_config(repo_id), "README.md": space_readme(count)}
    build_repo(repo, count, big=False, extra=extra)
    return repo


def git_repo(root: Path, count: int) -> Path:
    repo = root / "repo"
    build_repo(repo, count, big=False, extra={"hfsync.toml": GIT_CONFIG})
    return repo


def g1_git(work: Path, sizes: list[int], runs: int, env: dict[str, str]) -> list[Row]:
    out: list[Row] = []
    measured: list[tuple[int, list[Sample], list[Sample]]] = []
    for count in sorted(sizes):
        with phase(f"G1 git {count:,} files: build and first sync"):
            repo = git_repo(work / f"incr-git-{count}", count)
            run(SYNC, repo, env)
        with phase(f"G1 git {count:,} files: one changed file x{runs} pairs"):
            ours, full = one_change_pairs(repo, count, runs, env)
        out.append(pair_row("git target", count, ours, full))
        measured.append((count, ours, full))
    return out + (scale_rows("git target", measured) if len(measured) > 1 else [])


def g1_hub(work: Path, sizes: list[int], runs: int, env: dict[str, str]) -> list[Row]:
    out: list[Row] = []
    measured: list[tuple[int, list[Sample], list[Sample]]] = []
    for count in sorted(sizes):
        root = work / f"incr-hub-{count}"
        space_env = hub_env(root, env)
        with test_hub(root / "hub", space_env) as url:
            space_env["HF_ENDPOINT"] = url
            with phase(f"G1 Space {count:,} files: build and first sync"):
                repo = hub_repo(root, count, "user/incr")
                run(SYNC, repo, space_env)
            with phase(f"G1 Space {count:,} files: one changed file x{runs} pairs"):
                ours, full = one_change_pairs(repo, count, runs, space_env)
        out.append(pair_row("Space on the test Hub", count, ours, full))
        measured.append((count, ours, full))
    return out + (scale_rows("Space", measured) if len(measured) > 1 else [])


def per_pair(ours: list[Sample], theirs: list[Sample], key: Callable[[Sample], float]) -> float:
    return statistics.median(key(a) / key(b) for a, b in zip(ours, theirs, strict=True))


def g2_minimal_client(work: Path, count: int, runs: int, env: dict[str, str]) -> Row:
    """hfsync syncs one Space, the minimal client commits to another of the same files on the
    same test Hub (a commit hfsync did not make would be a remote edit to hfsync)."""
    root = work / f"incr-client-{count}"
    space_env = hub_env(root, env)
    path = small_paths(count)[7]
    with test_hub(root / "hub", space_env) as url:
        space_env["HF_ENDPOINT"] = url
        with phase(f"G2 Space {count:,} files: build and both first syncs"):
            repo = hub_repo(root, count, "user/incr")
            run(SYNC, repo, space_env)
            upload = ["user/client", str(repo / "app"), "app"]
            run([sys.executable, "-m", "bench.baseline", "upload", *upload], repo, space_env)

        def ours(n: int) -> Sample:
            commit_change(repo, path, f"changed {n} hfsync\n", space_env)
            return run(SYNC, repo, space_env)

        def theirs(n: int) -> Sample:
            (repo / path).write_text(f"changed {n} client\n")
            client = ["user/client", path, f"backup-{n}"]
            return run([sys.executable, "-m", "bench.minimal_client", *client], repo, space_env)

        with phase(f"G2 Space {count:,} files: hfsync and the minimal client x{runs} pairs"):
            mine, base = alternate(runs, ours, theirs)
    ratio = per_pair(mine, base, lambda s: s.seconds)
    return Row(
        f"G2 one changed file, Space, `run --rev HEAD` ({count:,} files), wall",
        summary([s.seconds for s in mine]),
        "minimal client: git status, head, path info, backup branch, pinned commit",
        summary([s.seconds for s in base]),
        ratio=ratio,
        goal=f"<= {CLIENT_GOAL:g}x (median of per-pair wall ratios)",
        met=ratio <= CLIENT_GOAL,
        extra={
            "cpu_s": cpu(mine)["median"],
            "client_cpu_s": cpu(base)["median"],
            "cpu_ratio": per_pair(mine, base, lambda s: s.cpu),
            "peak_rss_mb": max(s.rss_mb for s in mine),
        },
    )


def g3_g4_git(work: Path, count: int, runs: int, edits: int, env: dict[str, str]) -> list[Row]:
    with phase(f"G3 git {count:,} files: build and first sync"):
        repo = git_repo(work / f"incr-floor-{count}", count)
        run(SYNC, repo, env)
    no_memo = env | {"HFSYNC_NO_MEMO": "1"}
    mine: list[Sample] = []
    floor: list[Sample] = []
    with phase(f"G3 git {count:,} files: no change and its floor x{runs}, alternated"):
        for n in range(runs):
            steps: list[Callable[[], None]] = [
                lambda: mine.append(run(SYNC, repo, no_memo)),
                lambda: floor.append(_floor(repo, env)),
            ]
            for step in steps if n % 2 == 0 else steps[::-1]:
                step()
    ratio = per_pair(mine, floor, lambda s: s.seconds)
    rows = [
        Row(
            f"G3 no change, git target, `run --rev HEAD`, `HFSYNC_NO_MEMO=1` ({count:,} files)",
            summary([s.seconds for s in mine]),
            "git status --porcelain + python -c pass",
            summary([s.seconds for s in floor]),
            ratio=ratio,
            goal=f"<= {FLOOR_GOAL:g}x (median of per-run wall ratios)",
            met=ratio <= FLOOR_GOAL,
            extra={
                "cpu_s": cpu(mine)["median"],
                "floor_cpu_s": cpu(floor)["median"],
                "cpu_ratio": per_pair(mine, floor, lambda s: s.cpu),
                "peak_rss_mb": max(s.rss_mb for s in mine),
            },
        )
    ]
    with phase(f"G4 git {count:,} files: watch x{edits}"):
        rows.append(
            watch_latency(
                repo,
                env,
                edits,
                margin=WATCH_MARGIN,
                label=f"G4 watch, git target ({count:,} files)",
            )
        )
    return rows


def _floor(repo: Path, env: dict[str, str]) -> Sample:
    """`git status --porcelain` then `python -c pass`, as one sample (times added)."""
    status = run(["git", "status", "--porcelain"], repo, env)
    python = run([sys.executable, "-c", "pass"], repo, env)
    return Sample(
        status.seconds + python.seconds, max(status.rss_mb, python.rss_mb), status.cpu + python.cpu
    )


def rows(
    work: Path, sizes: list[int], size: int, runs: int, edits: int, env: dict[str, str]
) -> list[Row]:
    """G1 and G5 at `sizes` (smallest and largest compared), G2-G4 at `size`."""
    out = g1_git(work, sizes, runs, env)
    out += g1_hub(work, sizes, runs, env)
    out.append(g2_minimal_client(work, size, runs, env))
    out += g3_g4_git(work, size, runs, edits, env)
    return out
