"""Xorb and shard formats as hf_xet 1.8.0 uploads them (xet-cas.md §5, §6), parsed with limits.

A xorb is a sequence of chunk records, read from a stream one record at a time: nothing larger
than one chunk is ever held in memory. A shard is small (48 bytes per term and per chunk) and is
parsed from bytes after a size check.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import lz4.frame

from .errors import bad_request
from .xet_hash import HASH_SIZE

MAX_CHUNK_BYTES = 128 * 1024
# hf_xet fills a xorb with up to 64 MiB of chunk data; each record adds an 8-byte header.
MAX_XORB_BYTES = 64 * 1024 * 1024 + 1024 * 1024
MAX_SHARD_BYTES = 16 * 1024 * 1024
RECORD_HEADER_SIZE = 8
_XORB_FOOTER_MAGIC = b"XETBLOB"
_SCHEME_NONE, _SCHEME_LZ4, _SCHEME_BG4_LZ4 = 0, 1, 2

SHARD_TAG = bytes.fromhex("48465265706f4d6574614461746100556967456a7b815783a5bdd95ccdd14aa9")
SHARD_VERSION = 2
BLOCK_SIZE = 48
BOOKEND = b"\xff" * HASH_SIZE + bytes(16)
FLAG_VERIFICATION = 1 << 31
FLAG_METADATA = 1 << 30


@dataclass(frozen=True)
class ChunkRecord:
    """One chunk of a xorb: where its record starts, its stored and its real size."""

    offset: int
    compressed_size: int
    scheme: int
    size: int


def read_chunk_records(
    body: IO[bytes], limit: int = MAX_XORB_BYTES
) -> Iterator[tuple[ChunkRecord, bytes, bytes]]:
    """Yield (record, raw record bytes, uncompressed data) for each chunk of a xorb body."""
    offset = 0
    while header := _read_exactly(body, RECORD_HEADER_SIZE, allow_eof=True):
        if header.startswith(_XORB_FOOTER_MAGIC):
            return  # the stored-xorb metadata footer: not chunk data
        version, scheme = header[0], header[4]
        compressed_size = int.from_bytes(header[1:4], "little")
        size = int.from_bytes(header[5:8], "little")
        if version != 0:
            raise bad_request(f"Unknown chunk record version {version} at byte {offset}")
        if size > MAX_CHUNK_BYTES or compressed_size > MAX_CHUNK_BYTES + 1024:
            raise bad_request(f"Chunk at byte {offset} is larger than {MAX_CHUNK_BYTES} bytes")
        if offset + RECORD_HEADER_SIZE + compressed_size > limit:
            raise bad_request(f"A xorb holds at most {limit} bytes")
        stored = _read_exactly(body, compressed_size)
        data = decompress(scheme, stored, size, offset)
        yield ChunkRecord(offset, compressed_size, scheme, size), header + stored, data
        offset += RECORD_HEADER_SIZE + compressed_size


def decompress(scheme: int, stored: bytes, size: int, offset: int = 0) -> bytes:
    """A chunk's data from its stored form (scheme 0 none, 1 LZ4 frame, 2 byte groups + LZ4)."""
    if scheme == _SCHEME_NONE:
        data = stored
    elif scheme in (_SCHEME_LZ4, _SCHEME_BG4_LZ4):
        try:
            data = lz4.frame.decompress(stored)
        except RuntimeError as error:
            raise bad_request(f"Chunk at byte {offset}: invalid LZ4 data") from error
        if scheme == _SCHEME_BG4_LZ4:
            data = _ungroup_bytes(data)
    else:
        raise bad_request(f"Unknown compression scheme {scheme} at byte {offset}")
    if len(data) != size:
        raise bad_request(f"Chunk at byte {offset} has {len(data)} bytes, its header says {size}")
    return data


def _ungroup_bytes(grouped: bytes) -> bytes:
    """Undo byte grouping: part k holds bytes k, k+4, k+8... (the first n % 4 parts one longer)."""
    length = len(grouped)
    out = bytearray(length)
    start = 0
    for part in range(4):
        part_length = length // 4 + (part < length % 4)
        out[part::4] = grouped[start : start + part_length]
        start += part_length
    return bytes(out)


def _read_exactly(body: IO[bytes], size: int, allow_eof: bool = False) -> bytes:
    data = body.read(size)
    while data and len(data) < size:
        more = body.read(size - len(data))
        if not more:
            break
        data += more
    if len(data) == size or (allow_eof and not data):
        return data
    raise bad_request("The xorb body ends in the middle of a chunk record")


@dataclass(frozen=True)
class Term:
    """A range of chunks `[start, end)` of one xorb, `size` bytes once uncompressed."""

    xorb: bytes
    size: int
    start: int
    end: int


@dataclass(frozen=True)
class ShardFile:
    file_hash: bytes
    terms: list[Term]
    verifications: list[bytes] | None
    sha256: bytes | None  # hash-storage order, see `sha256_hex`


@dataclass(frozen=True)
class ShardChunk:
    chunk_hash: bytes
    offset: int  # cumulative uncompressed offset in the xorb
    size: int


@dataclass(frozen=True)
class ShardXorb:
    xorb_hash: bytes
    chunks: list[ShardChunk]


@dataclass(frozen=True)
class Shard:
    files: list[ShardFile]
    xorbs: list[ShardXorb]


def sha256_hex(stored: bytes) -> str:
    """The usual hex of a SHA-256 kept in hash-storage order (each 8-byte group reversed)."""
    return "".join(stored[index : index + 8][::-1].hex() for index in range(0, HASH_SIZE, 8))


def parse_shard(data: bytes) -> Shard:
    """The file and xorb sections of an uploaded shard; 400 on anything malformed."""
    if len(data) > MAX_SHARD_BYTES:
        raise bad_request(f"A shard holds at most {MAX_SHARD_BYTES} bytes")
    reader = _Blocks(data)
    header = reader.take()
    if header[:HASH_SIZE] != SHARD_TAG:
        raise bad_request("Not a shard: wrong header tag")
    version = int.from_bytes(header[32:40], "little")
    if version != SHARD_VERSION:
        raise bad_request(f"Unsupported shard version {version}")
    files = []
    while (block := reader.take()) != BOOKEND:
        file_hash, flags, count = block[:HASH_SIZE], *struct.unpack_from("<II", block, 32)
        terms = [_term(reader.take()) for _ in range(reader.count(count))]
        verifications = None
        if flags & FLAG_VERIFICATION:
            verifications = [reader.take()[:HASH_SIZE] for _ in terms]
        sha256 = reader.take()[:HASH_SIZE] if flags & FLAG_METADATA else None
        files.append(ShardFile(file_hash, terms, verifications, sha256))
    xorbs = []
    while (block := reader.take()) != BOOKEND:
        xorb_hash, _flags, count = block[:HASH_SIZE], *struct.unpack_from("<II", block, 32)
        chunks = [_chunk(reader.take()) for _ in range(reader.count(count))]
        xorbs.append(ShardXorb(xorb_hash, chunks))
    return Shard(files, xorbs)


def _term(block: bytes) -> Term:
    _flags, size, start, end = struct.unpack_from("<IIII", block, HASH_SIZE)
    return Term(block[:HASH_SIZE], size, start, end)


def _chunk(block: bytes) -> ShardChunk:
    offset, size = struct.unpack_from("<II", block, HASH_SIZE)
    return ShardChunk(block[:HASH_SIZE], offset, size)


class _Blocks:
    """48-byte blocks of a shard, in order, with bounds checks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self) -> bytes:
        end = self.position + BLOCK_SIZE
        if end > len(self.data):
            raise bad_request("The shard ends in the middle of a section")
        block = self.data[self.position : end]
        self.position = end
        return block

    def count(self, wanted: int) -> int:
        """`wanted` blocks, if that many are left (a hostile count cannot allocate)."""
        if wanted * BLOCK_SIZE > len(self.data) - self.position:
            raise bad_request("The shard announces more entries than it holds")
        return wanted
