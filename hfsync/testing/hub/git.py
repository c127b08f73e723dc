"""Git plumbing on bare repositories, through the `git` command line.

Every call runs with a scrubbed environment: no user or system config, no inherited `GIT_*`
variables (a test's `GIT_DIR` or identity must not leak in), and a fixed committer.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

ZERO_OID = "0" * 40
COMMITTER = ("Test Hub", "testhub@testhub.invalid")
_HEX_REV = re.compile(r"[0-9a-fA-F]{4,40}")


class GitError(Exception):
    """A git command failed; the message carries its stderr."""


def _base_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_COMMITTER_NAME=COMMITTER[0],
        GIT_COMMITTER_EMAIL=COMMITTER[1],
        LC_ALL="C",
    )
    return env


def run_git(
    git_dir: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """Run `git --git-dir=<git_dir> <args>` and return its stdout; raise `GitError` on failure."""
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args],
        input=stdin,
        capture_output=True,
        env={**_base_env(), **(env or {})},
        check=False,
    )
    if done.returncode != 0:
        command = " ".join(args[:2])
        raise GitError(f"git {command} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def init_bare(git_dir: Path) -> None:
    git_dir.parent.mkdir(parents=True, exist_ok=True)
    run_git(git_dir, "init", "--quiet", "--bare", "--initial-branch=main", str(git_dir))


def write_blobs(git_dir: Path, contents: Iterable[bytes]) -> list[str]:
    """Store each content as a blob and return the SHA-1s, in order.

    One `git fast-import` writes them all into a pack (a process or a loose object per blob is
    far slower for commits of thousands of files). Contents are streamed to it as `contents`
    yields them, so a commit's files are never all in memory at once. If `contents` raises, the
    blobs already sent stay as unreferenced objects and the error propagates.
    """
    with tempfile.TemporaryDirectory(dir=git_dir, prefix="marks-") as scratch:
        marks, errors = Path(scratch) / "marks", Path(scratch) / "stderr"
        count = 0
        with errors.open("wb") as stderr:
            process = subprocess.Popen(
                [
                    "git",
                    f"--git-dir={git_dir}",
                    "fast-import",
                    "--quiet",
                    f"--export-marks={marks}",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=_base_env(),
            )
            assert process.stdin is not None
            try:
                for content in contents:
                    count += 1
                    process.stdin.write(b"blob\nmark :%d\ndata %d\n" % (count, len(content)))
                    process.stdin.write(content)
                    process.stdin.write(b"\n")
            except BrokenPipeError:
                pass  # git stopped reading: its exit status and stderr say why
            finally:
                with contextlib.suppress(BrokenPipeError):
                    process.stdin.close()
                returncode = process.wait()
        if returncode != 0:
            message = errors.read_text(errors="replace").strip()
            raise GitError(f"git fast-import failed: {message}")
        if count == 0:
            return []
        oid_of_mark = dict(line.split() for line in marks.read_text().splitlines())
    return [oid_of_mark[f":{number}"] for number in range(1, count + 1)]


def read_blob(git_dir: Path, oid: str) -> bytes:
    return run_git(git_dir, "cat-file", "blob", oid)


def read_blobs(git_dir: Path, oids: Iterable[str]) -> dict[str, bytes]:
    """Read many blobs with one `git cat-file --batch`."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = run_git(
        git_dir, "cat-file", "--batch", stdin="".join(f"{oid}\n" for oid in wanted).encode()
    )
    blobs: dict[str, bytes] = {}
    position = 0
    for oid in wanted:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        start = header_end + 1
        blobs[oid] = out[start : start + size]
        position = start + size + 1
    return blobs


@dataclass(frozen=True)
class TreeItem:
    """One line of `git ls-tree -r -t -l`: a blob or a tree at a path."""

    mode: str
    kind: str  # "blob" or "tree"
    oid: str
    size: int  # 0 for trees
    path: str


def list_tree(git_dir: Path, commit: str) -> list[TreeItem]:
    """Every blob and tree of `commit`, recursively, in git's order (folders before content)."""
    out = run_git(git_dir, "ls-tree", "-r", "-t", "-l", "-z", commit)
    items = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, path = record.decode().split("\t", 1)
        mode, kind, oid, size = meta.split()
        items.append(TreeItem(mode, kind, oid, 0 if size == "-" else int(size), path))
    return items


def write_tree(git_dir: Path, files: Mapping[str, tuple[str, str]]) -> str:
    """Write a tree holding `files` (path -> (mode, blob oid)) through a throw-away index."""
    records = b"".join(f"{mode} {oid}\t{path}\0".encode() for path, (mode, oid) in files.items())
    with tempfile.TemporaryDirectory(dir=git_dir, prefix="index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        run_git(git_dir, "update-index", "-z", "--index-info", stdin=records, env=env)
        return run_git(git_dir, "write-tree", env=env).decode().strip()


def commit_tree(
    git_dir: Path, tree: str, parents: Iterable[str], message: str, author: tuple[str, str]
) -> str:
    parent_args = [arg for parent in parents for arg in ("-p", parent)]
    env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1]}
    out = run_git(
        git_dir, "commit-tree", tree, *parent_args, "-F", "-", stdin=message.encode(), env=env
    )
    return out.decode().strip()


def update_ref(git_dir: Path, ref: str, new: str, old: str) -> None:
    """Compare-and-swap `ref` from `old` (ZERO_OID: `ref` must not exist yet) to `new`."""
    run_git(git_dir, "update-ref", ref, new, old)


def delete_ref(git_dir: Path, ref: str) -> None:
    run_git(git_dir, "update-ref", "-d", ref)


def create_annotated_tag(git_dir: Path, name: str, commit: str, message: str, tagger: str) -> None:
    """Create `refs/tags/<name>` as an annotated tag object (fails if it exists)."""
    body = (
        f"object {commit}\ntype commit\ntag {name}\n"
        f"tagger {tagger} <{tagger}@testhub.invalid> {_now_for_git()}\n\n{message}\n"
    )
    tag_oid = run_git(git_dir, "mktag", stdin=body.encode()).decode().strip()
    update_ref(git_dir, f"refs/tags/{name}", tag_oid, ZERO_OID)


def _now_for_git() -> str:
    return f"{int(time.time())} +0000"


def is_valid_ref_name(ref: str) -> bool:
    done = subprocess.run(
        ["git", "check-ref-format", ref], capture_output=True, env=_base_env(), check=False
    )
    return done.returncode == 0


def list_refs(git_dir: Path) -> dict[str, str]:
    """Every ref -> the commit it points to (annotated tags peeled)."""
    out = run_git(git_dir, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname)")
    refs = {}
    for line in out.decode().splitlines():
        oid, peeled, name = line.split(" ", 2)
        refs[name] = peeled or oid
    return refs


def resolve_hex(git_dir: Path, revision: str) -> str | None:
    """The commit a full or abbreviated hex id names, or None (unknown or ambiguous)."""
    if _HEX_REV.fullmatch(revision) is None:
        return None
    try:
        out = run_git(git_dir, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
    except GitError:
        return None
    return out.decode().strip()


@dataclass(frozen=True)
class LogEntry:
    """One commit as `git log` shows it."""

    oid: str
    author: str
    timestamp: int
    message: str


_LOG_FORMAT = "--format=%H%x1f%an%x1f%at%x1f%B%x1e"


def log(
    git_dir: Path, commit: str, skip: int = 0, limit: int | None = None, path: str = ""
) -> list[LogEntry]:
    """Commits reachable from `commit`, newest first; with `path`, only those touching it."""
    args = ["log", _LOG_FORMAT, f"--skip={skip}"]
    if limit is not None:
        args.append(f"--max-count={limit}")
    args.append(commit)
    if path:
        args += ["--", path]
    entries = []
    for record in run_git(git_dir, *args).decode().split("\x1e"):
        record = record.strip("\n")
        if not record:
            continue
        oid, author, timestamp, message = record.split("\x1f", 3)
        entries.append(LogEntry(oid, author, int(timestamp), message))
    return entries


def is_ancestor(git_dir: Path, ancestor: str, descendant: str) -> bool:
    done = subprocess.run(
        ["git", f"--git-dir={git_dir}", "merge-base", "--is-ancestor", ancestor, descendant],
        capture_output=True,
        env=_base_env(),
        check=False,
    )
    return done.returncode == 0


def merge_tree(git_dir: Path, ours: str, theirs: str) -> str:
    """The tree of merging two commits (git >= 2.38); `GitError` if they conflict."""
    out = run_git(git_dir, "merge-tree", "--write-tree", "--no-messages", ours, theirs)
    return out.decode().split()[0]
