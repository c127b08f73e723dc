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
    args = parser.parse_args()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hfsync-soak-") as tmp:
        report = soak_session(Path(tmp), args.seed, args.rounds, args.every)
    print(f"seed {args.seed}: {report.summary()} in {time.monotonic() - start:.0f} s", flush=True)
    for violation in report.violations:
        print(f"VIOLATION {violation}", flush=True)
    if report.violations:
        print(f"reproduce with: python -m tests.soak --seed {args.seed} --rounds {args.rounds}")
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
