"""Everything the request handlers share: storage, tokens, control and Space state."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

from .auth import TokenRegistry, TokenSpec
from .control import Control
from .discussions import Discussions
from .hot_reload import HotReloads
from .lfs_store import LfsStore
from .moves import Moves
from .oidc import TrustedPublishers
from .runtime import SpaceRuntimes
from .space_settings import SpaceSettings
from .storage import RepoStore
from .xet_store import XetStore
from .xet_tokens import DEFAULT_LIFETIME, XetTokens

DEFAULT_PAGE_SIZE = 1000
# The Hub serves at most 50 entries per page when `expand=true` asks for last commits.
EXPANDED_PAGE_SIZE = 50


class HubState:
    """The hub's data and settings, independent of HTTP."""

    def __init__(
        self,
        root: Path,
        tokens: Iterable[TokenSpec],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        build_seconds: float = 0.3,
        build_polls: int | None = None,
        xet_token_seconds: int = DEFAULT_LIFETIME,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.root = root
        self.store = RepoStore(root)
        self.moves = Moves(root)  # old ids of renamed repos, redirected to the new ones
        self.lfs = LfsStore(root)
        self.xet = XetStore(root)
        self.xet_tokens = XetTokens(xet_token_seconds)
        self.oidc = TrustedPublishers()
        self.tokens = TokenRegistry(tokens, self.oidc.authenticate)
        self.control = Control()
        self.runtimes = SpaceRuntimes(self.control, build_seconds, build_polls)
        self.space_settings = SpaceSettings()
        self.hot_reloads = HotReloads()
        self.discussions = Discussions()
        self.page_size = page_size
        # Set on shutdown so that injected latencies stop waiting.
        self.stopping = threading.Event()

    @property
    def expanded_page_size(self) -> int:
        return min(self.page_size, EXPANDED_PAGE_SIZE)

    def reset(self, *, repos: bool) -> None:
        """Back to a fresh hub: control state, Space state, trusted publishers and, with
        `repos`, every repo."""
        self.control.reset()
        self.runtimes.reset()
        self.space_settings.reset()
        self.hot_reloads.reset()
        self.lfs.clear_pending()
        self.oidc.reset()
        if repos:
            self.store.wipe()
            self.moves.clear()
