"""The environment switches of hfsync's shortcuts: `HFSYNC_FULL_PLAN=1` takes none (every plan
in full, the working tree read from disk), `HFSYNC_VERIFY_PLAN=1` takes them and also the long
way, and stops on any difference (the test suite runs with it)."""

from __future__ import annotations

import os

FULL_PLAN = "HFSYNC_FULL_PLAN"
VERIFY_PLAN = "HFSYNC_VERIFY_PLAN"


def enabled() -> bool:
    """Whether shortcuts may be taken (HFSYNC_FULL_PLAN is not set)."""
    return os.environ.get(FULL_PLAN, "") in ("", "0")


def verifying() -> bool:
    """Whether each shortcut taken is held to the long way (HFSYNC_VERIFY_PLAN is set)."""
    return os.environ.get(VERIFY_PLAN, "") not in ("", "0")
