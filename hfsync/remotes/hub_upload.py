"""Uploads to the Hub made ready before the commit: one operation per file, preuploaded (the
Hub says how it stores each file, regular or LFS, and LFS content goes up now), in batches
when progress is shown, and what the commit of them will write in the tree."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from hfsync.core.errors import SourceError
from hfsync.core.remote_ignore import GITIGNORE
from hfsync.core.snapshot import LocalFile, RemoteFile
from hfsync.remotes.hub_xet import XetFailure, xet_error
from hfsync.remotes.hub_xet_upload import preupload as xet_preupload

if TYPE_CHECKING:
    from hfsync.core.meter import Meter
    from hfsync.local.source import Source
    from hfsync.remotes import Change
    from hfsync.remotes.hub_client import HubClient

# An operation, and the file it is pinned to (None: sent from disk, its blob read back).
Prepared = tuple[Any, LocalFile | None]

INLINE_SIZE = 1 << 20  # uploads up to this size are read once and sent as the bytes checked
UPLOAD_BATCH = 64 << 20  # with progress shown, large files go up in batches of about this size
PREUPLOAD_CHUNK = 1024  # uploads per preupload call: 4 of the client's 256-path requests
PREUPLOAD_STREAMS = 2  # preupload calls at a time


def prepare_uploads(
    client: HubClient, change: Change, source: Source, meter: Meter | None
) -> tuple[dict[tuple[str, str], Prepared], dict[str, RemoteFile], int | None]:
    """Ask the Hub how it will store each upload (preupload: regular or LFS, uploading LFS
    content now): the operations made ready, by (path, blob id), the entries they will have in
    the tree (a file the repo's .gitignore drops has none), and the bytes of file content sent
    where Xet measured them (Xet sends only the chunks the Hub lacks; the files sent inline
    with the commit count whole).

    With a `meter` and more than UPLOAD_BATCH bytes of large files, they are uploaded in
    batches of about that size, each counted once the Hub has it (one preupload and one
    Xet session per batch); otherwise in one go. Each operation is made (its bytes read and
    hashed) when its preupload call is, so that most are made while earlier calls are in flight.
    """
    # A commit's blobs are read by one git process, not one per upload.
    in_git = [local.path for _, local in change.uploads] if source.commit is not None else []
    blobs = dict(source.read_many(in_git))
    uploads = dict(change.uploads)
    prepared: dict[str, Prepared] = {}

    def made(path: str) -> Any:
        if path not in prepared:
            local = uploads[path]
            prepared[path] = addition(path, local, source, blobs.get(local.path))
        return prepared[path][0]

    sizes = {path: local.size for path, local in change.uploads}
    batches = _upload_batches(sizes) if meter is not None else [list(sizes)]
    large = [size for size in sizes.values() if size > INLINE_SIZE]
    task = None
    if meter is not None and len(batches) > 1:
        task = meter("sent", len(large), sum(large))
    # The Hub decides what a `.gitignore` being committed drops from what the client sends
    # with each preupload call; the client sends it only with the call that uploads it.
    gitignore = _gitignore_content(made(GITIGNORE)) if GITIGNORE in uploads else None
    sent: list[int | None] = []
    try:
        for batch in batches:
            sent.append(_preupload(client, (made(path) for path in batch), gitignore))
            if task is not None:
                done = [sizes[path] for path in batch if sizes[path] > INLINE_SIZE]
                task.advance(sum(done), len(done))
    finally:
        if task is not None:
            task.close()
    ready = {(path, local.sha1): prepared[path] for path, local in change.uploads}
    entries = {}
    inline = 0  # what the commit will carry in its body
    for path, local in change.uploads:
        operation = prepared[path][0]
        if operation._should_ignore:  # the Space's .gitignore drops it: the tree keeps its entry
            continue
        if operation._upload_mode == "lfs":
            entries[path] = RemoteFile(operation.upload_info.sha256.hex(), local.size)
        else:
            entries[path] = RemoteFile(local.sha1, local.size)
            inline += local.size
    by_xet = _added(sent)
    return ready, entries, None if by_xet is None else by_xet + inline


def _preupload(client: HubClient, operations: Iterable[Any], gitignore: str | None) -> int | None:
    """Preupload `operations`: many of them in calls of PREUPLOAD_CHUNK, PREUPLOAD_STREAMS
    at a time, so that the client's work on one overlaps the Hub's on another (a
    10,000-file first sync waited ~1 s on 40 requests made one after the other); the
    operations of a chunk are taken from `operations` (made) while the calls before it are
    in flight. Every call carries the `.gitignore` being committed (`gitignore`), whichever
    call uploads it. The bytes Xet sent, where it sent any (else None)."""
    chunks = _chunks(operations)
    first, second = next(chunks, []), next(chunks, None)
    if second is None:
        return _preupload_call(client, first, gitignore)
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(PREUPLOAD_STREAMS, thread_name_prefix="hfsync-preupload")
    try:
        calls = [pool.submit(_preupload_call, client, first, gitignore)]
        calls += [
            pool.submit(_preupload_call, client, chunk, gitignore)
            for chunk in itertools.chain([second], chunks)
        ]
        return _added([future.result() for future in calls])
    finally:  # on a failure or Ctrl-C: the calls not started are dropped
        pool.shutdown(wait=True, cancel_futures=True)


def _chunks(operations: Iterable[Any]) -> Iterator[list[Any]]:
    """`operations` in lists of PREUPLOAD_CHUNK, each taken when asked for."""
    taken = iter(operations)
    while chunk := list(itertools.islice(taken, PREUPLOAD_CHUNK)):
        yield chunk


def _added(counts: list[int | None]) -> int | None:
    """The sum of what was measured; None when nothing was."""
    measured = [count for count in counts if count is not None]
    return sum(measured) if measured else None


def _preupload_call(client: HubClient, operations: list[Any], gitignore: str | None) -> int | None:
    """One preupload call (`hub_xet_upload.py`: the Xet upload made with its bytes counted): the
    request is retried under the policy; the Xet upload it starts is retried by hf_xet alone
    (`hub_xet.py`), and its failure is final."""
    if not operations:
        return None

    def preupload() -> int | None:
        try:
            return xet_preupload(
                client.api,
                client.repo_id,
                client.repo_type,
                client.branch,
                operations,
                gitignore,
                lambda: client.xet_session,
            )
        except (ConnectionError, RuntimeError) as exc:  # hf_xet's own, after its retries
            raise XetFailure from exc

    try:
        return client.call(preupload, "preupload")
    except XetFailure as failure:
        cause = failure.__cause__ or failure
        raise xet_error(cause, client.where) from cause


def _upload_batches(sizes: dict[str, int]) -> list[list[str]]:
    """The uploads in batches holding about UPLOAD_BATCH bytes of large files each (the small
    ones, sent inline with the commit, ride in the first); one batch when they all fit."""
    batches: list[list[str]] = [[path for path, size in sizes.items() if size <= INLINE_SIZE]]
    filled = 0
    for path, size in sizes.items():
        if size <= INLINE_SIZE:
            continue
        if filled and filled + size > UPLOAD_BATCH:
            batches.append([])
            filled = 0
        batches[-1].append(path)
        filled += size
    return batches


def addition(path: str, local: LocalFile, source: Source, blob: bytes | None = None) -> Prepared:
    """The operation that uploads `local` to `path` (`blob`: its bytes, already read from git),
    and the file it is pinned to (None: sent from disk, its blob read back from the Hub)."""
    in_git = source.commit is not None
    content: str | bytes
    pinned: LocalFile | None = None
    if blob is not None:
        content, pinned = blob, local
    elif in_git or local.size <= INLINE_SIZE:
        # The bytes the plan hashed (read_bytes checks): what lands is then known.
        try:
            content, pinned = source.read_bytes(local.path), local
        except SourceError:
            if in_git:
                raise
            # Saved again since the plan (under `watch`): sent as it is now, as before
            # pinning, and the Hub is asked what landed.
            content = str(source.local_file_path(local.path))
    else:
        content = str(source.local_file_path(local.path))
    return _commit_operation_add()(path_in_repo=path, path_or_fileobj=content), pinned


def _gitignore_content(operation: Any) -> str:
    """The text of the `.gitignore` `operation` uploads, read as the client reads it."""
    with operation.as_file() as handle:
        return str(handle.read().decode(errors="replace"))


@functools.cache
def _commit_operation_add() -> Any:
    """The client's CommitOperationAdd: imported once (`from huggingface_hub import` goes
    through the package's lazy `__getattr__` each time, ~10 us, once per file uploaded)."""
    from huggingface_hub import CommitOperationAdd

    return CommitOperationAdd


def written_entries(additions: list[Prepared]) -> tuple[dict[str, RemoteFile], list[str]]:
    """The tree entries a commit of these additions wrote, as far as they are known without
    asking the Hub; and the paths whose entry must be asked for (paths-info).

    The preupload answer said, for each addition, how the Hub stores it: an LFS entry is the
    SHA-256 the client computed of the bytes it uploaded; a regular one is the git blob of the
    bytes sent, known when they were pinned (read and checked against the plan). A file the
    Space's .gitignore made the client skip wrote nothing.
    """
    written: dict[str, RemoteFile] = {}
    unknown: list[str] = []
    for operation, pinned in additions:
        mode = getattr(operation, "_upload_mode", None)
        if getattr(operation, "_should_ignore", None):
            continue
        if mode == "lfs":
            info = operation.upload_info
            written[operation.path_in_repo] = RemoteFile(info.sha256.hex(), info.size)
        elif mode == "regular" and pinned is not None:
            written[operation.path_in_repo] = RemoteFile(pinned.sha1, pinned.size)
        else:
            unknown.append(operation.path_in_repo)
    return written, unknown
