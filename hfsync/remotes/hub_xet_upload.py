"""Preupload to the Hub as `HfApi.preupload_lfs_files` does, with the bytes Xet sends counted.

Xet deduplicates: a 21 MB file changed in one place sends a few kB. hf_xet reports what it sent
to a progress callback, which huggingface_hub 2.4 hands only to its own progress bars (turned
off by hfsync: they would write `\\r` frames into logs), with no other way to read it. So here:

1. the Hub says how it stores each file (`_fetch_upload_modes`, the client's own step: the one
   part of its private API used, as hfsync already reads the modes it sets on the operations);
2. the files it stores as large files go up through hf_xet's public session API, as the
   client's `_upload_xet_files` sends them (the write-token refresh URL, the Hub headers for the
   refresh, the same headers less the token for the CAS), and the commit report says how many
   bytes travelled;
3. `preupload_lfs_files` does the rest as before: nothing when Xet took them, the legacy LFS
   upload when Xet is off (`HF_HUB_DISABLE_XET`) or not installed.
"""

from __future__ import annotations

import importlib.util
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from huggingface_hub import HfApi


def xet_available() -> bool:
    """Whether the client would upload large files through Xet (read at each call, as it does)."""
    from huggingface_hub import constants

    return not constants.HF_HUB_DISABLE_XET and importlib.util.find_spec("hf_xet") is not None


def preupload(
    api: HfApi,
    repo_id: str,
    repo_type: str,
    branch: str,
    additions: list[Any],
    gitignore: str | None,
    session: Callable[[], Any],
) -> int | None:
    """Preupload `additions`; the bytes Xet sent for them, or None when no file went through
    Xet (nothing measured; the files sent inline with the commit are the caller's to count).

    `session`: the hf_xet session to upload with (made on first use)."""
    from huggingface_hub._commit_api import _fetch_upload_modes
    from huggingface_hub.utils import build_hf_headers

    revision = quote(branch, safe="")
    headers = build_hf_headers(
        token=api.token,
        library_name=api.library_name,
        library_version=api.library_version,
        user_agent=api.user_agent,
        headers=api.headers,
    )
    pending = [op for op in additions if not op._is_uploaded and op._upload_mode is None]
    if pending:
        _fetch_upload_modes(
            additions=pending,
            repo_type=repo_type,
            repo_id=repo_id,
            headers=headers,
            revision=revision,
            endpoint=api.endpoint,
            gitignore_content=gitignore,
        )
    large = [
        op
        for op in additions
        if op._upload_mode == "lfs" and not op._should_ignore and not op._is_uploaded
    ]
    sent = None
    if large and xet_available() and not _buffered(large):
        url = f"{api.endpoint}/api/{repo_type}s/{repo_id}/xet-write-token/{revision}"
        sent = _upload(session(), large, url, headers)
        for op in large:
            op._is_uploaded = True
            op.path_or_fileobj = b""  # as the client frees it: the commit sends only the pointer
    api.preupload_lfs_files(
        repo_id,
        additions=additions,
        repo_type=repo_type,
        revision=branch,
        gitignore_content=gitignore,
    )
    return sent


def _upload(session: Any, additions: list[Any], refresh_url: str, headers: dict[str, str]) -> int:
    """Upload `additions` in one Xet commit; the bytes it sent."""
    import hf_xet

    cas_headers = {key: value for key, value in headers.items() if key.lower() != "authorization"}
    commit = session.new_upload_commit(
        token_refresh_url=refresh_url,
        token_refresh_headers=headers,
        custom_headers=cas_headers,
    )
    handles = []
    try:
        for op in additions:
            info = op.upload_info
            sha256 = info.sha256.hex() if info.is_hashed else hf_xet.COMPUTE_SHA256
            content = op.path_or_fileobj
            if isinstance(content, bytes):
                handles.append((op, commit.start_upload_bytes(content, sha256=sha256)))
            else:
                handles.append((op, commit.start_upload_file(str(content), sha256=sha256)))
        report = commit.wait_to_finish()
    except BaseException:
        commit.abort()
        raise
    for op, handle in handles:
        if not op.upload_info.is_hashed:
            op.upload_info.sha256 = bytes.fromhex(handle.result().xet_info.sha256)
    return int(report.progress.total_transfer_bytes_completed)


def _buffered(additions: list[Any]) -> bool:
    """The client sends a file object through legacy LFS, never Xet (hfsync never makes one)."""
    return any(isinstance(op.path_or_fileobj, io.BufferedIOBase) for op in additions)
