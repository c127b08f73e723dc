"""A local Hub-compatible HTTP server for tests: the real `huggingface_hub` client works with it.

See docs/test-hub.md. Typical use::

    with TestHub(tmp_path, [TokenSpec("hf_write", "alice")]) as hub:
        api = HfApi(endpoint=hub.url, token="hf_write")
"""

from .auth import TokenSpec
from .control import Control, Fault, RequestRecord
from .runtime import BUILD_ERROR_MARKER, RUNTIME_ERROR_MARKER
from .server import TestHub

__all__ = [
    "BUILD_ERROR_MARKER",
    "RUNTIME_ERROR_MARKER",
    "Control",
    "Fault",
    "RequestRecord",
    "TestHub",
    "TokenSpec",
]
