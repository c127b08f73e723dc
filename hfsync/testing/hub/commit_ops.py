"""The commit payload (ndjson, hub-api §5.5) as values, and applying it to a tree.

Parsing and applying touch no storage. Operations are parsed one line at a time, so that the
handler streams their blobs into git without holding the payload in memory; only then, under the
repo lock, it applies the operations to the branch head and moves the ref.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import HubError, bad_request, entry_not_found
from .lfs_store import OID_PATTERN

FILE_MODE = "100644"


@dataclass(frozen=True)
class AddRegular:
    path: str
    content: bytes


@dataclass(frozen=True)
class AddLfs:
    path: str
    oid: str
    size: int | None  # copies of LFS files come without a size


@dataclass(frozen=True)
class Added:
    """An addition whose blob is already written (the handler's form of AddRegular/AddLfs)."""

    path: str


@dataclass(frozen=True)
class DeleteFile:
    path: str


@dataclass(frozen=True)
class DeleteFolder:
    path: str


Operation = AddRegular | AddLfs | DeleteFile | DeleteFolder
StoredOperation = Added | DeleteFile | DeleteFolder


@dataclass(frozen=True)
class CommitHeader:
    summary: str
    description: str
    parent_commit: str | None

    @property
    def message(self) -> str:
        summary = self.summary.strip()
        return (
            f"{summary}\n\n{self.description.strip()}\n"
            if self.description.strip()
            else f"{summary}\n"
        )


def parse_payload(lines: Iterable[bytes]) -> tuple[CommitHeader, Iterator[Operation]]:
    """Parse the ndjson body: a `header` line, then one line per operation (parsed lazily, as
    the returned iterator is consumed; an invalid line raises then)."""
    items = (_json_line(line) for line in lines if line.strip())
    header = next(items, None)
    if header is None:
        raise bad_request("Empty commit payload")
    if header.get("key") != "header" or not isinstance(header.get("value"), dict):
        raise bad_request("The first line of a commit payload must be its header")
    value = header["value"]
    parent = value.get("parentCommit")
    if parent is not None and not (isinstance(parent, str) and _is_hex(parent)):
        raise bad_request(f"Invalid parentCommit {parent!r}")
    summary, description = value.get("summary") or "", value.get("description") or ""
    if not (isinstance(summary, str) and isinstance(description, str)):
        raise bad_request("`summary` and `description` must be strings")
    commit_header = CommitHeader(summary, description, parent.lower() if parent else None)
    return commit_header, (_operation(item) for item in items)


def _json_line(line: bytes) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise bad_request(f"Invalid ndjson line: {error}") from error
    if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
        raise bad_request("Each ndjson line must be an object with `key` and `value`")
    return item


def _operation(item: dict[str, Any]) -> Operation:
    key, value = item.get("key"), item["value"]
    path = clean_path(value.get("path"), folder=key == "deletedFolder")
    if key == "file":
        content_text = value.get("content") or ""
        if value.get("encoding") != "base64" or not isinstance(content_text, str):
            raise bad_request(f"Unsupported encoding for {path}")
        try:
            content = base64.b64decode(content_text, validate=True)
        except binascii.Error as error:
            raise bad_request(f"Invalid base64 content for {path}") from error
        return AddRegular(path, content)
    if key == "lfsFile":
        oid, size = value.get("oid"), value.get("size")
        if value.get("algo", "sha256") != "sha256" or not (
            isinstance(oid, str) and OID_PATTERN.fullmatch(oid)
        ):
            raise bad_request(f"Invalid LFS oid for {path}")
        if size is not None and not (isinstance(size, int) and size >= 0):
            raise bad_request(f"Invalid LFS size for {path}")
        return AddLfs(path, oid, size)
    if key == "deletedFile":
        return DeleteFile(path)
    if key == "deletedFolder":
        return DeleteFolder(path)
    raise bad_request(f"Unknown commit operation {key!r}")


def clean_path(path: object, folder: bool = False) -> str:
    """Validate a path in the repo; folders may end in `/`.

    Relative and escaping paths (`./x`, `../x`, `..\\x`, `/x`, `a//b`), `.git` parts and NUL
    (which git cannot store) are the Hub's 422; a missing or non-string path is a 400.
    """
    if not isinstance(path, str):
        raise bad_request("Each operation needs a string `path`")
    cleaned = path.rstrip("/") if folder else path
    if (
        not cleaned
        or cleaned.startswith(("/", "\\"))
        or "\0" in cleaned
        or any(part in ("", ".git") for part in cleaned.split("/"))
        or any(part in (".", "..") for part in re.split(r"[/\\]", cleaned))
    ):
        raise HubError(422, f"Invalid path in repo: {path!r}: paths must be relative, in the repo")
    return cleaned


def apply_operations(
    files: Mapping[str, tuple[str, str]],
    operations: list[StoredOperation],
    blobs: Mapping[str, str],
) -> dict[str, tuple[str, str]]:
    """The new path -> (mode, blob) map; `blobs` has the blob of each added path.

    Deleting a missing file or folder is the Hub's 404 `EntryNotFound`; deleting a folder as a
    file (`CommitOperationDelete("folder")`, no trailing slash) deletes the folder, as on the Hub;
    a result where a path is both a file and a folder is a 400.
    """
    result = dict(files)
    for operation in operations:
        if isinstance(operation, Added):
            result[operation.path] = (FILE_MODE, blobs[operation.path])
        elif isinstance(operation, DeleteFile) and operation.path in result:
            del result[operation.path]
        else:
            prefix = f"{operation.path}/"
            doomed = [path for path in result if path.startswith(prefix)]
            if not doomed:
                kind = "file" if isinstance(operation, DeleteFile) else "folder"
                raise entry_not_found(f"A {kind} with this name doesn't exist")
            for path in doomed:
                del result[path]
    _check_no_clash(result)
    return result


def _check_no_clash(files: Mapping[str, tuple[str, str]]) -> None:
    folders = {path[:index] for path in files for index, char in enumerate(path) if char == "/"}
    clashes = sorted(folders.intersection(files))
    if clashes:
        raise bad_request(f"{clashes[0]} cannot be both a file and a folder")


def _is_hex(text: str) -> bool:
    return 5 <= len(text) <= 40 and all(char in "0123456789abcdefABCDEF" for char in text)
