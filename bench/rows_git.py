"""Rows measured against a git target (a local bare repository): the no-change dry run against
its floor, the scale series, the CI cold run and `hfsync --help`; and the watch latency's
measurement (its row is one of bench/rows_incremental.py's, at 50,000 files)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.measure import Sample, phase, repeat, run, summary
from bench.repos import build_repo
from bench.table import Row

FULL = {"HFSYNC_NO_MEMO": "1", "HFSYNC_FULL_PLAN": "1"}  # no replay, no incremental plan

HFSYNC = [sys.executable, "-m", "hfsync"]
GIT_CONFIG = """[[targets]]
name = "bench"
url = "../target.git"
create = true
paths = ["app/**"]
"""


def git_repo(work: Path, count: int, env: dict[str, str]) -> tuple[Path, float]:
    """A checkout of `count` files synced once to its bare target; and that first sync's time.

    The first sync is of the commit (`--rev HEAD`, as CI runs it): its blobs are in git's
    object database already, so nothing is hashed; the working tree is clean, so the no-change
    runs that follow take every blob id from git's index whether or not the hash index is warm.
    """
    root = work / f"git-{count}"
    repo = root / "repo"
    with phase(f"git {count:,} files: build the repository"):
        build_repo(repo, count, extra={"hfsync.toml": GIT_CONFIG})
    with phase(f"git {count:,} files: first sync (--rev HEAD)"):
        first = run([*HFSYNC, "run", "--rev", "HEAD"], repo, env)
    return repo, first.seconds


def floor(repo: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    """The issue's floor: `python -c pass` + `git status --porcelain` + `git ls-tree -r` of the
    target head, each measured `runs` times; the sum of their medians (and of mins, maxes)."""
    parts = [
        repeat(runs, lambda: run([sys.executable, "-c", "pass"], repo, env))[0],
        repeat(runs, lambda: run(["git", "status", "--porcelain"], repo, env))[0],
        repeat(
            runs,
            lambda: run(["git", "--git-dir", "../target.git", "ls-tree", "-r", "main"], repo, env),
        )[0],
    ]
    return {key: sum(part[key] for part in parts) for key in ("median", "min", "max")} | {
        "runs": runs
    }


def no_change(repo: Path, runs: int, env: dict[str, str]) -> tuple[dict[str, float], float]:
    """A no-change dry run as a user repeats it: the first one plans in full and is remembered
    (not measured), the next ones give that answer again (memo/answer.py)."""
    command = [*HFSYNC, "run", "--worktree", "--dry-run"]
    run(command, repo, env)
    return repeat(runs, lambda: run(command, repo, env))


def full_plan(repo: Path, runs: int, env: dict[str, str]) -> tuple[dict[str, float], float]:
    """The same dry run planned in full every time (HFSYNC_NO_MEMO=1, HFSYNC_FULL_PLAN=1):
    reading both sides."""
    command = [*HFSYNC, "run", "--worktree", "--dry-run"]
    return repeat(runs, lambda: run(command, repo, env | FULL))


def rows(
    work: Path, sizes: list[int], table_size: int, runs: int, env: dict[str, str]
) -> list[Row]:
    out: list[Row] = []
    scale: list[Row] = []
    repos: dict[int, Path] = {}
    for count in sorted(set(sizes) | {table_size}):
        repos[count], first_seconds = git_repo(work, count, env)
        with phase(f"git {count:,} files: no change planned in full x{runs}"):
            times, rss = full_plan(repos[count], runs, env)
        if count == table_size:
            with phase(f"git {count:,} files: floor x{runs}"):
                base = floor(repos[count], runs, env)
            with phase(f"git {count:,} files: no change (remembered) x{runs}"):
                again, again_rss = no_change(repos[count], runs, env)
            out.append(
                Row(
                    f"no change, git target, `run --worktree --dry-run` ({count:,} files)",
                    again,
                    "floor: python -c pass + git status + git ls-tree -r",
                    base,
                    goal="<= 1.5x the floor",
                    ratio=again["median"] / base["median"],
                    met=again["median"] <= 1.5 * base["median"],
                    extra={"peak_rss_mb": again_rss},
                )
            )
            out.append(
                Row(
                    f"the same, planned in full (no replay, `HFSYNC_FULL_PLAN=1`, {count:,} files)",
                    times,
                    "floor: python -c pass + git status + git ls-tree -r",
                    base,
                    ratio=times["median"] / base["median"],
                    extra={"peak_rss_mb": rss},
                )
            )
            with phase(f"git {count:,} files: CI cold x{runs}"):
                out.append(ci_cold(work, repos[count], count, runs, env))
        if count in sizes:
            scale.append(
                Row(
                    f"scale: no change planned in full, git target, {count:,} files",
                    times,
                    "",
                    None,
                    extra={
                        "peak_rss_mb": rss,
                        "us_per_file": 1e6 * times["median"] / count,
                        "first_sync_rev_head_s": first_seconds,
                    },
                    goal="<= 150 MB at 100,000 files" if count == 100_000 else "",
                    met=rss <= 150 if count == 100_000 else None,
                )
            )
    smallest = repos[min(repos)]
    with phase("hfsync --help"):
        out.append(help_time(smallest, runs, env))
    return out + scale


def ci_cold(work: Path, repo: Path, count: int, runs: int, env: dict[str, str]) -> Row:
    """`run --rev HEAD --dry-run` in a fresh clone without a working tree (nothing to read from
    disk, no local cache), against `git ls-tree -r HEAD` in the same clone."""
    samples: list[Sample] = []
    listing: list[Sample] = []
    for n in range(runs):
        clone = repo.parent / f"ci-{n}"
        subprocess.run(
            ["git", "clone", "-q", "--no-checkout", str(repo), str(clone)], check=True, env=env
        )
        subprocess.run(
            ["git", "checkout", "HEAD", "--", "hfsync.toml"], cwd=clone, check=True, env=env
        )
        samples.append(run([*HFSYNC, "run", "--rev", "HEAD", "--dry-run"], clone, env))
        listing.append(run(["git", "ls-tree", "-r", "HEAD"], clone, env))
    read = files_read_at_head(clone)
    times = summary([s.seconds for s in samples])
    base = summary([s.seconds for s in listing])
    return Row(
        f"CI cold: fresh clone, `run --rev HEAD --dry-run` ({count:,} files)",
        times,
        "git ls-tree -r HEAD",
        base,
        ratio=times["median"] / base["median"],
        goal="0 files read",
        met=read == 0,
        extra={"files_read": read, "peak_rss_mb": max(s.rss_mb for s in samples)},
    )


def files_read_at_head(clone: Path) -> int:
    """How many files or blobs a dry run of HEAD reads the content of (in this process)."""
    from hfsync.config.model import load_config
    from hfsync.config.scope import scope_for_target
    from hfsync.engine.sync import run_sync
    from hfsync.engine.sync_values import SyncOptions
    from hfsync.local.source import read_source
    from hfsync.remotes.target import open_target

    config = load_config(clone / "hfsync.toml")
    scope = scope_for_target(config.targets[0], clone, config.path)
    target = open_target(config.targets[0], scope, clone, clone / ".git")
    source = read_source(clone, "HEAD", scope.includes)
    run_sync(target, source, SyncOptions(rev="HEAD", dry_run=True))
    return source.files_read


def watch_latency(
    repo: Path,
    env: dict[str, str],
    edits: int = 20,
    debounce: float = 0.5,
    margin: float | None = None,
    label: str = "watch",
) -> Row:
    """Save -> commit visible on the target, for `edits` saves, with `hfsync watch`; its goal,
    with a `margin`: the median at most the debounce + `margin` seconds."""
    target = repo.parent / "target.git"
    path = repo / "app" / "watch-me.txt"
    watcher = subprocess.Popen(
        [*HFSYNC, "watch", "--debounce", str(debounce), "--poll", "0"],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    latencies: list[float] = []
    try:
        for n in range(edits + 1):  # the first edit also waits for the watcher to start
            text = f"edit {n}\n"
            started = time.perf_counter()
            path.write_text(text)
            while _shown(target, "app/watch-me.txt") != text:
                if time.perf_counter() - started > 60:
                    raise RuntimeError("watch: an edit did not reach the target within 60 s")
                time.sleep(0.01)
            if n:
                latencies.append(time.perf_counter() - started)
    finally:
        watcher.send_signal(signal.SIGINT)
        watcher.wait(timeout=60)
    times = summary(latencies)
    return Row(
        f"{label}: save -> commit visible (median of {edits})",
        times,
        "the debounce setting",
        {"median": debounce, "min": debounce, "max": debounce, "runs": 1},
        ratio=times["median"] / debounce,
        goal="" if margin is None else f"<= debounce + {margin:g} s",
        met=None if margin is None else times["median"] <= debounce + margin,
        extra={"overhead_s": times["median"] - debounce},
    )


def _shown(target: Path, path: str) -> str | None:
    done = subprocess.run(
        ["git", "--git-dir", str(target), "cat-file", "blob", f"main:{path}"],
        capture_output=True,
        text=True,
    )
    return done.stdout if done.returncode == 0 else None


def help_time(repo: Path, runs: int, env: dict[str, str]) -> Row:
    times, rss = repeat(runs, lambda: run([*HFSYNC, "--help"], repo, env))
    base, _ = repeat(runs, lambda: run([sys.executable, "-c", "pass"], repo, env))
    return Row(
        "`hfsync --help`",
        times,
        "python -c pass",
        base,
        ratio=times["median"] / base["median"],
        extra={"peak_rss_mb": rss},
    )


def environment() -> dict[str, str]:
    """The benchmark's environment: no user git config, a fixed identity, not in CI, and Python
    allowed to cache bytecode (an installed hfsync has it: without it every run compiles
    hfsync's modules again, ~0.3 s)."""
    from bench.gitenv import GIT_ENV

    unset = ("CI", "GITHUB_ACTIONS", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    here = str(Path(__file__).resolve().parent.parent)  # so that `-m bench.baseline` is found
    path = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    return env | GIT_ENV | {"PYTHONPATH": path}
