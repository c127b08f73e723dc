"""LFS objects, stored on disk by SHA-256, and the uploads in flight that will create them.

An upload is announced by the batch endpoint, which hands out an unguessable upload id: the PUT and
completion URLs carry it, so they authorise themselves (the client sends them no token).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from .errors import HubError, bad_request

OID_PATTERN = re.compile(r"[0-9a-f]{64}")
# Objects above this size are uploaded in parts of this size (the Hub's multipart transfer).
MULTIPART_CHUNK_SIZE = 5 * 1024 * 1024
_COPY_CHUNK = 1024 * 1024

_POINTER = re.compile(
    rb"version https://git-lfs\.github\.com/spec/v1\noid sha256:([0-9a-f]{64})\nsize (\d+)\n"
)


def pointer_text(oid: str, size: int) -> bytes:
    """The git-LFS pointer blob committed in place of the content."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


def parse_pointer(blob: bytes) -> tuple[str, int] | None:
    """(sha256, size) if `blob` is an LFS pointer, else None."""
    match = _POINTER.fullmatch(blob)
    return (match.group(1).decode(), int(match.group(2))) if match else None


@dataclass(frozen=True)
class PendingUpload:
    """An object the batch endpoint accepted and the client has still to send."""

    upload_id: str
    oid: str
    size: int

    @property
    def part_count(self) -> int:
        """0 for a single PUT, else the number of parts."""
        if self.size <= MULTIPART_CHUNK_SIZE:
            return 0
        return -(-self.size // MULTIPART_CHUNK_SIZE)


class LfsStore:
    """Content-addressed objects under `<root>/lfs/<sha256>`, scratch space under `<root>/tmp`."""

    def __init__(self, root: Path) -> None:
        self.objects = root / "lfs"
        self.scratch = root / "tmp"
        self.objects.mkdir(parents=True, exist_ok=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        self._pending: dict[str, PendingUpload] = {}
        self._lock = threading.Lock()

    def path(self, oid: str) -> Path:
        return self.objects / oid

    def size(self, oid: str) -> int | None:
        """The stored object's size, or None if it is not stored."""
        try:
            return self.path(oid).stat().st_size
        except FileNotFoundError:
            return None

    def open(self, oid: str) -> BinaryIO:
        return self.path(oid).open("rb")

    def start_upload(self, oid: str, size: int) -> PendingUpload:
        upload = PendingUpload(secrets.token_urlsafe(24), oid, size)
        with self._lock:
            self._pending[upload.upload_id] = upload
        return upload

    def pending(self, upload_id: str) -> PendingUpload:
        with self._lock:
            upload = self._pending.get(upload_id)
        if upload is None:
            raise HubError(404, "Unknown or finished upload")
        return upload

    def receive(self, upload: PendingUpload, body: IO[bytes]) -> None:
        """Store a single-PUT upload after checking its size and SHA-256."""
        with self._temp_file() as (path, handle):
            digest, size = _copy_hashing(body, handle)
            handle.flush()
            self._finish(upload, path, digest, size)

    def receive_part(self, upload: PendingUpload, number: int, body: IO[bytes]) -> str:
        """Keep one part of a multipart upload; return its ETag (quoted, like S3)."""
        if not 1 <= number <= upload.part_count:
            raise bad_request(f"Part number {number} is out of range")
        folder = self._parts_folder(upload)
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / str(number)
        with part.open("wb") as handle:
            digest, _ = _copy_hashing(body, handle, hashlib.md5(usedforsecurity=False))
        return f'"{digest}"'

    def complete(self, upload: PendingUpload, etags: Sequence[str]) -> None:
        """Join the parts in order, check them against `etags` and the SHA-256, then store."""
        if len(etags) != upload.part_count:
            raise bad_request(f"Expected {upload.part_count} parts, got {len(etags)}")
        folder = self._parts_folder(upload)
        with self._temp_file() as (path, handle):
            hasher = hashlib.sha256()
            size = 0
            for number, etag in enumerate(etags, start=1):
                part = folder / str(number)
                if not part.exists():
                    raise bad_request(f"Part {number} was never uploaded")
                content = part.read_bytes()
                if etag != f'"{hashlib.md5(content, usedforsecurity=False).hexdigest()}"':
                    raise bad_request(f"ETag of part {number} does not match")
                hasher.update(content)
                handle.write(content)
                size += len(content)
            handle.flush()
            self._finish(upload, path, hasher.hexdigest(), size)
        shutil.rmtree(folder, ignore_errors=True)

    def add(self, oid: str, content: Iterable[bytes]) -> None:
        """Store content that arrived another way (rebuilt from Xet), checking its SHA-256."""
        with self._temp_file() as (path, handle):
            hasher = hashlib.sha256()
            for piece in content:
                hasher.update(piece)
                handle.write(piece)
            handle.flush()
            if hasher.hexdigest() != oid:
                raise RuntimeError(f"Content rebuilt for {oid} has SHA-256 {hasher.hexdigest()}")
            os.replace(path, self.path(oid))

    def clear_pending(self) -> None:
        with self._lock:
            self._pending.clear()

    def _finish(self, upload: PendingUpload, path: Path, digest: str, size: int) -> None:
        if size != upload.size:
            raise bad_request(f"Expected {upload.size} bytes, received {size}")
        if digest != upload.oid:
            raise bad_request(f"Content SHA-256 {digest} does not match the announced oid")
        os.replace(path, self.path(upload.oid))
        with self._lock:
            self._pending.pop(upload.upload_id, None)

    def _parts_folder(self, upload: PendingUpload) -> Path:
        return self.scratch / f"parts-{upload.upload_id}"

    @contextmanager
    def _temp_file(self) -> Iterator[tuple[Path, BinaryIO]]:
        """A scratch file, removed on exit unless `_finish` moved it into the store."""
        descriptor, name = tempfile.mkstemp(dir=self.scratch, prefix="upload-")
        path = Path(name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield path, handle
        finally:
            path.unlink(missing_ok=True)


def _copy_hashing(
    source: IO[bytes], target: IO[bytes], hasher: hashlib._Hash | None = None
) -> tuple[str, int]:
    hasher = hasher or hashlib.sha256()
    size = 0
    for chunk in _chunks(source):
        hasher.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    while chunk := source.read(_COPY_CHUNK):
        yield chunk
