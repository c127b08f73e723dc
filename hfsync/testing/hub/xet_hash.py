"""Xet hashes (xet-cas.md §4): keyed BLAKE3 over chunks, Merkle nodes, terms and files.

Hashes are 32 raw bytes; their string form (URLs, JSON, headers) prints each 8-byte group
reversed, i.e. each group read as a little-endian u64 in 16 hex digits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import blake3

HASH_SIZE = 32
CHUNK_KEY = bytes.fromhex("6697f5775b9550de3135cbaca597181c9de421109beb2b58b4d0b04b93adf229")
NODE_KEY = bytes.fromhex("017ec5c7a5472996fd946666b48a02e65ddd536f37c76dd2f86352e64a53713f")
VERIFICATION_KEY = bytes.fromhex("7f1857d6ce56ed66127ff913e7a5c3f3a4cd26d5b5db49e64124987f28fb94c3")
ZERO_KEY = bytes(HASH_SIZE)
_MAX_GROUP = 9


def to_hex(raw: bytes) -> str:
    """The string form of a raw hash."""
    return "".join(raw[index : index + 8][::-1].hex() for index in range(0, HASH_SIZE, 8))


def from_hex(text: str) -> bytes:
    """The raw form of a hash string (ValueError if it is not 64 hex digits)."""
    if len(text) != 2 * HASH_SIZE:
        raise ValueError(f"A Xet hash has {2 * HASH_SIZE} hex digits")
    raw = bytes.fromhex(text)
    return b"".join(raw[index : index + 8][::-1] for index in range(0, HASH_SIZE, 8))


def keyed(key: bytes, data: bytes) -> bytes:
    return blake3.blake3(data, key=key).digest()


def chunk_hash(data: bytes) -> bytes:
    return keyed(CHUNK_KEY, data)


def verification_hash(chunk_hashes: Iterable[bytes]) -> bytes:
    """The verification hash of a term: its chunks' raw hashes, concatenated."""
    return keyed(VERIFICATION_KEY, b"".join(chunk_hashes))


def merkle_root(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    """The root over (raw chunk hash, uncompressed size) pairs: the xorb hash (§4.3)."""
    if not chunks:
        return bytes(HASH_SIZE)
    level = list(chunks)
    while len(level) > 1:
        next_level = []
        start = 0
        while start < len(level):
            group = level[start : start + _group_length(level, start)]
            text = "".join(f"{to_hex(raw)} : {size}\n" for raw, size in group)
            next_level.append((keyed(NODE_KEY, text.encode()), sum(size for _, size in group)))
            start += len(group)
        level = next_level
    return level[0][0]


def file_hash(chunks: Sequence[tuple[bytes, int]]) -> bytes:
    """The file hash: the zero-keyed hash of the root over all the file's chunks."""
    return keyed(ZERO_KEY, merkle_root(chunks))


def hash_value(raw: bytes) -> int:
    """The number the cut and dedupe rules test: raw bytes 24..31 as a little-endian u64."""
    return int.from_bytes(raw[24:32], "little")


def _group_length(level: Sequence[tuple[bytes, int]], start: int) -> int:
    remaining = len(level) - start
    if remaining <= 2:
        return remaining
    for position in range(2, min(_MAX_GROUP, remaining)):
        if hash_value(level[start + position][0]) % 4 == 0:
            return position + 1
    return min(_MAX_GROUP, remaining)
