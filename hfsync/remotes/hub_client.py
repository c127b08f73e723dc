"""One branch of one Hub repo as the client reaches it: huggingface_hub's HfApi, made on first
use, and each call made under hfsync's retry policy, its failures turned into one-line errors."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from hfsync.remotes import retry
from hfsync.remotes.hub_errors import classify, error_for, is_missing_token
from hfsync.remotes.hub_token import hub_token
from hfsync.remotes.hub_xet import configure_xet

if TYPE_CHECKING:
    from huggingface_hub import HfApi

T = TypeVar("T")


class HubClient:
    """The repo, the branch and the endpoint every Hub call of one target is about."""

    def __init__(
        self,
        repo_id: str,
        repo_type: str,
        branch: str,
        endpoint: str | None = None,
        token: str | None = None,
    ) -> None:
        from huggingface_hub import constants

        self.repo_id = repo_id
        self.repo_type = repo_type
        self.branch = branch
        self.where = f"{repo_type} {repo_id}"
        self.description = f"{self.where} (branch {branch})"
        # As the client picks it: the argument, else HF_ENDPOINT, else the public Hub.
        self.endpoint: str = (
            endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
        ).rstrip("/")
        self.token = token
        self.policy = retry.RetryPolicy.from_env()
        retry.configure_client(self.policy)
        configure_xet(self.policy)

    @functools.cached_property
    def api(self) -> HfApi:
        """The Hub client, made on first use: importing it costs more than the rest of a
        no-change run, which only reads the head."""
        from huggingface_hub import HfApi

        return HfApi(endpoint=self.endpoint, token=self.token)

    @functools.cached_property
    def xet_session(self) -> Any:
        """This target's hf_xet session, made on first use (a runtime and a connection pool)."""
        import hf_xet

        return hf_xet.XetSession()

    def auth(self) -> str | None:
        """The token to send (remotes/hub_token.py): the first request of every command reads
        the head with it, so a refused Trusted Publishers exchange stops it there, with its
        own message. `HfApi` resolves it through the same client function on each request."""
        return self.token if self.token is not None else hub_token()

    def headers(self) -> dict[str, str]:
        """The headers the client sends (its user agent and the token), for a request made
        through its session without making the client."""
        from huggingface_hub.utils import build_hf_headers

        return build_hf_headers(token=self.auth())

    def call(self, action: Callable[[], T], what: str) -> T:
        """Run one client call under the retry policy, turning the client's failures into
        one-line errors: TemporaryError (exit 6) or RemoteError (exit 4)."""
        from huggingface_hub.errors import HfHubHTTPError

        try:
            return retry.call(action, classify, self.policy, f"{what} on {self.where}")
        except retry.GaveUp as exc:
            raise error_for(exc.failure, self.where, self.endpoint, exc.attempts) from exc.failure
        except HfHubHTTPError as exc:
            raise error_for(exc, self.where, self.endpoint) from exc
        except Exception as exc:
            if is_missing_token(exc) or classify(exc) is not None:
                raise error_for(exc, self.where, self.endpoint) from exc
            raise
