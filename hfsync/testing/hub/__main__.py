"""`python -m hfsync.testing.hub`: run the test hub until SIGTERM or SIGINT.

The first line of stdout is the base URL (e.g. `http://127.0.0.1:43123`), so a caller that starts
it with `--port 0` learns the port.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .auth import TokenSpec
from .server import TestHub
from .state import DEFAULT_PAGE_SIZE
from .xet_tokens import DEFAULT_LIFETIME


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m hfsync.testing.hub", description="A local Hub-compatible server for tests."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--root", type=Path, required=True, help="folder holding the repos")
    parser.add_argument(
        "--token",
        dest="tokens",
        action="append",
        default=[],
        metavar="TOKEN[:read|:write][@USER]",
        help="an accepted token (repeatable; default role write, default user 'user')",
    )
    parser.add_argument(
        "--page-size", type=int, default=DEFAULT_PAGE_SIZE, help="entries per listing page"
    )
    parser.add_argument(
        "--build-seconds", type=float, default=0.3, help="how long a Space build lasts"
    )
    parser.add_argument(
        "--xet-token-seconds",
        type=int,
        default=DEFAULT_LIFETIME,
        help="how long a Xet access token lives",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        tokens = [TokenSpec.parse(text) for text in args.tokens]
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    hub = TestHub(
        args.root,
        tokens,
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        build_seconds=args.build_seconds,
        xet_token_seconds=args.xet_token_seconds,
    )
    try:
        hub.start()
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(hub.url, flush=True)
    try:
        # A timed wait: a signal delivered to one of the server's threads only flags the main
        # thread, whose untimed wait would never return to run the handler.
        while not stop.wait(timeout=0.2):
            pass
    finally:
        hub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
