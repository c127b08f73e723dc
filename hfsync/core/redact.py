"""Hide credentials in any text hfsync shows: URLs with user info, scp-style remotes, tokens.

Applied where text leaves hfsync (messages, JSON, job summaries, logs), so that a token never
shows, whatever form the user wrote it in:

- the whole user info of a URL, whatever it holds: `https://user:p@ss@host/x` (a password with
  `@`), `https://u:SECRET/x@host/x` (a password with `/`, which git itself cannot parse, so its
  error repeats the URL), `https://TOKEN@host/x` (a token as the user name);
- `user:PASS@host:path` (scp-style), with the same freedom in the password;
- Hugging Face tokens in free text (`hf_...`, and `hf_jwt_...` from a Trusted Publishers
  exchange), raw JSON Web Tokens (`eyJ...`: an OIDC id token);
- the values of the variables that hold a token (`HF_TOKEN`, `HF_OIDC_ID_TOKEN`, the Actions
  runtime's `ACTIONS_ID_TOKEN_REQUEST_TOKEN` ...), and any token hfsync was handed at run time
  (`remember`).

Text is scanned in linear time (it may come from a remote: git's messages, a hook's output).
"""

from __future__ import annotations

import os
import re

MASK = "***"
# A word (up to whitespace or the quotes around it in messages) that holds an `@`: only
# those may hold a user info. Matched from a word's start only, so the scan is linear.
_WORD_WITH_AT_RE = re.compile(r"(?<![^\s'\"<>])[^\s'\"<>@]*@[^\s'\"<>]*")
# A URL's scheme (at a word's start, so that `xhttps://` is one too, as `https://`).
_SCHEME_RE = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://")
# What follows the `@` that ends a user info, when the user info holds a `/`: a host name with
# a dot (or `localhost`, an IPv4 or [IPv6] address), then a port, a path or the end.
_HOST_AFTER_RE = re.compile(
    r"@(?:localhost|(?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+|\[[0-9A-Fa-f:.]+\])(?=[:/?#]|$)"
)
# Any host, for a user info known to be one (it has a password: `user:...`).
_ANY_HOST_AFTER_RE = re.compile(r"@[\w.-]+|@\[")
# scp-style `[user[:password]@]host:path`: where the user starts, and the `@host:` that ends it.
_SCP_USER_RE = re.compile(r"(?<![\w.+-])[\w.+-]+:")
_SCP_HOST_AFTER_RE = re.compile(r"@[\w.-]+:")
_PORT_RE = re.compile(r"[0-9]*")
# Hugging Face tokens: user access tokens, and tokens exchanged with Trusted Publishers.
_HF_TOKEN_RE = re.compile(r"\bhf_jwt_[A-Za-z0-9_.-]+|\bhf_[A-Za-z0-9]{8,}")
# A JSON Web Token (an OIDC id token): base64url header `{"...`, payload and signature.
_JWT_RE = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_TOKEN_VARIABLES = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HF_OIDC_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
    "GITHUB_TOKEN",
)
_MIN_SECRET_LEN = 6
_remembered: set[str] = set()


def remember(secret: str) -> None:
    """Mask `secret` too from now on, in this process (a token hfsync obtained at run time)."""
    if len(secret) >= _MIN_SECRET_LEN:
        _remembered.add(secret)


def redact(text: str) -> str:
    """`text` with every credential it may hold replaced by `***`."""
    if "@" in text:
        text = _WORD_WITH_AT_RE.sub(lambda match: _redact_word(match.group()), text)
    if "hf_" in text:  # a search for the literal first is much faster than the pattern's
        text = _HF_TOKEN_RE.sub(f"hf_{MASK}", text)
    if "eyJ" in text:
        text = _JWT_RE.sub(MASK, text)
    secrets = {os.environ.get(variable, "") for variable in _TOKEN_VARIABLES} | _remembered
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET_LEN:
            text = text.replace(secret, MASK)
    return text


def _redact_word(word: str) -> str:
    """One run of text without spaces or quotes, its user infos masked."""
    if "://" in word:
        return _redact_urls(word)
    return _redact_scp(word)


def _redact_urls(word: str) -> str:
    """Each URL's user info masked. A user info ends at the last `@` before the host: with a
    password (the text before the first `/` is `user:...`, not `host:port`), at the word's last
    `@` that a host follows; else at the last `@` before the first `/`, or past a `/` at the
    last `@` that a host name with a dot follows (`https://T0K/EN@example.com/`, but not
    `https://host/repo@v1`). Masking too much is the safe side."""
    ats = [match.start() for match in re.finditer("@", word)]
    hosted = [index for index in ats if _HOST_AFTER_RE.match(word, index)]
    any_host = [index for index in ats if _ANY_HOST_AFTER_RE.match(word, index)]
    out: list[str] = []
    position = 0
    while (scheme := _SCHEME_RE.search(word, position)) is not None:
        start = scheme.end()
        slash = word.find("/", start)
        first = word[start:] if slash < 0 else word[start:slash]
        end = _userinfo_end(start, first, hosted, any_host)
        if end is None:
            out.append(word[position:start])
            position = start
            continue
        out.append(f"{word[position:start]}{MASK}")
        position = end
    out.append(word[position:])
    return "".join(out)


def _userinfo_end(start: int, first: str, hosted: list[int], any_host: list[int]) -> int | None:
    """Where the user info of the URL whose authority starts at `start` ends (its `@`), or
    None when the URL has none."""
    if not first:
        return None  # `file:///path`: no authority
    _user, colon, password = first.partition(":")
    if colon and not _PORT_RE.fullmatch(password):
        candidates = any_host  # `user:password...`: the password may hold `@` and `/`
    elif "@" in first:
        return start + first.rindex("@")
    else:
        candidates = hosted
    end = candidates[-1] if candidates else -1
    return end if end > start else None


def _redact_scp(word: str) -> str:
    """`user:password@host:path` with the user and password masked (the password may hold any
    character but the ones that end a word)."""
    user = _SCP_USER_RE.search(word)
    if user is None:
        return word
    ends = [match.start() for match in _SCP_HOST_AFTER_RE.finditer(word, user.end())]
    if not ends:
        return word
    return f"{word[: user.start()]}{MASK}{word[ends[-1] :]}"
