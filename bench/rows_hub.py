"""Rows measured against a Hub target (the test Hub, in its own process on 127.0.0.1), each
beside `upload_folder` of the same files: first sync, no change, one changed file, no local cache.
Every command runs as its own process, as a user or a CI job runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.measure import Sample, phase, run, summary
from bench.repos import build_repo, small_paths
from bench.table import Row

HFSYNC = [sys.executable, "-m", "hfsync"]
BASELINE = [sys.executable, "-m", "bench.baseline"]
TOKEN = "hf_bench_write"


def hub_config(repo_id: str) -> str:
    return (
        f'[[targets]]\nname = "bench"\nrepo = "{repo_id}"\ncreate = true\n'
        'paths = ["app/**", "README.md"]\n'
    )


def space_readme(count: int) -> str:
    """A Space's configuration (hfsync checks that a Space it syncs has one), its app_file a
    synced file. The upload_folder side uploads `app/` only: one 50-byte file less."""
    return f"---\nsdk: gradio\napp_file: {small_paths(count)[0]}\n---\n"


@contextmanager
def test_hub(root: Path, env: dict[str, str]) -> Iterator[str]:
    """The test Hub as a subprocess; yields its URL."""
    hub = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hfsync.testing.hub",
            "--root",
            str(root),
            "--token",
            f"{TOKEN}@user",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert hub.stdout is not None
        yield hub.stdout.readline().strip()
    finally:
        hub.terminate()
        hub.wait(timeout=30)


class Requests:
    """The test Hub's request log, through its control routes (never logged themselves)."""

    def __init__(self, url: str) -> None:
        self.url = f"{url}/_testhub/requests"

    def clear(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url, method="DELETE")).read()

    def count(self) -> tuple[int, int]:
        """(requests, bytes of request bodies) since the last clear."""
        records = json.loads(urllib.request.urlopen(self.url).read())
        sent = sum(int(r["headers"].get("content-length", 0) or 0) for r in records)
        return len(records), sent


def rows(work: Path, count: int, runs: int, first_runs: int, env: dict[str, str]) -> list[Row]:
    root = work / f"hub-{count}"
    repo = root / "repo"
    with phase(f"hub {count:,} files: build the repository"):
        extra = {"hfsync.toml": hub_config("user/first-0"), "README.md": space_readme(count)}
        build_repo(repo, count, extra=extra)
    env = env | {
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(root / "hf-home"),
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    upload = [*BASELINE, "upload", "user/base-0", str(repo / "app"), "app"]

    def hfsync(config: Path | None = None) -> list[str]:
        return [*HFSYNC, "run", "--worktree", *(["--config", str(config)] if config else [])]

    def measured(
        url: str, cmd: list[str], extra: dict[str, str] | None = None
    ) -> tuple[Sample, int, int]:
        """One command against the Hub at `url`: its sample, requests and bytes sent."""
        log = Requests(url)
        log.clear()
        sample = run(cmd, repo, env | {"HF_ENDPOINT": url} | (extra or {}))
        return (sample, *log.count())

    def on_new_hub(hub_root: Path, cmd: list[str]) -> tuple[Sample, int, int]:
        with test_hub(hub_root, env) as url:
            return measured(url, cmd)

    # Each side has a Hub of its own: the test Hub stores an LFS object once for all its repos,
    # and a second upload of the same large files would skip them.
    with test_hub(root / "ours", env) as mine, test_hub(root / "theirs", env) as theirs_url:
        out: list[Row] = []
        # First sync: a new Space on an empty Hub each run, no local cache (a fresh runner).
        ours, theirs = [], []
        for n in [*range(1, first_runs), 0]:  # the run on the Hubs kept for the next rows last
            config = root / f"first-{n}.toml"
            config.write_text(hub_config("user/first-0"))
            shutil.rmtree(repo / ".git" / "hfsync", ignore_errors=True)
            with phase(f"hub {count:,} files: first sync {len(ours) + 1}/{first_runs}, both"):
                if n == 0:  # on the Hubs the next rows use
                    ours.append(measured(mine, hfsync(config)))
                    theirs.append(measured(theirs_url, upload))
                else:
                    ours.append(on_new_hub(root / f"ours-{n}", hfsync(config)))
                    theirs.append(on_new_hub(root / f"theirs-{n}", upload))
        out.append(_row(f"first sync, Hub target ({count:,} files)", ours, theirs, 1.0))
        # No change: hfsync against upload_folder of the unchanged folder. hfsync's first
        # no-change run plans in full and is remembered (not measured); a user's next ones
        # give that answer again (memo/answer.py).
        with phase(f"hub {count:,} files: no change x{runs}, both"):
            measured(mine, hfsync())
            ours = [measured(mine, hfsync()) for _ in range(runs)]
            theirs = [measured(theirs_url, upload) for _ in range(runs)]
            full_plan = {"HFSYNC_NO_MEMO": "1", "HFSYNC_FULL_PLAN": "1"}
            planned = [measured(mine, hfsync(), full_plan) for _ in range(runs)]
        out.append(_row(f"no change, Hub target ({count:,} files)", ours, theirs, 30.0))
        full = _row(
            f"the same, planned in full (no replay, `HFSYNC_FULL_PLAN=1`, {count:,} files)",
            planned,
            theirs,
        )
        out.append(full)
        # One changed file, changed again before each run.
        changed = repo / small_paths(count)[7]
        ours, theirs = [], []
        with phase(f"hub {count:,} files: one changed file x{runs}, both"):
            for n in range(runs):
                changed.write_text(f"changed {n}\n")
                ours.append(measured(mine, hfsync()))
                theirs.append(measured(theirs_url, upload))
        out.append(_row(f"one changed file, Hub target ({count:,} files)", ours, theirs, 20.0))
        # No local cache: as a fresh CI runner with the same checkout.
        ours = []
        with phase(f"hub {count:,} files: no local cache x{runs}"):
            for _ in range(runs):
                shutil.rmtree(repo / ".git" / "hfsync", ignore_errors=True)
                ours.append(measured(mine, hfsync()))
        listing = summary(
            [
                float(
                    subprocess.run(
                        [*BASELINE, "list-tree", "user/first-0"],
                        env=env | {"HF_ENDPOINT": mine},
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout.split()[0]
                )
                for _ in range(runs)
            ]
        )
    warm = full.hfsync["median"]  # a fresh runner plans in full: compared with a warm full plan
    times = summary([s.seconds for s, _, _ in ours])
    compared = {key: warm + listing[key] for key in ("median", "min", "max")} | {"runs": runs}
    out.append(
        Row(
            f"no change, no local cache, Hub target ({count:,} files)",
            times,
            "warm no-change run planned in full + tree listing",
            compared,
            ratio=times["median"] / compared["median"],
            goal="<= 1.5x",
            met=times["median"] <= 1.5 * compared["median"],
            extra={"requests": ours[-1][1], "peak_rss_mb": max(s.rss_mb for s, _, _ in ours)},
        )
    )
    return out


def _row(
    name: str,
    ours: list[tuple[Sample, int, int]],
    theirs: list[tuple[Sample, int, int]],
    speedup_goal: float | None = None,
) -> Row:
    """hfsync's runs against upload_folder's; `speedup_goal` None: a row for information."""
    mine = summary([s.seconds for s, _, _ in ours])
    base = summary([s.seconds for s, _, _ in theirs])
    ratio = mine["median"] / base["median"]
    goal = ""
    if speedup_goal is not None:
        goal = f">= {speedup_goal:g}x faster" if speedup_goal > 1 else "as fast or faster"
    return Row(
        name,
        mine,
        "upload_folder of the same folder",
        base,
        ratio=ratio,
        goal=goal,
        met=None if speedup_goal is None else 1 / ratio >= speedup_goal,
        extra={
            "requests": ours[-1][1],
            "baseline_requests": theirs[-1][1],
            "bytes_sent": ours[-1][2],
            "baseline_bytes_sent": theirs[-1][2],
            "peak_rss_mb": max(s.rss_mb for s, _, _ in ours),
        },
    )
