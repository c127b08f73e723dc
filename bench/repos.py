"""Deterministic benchmark repositories: N small text files plus a few large binaries.

The same `count` always gives the same paths, bytes and commit id (fixed dates, seeded bytes), so
figures from two machines or two runs compare. The commit is written by `git fast-import` and
checked out by git (both in C: a 100,000-file repository takes seconds); files are then dated a
minute in the past, as a real checkout's files are, so that none falls in a racy window.
"""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from bench.gitenv import git

FILES_PER_DIR = 100
BIG_FILES = 3
BIG_SIZE = 12 * 1024 * 1024  # over 10 MB: stored as LFS on the Hub
_DATE = "1700000000 +0000"


def small_paths(count: int) -> list[str]:
    """The small files' paths: `app/dNN/dNNNN/fNNNNNN.txt`, 100 per folder, 50 folders per group."""
    return [
        f"app/d{i // (FILES_PER_DIR * 50):02}/d{i // FILES_PER_DIR:04}/f{i:06}.txt"
        for i in range(count)
    ]


def small_content(i: int) -> bytes:
    """Between 60 bytes and about 3 KB of text, different for every file."""
    return f"file {i}: ".encode() + b"some text of a small source file\n" * (1 + i % 90)


def big_paths(count: int) -> list[str]:
    """A few large binaries, in repositories of 1,000 files or more."""
    return [f"app/weights/w{n}.bin" for n in range(BIG_FILES if count >= 1000 else 0)]


def files(count: int, *, big: bool) -> Iterator[tuple[str, bytes]]:
    for i, path in enumerate(small_paths(count)):
        yield path, small_content(i)
    if big:
        rng = random.Random(12)
        for path in big_paths(count):
            yield path, rng.randbytes(BIG_SIZE)


def build_repo(
    repo: Path, count: int, *, big: bool = True, extra: dict[str, str] | None = None
) -> None:
    """A checkout on branch main whose one commit holds `count` small files (and the big ones)
    and the `extra` files (path -> text)."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    blobs = itertools.chain(
        files(count, big=big), ((p, t.encode()) for p, t in (extra or {}).items())
    )
    paths: list[str] = []  # the contents are streamed, never all held (the bench stays small)
    with subprocess.Popen(
        ["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE
    ) as importer:
        stream = importer.stdin
        assert stream is not None
        for mark, (path, data) in enumerate(blobs, start=1):
            stream.write(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
            paths.append(path)
        message = f"{count} files".encode()
        stream.write(b"commit refs/heads/main\n")
        stream.write(f"committer bench <bench@hfsync.invalid> {_DATE}\n".encode())
        stream.write(b"data %d\n%s\n" % (len(message), message))
        for mark, path in enumerate(paths, start=1):
            stream.write(f"M 100644 :{mark} {path}\n".encode())
        stream.close()
    if importer.returncode != 0:
        raise RuntimeError("git fast-import failed")
    # Parallel checkout (a worker per core): the files come out several times quicker (50,000
    # files: 4-6 s instead of 23-33 s here).
    git(repo, "-c", "checkout.workers=0", "checkout", "-q", "-f", "main")
    age(repo)


def age(repo: Path) -> None:
    """Date every file of the working tree a minute ago, then let git refresh its index."""
    past = time.time_ns() - 60 * 10**9
    for folder, dirs, names in os.walk(repo):
        if ".git" in dirs:
            dirs.remove(".git")
        for name in names:
            os.utime(os.path.join(folder, name), ns=(past, past))
    git(repo, "update-index", "-q", "--refresh")
