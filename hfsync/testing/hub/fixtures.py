"""Building blocks for fixtures that run the real `huggingface_hub` client against a `TestHub`.

Plain context managers (no pytest import); wrap them in fixtures, as `tests/hub/conftest.py` does::

    @pytest.fixture
    def hub(tmp_path):
        with running_test_hub(tmp_path / "hub") as hub, client_pointed_at(hub.url, tmp_path / "hf"):
            yield hub

    def test_upload(hub):
        api = HfApi(endpoint=hub.url, token=WRITE_TOKEN)

What the client (2.4.0) needs, and why `client_pointed_at` patches what it patches:

* `HF_ENDPOINT` is read once, at import (`huggingface_hub.constants.ENDPOINT`). Setting the variable
  in a test is too late, so always pass `HfApi(endpoint=hub.url, ...)`; `hf_hub_download` and
  `snapshot_download` take `endpoint=` too. Code that does not pass it reads `constants.ENDPOINT`,
  `constants.HUGGINGFACE_CO_URL_TEMPLATE` (the resolve URL, built from ENDPOINT at import) or the
  module-level `huggingface_hub.hf_api.api` (an `HfApi()` made at import, behind
  `huggingface_hub.upload_file` & co.): all three are patched, so such code reaches the test hub
  instead of huggingface.co.
* Xet: with `hf_xet` installed the client uploads LFS-mode files through Xet without asking the
  server, as in production; the test hub speaks Xet, so this is the default. `xet=False` sets
  `HF_HUB_DISABLE_XET=1` (env, for subprocesses) and `constants.HF_HUB_DISABLE_XET = True` (read
  at each call), which keeps the client on the legacy LFS path.
* Telemetry: `HF_HUB_DISABLE_TELEMETRY` is read at import; patched so that the client never fetches
  its agent-harness registry (from `constants.ENDPOINT`).
* Tokens: `HF_TOKEN`/`HUGGING_FACE_HUB_TOKEN` are removed and the token files live in the temp
  `HF_HOME`, so only the token a test passes explicitly is ever sent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from huggingface_hub import constants, hf_api

from .auth import TokenSpec
from .server import TestHub

USER = "user"
OTHER_USER = "other"
WRITE_TOKEN = "hf_testhub_write"
READ_TOKEN = "hf_testhub_read"
OTHER_WRITE_TOKEN = "hf_testhub_other_write"

DEFAULT_TOKENS: tuple[TokenSpec, ...] = (
    TokenSpec(WRITE_TOKEN, USER, "write"),
    TokenSpec(READ_TOKEN, USER, "read"),
    TokenSpec(OTHER_WRITE_TOKEN, OTHER_USER, "write"),
)

_REMOVED_ENV = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_TOKEN_PATH",
)


@contextmanager
def running_test_hub(
    root: Path, tokens: Sequence[TokenSpec] = DEFAULT_TOKENS, **options: Any
) -> Iterator[TestHub]:
    """A started `TestHub` on a free port, stopped on exit; `options` go to `TestHub`."""
    with TestHub(root, tokens, **options) as hub:
        yield hub


@contextmanager
def client_pointed_at(url: str, hf_home: Path, *, xet: bool = True) -> Iterator[None]:
    """Point the in-process `huggingface_hub` client (and child processes) at `url`, until exit;
    large files go through Xet, or through legacy LFS with `xet=False`."""
    hf_home.mkdir(parents=True, exist_ok=True)
    env = {
        "HF_ENDPOINT": url,
        "HF_HOME": str(hf_home),
        "HF_HUB_DISABLE_XET": "0" if xet else "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }
    patched_constants = {
        "ENDPOINT": url,
        "HUGGINGFACE_CO_URL_TEMPLATE": url + "/{repo_id}/resolve/{revision}/{filename}",
        "HF_HUB_DISABLE_XET": not xet,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_OFFLINE": False,
        "HF_HOME": str(hf_home),
        "HF_HUB_CACHE": str(hf_home / "hub"),
        "HUGGINGFACE_HUB_CACHE": str(hf_home / "hub"),
        "HF_ASSETS_CACHE": str(hf_home / "assets"),
        "HF_XET_CACHE": str(hf_home / "xet"),
        "HF_TOKEN_PATH": str(hf_home / "token"),
        "HF_STORED_TOKENS_PATH": str(hf_home / "stored_tokens"),
        "AGENT_HARNESSES_PATH": str(hf_home / ".agent_harnesses.json"),
    }
    with ExitStack() as stack:
        stack.enter_context(mock.patch.dict(os.environ, env))
        for name in _REMOVED_ENV:
            os.environ.pop(name, None)  # restored by patch.dict on exit
        for name, value in patched_constants.items():
            stack.enter_context(mock.patch.object(constants, name, value))
        stack.enter_context(mock.patch.object(hf_api.api, "endpoint", url))
        yield


@contextmanager
def hub_with_client(
    root: Path,
    hf_home: Path,
    tokens: Sequence[TokenSpec] = DEFAULT_TOKENS,
    *,
    xet: bool = True,
    **options: Any,
) -> Iterator[TestHub]:
    """Both at once: a running hub and the client pointed at it (through Xet unless `xet=False`)."""
    with (
        running_test_hub(root, tokens, **options) as hub,
        client_pointed_at(hub.url, hf_home, xet=xet),
    ):
        yield hub
