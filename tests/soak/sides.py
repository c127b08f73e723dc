"""The two target kinds a soak round drives, behind one small interface: read the remote's files,
edit it as a second client would, and arm faults (the test Hub's; git has none to inject)."""

from __future__ import annotations

import contextlib
import random
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi

from hfsync.core.backups import list_backups
from hfsync.testing.hub import TestHub

REPO = "user/soak"
Tree = dict[str, str]  # path -> blob id (git SHA-1; LFS is never used: files are small)


class Side(Protocol):
    kind: str
    config: str  # the [[targets]] table

    def tree(self, ref: str = "main") -> Tree: ...
    def backup_trees(self) -> list[Tree]: ...
    def commit(self, writes: dict[str, bytes], deletes: list[str], message: str) -> None: ...
    def arm_faults(self, rng: random.Random, counts: dict[str, int]) -> list[threading.Thread]: ...
    def clear_faults(self) -> None: ...
    def commit_count(self) -> int: ...


def _blob_id(data: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class HubSide:
    hub: TestHub
    api: HfApi
    kind: str = "hub"
    config: str = ""
    racers: int = field(default=0)

    def __post_init__(self) -> None:
        self.config = (
            f'name = "space"\nrepo = "{REPO}"\ncreate = true\nallow = ["space-config:README.md"]\n'
        )

    def tree(self, ref: str = "main") -> Tree:
        from huggingface_hub.hf_api import RepoFile

        if not self.api.repo_exists(REPO, repo_type="space"):
            return {}
        entries = self.api.list_repo_tree(REPO, recursive=True, revision=ref, repo_type="space")
        return {e.path: e.blob_id for e in entries if isinstance(e, RepoFile)}

    def backup_trees(self) -> list[Tree]:
        refs = self.api.list_repo_refs(REPO, repo_type="space")
        found = list_backups({r.name: r.target_commit for r in refs.branches})
        return [self.tree(b.commit) for b in found]

    def commit(self, writes: dict[str, bytes], deletes: list[str], message: str) -> None:
        operations: list[CommitOperationAdd | CommitOperationDelete] = [
            CommitOperationAdd(path_in_repo=p, path_or_fileobj=d) for p, d in writes.items()
        ]
        operations += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        self.api.create_commit(REPO, operations, commit_message=message, repo_type="space")

    def commit_count(self) -> int:
        return len(self.api.list_repo_commits(REPO, repo_type="space"))

    def arm_faults(self, rng: random.Random, counts: dict[str, int]) -> list[threading.Thread]:
        """One to three faults on the calls a sync makes; sometimes enough to exhaust retries."""
        control = self.hub.control
        routes = [
            ("GET", r"/api/spaces/user/soak/revision/"),
            ("GET", r"/tree/"),
            ("GET", r"/commits/"),
            ("GET", r"/refs"),
            ("POST", r"/branch/"),
            ("POST", r"/preupload/"),
            ("POST", r"/commit/"),
            ("POST", r"/paths-info/"),
        ]
        threads = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.choice(["5xx", "429", "drop", "drop-after-commit", "latency", "race"])
            method, path = rng.choice(routes)
            times = 6 if rng.random() < 0.1 else rng.randint(1, 2)
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "5xx":
                control.inject(path, method=method, status=rng.choice([500, 502, 503]), times=times)
            elif kind == "429":
                wait = 1 if rng.random() < 0.1 else 0
                control.inject(path, method=method, status=429, retry_after=wait, times=times)
            elif kind == "drop":
                control.inject(path, method=method, drop=True, times=times)
            elif kind == "drop-after-commit":
                control.inject("/commit/", method="POST", drop_after=True, times=1)
            elif kind == "latency":
                control.inject(path, method=method, latency=rng.choice([0.05, 0.2]), times=times)
            else:  # a commit by someone else while the sync is under way (out of scope)
                control.inject("/preupload/", method="POST", latency=0.3, times=1)
                self.racers += 1
                name = f"outside/race-{self.racers}.txt"
                threads.append(_later(0.1, lambda n=name: self._race(n)))
        return threads

    def _race(self, name: str) -> None:
        with contextlib.suppress(Exception):  # a racing commit that fails is fine too
            self.commit({name: b"race\n"}, [], "racing commit")

    def clear_faults(self) -> None:
        self.hub.control.clear_faults()


@dataclass
class GitSide:
    bare: Path
    clone: Path
    kind: str = "git"
    config: str = ""
    racers: int = 0

    def __post_init__(self) -> None:
        self.config = f'name = "mirror"\nurl = "{self.bare}"\ncreate = true\n'

    def _git(self, cwd: Path, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=True)
        return done.stdout.decode("utf-8", "surrogateescape")

    def tree(self, ref: str = "main") -> Tree:
        if not self.bare.exists():
            return {}
        try:
            out = self._git(self.bare, "ls-tree", "-r", "-z", ref)
        except subprocess.CalledProcessError:
            return {}
        tree = {}
        for record in out.split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                tree[path] = meta.split()[2]
        return tree

    def backup_trees(self) -> list[Tree]:
        if not self.bare.exists():
            return []
        out = self._git(self.bare, "for-each-ref", "--format=%(refname:short) %(objectname)")
        branches = dict(line.split() for line in out.splitlines())
        return [self.tree(b.commit) for b in list_backups(branches)]

    def commit(self, writes: dict[str, bytes], deletes: list[str], message: str) -> None:
        if not self.clone.exists():
            self._git(self.clone.parent, "clone", "-q", str(self.bare), str(self.clone))
        self._git(self.clone, "fetch", "-q", "origin")
        self._git(self.clone, "reset", "-q", "--hard", "origin/main")
        for path, data in writes.items():
            file = self.clone / path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
        for path in deletes:
            (self.clone / path).unlink(missing_ok=True)
        self._git(self.clone, "add", "-A")
        self._git(self.clone, "commit", "-q", "-m", message)
        self._git(self.clone, "push", "-q", "origin", "HEAD:main")

    def commit_count(self) -> int:
        return int(self._git(self.bare, "rev-list", "--count", "main").strip() or 0)

    def arm_faults(self, rng: random.Random, counts: dict[str, int]) -> list[threading.Thread]:
        """git has no fault injection here: a push racing the sync (out of scope)."""
        counts["race"] = counts.get("race", 0) + 1
        self.racers += 1
        name = f"outside/race-{self.racers}.txt"
        return [_later(rng.choice([0.0, 0.05, 0.2]), lambda: self._race(name))]

    def _race(self, name: str) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # lost to hfsync's push: fine
            self.commit({name: b"race\n"}, [], "racing push")

    def clear_faults(self) -> None:
        return None


def _later(delay: float, action: object) -> threading.Thread:
    import time

    def run() -> None:
        time.sleep(delay)
        action()  # type: ignore[operator]

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def blob_id(data: bytes) -> str:
    return _blob_id(data)
