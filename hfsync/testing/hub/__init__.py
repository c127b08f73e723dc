"""A local Hub-compatible HTTP server for tests: the real `huggingface_hub` client works with it.

See docs/test-hub.md. Typical use::

    with TestHub(tmp_path, [TokenSpec("hf_write", "alice")]) as hub:
        api = HfApi(endpoint=hub.url, token="hf_write")
"""

import sys

try:  # the [testhub] extra: the HTTP server, Xet's hashes and compression, re2, JWTs
    import blake3  # noqa: F401
    import joserfc  # noqa: F401
    import lz4  # noqa: F401
    import re2  # noqa: F401
    import werkzeug  # noqa: F401
except ModuleNotFoundError as missing:  # installed without the extra
    _MISSING = f"the test Hub needs {missing.name}: in hfsync's checkout, pip install '.[testhub]'"
    # `python -m hfsync.testing.hub` imports this package first: one line, not a traceback.
    if sys.argv[:1] == ["-m"]:
        sys.exit(f"error: {_MISSING}")
    raise ModuleNotFoundError(_MISSING) from None

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
