"""A Space's runtime, as the Hub reports it: its stage, its error and the tail of its logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfsync.remotes.space_logs import log_url, read_log_tail

if TYPE_CHECKING:
    from huggingface_hub import SpaceRuntime as SpaceRuntimeInfo

    from hfsync.remotes.hub_client import HubClient


class SpaceRuntime:
    """The runtime of the Space a Hub target writes to."""

    def __init__(self, client: HubClient) -> None:
        self._client = client

    def stage(self) -> str:
        """The Space's runtime stage (RUNNING, BUILDING, BUILD_ERROR, ...)."""
        return str(self._runtime().stage)

    def error_message(self) -> str | None:
        """What the Hub says went wrong with the Space's build or start, if anything."""
        runtime = self._runtime()
        message = runtime.raw.get("errorMessage") if isinstance(runtime.raw, dict) else None
        return message if isinstance(message, str) and message.strip() else None

    def log_tail(self, build: bool) -> list[str]:
        """The last lines of the Space's build log (or run log), read with limits; RemoteError
        when it cannot be read."""
        client = self._client
        return read_log_tail(log_url(client.endpoint, client.repo_id, build), client.headers())

    def _runtime(self) -> SpaceRuntimeInfo:
        client = self._client
        return client.call(lambda: client.api.get_space_runtime(client.repo_id), "read the Space")
