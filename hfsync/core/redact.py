"""Hide credentials in any text hfsync shows: URLs with user info, scp-style remotes, tokens.

Applied where text leaves hfsync (messages, JSON, job summaries, logs), so that a token never
shows, whatever form the user wrote it in: `https://user:p@ss@host/x` (a password with `@`),
`https://TOKEN@host/x` (a token as the user name), `user:PASS@host:path` (scp-style), `hf_...`
tokens in free text, and the value of `HF_TOKEN` itself.
"""

from __future__ import annotations

import os
import re

MASK = "***"
# The user info of a URL: everything between `://` and the last `@` before the host's end.
_URL_USERINFO_RE = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/\s'\"<>]*@")
# scp-style `user:password@host:path` (git's `[user@]host:path` with a password in it).
_SCP_USERINFO_RE = re.compile(r"(?<![\w.+-])[\w.+-]+:[^\s'\"/]*@(?=[\w.-]+:)")
# Hugging Face user access tokens, wherever they appear.
_HF_TOKEN_RE = re.compile(r"\bhf_[A-Za-z0-9]{8,}")
_TOKEN_VARIABLES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
_MIN_SECRET_LEN = 6


def redact(text: str) -> str:
    """`text` with every credential it may hold replaced by `***`."""
    text = _URL_USERINFO_RE.sub(rf"\g<scheme>{MASK}@", text)
    text = _SCP_USERINFO_RE.sub(f"{MASK}@", text)
    text = _HF_TOKEN_RE.sub(f"hf_{MASK}", text)
    for variable in _TOKEN_VARIABLES:
        secret = os.environ.get(variable, "")
        if len(secret) >= _MIN_SECRET_LEN:
            text = text.replace(secret, MASK)
    return text
