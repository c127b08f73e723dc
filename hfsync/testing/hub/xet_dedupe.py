"""The global dedupe answer (xet-cas.md §7): a full shard offering one stored xorb's chunks.

hf_xet writes the answer verbatim into its shard cache and reads it from its end, so it must have
the lookup tables and the 200-byte footer (the spec's 48 reserved bytes made hf_xet abort). Chunk
hashes are stored plain (zero HMAC key).
"""

from __future__ import annotations

import struct
import time

from .xet_format import BLOCK_SIZE, BOOKEND, SHARD_TAG, SHARD_VERSION
from .xet_hash import HASH_SIZE, from_hex
from .xet_store import XorbTable

FOOTER_SIZE = 200
_FOOTER_VERSION = 1
_ANSWER_LIFETIME = 7 * 24 * 3600


def dedupe_shard(xorb: str, table: XorbTable, now: float | None = None) -> bytes:
    """A shard with no files and one xorb block: the client may then reference its chunks."""
    created = int(time.time() if now is None else now)
    header = SHARD_TAG + struct.pack("<QQ", SHARD_VERSION, FOOTER_SIZE)
    files = BOOKEND
    xorb_raw = from_hex(xorb)
    block = xorb_raw + struct.pack("<IIII", 0, table.count, sum(table.sizes), table.offsets[-1])
    entries = []
    position = 0
    for chunk, size in zip(table.hashes, table.sizes, strict=True):
        entries.append(from_hex(chunk) + struct.pack("<IIII", position, size, 0, 0))
        position += size
    xorbs = block + b"".join(entries) + BOOKEND
    file_offset = len(header)
    xorb_offset = file_offset + len(files)
    file_lookup_offset = xorb_offset + len(xorbs)
    xorb_lookup = struct.pack("<QI", _truncated(xorb_raw), 0)  # block 0 of the xorb section
    chunk_lookup = b"".join(
        struct.pack("<QII", key, 0, index)
        for key, index in sorted(
            (_truncated(from_hex(chunk)), i) for i, chunk in enumerate(table.hashes)
        )
    )
    xorb_lookup_offset = file_lookup_offset  # the file lookup table is empty
    chunk_lookup_offset = xorb_lookup_offset + len(xorb_lookup)
    footer_offset = chunk_lookup_offset + len(chunk_lookup)
    footer = (
        struct.pack(
            "<QQQQQQQQQ",
            _FOOTER_VERSION,
            file_offset,
            xorb_offset,
            file_lookup_offset,
            0,
            xorb_lookup_offset,
            1,
            chunk_lookup_offset,
            table.count,
        )
        + bytes(HASH_SIZE)  # HMAC key: zero, chunk hashes stored plain
        + struct.pack("<QQ", created, created + _ANSWER_LIFETIME)
        + bytes(48)
        + struct.pack(
            "<QQQQ", table.offsets[-1], sum(table.sizes), table.offsets[-1], footer_offset
        )
    )
    assert len(footer) == FOOTER_SIZE and len(block) == BLOCK_SIZE
    return header + files + xorbs + xorb_lookup + chunk_lookup + footer


def _truncated(raw: bytes) -> int:
    """The lookup key of a hash: its raw bytes 0..7 as a little-endian u64."""
    return int.from_bytes(raw[:8], "little")
