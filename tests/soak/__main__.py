"""`python -m tests.soak [--rounds N] [--seed S]`: the soak outside pytest (the long version)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.soak.session import soak_session


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak")
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--every", type=int, default=50, help="print progress every N rounds")
    parser.add_argument(
        "--from",
        dest="start",
        type=int,
        default=1,
        help="start at round K: the local state of the rounds before it is replayed without "
        "syncing (a violation at round N often needs only rounds N-20 to N: seconds, not minutes)",
    )
    args = parser.parse_args()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hfsync-soak-") as tmp:
        report = soak_session(Path(tmp), args.seed, args.rounds, args.every, args.start)
    print(f"seed {args.seed}: {report.summary()} in {time.monotonic() - start:.0f} s", flush=True)
    for violation in report.violations:
        print(f"VIOLATION {violation}", flush=True)
    if report.violations:
        first = int(report.violations[0].split()[1])
        print(
            f"reproduce with: python -m tests.soak --seed {args.seed} --rounds {first}"
            f" (quicker, often enough: --from {max(1, first - 20)})"
        )
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
