"""Large files through Xet vs legacy LFS: what `hfsync run` sends to the local test Hub.

A repository of N binary files of S MB each (deterministic random bytes) is synced to a Space:
first sync, then one file changed by a few bytes in its middle. Each path runs `hfsync run` as a
subprocess (as a user would) with its own persistent HF_HOME (so Xet keeps its local chunk cache
between runs, as on a developer's machine); a last row repeats the change with a fresh HF_HOME (a
fresh CI runner). Printed per run: wall time, HTTP requests, request bytes sent, and the bytes of
large-file content (xorbs + shards, or LFS parts). Run: python -m bench.bench_xet [--files N]
[--size-mb S]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.gitenv import GIT_ENV, git
from bench.measure import phase

CONTENT_PATHS = ("/cas/v1/xorbs/", "/cas/v1/shards", "/cas/v2/shards", "/_lfs/")


def build_repo(repo: Path, count: int, size: int, target: str) -> None:
    git(repo, "init", "-q", "-b", "main")
    generator = random.Random(14)
    for i in range(count):
        path = repo / "weights" / f"shard{i:03}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generator.randbytes(size))
    (repo / "hfsync.toml").write_text(
        f'[[targets]]\nname = "space"\nrepo = "{target}"\ncreate = true\n'
        'paths = ["weights/**", "README.md", "index.html"]\n'
    )
    # A Space's configuration (hfsync checks that a Space it syncs has one) and its page.
    (repo / "README.md").write_text("---\nsdk: static\n---\n")
    (repo / "index.html").write_text("<p>bench</p>\n")
    # Random bytes do not compress: storing them as they are makes `git add` ~4x quicker.
    git(repo, "-c", "core.compression=0", "add", "-A")
    git(repo, "commit", "-q", "-m", "weights")


def change_a_few_bytes(repo: Path, offset: int, text: bytes) -> None:
    """Overwrite `text` at `offset` in one file (the first) and commit."""
    with (repo / "weights" / "shard000.bin").open("r+b") as handle:
        handle.seek(offset)
        handle.write(text)
    git(repo, "-c", "core.compression=0", "commit", "-q", "-am", "one file changed")


def measure(hub: object, repo: Path, env: dict[str, str]) -> tuple[float, int, int, int]:
    """(seconds, requests, request bytes, large-file content bytes) of one `hfsync run`."""
    control = hub.control  # type: ignore[attr-defined]
    control.clear_log()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "hfsync", "run"],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"hfsync run failed ({done.returncode}): {done.stderr[-2000:]}")
    records = control.requests()
    sizes = [(r.path, int(r.headers.get("content-length", 0) or 0)) for r in records]
    content = sum(size for path, size in sizes if path.startswith(CONTENT_PATHS))
    return seconds, len(records), sum(size for _, size in sizes), content


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--size-mb", type=float, default=20.0)
    args = parser.parse_args()
    size = int(args.size_mb * 1_000_000)
    os.environ.update(GIT_ENV)
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"

    from hfsync.testing.hub.fixtures import WRITE_TOKEN, running_test_hub

    rows: list[tuple[str, float, int, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp, running_test_hub(Path(tmp) / "hub") as hub:
        root = Path(tmp)
        for name, disable in (("xet", "0"), ("lfs", "1")):
            repo = root / f"project-{name}"
            repo.mkdir()
            with phase(f"xet bench: build the {name} repository"):
                build_repo(repo, args.files, size, f"user/{name}")
            env = {
                "HF_ENDPOINT": hub.url,
                "HF_TOKEN": WRITE_TOKEN,
                "HF_HOME": str(root / f"hf-{name}"),
                "HF_HUB_DISABLE_XET": disable,
            }
            with phase(f"xet bench: {name} first sync and one change"):
                rows.append((f"{name}: first sync", *measure(hub, repo, env)))
                change_a_few_bytes(repo, size // 2, b"a few changed bytes")
                rows.append((f"{name}: 1 file changed", *measure(hub, repo, env)))
            if name == "xet":
                change_a_few_bytes(repo, size // 3, b"more changed bytes")  # no local cache now
                fresh = {**env, "HF_HOME": str(root / "hf-fresh")}
                rows.append(("xet: 1 file changed, fresh HF_HOME", *measure(hub, repo, fresh)))

    print(f"{args.files} files of {size:,} bytes (test Hub on 127.0.0.1, hfsync run subprocess)")
    header = f"{'run':36} {'seconds':>8} {'requests':>9} {'bytes sent':>14} {'content sent':>14}"
    print(header)
    for name, seconds, requests, sent, content in rows:
        print(f"{name:36} {seconds:8.2f} {requests:9d} {sent:14,d} {content:14,d}")
    by_name = {row[0]: row for row in rows}
    xet_change, lfs_change = by_name["xet: 1 file changed"], by_name["lfs: 1 file changed"]
    print(
        f"1 file changed: Xet sent {xet_change[4]:,} content bytes for a {size:,}-byte file "
        f"({xet_change[4] / size:.2%} of it); LFS sent {lfs_change[4]:,} "
        f"({lfs_change[4] / max(xet_change[4], 1):.0f}x Xet)"
    )


if __name__ == "__main__":
    main()
