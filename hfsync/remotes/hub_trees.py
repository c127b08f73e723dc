"""A Hub commit's tree: listed whole, or read back path by path (cached: `hub_tree_cache.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hfsync.core.snapshot import RemoteFile

if TYPE_CHECKING:
    from hfsync.remotes.hub_client import HubClient

PATHS_INFO_CHUNK = 500


def list_tree(client: HubClient, commit: str) -> dict[str, RemoteFile]:
    """Every file of `commit`, listed by the Hub."""
    from huggingface_hub.hf_api import RepoFile

    def listing() -> dict[str, RemoteFile]:
        files = {}
        for entry in client.api.list_repo_tree(
            client.repo_id, recursive=True, revision=commit, repo_type=client.repo_type
        ):
            if isinstance(entry, RepoFile):
                files[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
        return files

    return client.call(listing, "list the files")


def paths_info(client: HubClient, commit: str, paths: list[str]) -> dict[str, RemoteFile]:
    """The entries of these paths in `commit` (a path with no file there is left out)."""
    from huggingface_hub.hf_api import RepoFile

    found: dict[str, RemoteFile] = {}
    for start in range(0, len(paths), PATHS_INFO_CHUNK):
        chunk = paths[start : start + PATHS_INFO_CHUNK]
        entries = client.call(
            lambda chunk=chunk: client.api.get_paths_info(  # type: ignore[misc]
                client.repo_id, chunk, revision=commit, repo_type=client.repo_type
            ),
            "read file details",
        )
        for entry in entries:
            if isinstance(entry, RepoFile):
                found[entry.path] = _remote_file(entry.blob_id, entry.size, entry.lfs)
    return found


def _remote_file(blob_id: str, size: int, lfs: Any) -> RemoteFile:
    if lfs is not None:
        return RemoteFile(oid=lfs.sha256, size=lfs.size)
    return RemoteFile(oid=blob_id, size=size)
