"""The Xet-fault soak: rounds of a large-file change synced while a Xet route of the test Hub
fails (a 503 that lasts, a 503 once, a dropped connection), through the real CLI.

Each round must end as the retry budget says: a lasting failure is exit 6 within the budget,
naming the status, with nothing committed; a passing one syncs. Then the faults are cleared and
the next run converges with exactly one commit for the round's change, the remote holding the
file's new content. `python -m tests.soak.xet_faults [ROUNDS] [SEED]` runs a longer session.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from hfsync.testing.hub.fixtures import WRITE_TOKEN, hub_with_client
from tests.helpers_git import hfsync, init_repo, write_files

REPO = "user/soak-xet"
CONFIG = (
    f'[[targets]]\nname = "space"\nrepo = "{REPO}"\ncreate = true\n'
    'allow = ["space-config:README.md"]\n'  # the soak Space needs no configuration
)
ROUTES = {
    "write token": r"/xet-write-token/",
    "shard": r"^/cas/v2/shards",
    "xorb": r"^/cas/v1/xorbs",
}
FAULTS = {
    "503 that lasts": {"status": 503, "times": 10_000},
    "503 once": {"status": 503, "times": 1},
    "dropped once": {"drop": True, "times": 1},
}
BUDGET = {"HFSYNC_RETRY_MAX_TIME": "10", "HFSYNC_TIMEOUT": "3"}
LIMIT_S = 60.0  # a round that runs longer than this ignored the budget


@dataclass
class Report:
    rounds: int = 0
    violations: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    exits: dict[int, int] = field(default_factory=dict)  # exit code -> rounds

    def summary(self) -> str:
        longest = max(self.seconds, default=0.0)
        exits = ", ".join(f"exit {code}: {n}" for code, n in sorted(self.exits.items()))
        return (
            f"{self.rounds} rounds ({exits}), {len(self.violations)} violations, "
            f"longest run {longest:.1f} s"
        )


def xet_fault_session(root: Path, *, seed: int, rounds: int) -> Report:
    from huggingface_hub import HfApi

    rng = random.Random(seed)
    report = Report()
    with hub_with_client(root / "hub", root / "hf-home") as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": WRITE_TOKEN, "HF_HUB_DISABLE_XET": "0"}
        api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)
        repo = init_repo(root / "project", {"hfsync.toml": CONFIG, "app.py": "A = 0\n"})
        if hfsync(repo, "run", env=env).returncode != 0:
            report.violations.append("the first sync failed")
            return report
        for number in range(1, rounds + 1):
            route_name, fault_name = rng.choice(sorted(ROUTES)), rng.choice(sorted(FAULTS))
            where = f"round {number} ({fault_name} on {route_name})"
            content = bytes([0, number % 256]) + rng.randbytes(20_000)  # binary: through Xet
            write_files(repo, {"weights.bin": content})
            head = api.repo_info(REPO, repo_type="space").sha
            hub.control.inject(ROUTES[route_name], **FAULTS[fault_name])
            started = time.monotonic()
            done = hfsync(repo, "run", env={**env, **BUDGET})
            report.seconds.append(time.monotonic() - started)
            hub.control.clear_faults()
            report.exits[done.returncode] = report.exits.get(done.returncode, 0) + 1
            output = done.stdout + done.stderr
            if WRITE_TOKEN in output:
                report.violations.append(f"{where}: the token was printed")
            if report.seconds[-1] > LIMIT_S:
                report.violations.append(f"{where}: {report.seconds[-1]:.0f} s, past the budget")
            if done.returncode not in (0, 6):
                report.violations.append(f"{where}: exit {done.returncode}: {output[-300:]}")
            if done.returncode == 6:
                if api.repo_info(REPO, repo_type="space").sha != head:
                    report.violations.append(f"{where}: exit 6 but a commit landed")
                if fault_name == "503 that lasts" and "(503)" not in done.stderr:
                    report.violations.append(f"{where}: the 503 is not named: {done.stderr[-200:]}")
            again = hfsync(repo, "run", env=env)  # converges, with one commit for the round
            commits = [c.commit_id for c in api.list_repo_commits(REPO, repo_type="space")]
            if again.returncode != 0:
                report.violations.append(f"{where}: the run after it failed: {again.stderr[-300:]}")
            elif (new := commits.index(head) if head in commits else -1) != 1:
                report.violations.append(f"{where}: {new} commits for one change (newest first)")
            stored = api.hf_hub_download(REPO, "weights.bin", repo_type="space")
            if Path(stored).read_bytes() != content:
                report.violations.append(f"{where}: the remote does not hold the new file")
            report.rounds += 1
    return report


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    with tempfile.TemporaryDirectory() as folder:
        result = xet_fault_session(Path(folder), seed=seed, rounds=rounds)
    print(result.summary())
    for violation in result.violations:
        print(violation)
    sys.exit(1 if result.violations else 0)
