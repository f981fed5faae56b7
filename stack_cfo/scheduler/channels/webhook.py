"""Signed webhooks: each notification POSTed as JSON to an endpoint, the Standard Webhooks way.

- Body: the notification document (:mod:`stack_cfo.core.notifications.document`), compact UTF-8 JSON.
- Headers: ``webhook-id`` = the outbox idempotency key (identical on every retry, so receivers
  deduplicate), ``webhook-timestamp`` (Unix seconds), ``webhook-signature`` (``v1,<base64 HMAC-SHA256>``
  per valid secret, two during a rotation).
- Answers: 2xx sent; 408 (reason ``webhook_timeout``) and 429 (``webhook_rate_limited``) retried honouring
  ``Retry-After``; 5xx, timeouts and connection or TLS
  failures retried with the outbox's backoff and jitter; any other 4xx, and every redirect (never
  followed), final. At most ``max_response_bytes`` of an answer are read; a longer body is cut off by
  closing the connection (a 50 MB answer costs 4 KiB).
- TLS: the system's roots (plus ``ca_file``); an invalid certificate fails the attempt, there is no way to
  switch verification off.
- SSRF guard: every connection goes through :class:`GuardedResolver`, which resolves the host itself and
  refuses non-public addresses (unless ``allow_private_networks``); the connection is made to the addresses
  it checked, so DNS rebinding between check and connect is impossible. IP-literal hosts are checked
  before the request.
- One circuit breaker per endpoint (the seed's rule, :class:`~stack_cfo.zerog.breaker.ProviderBreaker`):
  while it is open, that endpoint's notifications are :class:`Postponed` without a request, so a dead
  endpoint costs the worker no sending slot and the other endpoints keep their throughput.
- Endpoints earn concurrency by answering: one that has not answered yet in this process, or whose last
  request failed (timeout or 408, connection, 5xx), gets one request at a time; its other notifications are
  postponed (``webhook_probing``) for about a timeout. So before its breaker opens, a hanging endpoint holds
  one of the worker's sending slots, not all of them.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from stack_cfo.config.notifications import WebhookSettings
from stack_cfo.core.notifications.document import encode, notification_document
from stack_cfo.core.notifications.kinds import Channel, Reason
from stack_cfo.core.notifications.webhooks import (
    AddressBlocked,
    WebhookEndpoint,
    address_allowed,
    parse_url,
    signature,
)
from stack_cfo.scheduler.channels import Delivery, Permanent, Postponed, Retry, SendOutcome, Sent
from stack_cfo.scheduler.channels.http import retry_after_of, tls_context
from stack_cfo.zerog.breaker import ProviderBreaker
from stack_cfo.zerog.errors import BreakerOpen

log = logging.getLogger(__name__)

USER_AGENT = "stack-cfo-webhooks/1"
MAX_BREAKERS = 10_000


class BlockedAddress(OSError):
    """Raised by :class:`GuardedResolver`; aiohttp hands it back as the connector error's ``os_error``."""


class GuardedResolver(AbstractResolver):
    """The system resolver, refusing hosts that resolve to any non-public address."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = ThreadedResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        refused = [r["host"] for r in results if not address_allowed(r["host"], allow_private=self._allow_private)]
        if refused or not results:
            raise BlockedAddress(f"{host} resolves to a non-public address ({refused[0] if refused else 'none'})")
        return results

    async def close(self) -> None:
        await self._inner.close()


class WebhookChannel:
    channel = Channel.WEBHOOK

    def __init__(
        self,
        settings: WebhookSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        now: Any = time.monotonic,
    ) -> None:
        self.settings = settings
        self._now = now
        self._breakers: OrderedDict[int, ProviderBreaker] = OrderedDict()
        self._answering: set[int] = set()  # endpoints whose last request got an HTTP answer below 500
        self._failing: set[int] = set()  # endpoints whose last request timed out, failed to connect or got 5xx
        self._in_flight: dict[int, int] = {}
        self._rng = random.Random()
        self._own_session = session is None
        if session is None:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(allow_private=settings.allow_private_networks),
                use_dns_cache=False,  # re-resolve (and re-check) for every new connection
                ssl=tls_context(settings.ca_file),
                limit=0,  # the worker's concurrency limit bounds requests
                limit_per_host=0,
            )
            session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": USER_AGENT})
        self._session = session

    def breaker(self, endpoint_id: int) -> ProviderBreaker:
        found = self._breakers.get(endpoint_id)
        if found is None:
            found = ProviderBreaker(f"webhook:{endpoint_id}", self.settings.breaker, now=self._now)
            self._breakers[endpoint_id] = found
            while len(self._breakers) > MAX_BREAKERS:
                self._breakers.popitem(last=False)
        else:
            self._breakers.move_to_end(endpoint_id)
        return found

    async def send(self, delivery: Delivery) -> SendOutcome:
        endpoint = delivery.webhook
        if endpoint is None:
            return Permanent(Reason.NO_ENDPOINT, "no webhook endpoint on the delivery")
        s = self.settings
        try:
            url = parse_url(endpoint.url, allow_private=s.allow_private_networks)
        except Exception as exc:  # an endpoint stored before a stricter mode, or edited in the database
            return Permanent(Reason.WEBHOOK_ADDRESS_BLOCKED, f"endpoint URL refused: {exc}")
        if _is_ip(url.host) and not address_allowed(url.host, allow_private=s.allow_private_networks):
            return Permanent(Reason.WEBHOOK_ADDRESS_BLOCKED, f"{url.host} is not a public address")
        if endpoint.id not in self._answering and self._in_flight.get(endpoint.id, 0) >= 1:
            # failing: about when the request on its way times out; never tried: soon, it may just be new
            wait = s.timeout if endpoint.id in self._failing else min(1.0, s.timeout)
            return Postponed(Reason.WEBHOOK_PROBING, timedelta(seconds=wait * (1 + 0.25 * self._rng.random())))
        breaker = self.breaker(endpoint.id)
        try:
            ticket = breaker.acquire()
        except BreakerOpen:
            return Postponed(Reason.WEBHOOK_CIRCUIT_OPEN, timedelta(seconds=s.breaker.open_for))
        self._in_flight[endpoint.id] = self._in_flight.get(endpoint.id, 0) + 1
        try:
            outcome = await self._post(delivery, endpoint, breaker, ticket)
        finally:
            left = self._in_flight.pop(endpoint.id, 1) - 1
            if left:
                self._in_flight[endpoint.id] = left
        if isinstance(outcome, Retry) and outcome.reason is not Reason.WEBHOOK_RATE_LIMITED:
            self._answering.discard(endpoint.id)
            self._failing.add(endpoint.id)
        elif not isinstance(outcome, Permanent) or outcome.reason is not Reason.WEBHOOK_ADDRESS_BLOCKED:
            self._answering.add(endpoint.id)
            self._failing.discard(endpoint.id)
        return outcome

    async def _post(
        self, delivery: Delivery, endpoint: WebhookEndpoint, breaker: ProviderBreaker, ticket: int
    ) -> SendOutcome:
        s = self.settings
        body = encode(
            notification_document(
                delivery.rendered,
                user_id=delivery.user_id,
                notification=delivery.notification,
                key=delivery.key,
                manual=delivery.manual,
            )
        )
        stamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.key,
            "webhook-timestamp": str(stamp),
            "webhook-signature": signature(endpoint.signing_secrets(datetime.now(UTC)), delivery.key, stamp, body),
        }
        try:
            async with self._session.post(
                endpoint.url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=s.timeout),
            ) as resp:
                status = resp.status
                snippet = await _read_capped(resp, s.max_response_bytes)
                retry_after = retry_after_of(resp.headers)
        except TimeoutError:
            breaker.failure(ticket, TimeoutError())
            return Retry(Reason.WEBHOOK_TIMEOUT, f"no answer within {s.timeout:g}s")
        except aiohttp.ClientConnectorCertificateError as exc:
            breaker.failure(ticket, exc)
            return Retry(Reason.WEBHOOK_TLS, f"certificate did not verify: {exc.certificate_error}")
        except aiohttp.ClientSSLError as exc:
            breaker.failure(ticket, exc)
            return Retry(Reason.WEBHOOK_TLS, f"TLS failed: {exc}")
        except aiohttp.ClientConnectorError as exc:
            if isinstance(exc.os_error, BlockedAddress | AddressBlocked):
                breaker.release(ticket)
                return Permanent(Reason.WEBHOOK_ADDRESS_BLOCKED, str(exc.os_error))
            breaker.failure(ticket, exc)
            return Retry(Reason.WEBHOOK_UNREACHABLE, f"{type(exc).__name__}: {exc}")
        except aiohttp.ClientError as exc:
            breaker.failure(ticket, exc)
            return Retry(Reason.WEBHOOK_UNREACHABLE, f"{type(exc).__name__}: {exc}")
        return self._classify(breaker, ticket, status, snippet, retry_after)

    @staticmethod
    def _classify(
        breaker: ProviderBreaker, ticket: int, status: int, snippet: str, retry_after: timedelta | None
    ) -> SendOutcome:
        detail = f"HTTP {status}" + (f": {snippet}" if snippet else "")
        if 200 <= status < 300:
            breaker.success(ticket)
            return Sent(provider_id=f"HTTP {status}")
        if status in (408, 429):  # 408: the endpoint timed out waiting for the request; 429: slow down
            breaker.release(ticket)
            reason = Reason.WEBHOOK_TIMEOUT if status == 408 else Reason.WEBHOOK_RATE_LIMITED
            return Retry(reason, detail, retry_after)
        if status >= 500:
            breaker.failure(ticket, RuntimeError(detail))
            return Retry(Reason.WEBHOOK_5XX, detail, retry_after)
        breaker.success(ticket)  # the endpoint answered: it is up, it just refuses this
        if 300 <= status < 400:
            return Permanent(Reason.WEBHOOK_REDIRECT, detail + " (redirects are not followed)")
        return Permanent(Reason.WEBHOOK_4XX, detail)

    async def aclose(self) -> None:
        if self._own_session:
            await self._session.close()


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> str:
    """At most ``cap`` bytes of the body (for the record); a longer body's connection is closed unread."""
    chunks: list[bytes] = []
    size = 0
    while size < cap:
        chunk = await resp.content.read(cap - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if not resp.content.at_eof():
        resp.close()  # drop the connection rather than read (or pool) the rest
    return b"".join(chunks)[:300].decode("utf-8", "replace").strip()


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
