"""hfsync against the push-everything baseline, on the local test Hub (no network).

The baseline is what the seed workflow does on every push: `HfApi.upload_folder` of every file in
scope. Against it, hfsync's incremental run after a one-file change and after no change. Both run
in this script, against the same test Hub, on a Space of N files; printed: wall time, HTTP
requests, request bytes sent, and the ratios. Run: python -m bench.bench_sync [--files N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.gitenv import GIT_ENV, git

os.environ.setdefault("HF_HUB_DISABLE_XET", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def build_repo(repo: Path, count: int, target: str) -> None:
    git(repo, "init", "-q", "-b", "main")
    for i in range(count):
        path = repo / "app" / f"pkg{i % 50:02}" / f"module{i:05}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"VALUE = {i}\n" + "# padding\n" * (i % 40))
    (repo / "hfsync.toml").write_text(
        f'[[targets]]\nname = "space"\nrepo = "{target}"\ncreate = true\npaths = ["app/**"]\n'
    )
    past = time.time_ns() - 60 * 10**9  # a real checkout's files are not brand new
    for path in repo.rglob("*"):
        if ".git" not in path.parts:
            os.utime(path, ns=(past, past))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bench")


def measure(hub: object, action: Callable[[], object]) -> tuple[float, int, int]:
    """(seconds, requests, bytes of request bodies) of one action."""
    control = hub.control  # type: ignore[attr-defined]
    control.clear_log()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    records = control.requests()
    sent = sum(int(r.headers.get("content-length", 0) or 0) for r in records)
    return seconds, len(records), sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    args = parser.parse_args()
    os.environ.update(GIT_ENV)

    from huggingface_hub import HfApi

    from hfsync.config.model import load_config
    from hfsync.core.scope import scope_for_target
    from hfsync.engine.sync import SyncOptions, open_target, run_sync
    from hfsync.local.source import read_source
    from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with hub_with_client(root / "hub", root / "hf") as hub:
            os.environ["HF_ENDPOINT"], os.environ["HF_TOKEN"] = hub.url, WRITE_TOKEN
            api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
            repo = root / "project"
            repo.mkdir()
            build_repo(repo, args.files, "user/hfsync")
            api.create_repo("user/baseline", repo_type="space", space_sdk="gradio")

            def baseline() -> object:
                return api.upload_folder(
                    repo_id="user/baseline",
                    repo_type="space",
                    folder_path=repo / "app",
                    path_in_repo="app",
                )

            def hfsync_run() -> object:
                config = load_config(repo / "hfsync.toml")
                scope = scope_for_target(config.targets[0], repo, config.path)
                target = open_target(config.targets[0], scope, repo, repo / ".git")
                source = read_source(repo, None, scope.includes)
                return run_sync(target, source, SyncOptions())

            rows = []
            rows.append(("baseline: first upload_folder", *measure(hub, baseline)))
            rows.append(("hfsync: first sync", *measure(hub, hfsync_run)))
            changed = repo / "app" / "pkg07" / "module00007.py"
            changed.write_text("VALUE = 'changed'\n")
            rows.append(("baseline: upload_folder, 1 changed", *measure(hub, baseline)))
            rows.append(("hfsync: run, 1 changed", *measure(hub, hfsync_run)))
            rows.append(("baseline: upload_folder, no change", *measure(hub, baseline)))
            rows.append(("hfsync: run, no change", *measure(hub, hfsync_run)))
            shutil.rmtree(repo / ".git" / "hfsync")  # as on a fresh CI runner
            rows.append(("hfsync: run, no change, no local cache", *measure(hub, hfsync_run)))

    print(f"{args.files} files in scope (test Hub on 127.0.0.1)")
    print(f"{'run':40} {'seconds':>8} {'requests':>9} {'bytes sent':>11}")
    for name, seconds, requests, sent in rows:
        print(f"{name:40} {seconds:8.3f} {requests:9d} {sent:11d}")
    for label, base, ours in (("1 changed", rows[2], rows[3]), ("no change", rows[4], rows[5])):
        print(
            f"{label}: hfsync is {base[1] / ours[1]:.1f}x faster, "
            f"{base[2] / max(ours[2], 1):.1f}x fewer requests, "
            f"{base[3] / max(ours[3], 1):.0f}x fewer bytes sent than the baseline"
        )


if __name__ == "__main__":
    main()
