"""`TestHub`: the Hub-compatible server in a background thread, started and stopped cleanly."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from .app import HubApp
from .auth import TokenSpec
from .control import Control
from .naming import RepoKey
from .oidc import TrustedPublishers
from .space_settings import SpaceSettings
from .state import DEFAULT_PAGE_SIZE, HubState
from .xet_tokens import DEFAULT_LIFETIME, XetTokens


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr (the hub keeps its own request log) and a bounded socket wait."""

    timeout = 60

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class _Server(ThreadedWSGIServer):
    # Non-daemon handler threads, joined by `server_close`: nothing outlives `stop()`.
    daemon_threads = False
    block_on_close = True


class TestHub:
    """A local Hugging Face Hub for tests, on `http://host:port`::

    with TestHub(tmp_path, [TokenSpec("hf_write", "alice")]) as hub:
        HfApi(endpoint=hub.url, token="hf_write").whoami()["name"]  # "alice"
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(
        self,
        root: Path,
        tokens: Sequence[TokenSpec] = (),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = DEFAULT_PAGE_SIZE,
        build_seconds: float = 0.3,
        build_polls: int | None = None,
        xet_token_seconds: int = DEFAULT_LIFETIME,
    ) -> None:
        """`root` holds the repos (created if missing); `page_size` caps tree and commit pages
        (50 at most with `expand`); a Space build lasts `build_seconds`, or `build_polls`
        runtime reads when that is set; Xet tokens live `xet_token_seconds`."""
        self.state = HubState(
            Path(root),
            tokens,
            page_size=page_size,
            build_seconds=build_seconds,
            build_polls=build_polls,
            xet_token_seconds=xet_token_seconds,
        )
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def control(self) -> Control:
        """Faults, request log, commit rate limit, scripted Space builds."""
        return self.state.control

    @property
    def xet_tokens(self) -> XetTokens:
        """Xet access tokens: `lifetime` for new ones, `expire_all()` for those issued."""
        return self.state.xet_tokens

    @property
    def trusted_publishers(self) -> TrustedPublishers:
        """Trusted Publishers: `register(resource, sub)`, `mint(...)`, `expire_all()`."""
        return self.state.oidc

    @property
    def space_settings(self) -> SpaceSettings:
        """Space secrets and variables (with `secret_values` for assertions)."""
        return self.state.space_settings

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:43123` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("The test hub is not running")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._server.port}"

    def start(self) -> TestHub:
        """Bind the port and serve in a background thread; returns at once."""
        if self._server is not None:
            raise RuntimeError("The test hub is already running")
        self.state.stopping.clear()
        # Bind here so a busy port raises OSError (werkzeug would print and exit the process).
        with socket.create_server((self._host, self._port)) as listener:
            self._server = _Server(
                self._host,
                self._port,
                HubApp(self.state),
                handler=_QuietHandler,
                fd=listener.fileno(),
            )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="testhub-server"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for requests in flight and close the port."""
        if self._server is None or self._thread is None:
            return
        self.state.stopping.set()
        self._server.shutdown()
        # serve_forever closes the socket and joins the handler threads on its way out.
        self._thread.join()
        self._server = None
        self._thread = None

    def git_dir(self, repo_type: str, repo_id: str) -> Path:
        """The bare git repository of a repo, to inspect its history with `git`."""
        namespace, name = repo_id.split("/")
        return self.state.store.git_dir(RepoKey(repo_type, namespace, name))

    def reset(self, *, repos: bool = True) -> None:
        """Forget faults, the log, limits and Space state; with `repos`, delete every repo."""
        self.state.reset(repos=repos)

    def __enter__(self) -> TestHub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
