"""GitHub push webhooks for `hfsync serve`: check the signature, pick the deliveries that matter.

A delivery counts only if its `X-Hub-Signature-256` is the HMAC-SHA256 of the exact body under
the shared secret (compared in constant time); anything else is 401 and its body is never logged
nor parsed. A push to another branch, or another event, is acknowledged and ignored. What a
delivery asks for is only "fetch now": the daemon fetches the branch and syncs its newest commit,
so a burst of deliveries is one sync, and the payload is never trusted for what to sync.

The body is read in chunks into the HMAC, and only its first KEEP bytes are kept to find the
pushed branch: a client that sends 25 MB costs 25 MB of hashing, not of memory. A signed push
whose payload is larger is not parsed; it asks for a fetch, which finds nothing new if the push
was to another branch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import parse_qs

from hfsync.core.errors import ConfigError

MAX_BODY = 25 * 1024 * 1024  # GitHub caps a delivery's payload at 25 MB
KEEP = 1024 * 1024  # a push payload is some kB; one of thousands of commits, a few MB
CHUNK = 64 * 1024
SIGNATURE_HEADER = "X-Hub-Signature-256"
SECRET_VARIABLE = "HFSYNC_WEBHOOK_SECRET"  # noqa: S105 (its name, not a value)
MIN_SECRET = 16  # characters; GitHub advises a random string with high entropy


def webhook_secret(environ: Mapping[str, str]) -> bytes | None:
    """The webhook secret from the environment; None when unset or empty (POST /webhook off).

    A secret of only white space, or shorter than MIN_SECRET characters, is a mistake to stop
    at, not a secret: anyone could sign a delivery with it."""
    value = environ.get(SECRET_VARIABLE, "")
    if not value:
        return None
    if not value.strip():
        problem = "is only white space"
    elif len(value) < MIN_SECRET:
        problem = f"has {len(value)} characters"
    else:
        return value.encode("utf-8", "surrogateescape")
    raise ConfigError(
        f"{SECRET_VARIABLE} {problem}: use a random string of at least {MIN_SECRET} characters "
        "(e.g. `openssl rand -hex 32`) and give GitHub the same, or unset it to turn off "
        "POST /webhook"
    )


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` is `sha256=<hex HMAC of body>`; constant time in the digest compare."""
    return _matches(hmac.new(secret, body, hashlib.sha256), header)


def _matches(mac: hmac.HMAC, header: str | None) -> bool:
    if not header:
        return False
    expected = b"sha256=" + mac.hexdigest().encode()
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "surrogateescape"))


def read_signed(
    secret: bytes, stream: BinaryIO, header: str | None
) -> tuple[bool, bytes | None, int]:
    """(signature ok, the body if at most KEEP bytes, its size): `stream` read to its end, or
    to MAX_BODY bytes (a longer body is refused), in CHUNK-byte reads."""
    mac = hmac.new(secret, digestmod=hashlib.sha256)
    kept: bytearray | None = bytearray()
    size = 0
    while size <= MAX_BODY:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        size += len(chunk)
        mac.update(chunk)
        if kept is not None:
            kept += chunk
            if len(kept) > KEEP:
                kept = None
    ok = size <= MAX_BODY and _matches(mac, header)
    return ok, (bytes(kept) if kept is not None else None), size


def sign(secret: bytes, body: bytes) -> str:
    """The header value GitHub would send for `body` (for tests and the container check)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def pushed_ref(body: bytes, content_type: str) -> str | None:
    """The `ref` of a push payload, sent as JSON or as a form field `payload`; None if absent."""
    try:
        if content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(body.decode("utf-8"), max_num_fields=10)
            body = form.get("payload", [""])[0].encode("utf-8")
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):
        return None
    ref = payload.get("ref") if isinstance(payload, dict) else None
    return ref if isinstance(ref, str) else None


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, str]


@dataclass
class WebhookReceiver:
    """Answers deliveries; calls `on_push` for a signed push to `branch`."""

    secret: bytes
    branch: str
    on_push: Callable[[], None]
    on_rejected: Callable[[str], None]

    def deliver(self, headers: Mapping[str, str], stream: BinaryIO, client: str) -> Answer:
        """The answer to one delivery, its body read from `stream`; `headers` with lower-case
        names."""
        signature = headers.get(SIGNATURE_HEADER.lower())
        ok, body, size = read_signed(self.secret, stream, signature)
        if not ok:
            delivery = headers.get("x-github-delivery", "-")[:64]
            self.on_rejected(
                f"webhook: rejected a delivery with a bad or missing signature "
                f"(from {client}, delivery {delivery!r}, {size} bytes)"
            )
            return Answer(401, {"error": f"bad or missing {SIGNATURE_HEADER}"})
        event = headers.get("x-github-event", "push")
        if event == "ping":
            return Answer(200, {"status": "pong"})
        if event != "push":
            return Answer(202, {"status": "ignored", "reason": f"event {event[:40]!r}"})
        if body is None:  # signed, but too large to read for its branch: fetch, to be sure
            self.on_push()
            return Answer(202, {"status": "queued", "reason": f"payload over {KEEP} bytes"})
        ref = pushed_ref(body, headers.get("content-type", "application/json"))
        if ref is None:
            return Answer(400, {"error": "the payload has no 'ref'"})
        if ref != f"refs/heads/{self.branch}":
            return Answer(202, {"status": "ignored", "reason": f"not branch {self.branch}"})
        self.on_push()
        return Answer(202, {"status": "queued"})
