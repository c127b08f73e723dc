"""Counting work as it is done (files and bytes), for a progress display the caller provides.

Library code measures, the UI shows: a `Meter` starts a `Task` for a known amount of work, and
the code doing the work calls `advance` with the bytes it really processed. No meter, no cost.
"""

from __future__ import annotations

from typing import Protocol


class Task(Protocol):
    """One counted piece of work: `files` files holding `size` bytes."""

    def advance(self, size: int = 0, files: int = 0) -> None:
        """`size` more bytes processed, `files` more files finished."""

    def close(self) -> None:
        """The work ended (done, or stopped by an error)."""


class Meter(Protocol):
    def __call__(self, what: str, files: int, size: int) -> Task:
        """Start counting `what` ("hashing"): `files` files, `size` bytes in all."""
