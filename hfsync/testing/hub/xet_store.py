"""Xet content storage (CAS): xorbs by hash, files registered by shards, and their SHA-256.

On disk under `<root>/xet/`: `xorbs/<hash>` (the body as uploaded) with `xorbs/<hash>.json` (its
chunk table), `files/<file hash>.json` (terms, size, SHA-256), `sha256/<sha256>` (the file hash)
and `chunks/<chunk hash>` (the xorb holding a chunk the client may ask global dedupe about).
Everything is written to a scratch file first and renamed into place; the JSON is written last, so
its presence means the object is complete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import bad_request
from .xet_format import (
    RECORD_HEADER_SIZE,
    Shard,
    ShardFile,
    decompress,
    read_chunk_records,
    sha256_hex,
)
from .xet_hash import (
    chunk_hash,
    file_hash,
    from_hex,
    hash_value,
    merkle_root,
    to_hex,
    verification_hash,
)

_DEDUPE_MODULUS = 1024  # hf_xet queries a file's first chunk and chunks whose value % 1024 == 0


@dataclass(frozen=True)
class XorbTable:
    """The chunks of a stored xorb: `offsets[i]` is where chunk i's record starts (and
    `offsets[-1]` where the last one ends), `sizes[i]` its uncompressed size."""

    offsets: list[int]
    sizes: list[int]
    hashes: list[str]

    @property
    def count(self) -> int:
        return len(self.sizes)


@dataclass(frozen=True)
class XetTerm:
    xorb: str
    start: int
    end: int


@dataclass(frozen=True)
class XetFile:
    file_hash: str
    size: int
    sha256: str
    terms: list[XetTerm]


class XetStore:
    def __init__(self, root: Path) -> None:
        base = root / "xet"
        self.xorbs = base / "xorbs"
        self.files = base / "files"
        self.by_sha256 = base / "sha256"
        self.chunks = base / "chunks"
        self.scratch = root / "tmp"
        for folder in (self.xorbs, self.files, self.by_sha256, self.chunks, self.scratch):
            folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._tables: dict[str, XorbTable] = {}

    # Xorbs ----------------------------------------------------------------------------------
    def put_xorb(self, xorb: str, body: IO[bytes]) -> bool:
        """Parse and check a xorb body against its hash, store it; False if already stored."""
        descriptor, name = tempfile.mkstemp(dir=self.scratch, prefix="xorb-")
        temp = Path(name)
        try:
            offsets, sizes, hashes = [], [], []
            with os.fdopen(descriptor, "wb") as handle:
                for record, raw, data in read_chunk_records(body):
                    handle.write(raw)
                    offsets.append(record.offset)
                    sizes.append(record.size)
                    hashes.append(chunk_hash(data))
                end = handle.tell()
            if not hashes:
                raise bad_request("A xorb holds at least one chunk")
            actual = to_hex(merkle_root(list(zip(hashes, sizes, strict=True))))
            if actual != xorb:
                raise bad_request(f"Xorb hash mismatch: the content hashes to {actual}")
            if self.table(xorb) is not None:
                return False
            table = {
                "offsets": [*offsets, end],
                "sizes": sizes,
                "hashes": [to_hex(h) for h in hashes],
            }
            os.replace(temp, self.xorbs / xorb)
            _write_json(self.xorbs / f"{xorb}.json", table, self.scratch)
            return True
        finally:
            temp.unlink(missing_ok=True)

    def table(self, xorb: str) -> XorbTable | None:
        with self._lock:
            cached = self._tables.get(xorb)
        if cached is not None:
            return cached
        data = _read_json(self.xorbs / f"{xorb}.json")
        if data is None:
            return None
        table = XorbTable(data["offsets"], data["sizes"], data["hashes"])
        with self._lock:
            self._tables[xorb] = table
        return table

    def xorb_path(self, xorb: str) -> Path:
        return self.xorbs / xorb

    # Files ----------------------------------------------------------------------------------
    def register(self, shard: Shard) -> int:
        """Check every file of an uploaded shard and record it; the number of new files."""
        checked = [self._check_file(entry) for entry in shard.files]
        for block in shard.xorbs:
            table = self.table(to_hex(block.xorb_hash))
            if table is None:
                raise bad_request(f"Shard lists xorb {to_hex(block.xorb_hash)}, never uploaded")
            for chunk in table.hashes:
                if hash_value(from_hex(chunk)) % _DEDUPE_MODULUS == 0:
                    self._index_chunk(chunk, to_hex(block.xorb_hash))
        new = 0
        for xet_file in checked:
            if self.file(xet_file.file_hash) is None:
                self._verify_sha256(xet_file)
                first = xet_file.terms[0]
                table = self.table(first.xorb)
                assert table is not None
                self._index_chunk(table.hashes[first.start], first.xorb)
                _write_text(self.by_sha256 / xet_file.sha256, xet_file.file_hash, self.scratch)
                _write_json(
                    self.files / f"{xet_file.file_hash}.json", _file_json(xet_file), self.scratch
                )
                new += 1
        return new

    def file(self, file_hash: str) -> XetFile | None:
        data = _read_json(self.files / f"{file_hash}.json")
        if data is None:
            return None
        terms = [XetTerm(xorb, start, end) for xorb, start, end in data["terms"]]
        return XetFile(file_hash, data["size"], data["sha256"], terms)

    def file_hash_of(self, sha256: str) -> str | None:
        """The Xet file hash of the content with this SHA-256, if it arrived through Xet."""
        try:
            return (self.by_sha256 / sha256).read_text()
        except (FileNotFoundError, OSError):
            return None

    def file_by_sha256(self, sha256: str) -> XetFile | None:
        file_hash = self.file_hash_of(sha256)
        return self.file(file_hash) if file_hash else None

    def dedupe_xorb(self, chunk: str) -> str | None:
        try:
            return (self.chunks / chunk).read_text()
        except (FileNotFoundError, OSError):
            return None

    def iter_content(self, xet_file: XetFile) -> Iterator[bytes]:
        """The file's bytes, one chunk at a time."""
        for term in xet_file.terms:
            table = self.table(term.xorb)
            assert table is not None
            with self.xorb_path(term.xorb).open("rb") as handle:
                handle.seek(table.offsets[term.start])
                for index in range(term.start, term.end):
                    header = handle.read(RECORD_HEADER_SIZE)
                    stored = handle.read(int.from_bytes(header[1:4], "little"))
                    yield decompress(header[4], stored, table.sizes[index])

    def _check_file(self, entry: ShardFile) -> XetFile:
        name = to_hex(entry.file_hash)
        if not entry.terms:
            raise bad_request(f"File {name} has no terms")
        if entry.sha256 is None:
            raise bad_request(f"File {name} has no SHA-256 metadata extension")
        if entry.verifications is not None and len(entry.verifications) != len(entry.terms):
            raise bad_request(f"File {name}: one verification entry per term")
        chunks: list[tuple[bytes, int]] = []
        terms = []
        for number, term in enumerate(entry.terms):
            xorb = to_hex(term.xorb)
            table = self.table(xorb)
            if table is None:
                raise bad_request(f"File {name} references xorb {xorb}, never uploaded")
            if not 0 <= term.start < term.end <= table.count:
                raise bad_request(f"File {name}: chunk range out of bounds in xorb {xorb}")
            raws = [from_hex(table.hashes[index]) for index in range(term.start, term.end)]
            sizes = table.sizes[term.start : term.end]
            if sum(sizes) != term.size:
                raise bad_request(f"File {name}: term {number} size does not match its chunks")
            if entry.verifications is not None and entry.verifications[number] != (
                verification_hash(raws)
            ):
                raise bad_request(f"File {name}: wrong verification hash for term {number}")
            chunks.extend(zip(raws, sizes, strict=True))
            terms.append(XetTerm(xorb, term.start, term.end))
        if to_hex(file_hash(chunks)) != name:
            raise bad_request(f"File hash {name} does not match its chunks")
        size = sum(size for _, size in chunks)
        return XetFile(name, size, sha256_hex(entry.sha256), terms)

    def _verify_sha256(self, xet_file: XetFile) -> None:
        digest = hashlib.sha256()
        for data in self.iter_content(xet_file):
            digest.update(data)
        if digest.hexdigest() != xet_file.sha256:
            raise bad_request(f"File {xet_file.file_hash}: the SHA-256 metadata does not match")

    def _index_chunk(self, chunk: str, xorb: str) -> None:
        if not (self.chunks / chunk).exists():
            _write_text(self.chunks / chunk, xorb, self.scratch)


def _file_json(xet_file: XetFile) -> dict[str, Any]:
    return {
        "size": xet_file.size,
        "sha256": xet_file.sha256,
        "terms": [[term.xorb, term.start, term.end] for term in xet_file.terms],
    }


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None


def _write_json(path: Path, data: Any, scratch: Path) -> None:
    _write_text(path, json.dumps(data), scratch)


def _write_text(path: Path, text: str, scratch: Path) -> None:
    descriptor, name = tempfile.mkstemp(dir=scratch, prefix="xet-")
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    os.replace(name, path)
