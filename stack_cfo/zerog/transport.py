"""HTTP mechanics shared by the router and direct upstreams.

* :func:`open_response` sends one POST and returns the response once a 200 status arrived;
  any other status becomes a typed error through the upstream's classifier.
* :func:`open_with_retry` wraps it in tenacity: exponential back-off (seed numbers), only
  for :class:`ProviderUnavailable` errors marked ``retryable`` (connect errors, 429, 5xx),
  ``Retry-After`` honoured, never past the caller's deadline. Anything after a 200 status
  is never retried here: the provider may be generating (and billing) already.
* :class:`ReadWatch` turns silence on a streaming body into an exception without a timer
  per chunk: one timer per idle period checks a timestamp the reader updates.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_any,
    wait_exponential,
)
from tenacity.stop import stop_base

from stack_cfo.zerog.config import RetryPolicy, Timeouts
from stack_cfo.zerog.contracts import ServiceRecord
from stack_cfo.zerog.errors import ProviderUnavailable, clip

log = logging.getLogger(__name__)

_MAX_ERROR_BODY = 64 * 1024

Classifier = Callable[[int, str, Mapping[str, str]], Exception]


@dataclass(slots=True)
class PreparedRequest:
    """One ready-to-send chat completion request."""

    url: str
    headers: dict[str, str]
    body: bytes
    model: str
    #: The on-chain service record the request was built from (direct mode).
    service: ServiceRecord | None = None
    extra: dict[str, str] = field(default_factory=dict)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC).timestamp()
    return max(0.0, when.timestamp() - current)


def remaining(deadline: float | None) -> float | None:
    return None if deadline is None else deadline - time.monotonic()


async def open_response(
    session: aiohttp.ClientSession,
    req: PreparedRequest,
    *,
    provider: str,
    timeouts: Timeouts,
    deadline: float | None,
    classify: Classifier,
) -> aiohttp.ClientResponse:
    """POST once; return the response when its status is 200, else raise the classified error."""
    budget = timeouts.first_byte
    left = remaining(deadline)
    deadline_bound = left is not None and left < budget
    if left is not None:
        budget = min(budget, left)
    if budget <= 0:
        raise ProviderUnavailable(
            "deadline reached before the request", provider=provider, retryable=False, reason="ZEROG_DEADLINE"
        )
    try:
        async with asyncio.timeout(budget):
            resp = await session.post(
                req.url,
                data=req.body,
                headers=req.headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeouts.connect),
                # never elsewhere: a provider's redirect would send the prompt (the user's portfolio) to any
                # address it names; a 3xx is that provider's failure
                allow_redirects=False,
            )
    except TimeoutError:
        # The request may have reached the provider: not retried (it could be billed).
        raise ProviderUnavailable(
            f"no response from {provider} within {budget:.3g}s",
            provider=provider,
            retryable=False,
            reason="ZEROG_DEADLINE" if deadline_bound else "ZEROG_FIRST_BYTE_TIMEOUT",
        ) from None
    except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
        raise ProviderUnavailable(
            f"cannot reach {provider}: {type(exc).__name__}", provider=provider, retryable=True
        ) from exc
    except aiohttp.ClientError as exc:
        raise ProviderUnavailable(
            f"HTTP error talking to {provider}: {type(exc).__name__}", provider=provider, retryable=False
        ) from exc
    if resp.status == 200:
        return resp
    try:
        async with asyncio.timeout(max(0.001, min(timeouts.idle, remaining(deadline) or timeouts.idle))):
            raw = await resp.content.read(_MAX_ERROR_BODY)
        text = raw.decode("utf-8", "replace")
    except (TimeoutError, aiohttp.ClientError):
        text = ""
    finally:
        resp.release()
    err = classify(resp.status, text, resp.headers)
    log.info("zerog: %s answered HTTP %d: %s", provider, resp.status, clip(text, 200))
    raise err


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnavailable) and exc.retryable


async def open_with_retry(
    attempt: Callable[[], Awaitable[aiohttp.ClientResponse]],
    *,
    policy: RetryPolicy,
    deadline: float | None,
    provider: str,
    on_retry: Callable[[BaseException], None] | None = None,
) -> aiohttp.ClientResponse:
    """Run ``attempt`` with the retry rules; re-raise the last error when giving up.

    The first attempt runs before any of tenacity's machinery is built (~40 us per call): when it
    succeeds, or fails with an error that is never retried, that is the outcome. A retryable
    failure goes through the same rules as before, tenacity seeing that failure as its first
    attempt (no request is sent twice for it)."""
    try:
        return await attempt()
    except Exception as exc:
        if not _retryable(exc):
            raise
        first: BaseException | None = exc

    async def replayed_then_attempt() -> aiohttp.ClientResponse:
        nonlocal first
        if first is not None:
            failed, first = first, None
            raise failed
        return await attempt()

    backoff = wait_exponential(multiplier=policy.base_delay, exp_base=policy.multiplier, max=policy.max_delay)

    def wait(state: RetryCallState) -> float:
        delay = backoff(state)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ProviderUnavailable) and exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        return min(delay, policy.max_delay)

    class give_up(stop_base):
        """Stop when the next wait would cross the caller's deadline, or when the provider asks
        for a longer pause (``Retry-After``) than we may wait: retrying earlier is pointless."""

        def __call__(self, state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome is not None else None
            if isinstance(exc, ProviderUnavailable) and (exc.retry_after or 0.0) > policy.max_delay:
                return True
            if deadline is None:
                return False
            return time.monotonic() + (state.upcoming_sleep or 0.0) >= deadline

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        log.info(
            "zerog: retrying %s in %.3gs after attempt %d: %s",
            provider,
            state.upcoming_sleep,
            state.attempt_number,
            exc,
        )
        if on_retry is not None and exc is not None:
            on_retry(exc)

    retrying = AsyncRetrying(
        stop=stop_any(stop_after_attempt(policy.max_attempts), give_up()),
        wait=wait,
        retry=retry_if_exception(_retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    return await retrying(replayed_then_attempt)


class StreamTimeout(Exception):
    """Raised into a response body reader by :class:`ReadWatch`."""

    def __init__(self, kind: str, seconds: float) -> None:
        super().__init__(f"{kind} timeout after {seconds:.3g}s")
        self.kind = kind  # "first_byte" | "idle" | "deadline"
        self.seconds = seconds


class ReadWatch:
    """Watches one response body: first-byte limit, idle limit between chunks, deadline.

    The reader sets :attr:`reading_since` (loop time) before awaiting a chunk and clears it
    after; the consumer's own processing time between reads is not counted as silence.
    On expiry the response's stream reader gets a :class:`StreamTimeout`.
    """

    __slots__ = (
        "_content",
        "_deadline_at",
        "_first_at",
        "_handle",
        "_idle",
        "_loop",
        "fired",
        "got_data",
        "reading_since",
    )

    def __init__(
        self,
        content: aiohttp.StreamReader,
        *,
        first_byte_at: float,
        idle: float,
        deadline: float | None,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._content = content
        self._first_at = first_byte_at
        self._idle = idle
        left = remaining(deadline)
        self._deadline_at = None if left is None else self._loop.time() + left
        self.reading_since: float | None = None
        self.got_data = False
        self.fired: StreamTimeout | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._schedule(self._next_check(self._loop.time()))

    def _next_check(self, now: float) -> float:
        if not self.got_data:
            # look again after one idle period at the latest, so the idle rule applies soon after data starts
            at = min(self._first_at, now + self._idle) if now < self._first_at else now + self._idle
        elif self.reading_since is not None:
            at = self.reading_since + self._idle
        else:  # the consumer is busy between reads: look again one idle period later (<= 2x idle)
            at = now + self._idle
        if self._deadline_at is not None:
            at = min(at, self._deadline_at)
        return max(at, now + 0.001)

    def _schedule(self, at: float) -> None:
        self._handle = self._loop.call_at(at, self._check)

    def _check(self) -> None:
        now = self._loop.time()
        if self._deadline_at is not None and now >= self._deadline_at:
            self._fire(StreamTimeout("deadline", 0.0))
            return
        if self.reading_since is not None:
            if not self.got_data and now >= self._first_at:
                self._fire(StreamTimeout("first_byte", now - self.reading_since))
                return
            if self.got_data and now - self.reading_since >= self._idle:
                self._fire(StreamTimeout("idle", self._idle))
                return
        self._schedule(self._next_check(now))

    def _fire(self, exc: StreamTimeout) -> None:
        self.fired = exc
        self._handle = None
        self._content.set_exception(exc)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class Http:
    """The aiohttp session used for provider/router traffic: the caller's, or one made lazily
    (inside the running loop) with a pool large enough for many long-lived streams."""

    def __init__(self, session: aiohttp.ClientSession | None = None, *, max_connections: int = 512) -> None:
        self._session = session
        self._owned = session is None
        self._max = max_connections
        self._draining: set[asyncio.Task[None]] = set()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or (self._owned and self._session.closed):
            connector = aiohttp.TCPConnector(limit=self._max, limit_per_host=self._max, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector)
            self._owned = True
        return self._session

    def recycle(self, resp: aiohttp.ClientResponse) -> None:
        """Give a streamed response's connection back to the pool for the next request.

        An answer is complete at ``[DONE]``, while the chunked body's last bytes may still be on
        their way; aiohttp closes a connection whose body has not ended, so every answer opened
        a new TCP connection. Those bytes are read in the background (for at most
        :data:`DRAIN_LIMIT` seconds, then the connection is closed)."""
        if resp.content.is_eof():
            resp.release()
            return
        task = asyncio.get_running_loop().create_task(_drain(resp))
        self._draining.add(task)
        task.add_done_callback(self._draining.discard)

    async def close(self) -> None:
        for task in list(self._draining):
            task.cancel()
        await asyncio.gather(*self._draining, return_exceptions=True)
        if self._owned and self._session is not None and not self._session.closed:
            await self._session.close()


DRAIN_LIMIT = 5.0
"""Seconds :meth:`Http.recycle` waits for the end of a body after its last event."""


async def _drain(resp: aiohttp.ClientResponse) -> None:
    try:
        async with asyncio.timeout(DRAIN_LIMIT):
            while await resp.content.readany():
                pass
    except (TimeoutError, aiohttp.ClientError, ConnectionError):
        resp.close()  # a body that does not end: the connection is not reused
        return
    except asyncio.CancelledError:  # shutdown
        resp.close()
        raise
    resp.release()
