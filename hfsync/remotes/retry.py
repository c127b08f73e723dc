"""One retry policy for every remote call, and a timeout on every request.

A call that is safe to repeat (every read; a commit, whose parent is pinned and whose landing is
recognised) is retried on temporary failures: 5xx, 408, dropped connections, timeouts, and a 429
whose wait is short enough (waited exactly as the Hub asks). Waits grow exponentially with
jitter; attempts and total time are bounded. Everything is tuned by environment variables:

| variable | default | meaning |
| --- | --- | --- |
| `HFSYNC_RETRY_ATTEMPTS` | 5 | attempts per call, the first included (1: no retry) |
| `HFSYNC_RETRY_MAX_TIME` | 120 | seconds a call may spend on retrying, waits included |
| `HFSYNC_RETRY_WAIT` | 1 | seconds before the first retry (then doubled, jittered, at most 30) |
| `HFSYNC_RATE_LIMIT_WAIT` | 60 | longest 429 wait hfsync sits out; a longer one ends the run |
| `HFSYNC_TIMEOUT` | 60 | seconds a request may go without progress (connect, read, write) |

huggingface_hub's own retries (a fixed 5 with waits up to 8 s on some calls only) are turned off so
that this is the one policy, and its log lines go to the `hfsync.client` logger (debug level)
instead of raw lines on stderr.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from hfsync.core.errors import ConfigError

T = TypeVar("T")
log = logging.getLogger("hfsync.retry")
MAX_BACKOFF = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    max_time: float = 120.0
    wait: float = 1.0
    max_rate_limit_wait: float = 60.0
    timeout: float = 60.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The policy with the `HFSYNC_*` environment variables applied (ConfigError if bad)."""
        return cls(
            attempts=int(_env_number("HFSYNC_RETRY_ATTEMPTS", cls.attempts, minimum=1)),
            max_time=_env_number("HFSYNC_RETRY_MAX_TIME", cls.max_time),
            wait=_env_number("HFSYNC_RETRY_WAIT", cls.wait),
            max_rate_limit_wait=_env_number("HFSYNC_RATE_LIMIT_WAIT", cls.max_rate_limit_wait),
            timeout=_env_number("HFSYNC_TIMEOUT", cls.timeout, minimum=0.1),
        )


@dataclass(frozen=True)
class Transient:
    """A failure worth another attempt: what happened (for messages) and the wait the remote
    asked for, if it did (429)."""

    kind: str
    wait: float | None = None


class GaveUp(Exception):
    """Raised by `call` when a temporary failure outlived the policy: the last failure and how
    many attempts were made (so a message can say "after N attempts" only when true)."""

    def __init__(self, failure: BaseException, transient: Transient, attempts: int) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.transient = transient
        self.attempts = attempts


def call(
    action: Callable[[], T],
    classify: Callable[[BaseException], Transient | None],
    policy: RetryPolicy,
    what: str,
) -> T:
    """Run `action`, retrying it on the failures `classify` calls transient.

    A failure that is not transient propagates at once; a transient one that outlives the policy
    (or a 429 asking for longer than `max_rate_limit_wait`) raises `GaveUp`.
    """
    from tenacity import (
        RetryCallState,
        Retrying,
        retry_if_exception,
        stop_after_attempt,
        stop_before_delay,
        wait_exponential_jitter,
    )

    backoff = wait_exponential_jitter(multiplier=policy.wait, max=MAX_BACKOFF, jitter=policy.wait)

    def retryable(exc: BaseException) -> bool:
        transient = classify(exc)
        if transient is None:
            return False
        return transient.wait is None or transient.wait <= policy.max_rate_limit_wait

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        transient = classify(failure) if failure is not None else None
        if transient is not None and transient.wait is not None:
            return transient.wait
        return float(backoff(state))

    def before_sleep(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        transient = classify(failure) if failure is not None else None
        kind = transient.kind if transient else "failure"
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: %s; attempt %d of %d in %.1f s",
            what,
            kind,
            state.attempt_number + 1,
            policy.attempts,
            delay,
        )

    retrying = Retrying(
        retry=retry_if_exception(retryable),
        stop=stop_after_attempt(policy.attempts) | stop_before_delay(policy.max_time),
        wait=wait,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(action)
    except Exception as exc:
        transient = classify(exc)
        if transient is None:
            raise
        attempts = int(retrying.statistics.get("attempt_number", 1))
        raise GaveUp(exc, transient, attempts) from exc


def configure_client(policy: RetryPolicy) -> None:
    """Make huggingface_hub's HTTP client time out stalled requests, leave retrying to `call`,
    and keep its log lines and progress bars off the user's terminal. Idempotent."""
    import httpx2
    from huggingface_hub.utils import _http, disable_progress_bars

    timeout = httpx2.Timeout(policy.timeout, connect=min(policy.timeout, 15.0))
    limits = timeout.as_dict()

    class TimeoutTransport(httpx2.BaseTransport):
        """The client's own transport, with a timeout on requests that ask for none:
        huggingface_hub passes `timeout=None` (no timeout at all) on many calls, so a stalled
        answer would wait forever. It wraps the transport the client made (a second one would
        load the certificates again: ~20 ms of every run)."""

        def __init__(self, inner: httpx2.BaseTransport) -> None:
            self.inner = inner

        def handle_request(self, request: httpx2.Request) -> httpx2.Response:
            given = request.extensions.get("timeout") or {}
            merged = {key: given.get(key) or value for key, value in limits.items()}
            request.extensions = {**request.extensions, "timeout": merged}
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    def factory() -> httpx2.Client:
        client = _http.default_client_factory()
        client._transport = TimeoutTransport(client._transport)
        return client

    if getattr(_http, "_hfsync_timeout", None) != timeout:
        _http.set_client_factory(factory)
        _http._hfsync_timeout = timeout  # type: ignore[attr-defined]
    for backoff in (_http.http_backoff, _http.http_stream_backoff):
        defaults = getattr(backoff, "__kwdefaults__", None) or {}
        if "max_retries" in defaults:
            defaults["max_retries"] = 0
    _route_client_logs()
    disable_progress_bars()


def _route_client_logs() -> None:
    client_log = logging.getLogger("huggingface_hub")
    for handler in list(client_log.handlers):
        if not isinstance(handler, _Forward):
            client_log.removeHandler(handler)
    if not any(isinstance(h, _Forward) for h in client_log.handlers):
        client_log.addHandler(_Forward())
    client_log.propagate = False


class _Forward(logging.Handler):
    """huggingface_hub's records, re-logged at debug level under `hfsync.client`."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger("hfsync.client").debug("%s", record.getMessage())


def _env_number(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value >= minimum and value < float("inf")):
        raise ConfigError(f"{name}={raw!r}: must be a number >= {minimum:g}")
    return value
