"""Run one command; report its wall time, peak RSS and CPU time: `python -m bench.child CMD...`.

Linux counts the memory a process had when it forked into the peak RSS of the program it then
executes: a command started straight from the benchmark (which holds generated repositories and
in-process results) would show the benchmark's memory as its own. Started from this small
process, it shows its own. The last line on stderr is `bench-child: SECONDS RSS_KB EXIT CPU`.
CPU is the user + system seconds of the command and of the processes it waited for (git, on
Linux: `wait4` counts the waited-for descendants), not of a server it talks to; RSS is the peak
of the largest of those processes, not their sum.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    print(f"bench-child: {seconds} {usage.ru_maxrss} {code} {cpu}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
