"""The soak of `hfsync serve --http` under hostile clients (issue 26): rounds of random hostile
traffic beside signed pushes, with invariants after each.

A round: 1-3 hostile actions at once (ACTIONS: unsigned bodies up to 25 MB, a body trickled a
byte at a time, connections that never finish their headers, resets before the answer, bodies
and headers over the limits, garbage, broken chunked bodies, bursts of rejections), while a new
commit is pushed to the followed repository and its signed webhook delivered. Then:

1. a signed delivery is accepted once the storm is over (one refused under it, 503, is delivered
   again, as a person would), and the commit is synced;
2. serve is alive and /healthz answers;
3. serve's peak memory stays within MEMORY_GROWTH_MB of what it was when ready, and its thread
   count within THREADS_GROWTH of it;
4. the body budget is whole again: bodies announced at once up to BODY_BUDGET all wait for
   their bytes, none is refused (nothing a hostile client took was kept);
5. at the end, every line serve printed is one JSON object, nothing went to stderr (no
   traceback), and SIGTERM stops it with exit 0.

Every round is reproducible from the seed: `python -m tests.soak.hostile --seed S --rounds N`.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

from hfsync.daemons.http_server import BODY_BUDGET
from hfsync.daemons.webhook import MAX_BODY
from tests.helpers_hostile import (
    MB,
    ServeProcess,
    answer_status,
    at_once,
    connect,
    hang_up_early,
    headers_only,
    log_problems,
    rejected,
    reset,
    serving_git,
    trickle,
    unsigned_body,
    wait_for,
)
from tests.soak.session import ISOLATION

MEMORY_GROWTH_MB = 60  # two 25 MB bodies may be in flight, past 64 KiB in temporary files
THREADS_GROWTH = 2
TIMEOUT = 1.0  # HFSYNC_HTTP_TIMEOUT of the soak's serve: slow clients are cut off quickly


def _unsigned_bodies(serve: ServeProcess, rng: random.Random) -> str:
    size = rng.choice([1024, MB, 25 * MB])
    count = rng.randint(1, 8)
    answers = at_once(count, lambda: unsigned_body(serve, size))
    bad = set(answers) - {"401", "503", "reset"}
    assert not bad, f"unsigned bodies answered {answers}"
    return f"{count} unsigned bodies of {size} bytes"


def _trickle(serve: ServeProcess, rng: random.Random) -> str:
    sent, ending = trickle(serve, every=rng.uniform(0.2, 0.5), at_most=40)
    assert ending == "closed by the server", f"a trickled body: {sent} bytes, {ending}"
    return f"a body trickled ({sent} bytes)"


def _headers_only(serve: ServeProcess, rng: random.Random) -> str:
    count = rng.randint(10, 120)
    opened = headers_only(serve, count)
    try:
        for sock in opened:
            sock.settimeout(TIMEOUT * 20)
            assert sock.recv(100) == b"", "a connection with unfinished headers was answered"
    finally:
        for sock in opened:
            sock.close()
    return f"{count} connections with unfinished headers"


def _hang_ups(serve: ServeProcess, rng: random.Random) -> str:
    requests = [
        b"POST /webhook HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + b"x" * 5000,
        b"POST /webhook HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + b"x" * 100,
        b"GET /metrics HTTP/1.1\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n\r\n",
    ]
    count = rng.randint(1, 20)
    for _ in range(count):
        hang_up_early(serve, rng.choice(requests))
    return f"{count} resets before the answer"


def _one(serve: ServeProcess, request: bytes, expected: set[str], what: str) -> str:
    sock = connect(serve)
    try:
        sock.sendall(request)
        status = answer_status(sock)
    except (ConnectionResetError, BrokenPipeError):
        status = "reset"
    finally:
        sock.close()
    assert status in expected, f"{what}: answered {status}"
    return what


def _over_the_limits(serve: ServeProcess, rng: random.Random) -> str:
    if rng.random() < 0.5:
        request = b"POST /webhook HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (26 * MB)
        return _one(serve, request, {"413"}, "a body over 25 MiB announced")
    request = b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n"
    return _one(serve, request, {"431", "reset"}, "headers over 32 KiB")


def _garbage(serve: ServeProcess, rng: random.Random) -> str:
    choices = [
        (bytes(rng.randrange(256) for _ in range(200)) + b"\r\n\r\n", "random bytes"),
        (
            b"POST /webhook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
            "a broken chunked body",
        ),
        (b"POST /webhook HTTP/1.1\r\nContent-Length: -5\r\n\r\n", "a negative length"),
        (b"GET /\x00\xff HTTP/1.1\r\n\r\n", "a bad path"),
    ]
    request, what = rng.choice(choices)
    return _one(serve, request, {"400", "404", "501", "closed", "reset"}, what)


def _rejections(serve: ServeProcess, rng: random.Random) -> str:
    count = rng.randint(20, 100)
    answers = at_once(count, lambda: rejected(serve))
    assert set(answers) <= {"401", "503"}, f"rejections answered {Counter(answers)}"
    return f"{count} unsigned deliveries at once"


ACTIONS: dict[str, Callable[[ServeProcess, random.Random], str]] = {
    "unsigned bodies": _unsigned_bodies,
    "trickle": _trickle,
    "headers only": _headers_only,
    "hang ups": _hang_ups,
    "over the limits": _over_the_limits,
    "garbage": _garbage,
    "rejections": _rejections,
}


@dataclass
class HostileReport:
    rounds: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    refused_pushes: int = 0
    peak_growth_mb: float = 0.0
    most_threads: int = 0
    violations: list[str] = field(default_factory=list)

    def summary(self) -> str:
        actions = ", ".join(f"{k} {v}" for k, v in sorted(self.actions.items()))
        return (
            f"rounds: {self.rounds}; actions: {actions}; pushes refused under load and "
            f"delivered again: {self.refused_pushes}; peak memory growth "
            f"{self.peak_growth_mb:.1f} MB; most threads {self.most_threads}; "
            f"violations: {len(self.violations)}"
        )


def _storm(serve: ServeProcess, rng: random.Random, report: HostileReport) -> list[str]:
    """1-3 hostile actions at once; the problems they found."""
    names = rng.sample(sorted(ACTIONS), k=rng.randint(1, 3))
    problems: list[str] = []
    seeds = [rng.random() for _ in names]

    def act(name: str, seed: float) -> None:
        try:
            ACTIONS[name](serve, random.Random(seed))
        except (AssertionError, OSError) as exc:
            problems.append(f"{name}: {exc}")

    threads = [threading.Thread(target=act, args=pair) for pair in zip(names, seeds, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.actions.update(names)
    return problems


def hostile_session(root: Path, seed: int, rounds: int, every: int = 0) -> HostileReport:
    """`rounds` rounds of seed `seed` against one `hfsync serve` under `root`, in an isolated
    environment (home, git identity)."""
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("")
    env = {**ISOLATION, "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig")}
    with mock.patch.dict(os.environ, env):
        return _rounds(root, seed, rounds, every)


def _rounds(root: Path, seed: int, rounds: int, every: int) -> HostileReport:
    report = HostileReport()
    with serving_git(root, env={"HFSYNC_HTTP_TIMEOUT": str(TIMEOUT)}) as serve:
        start = (serve.status("VmHWM"), serve.threads())
        for number in range(1, rounds + 1):
            problems = _round(serve, random.Random(f"{seed}-{number}"), number, start, report)
            report.violations += [f"round {number} (seed {seed}): {p}" for p in problems]
            report.rounds += 1
            if every and number % every == 0:
                print(f"[{number}/{rounds}] {report.summary()}", flush=True)
            if serve.proc.poll() is not None:
                break
        if serve.proc.poll() is None:
            serve.proc.terminate()
            if serve.proc.wait(timeout=60) != 0:
                report.violations.append(f"serve stopped with {serve.proc.returncode}")
    report.violations += [f"the log (seed {seed}): {p}" for p in log_problems(serve)]
    return report


def _round(
    serve: ServeProcess,
    rng: random.Random,
    number: int,
    start: tuple[int, int],
    report: HostileReport,
) -> list[str]:
    """One round: a storm with a push in it, then the invariants; the problems found."""
    sha = serve.commit({"app/main.py": f"M = {number}\n"})
    problems: list[str] = []

    def storm() -> None:
        problems.extend(_storm(serve, rng, report))

    pause = rng.uniform(0, 0.5)  # drawn first: the storm's thread draws from `rng` too
    storming = threading.Thread(target=storm)
    storming.start()
    time.sleep(pause)  # the delivery lands in the storm
    status = _deliver(serve, sha)
    storming.join()
    if status != 202:  # refused under load: delivered again, as a person would
        report.refused_pushes += 1
        status = _deliver(serve, sha)
    if status != 202:
        problems.append(f"a signed delivery after the storm answered {status}")
    else:
        try:
            wait_for(lambda: serve.synced(sha), "the pushed commit to be synced", 60)
        except AssertionError as exc:
            problems.append(str(exc))
    if serve.proc.poll() is not None:
        return [*problems, f"serve exited with {serve.proc.returncode}"]
    if serve.get("/healthz") != 200:
        problems.append("/healthz is not 200")
    try:
        wait_for(lambda: _budget_whole(serve), "the body budget to be whole again", 20)
    except AssertionError as exc:
        problems.append(str(exc))
    memory_start, threads_start = start
    growth = (serve.status("VmHWM") - memory_start) / 1024
    threads = serve.threads()
    report.peak_growth_mb = max(report.peak_growth_mb, growth)
    report.most_threads = max(report.most_threads, threads)
    if growth > MEMORY_GROWTH_MB:
        problems.append(f"peak memory grew by {growth:.0f} MB")
    if threads > threads_start + THREADS_GROWTH:
        problems.append(f"{threads} threads (from {threads_start})")
    return problems


def _budget_whole(serve: ServeProcess) -> bool:
    """Whether bodies announced at once up to BODY_BUDGET bytes in all are each let in (no 503
    within a moment); their connections are reset after."""
    sizes = [MAX_BODY] * (BODY_BUDGET // MAX_BODY)
    sizes.append(BODY_BUDGET - sum(sizes))
    opened = []
    try:
        for size in sizes:
            sock = connect(serve)
            opened.append(sock)
            sock.sendall(b"POST /webhook HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % size)
        time.sleep(0.3)
        for sock in opened:
            sock.settimeout(0.01)
            if answer_status(sock) != "no answer":
                return False
        return True
    finally:
        for sock in opened:
            reset(sock)


def _deliver(serve: ServeProcess, sha: str) -> int | str:
    try:
        return serve.deliver_push(sha)
    except OSError as exc:  # reset or timed out under the storm
        return repr(exc)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.hostile")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--every", type=int, default=10, help="print progress every N rounds")
    args = parser.parse_args()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hfsync-soak-hostile-") as tmp:
        report = hostile_session(Path(tmp), args.seed, args.rounds, args.every)
    print(f"seed {args.seed}: {report.summary()} in {time.monotonic() - start:.0f} s", flush=True)
    for violation in report.violations:
        print(f"VIOLATION {violation}", flush=True)
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
