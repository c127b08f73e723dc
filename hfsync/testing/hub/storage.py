"""Repos as real bare git repositories under `<root>/{models,datasets,spaces}/<ns>/<name>.git`.

Commits, branches and tags are git objects and refs, so `git --git-dir=... log` shows the history.
Writers hold the repo's lock and move refs with compare-and-swap (`git update-ref <new> <old>`).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from . import git
from .naming import API_SEGMENT, RepoKey
from .snapshot import Snapshot

DEFAULT_BRANCH = "main"
_META_FILE = "testhub.json"
_SNAPSHOT_CACHE_SIZE = 64

# The LFS patterns of the `.gitattributes` a new repo starts with (the Hub's usual defaults).
_LFS_PATTERNS = [
    "*.7z",
    "*.arrow",
    "*.bin",
    "*.bz2",
    "*.ckpt",
    "*.ftz",
    "*.gz",
    "*.h5",
    "*.joblib",
    "*.lfs.*",
    "*.mlmodel",
    "*.model",
    "*.msgpack",
    "*.npy",
    "*.npz",
    "*.onnx",
    "*.ot",
    "*.parquet",
    "*.pb",
    "*.pickle",
    "*.pkl",
    "*.pt",
    "*.pth",
    "*.rar",
    "*.safetensors",
    "saved_model/**/*",
    "*.tar.*",
    "*.tar",
    "*.tflite",
    "*.tgz",
    "*.wasm",
    "*.xz",
    "*.zip",
    "*.zst",
    "*tfevents*",
]
DEFAULT_GITATTRIBUTES = "".join(
    f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in _LFS_PATTERNS
)


def hub_date(timestamp: float) -> str:
    """The Hub's date format: UTC, milliseconds, `Z` suffix (the client rejects `+00:00`)."""
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp))
        + f".{int(timestamp % 1 * 1000):03d}Z"
    )


def user_identity(user: str) -> tuple[str, str]:
    """Git author (name, email) for commits made by hub user `user`."""
    return user, f"{user}@users.testhub.invalid"


@dataclass
class RepoMeta:
    """Settings the Hub keeps outside git, persisted as JSON inside the bare repo."""

    private: bool
    created_at: str
    sdk: str | None = None
    hardware: str | None = None
    sleep_time: int | None = None
    gated: str | bool = False  # False, "auto" or "manual"


class RepoExistsError(Exception):
    """The repo to create is already there."""


class Repo:
    """One bare repository and its metadata."""

    def __init__(self, key: RepoKey, git_dir: Path, meta: RepoMeta) -> None:
        self.key = key
        self.git_dir = git_dir
        self.meta = meta
        self.lock = threading.Lock()
        self._snapshots: OrderedDict[str, Snapshot] = OrderedDict()
        self._cache_lock = threading.Lock()

    def save_meta(self) -> None:
        """Persist `meta` after changing it (the caller holds `lock`)."""
        _write_meta(self.git_dir, self.meta)

    def refs(self) -> dict[str, str]:
        """Full ref name -> commit id."""
        return git.list_refs(self.git_dir)

    def resolve(self, revision: str) -> str | None:
        """The commit a branch, tag, full ref (`refs/pr/1`) or (abbreviated) commit id names."""
        refs = self.refs()
        for candidate in (revision, f"refs/heads/{revision}", f"refs/tags/{revision}"):
            if candidate.startswith("refs/") and candidate in refs:
                return refs[candidate]
        return git.resolve_hex(self.git_dir, revision)

    def snapshot(self, commit: str) -> Snapshot:
        with self._cache_lock:
            cached = self._snapshots.get(commit)
            if cached is not None:
                self._snapshots.move_to_end(commit)
                return cached
        items = git.list_tree(self.git_dir, commit)
        snapshot = Snapshot.from_tree(
            commit, items, git.read_blobs(self.git_dir, Snapshot.pointer_candidates(items))
        )
        with self._cache_lock:
            self._snapshots[commit] = snapshot
            if len(self._snapshots) > _SNAPSHOT_CACHE_SIZE:
                self._snapshots.popitem(last=False)
        return snapshot

    def read_blob(self, oid: str) -> bytes:
        return git.read_blob(self.git_dir, oid)

    def write_blobs(self, contents: Iterable[bytes]) -> list[str]:
        return git.write_blobs(self.git_dir, contents)

    def write_commit(
        self,
        ref: str,
        parent: str | None,
        files: Mapping[str, tuple[str, str]],
        message: str,
        author: tuple[str, str],
        *,
        new_ref: bool = False,
    ) -> str:
        """Commit `files` (path -> (mode, blob)) on top of `parent` and move `ref` there.

        Compare-and-swap: `ref` must still point at `parent`, or not exist yet when `new_ref`.
        """
        tree = git.write_tree(self.git_dir, files)
        commit = git.commit_tree(self.git_dir, tree, [parent] if parent else [], message, author)
        expected = git.ZERO_OID if new_ref or parent is None else parent
        git.update_ref(self.git_dir, ref, commit, expected)
        return commit

    def log(
        self, commit: str, skip: int = 0, limit: int | None = None, path: str = ""
    ) -> list[git.LogEntry]:
        return git.log(self.git_dir, commit, skip, limit, path)

    def create_ref(self, ref: str, commit: str) -> None:
        """Create `ref` at `commit`; `git.GitError` if it already exists."""
        git.update_ref(self.git_dir, ref, commit, git.ZERO_OID)

    def delete_ref(self, ref: str) -> None:
        git.delete_ref(self.git_dir, ref)

    def create_tag(self, name: str, commit: str, message: str | None, tagger: str) -> None:
        if message:
            git.create_annotated_tag(self.git_dir, name, commit, message, tagger)
        else:
            self.create_ref(f"refs/tags/{name}", commit)


class RepoStore:
    """All repos under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.scratch = root / "tmp"
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._repos: dict[RepoKey, Repo] = {}
        self._lock = threading.Lock()

    def git_dir(self, key: RepoKey) -> Path:
        return self.root / API_SEGMENT[key.repo_type] / key.namespace / f"{key.name}.git"

    def get(self, key: RepoKey) -> Repo | None:
        """The repo `key` names, ignoring case as the Hub does (`User/Repo` finds `user/repo`);
        its `key` is the stored spelling."""
        with self._lock:
            stored = self._stored_key(key)
            if stored is None:
                self._repos.pop(key, None)
                return None
            repo = self._repos.get(stored)
            if repo is None:
                meta = RepoMeta(**json.loads((self.git_dir(stored) / _META_FILE).read_text()))
                repo = Repo(stored, self.git_dir(stored), meta)
                self._repos[stored] = repo
            return repo

    def _stored_key(self, key: RepoKey) -> RepoKey | None:
        """The key of the stored repo whose id equals `key`'s up to case (caller holds the lock)."""
        if (self.git_dir(key) / _META_FILE).is_file():
            return key
        for namespace_dir in _same_name_ignoring_case(
            self.root / API_SEGMENT[key.repo_type], key.namespace
        ):
            for repo_dir in _same_name_ignoring_case(namespace_dir, f"{key.name}.git"):
                if (repo_dir / _META_FILE).is_file():
                    return RepoKey(key.repo_type, namespace_dir.name, repo_dir.name[: -len(".git")])
        return None

    def create(
        self, key: RepoKey, meta: RepoMeta, files: Mapping[str, bytes] | None = None
    ) -> Repo:
        """Create the repo with its `initial commit` on `main`: a `.gitattributes` and `files`
        (path -> content; a Space's README.md)."""
        final_dir = self.git_dir(key)
        with self._lock:
            # A repo whose id differs only in case is the same repo on the Hub: a conflict.
            if final_dir.exists() or self._stored_key(key) is not None:
                raise RepoExistsError(str(key))
            # Built aside and renamed into place, so no reader ever sees a half-made repo.
            work_dir = self.scratch / f"new-{uuid.uuid4().hex}.git"
            git.init_bare(work_dir)
            _write_meta(work_dir, meta)
            repo = Repo(key, work_dir, meta)
            initial = {".gitattributes": DEFAULT_GITATTRIBUTES.encode(), **(files or {})}
            blobs = repo.write_blobs(initial.values())
            repo.write_commit(
                f"refs/heads/{DEFAULT_BRANCH}",
                None,
                {path: ("100644", blob) for path, blob in zip(initial, blobs, strict=True)},
                "initial commit",
                ("system", "system@testhub.invalid"),
            )
            final_dir.parent.mkdir(parents=True, exist_ok=True)
            os.rename(work_dir, final_dir)
            repo.git_dir = final_dir
            self._repos[key] = repo
            return repo

    def rename(self, key: RepoKey, new: RepoKey) -> Repo:
        """Move the repo stored under exactly `key` to `new`, which no other repo may hold (up
        to case: a repo may change the case of its own id); RepoExistsError if one does."""
        with self._lock:
            holder = self._stored_key(new)
            if holder is not None and holder != key:
                raise RepoExistsError(str(new))
            old_dir, new_dir = self.git_dir(key), self.git_dir(new)
            new_dir.parent.mkdir(parents=True, exist_ok=True)
            os.rename(old_dir, new_dir)
            self._repos.pop(key, None)
            meta = RepoMeta(**json.loads((new_dir / _META_FILE).read_text()))
            repo = Repo(new, new_dir, meta)
            self._repos[new] = repo
            return repo

    def keys(self, repo_type: str) -> list[RepoKey]:
        """Every repo of a type, as stored, sorted by id."""
        folder = self.root / API_SEGMENT[repo_type]
        if not folder.is_dir():
            return []
        return sorted(
            (
                RepoKey(repo_type, namespace.name, repo_dir.name[: -len(".git")])
                for namespace in folder.iterdir()
                for repo_dir in namespace.glob("*.git")
                if (repo_dir / _META_FILE).is_file()
            ),
            key=lambda key: key.repo_id.lower(),
        )

    def delete(self, key: RepoKey) -> bool:
        """Delete the repo stored under exactly `key` (as `get` returned it)."""
        git_dir = self.git_dir(key)
        with self._lock:
            self._repos.pop(key, None)
            if not git_dir.is_dir():
                return False
            trash = self.scratch / f"deleted-{uuid.uuid4().hex}"
            os.rename(git_dir, trash)
        shutil.rmtree(trash, ignore_errors=True)
        return True

    def wipe(self) -> None:
        """Delete every repo."""
        with self._lock:
            self._repos.clear()
            for segment in API_SEGMENT.values():
                shutil.rmtree(self.root / segment, ignore_errors=True)


def _same_name_ignoring_case(folder: Path, name: str) -> list[Path]:
    if not folder.is_dir():
        return []
    return [child for child in folder.iterdir() if child.name.lower() == name.lower()]


def _write_meta(git_dir: Path, meta: RepoMeta) -> None:
    temp = git_dir / f"{_META_FILE}.tmp"
    temp.write_text(json.dumps(asdict(meta)))
    os.replace(temp, git_dir / _META_FILE)
