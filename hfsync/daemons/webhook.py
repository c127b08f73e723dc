"""GitHub push webhooks for `hfsync serve`: check the signature, pick the deliveries that matter.

A delivery counts only if its `X-Hub-Signature-256` is the HMAC-SHA256 of the exact body under
the shared secret (compared in constant time); anything else is 401 and its body is never logged
nor parsed. A push to another branch, or another event, is acknowledged and ignored. What a
delivery asks for is only "fetch now": the daemon fetches the branch and syncs its newest commit,
so a burst of deliveries is one sync, and the payload is never trusted for what to sync.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

MAX_BODY = 25 * 1024 * 1024  # GitHub caps a delivery's payload at 25 MB
SIGNATURE_HEADER = "X-Hub-Signature-256"


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` is `sha256=<hex HMAC of body>`; constant time in the digest compare."""
    if not header:
        return False
    expected = b"sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header.strip().encode("utf-8", "surrogateescape"))


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

    def deliver(self, headers: Mapping[str, str], body: bytes, client: str) -> Answer:
        """The answer to one delivery; `headers` with lower-case names."""
        if not signature_ok(self.secret, body, headers.get(SIGNATURE_HEADER.lower())):
            delivery = headers.get("x-github-delivery", "-")[:64]
            self.on_rejected(
                f"webhook: rejected a delivery with a bad or missing signature "
                f"(from {client}, delivery {delivery!r}, {len(body)} bytes)"
            )
            return Answer(401, {"error": f"bad or missing {SIGNATURE_HEADER}"})
        event = headers.get("x-github-event", "push")
        if event == "ping":
            return Answer(200, {"status": "pong"})
        if event != "push":
            return Answer(202, {"status": "ignored", "reason": f"event {event[:40]!r}"})
        ref = pushed_ref(body, headers.get("content-type", "application/json"))
        if ref is None:
            return Answer(400, {"error": "the payload has no 'ref'"})
        if ref != f"refs/heads/{self.branch}":
            return Answer(202, {"status": "ignored", "reason": f"not branch {self.branch}"})
        self.on_push()
        return Answer(202, {"status": "queued"})
