"""Request bodies read with limits: small ones into memory, large ones streamed to disk.

A body over its limit is the Hub's 413, found while reading (chunked bodies have no length), and
nothing is held in memory beyond one chunk or one line.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from .errors import HubError

MiB = 1024 * 1024
# JSON API bodies: a preupload of 256 files with their 512-byte samples is ~200 KB.
JSON_BODY_LIMIT = 10 * MiB
# The control endpoint needs no token: keep what anyone can make it read small.
CONTROL_BODY_LIMIT = 1 * MiB
# A commit carries at most 1 GB of inline content (the client's docs), base64-encoded.
COMMIT_BODY_LIMIT = 1536 * MiB
_CHUNK = 1 * MiB


def too_large(limit: int) -> HubError:
    return HubError(413, f"Payload Too Large: the request body is limited to {limit} bytes")


class CappedReader:
    """Reads a request stream and raises the Hub's 413 once more than `limit` bytes came."""

    def __init__(self, stream: IO[bytes], limit: int, content_length: int | None) -> None:
        if content_length is not None and content_length > limit:
            raise too_large(limit)
        self._stream = stream
        self._limit = limit
        self.received = 0

    def read(self, size: int = _CHUNK) -> bytes:
        data = self._stream.read(min(size, self._limit + 1 - self.received))
        self.received += len(data)
        if self.received > self._limit:
            raise too_large(self._limit)
        return data


def read_capped(stream: IO[bytes], limit: int, content_length: int | None) -> bytes:
    """The whole body, at most `limit` bytes."""
    reader = CappedReader(stream, limit, content_length)
    chunks = []
    while chunk := reader.read():
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def spooled(
    stream: IO[bytes], limit: int, content_length: int | None, scratch: Path
) -> Iterator[BinaryIO]:
    """The body in a temporary file on disk (deleted on exit), positioned at its start."""
    reader = CappedReader(stream, limit, content_length)
    with tempfile.TemporaryFile(dir=scratch, prefix="body-") as handle:
        while chunk := reader.read():
            handle.write(chunk)
        handle.seek(0)
        yield handle


def capped_lines(handle: IO[bytes], max_line: int, too_long: HubError) -> Iterator[bytes]:
    """The lines of `handle`; a line over `max_line` bytes raises `too_long` unread."""
    while line := handle.readline(max_line + 1):
        if len(line) > max_line:
            raise too_long
        yield line
