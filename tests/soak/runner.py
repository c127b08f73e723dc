"""Randomized soak rounds against the test Hub and a git remote, with invariants after each.

A round: random local adds, edits, deletes and renames (hostile names), sometimes an edit on the
remote by a second client, then one sync: in-process under injected faults, or an `hfsync run`
subprocess killed with -9 at a random moment, or two subprocesses at once. Then:

1. the remote holds the old or the complete new tree within scope, never a mix;
2. a remote edit is never overwritten unless the policy said so, and then a backup holds it;
3. nothing outside the scope changed (remote files out of scope; local files out of scope never
   reach the remote);
4. the local state is valid or rebuilt, and the run's exit code is one the situation allows;
5. once faults stop, one run converges (remote == source within scope).

Every round is reproducible from the soak's seed: `python -m tests.soak --seed S --rounds N`.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.config.model import load_config
from hfsync.config.scope import scope_for_target
from hfsync.core.errors import ConflictError, HfsyncError, TemporaryError
from hfsync.engine.sync import run_sync
from hfsync.engine.sync_values import SyncOptions
from hfsync.local.source import read_source
from hfsync.local.state import TargetState
from hfsync.remotes.target import open_target
from tests.soak.sides import GitSide, HubSide, Side, Tree, blob_id

SCOPE = 'paths = ["app/**", "data/**"]\nexclude = ["*.secret"]\n'
NAMES = [
    "app/main.py",
    "app/sp ace.py",
    "app/tab\there.txt",
    unicodedata.normalize("NFC", "app/café.txt"),
    unicodedata.normalize("NFD", "data/café-nfd.txt"),
    "app/[id]*?.py",
    "app/a b/c d.txt",
    "app/emoji-😀.txt",
    "data/" + "l" * 180 + ".txt",
    "data/-dash.txt",
    "data/#hash.txt",
    "data/x+y!.txt",
    "data/ü/ñ.dat",
]
MODE_WEIGHTS = [int(w) for w in os.environ.get("HFSYNC_SOAK_WEIGHTS", "64,25,6,5").split(",")]
OUT_OF_SCOPE_LOCAL = {"docs/guide.md": b"guide\n", "app/key.secret": b"s3cret\n"}
START = {"app/main.py": b"print('hello')\n"}
SIDE_KINDS = ("hub", "git")  # the order of Soak.sides: a round's first draw picks one


def in_scope(path: str) -> bool:
    return path.startswith(("app/", "data/")) and not path.endswith(".secret")


@dataclass
class Report:
    rounds: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"
        modes = ", ".join(f"{k} {v}" for k, v in sorted(self.modes.items()))
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (
            f"rounds: {self.rounds}; faults: {faults}; modes: {modes}; outcomes: {outcomes}; "
            f"violations: {len(self.violations)}"
        )


class Soak:
    def __init__(self, root: Path, seed: int, hub_side: HubSide, git_side: GitSide) -> None:
        from tests.helpers_git import commit_all, init_repo

        self.seed = seed
        self.root = root
        self.sides: list[Side] = [hub_side, git_side]
        self.report = Report()
        self.files: dict[str, bytes] = {**START, **OUT_OF_SCOPE_LOCAL}
        config = "".join(f"[[targets]]\n{side.config}{SCOPE}\n" for side in self.sides)
        self.repo = init_repo(root / "source", {"hfsync.toml": config, **self.files})
        self._commit_all = commit_all
        self.env = {**os.environ, "HFSYNC_RETRY_WAIT": "0.01", "HFSYNC_TIMEOUT": "5"}
        os.environ.update({"HFSYNC_RETRY_WAIT": "0.01", "HFSYNC_TIMEOUT": "5"})
        for side in self.sides:
            self._sync(side, "overwrite")  # create both targets
            side.commit({"README.md": b"# out of scope\n", "outside/keep.txt": b"k\n"}, [], "human")

    # -- the source -------------------------------------------------------------------------

    def local_tree(self) -> Tree:
        return {p: blob_id(d) for p, d in self.files.items() if in_scope(p)}

    def mutate_local(self, rng: random.Random) -> None:
        mutate(self.files, rng)
        self._write_files()

    def start_at(self, number: int) -> None:
        """Skip to round `number`: the source as rounds 1 to number - 1 left it (their local
        changes replayed without syncing), both targets converged to it. A violation usually
        needs only the few rounds before it: `--from` replays them in seconds, not minutes."""
        self.files = files_before(self.seed, number)
        self._write_files()
        for side in self.sides:
            self._sync(side, "overwrite")

    def _write_files(self) -> None:
        for path in list(self._on_disk()):
            if path not in self.files and path != "hfsync.toml":
                (self.repo / path).unlink()
        for path, data in self.files.items():
            file = self.repo / path
            file.parent.mkdir(parents=True, exist_ok=True)
            if not file.exists() or file.read_bytes() != data:
                file.write_bytes(data)
        self._commit_all(self.repo, "local change")

    def _on_disk(self) -> list[str]:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=self.repo, capture_output=True, check=True
        ).stdout
        return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]

    # -- syncing -----------------------------------------------------------------------------

    def _sync(self, side: Side, policy: str) -> str:
        """One in-process `hfsync run`; its outcome as a word."""
        config = load_config(self.repo / "hfsync.toml")
        chosen = config.targets[self.sides.index(side)]
        scope = scope_for_target(chosen, self.repo, config.path)
        target = open_target(chosen, scope, self.repo, self.repo / ".git")
        source = read_source(self.repo, "HEAD", scope.includes)
        try:
            run_sync(target, source, SyncOptions(rev="HEAD", on_conflict=policy))
        except ConflictError:
            return "conflict"
        except TemporaryError:
            return "temporary"
        except HfsyncError as exc:
            return f"exit {exc.exit_code}: {exc}"
        return "ok"

    def _cli(self, side: Side, policy: str) -> subprocess.Popen[bytes]:
        name = "space" if side.kind == "hub" else "mirror"
        args = ["run", "--rev", "HEAD", "--target", name, "--on-conflict", policy]
        return subprocess.Popen(
            [sys.executable, "-m", "hfsync", *args],
            cwd=self.repo,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    # -- one round ---------------------------------------------------------------------------

    def round(self, number: int) -> None:
        rng = random.Random(f"{self.seed}-{number}")
        side = rng.choice(self.sides)
        self.mutate_local(rng)
        edits = self.remote_edit(side, rng) if rng.random() < 0.25 else {}
        policy = rng.choice(["abort", "skip", "overwrite"]) if edits else "abort"
        before = side.tree()
        local = self.local_tree()
        conflicts = {p for p in edits if local.get(p) != before.get(p)}
        mode = rng.choices(["faults", "clean", "kill", "twice"], weights=MODE_WEIGHTS)[0]
        self.report.modes[f"{side.kind} {mode}"] += 1
        codes: list[str] = []
        if mode in ("faults", "clean"):
            threads = side.arm_faults(rng, self.report.faults) if mode == "faults" else []
            codes.append(self._sync(side, policy))
            for thread in threads:
                thread.join()
            side.clear_faults()
        elif mode == "kill":
            process = self._cli(side, policy)
            time.sleep(rng.uniform(0.3, 1.5))  # the CLI needs ~0.3 s to start
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                self.report.faults["kill -9"] += 1
            process.wait()
            codes.append("killed" if process.returncode == -signal.SIGKILL else _word(process))
        else:
            processes = [self._cli(side, policy), self._cli(side, policy)]
            codes += [_word(p) for p in processes]
            self.report.faults["two runs"] += 1
        for code in codes:
            self.report.outcomes[code.split(":")[0]] += 1
        after = side.tree()
        self.check(number, side, mode, policy, codes, before, after, local, edits, conflicts)
        self.converge(number, side, policy, edits, conflicts, before)
        self.report.rounds += 1

    def remote_edit(self, side: Side, rng: random.Random) -> dict[str, str | None]:
        """A second client edits or deletes in-scope files: path -> new blob id (None: gone)."""
        present = [p for p in side.tree() if in_scope(p)]
        if not present:
            return {}
        edits: dict[str, str | None] = {}
        writes, deletes = {}, []
        for path in rng.sample(present, k=min(len(present), rng.randint(1, 2))):
            if rng.random() < 0.3 and len(present) > 1:
                deletes.append(path)
                edits[path] = None
            else:
                writes[path] = b"remote edit " + _content(rng)
                edits[path] = blob_id(writes[path])
        side.commit(writes, deletes, "edit on the remote")
        return edits

    # -- invariants --------------------------------------------------------------------------

    def violation(self, number: int, text: str) -> None:
        self.report.violations.append(f"round {number} (seed {self.seed}): {text}")

    def check(
        self,
        number: int,
        side: Side,
        mode: str,
        policy: str,
        codes: list[str],
        before: Tree,
        after: Tree,
        local: Tree,
        edits: dict[str, str | None],
        conflicts: set[str],
    ) -> None:
        allowed = {"ok", "killed"}
        if mode == "faults" or mode == "twice":
            allowed.add("temporary")
        if conflicts and policy == "abort":
            allowed.add("conflict")
        for code in codes:
            if code not in allowed:
                self.violation(number, f"{side.kind} {mode}: outcome {code!r} ({policy})")
        scoped_before = {p: o for p, o in before.items() if in_scope(p)}
        scoped_after = {p: o for p, o in after.items() if in_scope(p)}
        new = dict(local)
        if policy != "overwrite":
            for path in conflicts:
                new.pop(path, None)
                if before.get(path) is not None:
                    new[path] = before[path]  # type: ignore[assignment]
        if conflicts and policy == "abort":
            new = scoped_before
        if scoped_after not in (scoped_before, new):
            mixed = sorted(
                p for p in set(scoped_after) | set(new) if scoped_after.get(p) != new.get(p)
            )
            self.violation(number, f"{side.kind} {mode}: a mixed tree; differs at {mixed[:5]}")
        if "ok" in codes and scoped_after != new:
            self.violation(number, f"{side.kind} {mode}: said ok but the tree is not the new one")
        for path, oid in before.items():
            if not in_scope(path) and after.get(path) != oid:
                self.violation(number, f"{side.kind}: out-of-scope {path!r} changed")
        for path in after:
            if not in_scope(path) and path not in before and not path.startswith("outside/race-"):
                self.violation(number, f"{side.kind}: {path!r} out of scope appeared")
        if policy != "overwrite":
            for path in conflicts:
                if after.get(path) != before.get(path):
                    self.violation(number, f"{side.kind}: remote edit {path!r} overwritten")
        for target_state in (self.repo / ".git" / "hfsync" / "targets").glob("*.json"):
            TargetState(self.repo / ".git", target_state.stem).load()  # never raises

    def converge(
        self,
        number: int,
        side: Side,
        policy: str,
        edits: dict[str, str | None],
        conflicts: set[str],
        before: Tree,
    ) -> None:
        """With faults stopped, one run (overwrite: a person resolved the edits) converges, and
        any overwritten remote edit is held by a backup."""
        local = self.local_tree()
        current = {p: o for p, o in side.tree().items() if in_scope(p)}
        if current != local:
            outcome = self._sync(side, "overwrite")
            if outcome != "ok":
                self.violation(number, f"{side.kind}: the converging run ended {outcome!r}")
                return
            current = {p: o for p, o in side.tree().items() if in_scope(p)}
            if current != local:
                differs = sorted(
                    p for p in set(current) | set(local) if current.get(p) != local.get(p)
                )
                self.violation(number, f"{side.kind}: no convergence; differs at {differs[:5]}")
        if conflicts:
            backups = side.backup_trees()
            for path in conflicts:
                if not any(tree.get(path) == before.get(path) for tree in backups):
                    self.violation(number, f"{side.kind}: no backup holds the edit of {path!r}")


def mutate(files: dict[str, bytes], rng: random.Random) -> None:
    """A round's local changes: 0-3 adds, edits, deletes or renames among NAMES."""
    for _ in range(rng.randint(0, 3)):
        present = [n for n in NAMES if n in files]
        absent = [n for n in NAMES if n not in files]
        op = rng.choice(["add", "edit", "delete", "rename"])
        if op == "add" and absent:
            files[rng.choice(absent)] = _content(rng)
        elif op == "edit" and present:
            files[rng.choice(present)] = _content(rng)
        elif op == "delete" and len(present) > 1:
            del files[rng.choice(present)]
        elif op == "rename" and present and absent:
            files[rng.choice(absent)] = files.pop(rng.choice(present))


def files_before(seed: int, number: int) -> dict[str, bytes]:
    """The source's files when round `number` of seed `seed` starts: each earlier round's local
    changes depend only on its own random stream (its first draw picks the side)."""
    files = {**START, **OUT_OF_SCOPE_LOCAL}
    for earlier in range(1, number):
        rng = random.Random(f"{seed}-{earlier}")
        rng.choice(SIDE_KINDS)
        mutate(files, rng)
    return files


def _content(rng: random.Random) -> bytes:
    return f"{rng.random()}\n".encode() * rng.randint(1, 3)


def _word(process: subprocess.Popen[bytes]) -> str:
    _out, err = process.communicate(timeout=300)
    code = process.returncode
    words = {0: "ok", 3: "conflict", 6: "temporary"}
    if code in words:
        return words[code]
    return f"exit {code}: {err.decode(errors='replace').strip()[-300:]}"
