"""The last `hfsync run`'s answer, given again when nothing it depends on has changed.

A working-tree run that wrote nothing (nothing to do, or a dry run) is remembered with what it
printed, under everything that decided it: the command's options, the current directory and
the environment; hfsync's own code; the config file and the workflow files the scopes read; the
checkout's fingerprint (git's index, the changed and the untracked files with their stat, HEAD,
git's settings files: `memo/fingerprint.py`); hfsync's local state; and each target's head.
The next identical run checks all of that, at the cost of `git status` and one request per
target, and prints the same answer without planning. Anything different or unreadable means a
full run.

Not remembered: runs in CI (a fresh runner has no memo; step outputs and job summaries are
files), runs that wrote, created, waited for a build, would notify or failed, runs whose files
the fingerprint cannot vouch for (`Source.fingerprintable`), and runs taken while a file they
relied on was still being written (`Fingerprint.is_settled`). A run that replays writes
nothing, so a stale answer could leave a sync undone, never overwrite anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hfsync import __version__
from hfsync.local.gitcmd import NEVER_PROMPT, listed_ref
from hfsync.local.state import cache_not_written, state_dir
from hfsync.memo.fingerprint import Checkout, Fingerprint

if TYPE_CHECKING:
    from hfsync.config.model import Config
    from hfsync.engine.outcome import TargetOutcome
    from hfsync.local.source import Source
    from hfsync.remotes.target import Target

MEMO_FILE = "last-run.json"
VERSION = 1
MAX_MEMO_BYTES = 4_000_000  # a JSON answer lists every path: a bigger one is not kept
MAX_INPUT_BYTES = 16_000_000  # a config or workflow file bigger than this is never an input
# Set by the shell or the terminal from one command to the next: not inputs of a run.
VOLATILE_ENV = frozenset({"_", "OLDPWD", "PWD", "SHLVL"})
_PACKAGE = Path(__file__).resolve().parent.parent


@dataclass
class Lookup:
    """One run checked against the memo. Made before the config is read, so that git works
    while Python imports the rest; the fingerprint is kept for the full run to record."""

    checkout: Checkout
    key: str
    fingerprint: Fingerprint
    memo: dict[str, Any] | None  # the memo, when it was made under the same key
    probes: list[subprocess.Popen[bytes]]  # `git ls-remote` of the memo's git targets

    def replay(self) -> str | None:
        """What the remembered run printed, when nothing it depends on changed; else None.
        The fingerprint is taken either way (before a full run reads anything)."""
        memo = self.memo
        if memo is not None and not self._heads_unchanged(memo["heads"]):
            memo = None
        digest = self.fingerprint.digest()
        if memo is None or digest is None or digest != memo["fingerprint"]:
            return None
        if _inputs_digest(memo["inputs"]) != memo["inputs_digest"]:
            return None
        if _state_digest(self.checkout.git_dir) != memo["state"]:
            return None
        stdout: str = memo["stdout"]
        return stdout

    def _heads_unchanged(self, heads: list[dict[str, str]]) -> bool:
        probes = iter(self.probes)
        same = True
        for head in heads:  # every probe is waited for, even after a difference
            seen = _git_answer(next(probes), head) if head["kind"] == "git" else None
            if same and head["kind"] == "hub":
                seen = _hub_head(head)
            same = same and seen == head["head"]
        return same


def begin(options: Mapping[str, object], environ: Mapping[str, str]) -> Lookup | None:
    """Start checking `hfsync run` with these options against the memo; None outside a
    checkout git can read, or when HFSYNC_NO_MEMO is set."""
    if environ.get("HFSYNC_NO_MEMO"):
        return None
    checkout = Checkout.locate(Path.cwd())
    if checkout is None:
        return None
    fingerprint = Fingerprint(checkout, environ)  # git starts working now
    key = _key(options, environ)
    memo = _load(checkout.git_dir)
    if memo is not None and memo.get("key") != key:
        memo = None
    probes = []
    if memo is not None:
        probes = [_git_probe(checkout.root, h) for h in memo["heads"] if h["kind"] == "git"]
    return Lookup(checkout, key, fingerprint, memo, probes)


def record(
    lookup: Lookup,
    config: Config,
    config_given: bool,
    outcomes: Sequence[TargetOutcome],
    sources: Sequence[Source],
    stdout: str,
    dry_run: bool,
    exit_code: int,
) -> bool:
    """Remember this run's answer when it may be given again (see the module); True if so."""
    git_dir = lookup.checkout.git_dir
    fingerprint = lookup.fingerprint
    digest = fingerprint.digest()
    heads = _heads(outcomes)
    if (
        exit_code != 0
        or digest is None
        or not fingerprint.is_settled()
        or heads is None
        or not sources
        or not all(source.fingerprintable for source in sources)
        or (not dry_run and config.notify.urls_from_env)
    ):
        _forget(git_dir)
        return False
    inputs = _inputs(config, config_given, lookup.checkout.root)
    if any(os.path.islink(path) for (path,) in inputs):  # the digest never reads through links
        _forget(git_dir)
        return False
    inputs_digest = _inputs_digest(inputs)  # taken before checking that they still say this
    if not _still_configured(config, outcomes, lookup.checkout.root):
        _forget(git_dir)
        return False
    memo = {
        "version": VERSION,
        "key": lookup.key,
        "fingerprint": digest,
        "inputs": inputs,
        "inputs_digest": inputs_digest,
        "state": _state_digest(git_dir),
        "heads": heads,
        "stdout": stdout,
    }
    return _save(git_dir, memo)


def _key(options: Mapping[str, object], environ: Mapping[str, str]) -> str:
    """What a run's answer depends on besides the files, the state and the remote."""
    code = []
    for path in sorted(_PACKAGE.rglob("*.py")):
        st = path.stat()
        code.append((str(path.relative_to(_PACKAGE)), st.st_size, st.st_mtime_ns))
    terminal = [int(os.isatty(1)), int(os.isatty(2))]
    if os.isatty(1):
        terminal.append(os.get_terminal_size(1).columns)
    parts = {
        "version": __version__,
        "python": sys.executable,
        "code": code,
        "cwd": os.getcwd(),
        "options": {name: str(value) for name, value in sorted(options.items())},
        "environ": sorted((k, v) for k, v in environ.items() if k not in VOLATILE_ENV),
        "terminal": terminal,
    }
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _heads(outcomes: Sequence[TargetOutcome]) -> list[dict[str, str]] | None:
    """How to read each target's head again, with the head planned on; None when an outcome
    is not one to remember (an error, a write, a creation, a build wait, a note)."""
    heads = []
    for outcome in outcomes:
        result, target = outcome.result, outcome.target
        if outcome.error is not None or outcome.build is not None or result is None:
            return None
        if target is None or result.plan.head is None:
            return None
        if result.commit is not None or result.created is not None or result.note is not None:
            return None
        heads.append(_probe_of(target) | {"head": result.plan.head})
    return heads or None


def _probe_of(target: Target) -> dict[str, str]:
    from hfsync.remotes.git import GitRemote
    from hfsync.remotes.hub import HubRemote

    remote = target.remote
    if isinstance(remote, GitRemote):
        return {"kind": "git", "url": remote.url, "branch": remote.branch}
    if isinstance(remote, HubRemote):
        return {
            "kind": "hub",
            "repo": remote.repo_id,
            "repo_type": remote.repo_type,
            "branch": remote.branch,
            "endpoint": remote.endpoint,
        }
    raise TypeError(f"no head probe for {type(remote).__name__}")


def _git_probe(root: Path, head: Mapping[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        ["git", "ls-remote", "--heads", "--", head["url"], _ref(head)],  # noqa: S607
        cwd=root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **NEVER_PROMPT},
    )


def _git_answer(probe: subprocess.Popen[bytes], head: Mapping[str, str]) -> str | None:
    out, _ = probe.communicate()
    if probe.returncode != 0:
        return None
    return listed_ref(out.decode(errors="replace"), _ref(head))


def _ref(head: Mapping[str, str]) -> str:
    return f"refs/heads/{head['branch']}"


def _hub_head(head: Mapping[str, str]) -> str | None:
    from hfsync.remotes.hub_head import quick_head

    return quick_head(head["endpoint"], head["repo_type"], head["repo"], head["branch"], os.environ)


def _inputs(config: Config, config_given: bool, root: Path) -> list[list[str]]:
    """The files and folders the config and the scopes were read from (or whose absence
    decided which config file was read)."""
    paths = [config.path] if config_given else [root / "hfsync.toml", root / "pyproject.toml"]
    for target in config.targets:
        if target.from_workflow is not None:
            paths.append(root / target.from_workflow)
        if target.local_dir:
            paths.append(root / target.local_dir)
    return [[str(path.absolute())] for path in paths]


def _inputs_digest(inputs: list[list[str]]) -> str:
    """The content of each input file (the kind of anything else), read with a limit: the
    paths come from the memo file, which is input too."""
    digest = hashlib.sha256()
    for (path,) in inputs:
        digest.update(f"{path}\0".encode())
        try:
            if os.path.islink(path):  # never read through: it may lead out of the repository
                digest.update(b"a symlink")
            elif os.path.isdir(path):
                digest.update(b"a folder")
            elif not os.path.isfile(path) or os.path.getsize(path) > MAX_INPUT_BYTES:
                digest.update(b"not a config file")
            else:
                with open(path, "rb") as handle:
                    digest.update(hashlib.sha256(handle.read(MAX_INPUT_BYTES + 1)).digest())
        except OSError as exc:
            digest.update(f"missing {exc.errno}".encode())
    return digest.hexdigest()


def _still_configured(config: Config, outcomes: Sequence[TargetOutcome], root: Path) -> bool:
    """Whether the config and workflow files, read again now, give the config and scopes this
    run used (they may have been edited while it ran)."""
    from hfsync.config.model import load_config
    from hfsync.config.scope import scope_for_target
    from hfsync.core.errors import HfsyncError

    try:
        if load_config(config.path, root) != config:
            return False
        for outcome in outcomes:
            if outcome.target is None:
                return False
            scope = scope_for_target(outcome.config, root, config.path)
            if scope.spec != outcome.target.scope.spec:
                return False
    except HfsyncError:
        return False
    return True


def _state_digest(git_dir: Path) -> str:
    """hfsync's local state of every target (base pointers, settled paths)."""
    digest = hashlib.sha256()
    folder = state_dir(git_dir) / "targets"
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    for name in names:
        digest.update(f"{name}\0".encode())
        try:
            digest.update(hashlib.sha256((folder / name).read_bytes()).digest())
        except OSError as exc:
            digest.update(f"missing {exc.errno}".encode())
    return digest.hexdigest()


def _load(git_dir: Path) -> dict[str, Any] | None:
    path = state_dir(git_dir) / MEMO_FILE
    try:
        if path.stat().st_size > MAX_MEMO_BYTES:
            return None
        memo = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not _well_formed(memo):
        return None
    assert isinstance(memo, dict)  # noqa: S101 (narrowed by _well_formed)
    return memo


def _well_formed(memo: object) -> bool:
    """A memo this version wrote: anything else (older, damaged, edited) is not used."""
    if not isinstance(memo, dict) or memo.get("version") != VERSION:
        return False
    strings = ("key", "fingerprint", "inputs_digest", "state", "stdout")
    if not all(isinstance(memo.get(name), str) for name in strings):
        return False
    inputs, heads = memo.get("inputs"), memo.get("heads")
    if not isinstance(inputs, list) or not all(
        isinstance(item, list) and len(item) == 1 and isinstance(item[0], str) for item in inputs
    ):
        return False
    fields = {
        "git": {"url", "branch", "head"},
        "hub": {"repo", "repo_type", "branch", "endpoint", "head"},
    }
    return (
        isinstance(heads, list)
        and bool(heads)
        and all(
            isinstance(head, dict)
            and head.get("kind") in fields
            and set(head) == fields[head["kind"]] | {"kind"}
            and all(isinstance(value, str) for value in head.values())
            for head in heads
        )
    )


def _save(git_dir: Path, memo: dict[str, Any]) -> bool:
    data = json.dumps(memo)
    if len(data) > MAX_MEMO_BYTES:
        _forget(git_dir)
        return False
    import tempfile

    folder = state_dir(git_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(tmp, folder / MEMO_FILE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        cache_not_written(folder, exc)
        return False
    return True


def _forget(git_dir: Path) -> None:
    """Remove the memo: what it answered may no longer hold."""
    with suppress(OSError):
        (state_dir(git_dir) / MEMO_FILE).unlink(missing_ok=True)
