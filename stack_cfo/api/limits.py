"""Per-principal limits, checked by the interceptor after authentication and before any work.

Every RPC of the contract belongs to classes (:data:`METHOD_CLASSES`): reads, writes, paid AI
calls and streams opened. Each class has a rate per principal (users and service principals
have separate limits), counted with the sliding-window counter: in process memory by default
(:mod:`stack_cfo.api.rate_windows`), in Redis through the ``limits`` library when
``rate_limits.storage`` is a ``redis://`` URL, so the limits hold across replicas. Server
streams also take one of the principal's concurrent-stream slots for as long as they stay open
(:mod:`stack_cfo.api.stream_slots`).

Every admitted call, unary or streaming, also holds one of the principal's calls in flight
(:class:`CallsInFlight`) from admission until grpc says the RPC is over (its done callback: the
status sent, or the call cancelled), not merely until the handler returned: an answer a client
never reads (an HTTP/2 window of 0) keeps its call, and grpc's ``maximum_concurrent_rpcs`` slot,
that long. Counted per process, because the resource it protects (``server.max_concurrent_rpcs``)
is per process; a cap of a quarter (users) or half (services) of it is the most one principal
gets (:func:`in_flight_cap`). Streams without a token (Health.Watch, reflection) share one
process-wide cap instead (:class:`UnauthenticatedStreams`).

A refusal is RESOURCE_EXHAUSTED with ``RetryInfo`` and an ``ErrorInfo``: ``RATE_LIMITED``
(metadata ``class``, ``limit``, ``retry_after_seconds``), ``TOO_MANY_STREAMS`` (``limit``,
``class=streams``), ``TOO_MANY_CALLS_IN_FLIGHT`` (``limit``, ``class``: the call's first class)
or ``TOO_MANY_UNAUTHENTICATED_STREAMS`` (``limit``). Refusals are counted in
``stack_cfo_rpc_throttled_total{reason,class}`` (no principal in the labels) and a principal
refused ``repeat_log_after`` times within a minute is named in one warning a minute.

When the shared storage cannot be reached the limits fail open (the call goes on, the error is
logged at most every 30 s and counted): a Redis outage must not take the API down with it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from enum import StrEnum
from typing import Any

import grpc
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from prometheus_client import Counter

from stack_cfo.api.auth import Principal
from stack_cfo.api.rate_windows import SlidingWindows
from stack_cfo.api.stream_slots import LocalStreamSlots, RedisStreamSlots, StreamSlots, redis_pool
from stack_cfo.config import PrincipalLimits, RateLimitConfig
from stack_cfo.core.errors import ResourceExhausted, Unimplemented

log = logging.getLogger("stack_cfo.api.limits")

THROTTLED = Counter(
    "stack_cfo_rpc_throttled",
    "Calls refused by the per-principal limits, by reason (RATE_LIMITED, TOO_MANY_STREAMS,"
    " TOO_MANY_CALLS_IN_FLIGHT, TOO_MANY_CONCURRENT_IMPORTS, TOO_MANY_UNAUTHENTICATED_STREAMS,"
    " READ_CPU_BUDGET_EXHAUSTED, WRITE_CPU_BUDGET_EXHAUSTED) and class.",
    ["reason", "class"],
)
# Exported at 0 from the start (dashboards and rates see the series before the first refusal).
for _class in ("reads", "writes", "paid_ai", "streams"):
    THROTTLED.labels("RATE_LIMITED", _class)
    THROTTLED.labels("TOO_MANY_CALLS_IN_FLIGHT", _class)
THROTTLED.labels("TOO_MANY_STREAMS", "streams")
THROTTLED.labels("TOO_MANY_UNAUTHENTICATED_STREAMS", "streams")
STORAGE_ERRORS = Counter(
    "stack_cfo_rate_limit_storage_errors",
    "Limit checks that could not reach the shared storage (the call was let through).",
)


class CallClass(StrEnum):
    READS = "reads"
    WRITES = "writes"
    PAID_AI = "paid_ai"
    STREAMS = "streams"


R, W, AI, S = CallClass.READS, CallClass.WRITES, CallClass.PAID_AI, CallClass.STREAMS

#: The classes each RPC of the contract counts against (a test keeps this in step with the protos).
METHOD_CLASSES: dict[str, tuple[CallClass, ...]] = {
    "/stack.cfo.v1.PortfolioSummaryService/SyncPortfolio": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/RecordPrices": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/IngestNews": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/GetPortfolioSummary": (R,),
    "/stack.cfo.v1.PortfolioSummaryService/GetPerformanceHistory": (R,),
    "/stack.cfo.v1.PortfolioSummaryService/StreamPortfolioSummary": (S, AI),
    "/stack.cfo.v1.PortfolioSummaryService/WatchPortfolio": (S,),
    "/stack.cfo.v1.PortfolioSummaryService/ImportHoldingsHistory": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/BatchCreateTransactions": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/ListTransactions": (R,),
    "/stack.cfo.v1.PortfolioSummaryService/GetTransaction": (R,),
    "/stack.cfo.v1.PortfolioSummaryService/UpdateTransaction": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/DeleteTransaction": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/RecordExchangeRates": (W,),
    "/stack.cfo.v1.PortfolioSummaryService/GetPortfolioSettings": (R,),
    "/stack.cfo.v1.PortfolioSummaryService/UpdatePortfolioSettings": (W,),
    "/stack.cfo.v1.ChatService/CreateSession": (W,),
    "/stack.cfo.v1.ChatService/GetSession": (R,),
    "/stack.cfo.v1.ChatService/ListSessions": (R,),
    "/stack.cfo.v1.ChatService/DeleteSession": (W,),
    "/stack.cfo.v1.ChatService/SendMessage": (S, AI),
    "/stack.cfo.v1.ChatService/UpdatePortfolioContext": (W,),
    "/stack.cfo.v1.ChatService/ArchiveSession": (W,),
    "/stack.cfo.v1.SchedulerService/GetSchedulerStatus": (R,),
    "/stack.cfo.v1.SchedulerService/RunJob": (S, AI),
    "/stack.cfo.v1.SchedulerService/GetNotificationPreferences": (R,),
    "/stack.cfo.v1.SchedulerService/UpdateNotificationPreferences": (W,),
    "/stack.cfo.v1.SchedulerService/Unsubscribe": (W,),
    "/stack.cfo.v1.SchedulerService/RegisterDevice": (W,),
    "/stack.cfo.v1.SchedulerService/DeleteDevice": (W,),
    "/stack.cfo.v1.SchedulerService/ListDevices": (R,),
    "/stack.cfo.v1.SchedulerService/ListNotifications": (R,),
    "/stack.cfo.v1.SchedulerService/CreateWebhookEndpoint": (W,),
    "/stack.cfo.v1.SchedulerService/GetWebhookEndpoint": (R,),
    "/stack.cfo.v1.SchedulerService/ListWebhookEndpoints": (R,),
    "/stack.cfo.v1.SchedulerService/UpdateWebhookEndpoint": (W,),
    "/stack.cfo.v1.SchedulerService/DeleteWebhookEndpoint": (W,),
    "/stack.cfo.v1.SchedulerService/RotateWebhookEndpointSecret": (W,),
    "/stack.cfo.v1.SchedulerService/GetNotificationFeed": (R,),
    "/stack.cfo.v1.SchedulerService/UpdateNotificationFeed": (W,),
    "/stack.cfo.v1.SchedulerService/WatchNotifications": (S,),
    "/stack.cfo.v1.SchedulerService/AcknowledgeNotifications": (W,),
    "/stack.cfo.v1.ReceiptService/GetReceipt": (R,),
    "/stack.cfo.v1.ReceiptService/ReplayReceipt": (R,),
    "/stack.cfo.v1.ComputeAccountService/GetComputeAccount": (R,),
    "/stack.cfo.v1.UserDataService/EraseUserData": (W,),
    "/stack.cfo.v1.UserDataService/GetArchivedSession": (R,),
}
#: A method the table does not know (a service added later) counts as a write: the strictest
#: class that every principal has.
DEFAULT_CLASSES: tuple[CallClass, ...] = (W,)
#: How long a refused stream is told to wait before trying again (slots free when streams end).
STREAM_RETRY = timedelta(seconds=1)
#: How long a call refused for want of an in-flight slot is told to wait (calls end in milliseconds).
IN_FLIGHT_RETRY = timedelta(seconds=1)


def in_flight_cap(configured: int, max_concurrent_rpcs: int, share: float = 4) -> int:
    """``configured``, but at most ``1/share`` of ``server.max_concurrent_rpcs`` (at least 1): an
    operator who lowers the server's limit lowers the caps with it, so one principal (or the
    unauthenticated streams together) cannot take the whole port."""
    return max(1, min(configured, int(max_concurrent_rpcs // share)))


def _release(held: dict[str, int], key: str, _context: Any) -> None:
    """A call of ``key`` is over (grpc's done callback: it must not raise)."""
    n = held.get(key, 0) - 1
    if n > 0:
        held[key] = n
    else:
        held.pop(key, None)


class UnauthenticatedStreams:
    """One cap, for the whole process, on the calls in flight without a token on the API port
    (Health.Check, List and Watch, both reflection services): nobody can fill
    ``max_concurrent_rpcs`` with them, streams or unary calls whose answers they never read.

    Beyond it ``Health.Watch`` answers UNIMPLEMENTED: gRPC's built-in client-side health checking
    (gRFC A17) then treats the connection as serving instead of unusable, so a tokenless flood
    cannot take a replica out of every newly connecting client's rotation. Anything else is
    RESOURCE_EXHAUSTED (TOO_MANY_UNAUTHENTICATED_CALLS)."""

    KEY = "unauthenticated"
    WATCH = "/grpc.health.v1.Health/Watch"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}

    @property
    def open(self) -> int:
        return self._held.get(self.KEY, 0)

    def enter(self, context: grpc.aio.ServicerContext, method: str = "") -> None:
        """Hold a slot until the call is over, or raise (see the class)."""
        held = self._held
        n = held.get(self.KEY, 0)
        if n >= self.limit:
            THROTTLED.labels("TOO_MANY_UNAUTHENTICATED_CALLS", CallClass.STREAMS.value).inc()
            if method == self.WATCH:
                raise Unimplemented(
                    "health watching is not available on this port at the moment (too many calls without a "
                    "token); watch on the health port, or treat the connection as serving",
                    reason="TOO_MANY_UNAUTHENTICATED_CALLS",
                    metadata={"limit": str(self.limit)},
                )
            raise ResourceExhausted(
                f"too many calls without a token: at most {self.limit} at once on this port",
                reason="TOO_MANY_UNAUTHENTICATED_CALLS",
                retry_after=STREAM_RETRY,
                metadata={"class": CallClass.STREAMS.value, "limit": str(self.limit)},
            )
        held[self.KEY] = n + 1
        context.add_done_callback(functools.partial(_release, held, self.KEY))


class _Rates:
    """The parsed windows of one kind of principal, per class."""

    def __init__(self, cfg: PrincipalLimits) -> None:
        self.concurrent_streams = cfg.concurrent_streams
        self.calls_in_flight = cfg.calls_in_flight
        self.items: dict[CallClass, list[RateLimitItem]] = {
            c: sorted(parse_many(getattr(cfg, c.value)), key=lambda i: i.get_expiry(), reverse=True)
            for c in CallClass
        }
        self.text = {c: str(getattr(cfg, c.value)) for c in CallClass}
        self._ordered: dict[tuple[CallClass, ...], list[tuple[CallClass, RateLimitItem]]] = {}
        #: (item, limit, period in seconds) per class, for the in-memory counters.
        self.windows: dict[CallClass, list[tuple[RateLimitItem, int, int]]] = {
            c: [(i, i.amount, i.get_expiry()) for i in items] for c, items in self.items.items()
        }

    def ordered(self, classes: tuple[CallClass, ...]) -> list[tuple[CallClass, RateLimitItem]]:
        """The windows of ``classes``, shortest period first (the order the shared store hits them)."""
        found = self._ordered.get(classes)
        if found is None:
            found = self._ordered[classes] = sorted(
                ((c, i) for c in classes for i in self.items[c]), key=lambda ci: ci[1].get_expiry()
            )
        return found


class _RepeatLog:
    """Counts refusals per principal and names a principal refused often, once a minute."""

    WINDOW = 60.0
    MAX_PRINCIPALS = 10_000

    def __init__(self, threshold: int) -> None:
        self._threshold = threshold
        self._seen: OrderedDict[str, tuple[float, int, bool]] = OrderedDict()

    def refused(self, principal: Principal, reason: str, call_class: str) -> None:
        now = time.monotonic()
        start, count, logged = self._seen.pop(principal.key, (now, 0, False))
        if now - start >= self.WINDOW:
            start, count, logged = now, 0, False
        count += 1
        if count >= self._threshold and not logged:
            log.warning(
                "principal throttled repeatedly",
                extra={**principal.log_fields(), "refusals": count, "window_s": self.WINDOW, "reason": reason,
                       "class": call_class},
            )
            logged = True
        self._seen[principal.key] = (start, count, logged)
        while len(self._seen) > self.MAX_PRINCIPALS:
            self._seen.popitem(last=False)


class CallLimiter:
    """Admits or refuses calls per principal. Build it anywhere; :meth:`start` on the server's loop."""

    def __init__(self, cfg: RateLimitConfig) -> None:
        self.cfg = cfg
        self._rates = {False: _Rates(cfg.user), True: _Rates(cfg.service)}
        self._storage: Storage | None = None
        self._limiter: SlidingWindowCounterRateLimiter | None = None
        self._local: SlidingWindows | None = None
        self.slots: StreamSlots = LocalStreamSlots()
        self._repeat = _RepeatLog(cfg.repeat_log_after)
        self._last_storage_error = 0.0
        #: Calls in flight per principal key, in this process (see :meth:`hold`).
        self._in_flight: dict[str, int] = {}

    def bound_by(self, max_concurrent_rpcs: int) -> None:
        """Lower the in-flight caps to their share of the server's ``max_concurrent_rpcs`` (users a
        quarter, services three quarters: a backend's watches for many users) and say so when that
        changed one."""
        for is_service, share in ((False, 4), (True, 4 / 3)):
            rates = self._rates[is_service]
            cap = in_flight_cap(rates.calls_in_flight, max_concurrent_rpcs, share)
            if cap != rates.calls_in_flight:
                kind = "service" if is_service else "user"
                log.warning(
                    "calls-in-flight cap lowered to a share of server.max_concurrent_rpcs",
                    extra={"setting": f"rate_limits.{kind}.calls_in_flight", "configured": rates.calls_in_flight,
                           "used": cap, "max_concurrent_rpcs": max_concurrent_rpcs},
                )
                rates.calls_in_flight = cap

    def in_flight(self, key: str) -> int:
        """Calls of the principal ``key`` in flight in this process."""
        return self._in_flight.get(key, 0)

    def hold(self, principal: Principal, method: str, context: grpc.aio.ServicerContext) -> None:
        """Count the call against ``principal``'s calls in flight until grpc says it is over (its
        done callback, so also while an answer waits for the client's flow-control window), or
        raise TOO_MANY_CALLS_IN_FLIGHT."""
        if not self.cfg.enabled:
            return
        held, key = self._in_flight, principal.key
        n = held.get(key, 0)
        limit = self._rates[principal.is_service].calls_in_flight
        if n >= limit:
            call_class = self.classes(method)[0].value
            self._count_refusal(principal, "TOO_MANY_CALLS_IN_FLIGHT", call_class)
            raise ResourceExhausted(
                f"too many calls in flight: at most {limit} at once; wait for answers before sending more",
                reason="TOO_MANY_CALLS_IN_FLIGHT",
                retry_after=IN_FLIGHT_RETRY,
                metadata={"class": call_class, "limit": str(limit),
                          "principal_kind": "service" if principal.is_service else "user"},
            )
        held[key] = n + 1
        context.add_done_callback(functools.partial(_release, held, key))

    async def start(self) -> None:
        url = self.cfg.storage.get() if self.cfg.storage is not None else None
        if url is None:
            self._local = SlidingWindows()
        else:
            self._storage = RedisStorage(
                "async+" + url, implementation="redispy", key_prefix="stack-cfo:limits",
                connection_pool=redis_pool(url),  # type: ignore[arg-type]  # passed on to redis-py
            )
            self.slots = RedisStreamSlots(url, lease=self.cfg.stream_lease.total_seconds())
            self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        await self.slots.start()

    async def aclose(self) -> None:
        await self.slots.aclose()

    def classes(self, method: str) -> tuple[CallClass, ...]:
        return METHOD_CLASSES.get(method, DEFAULT_CLASSES)

    async def admit(self, principal: Principal, method: str) -> None:
        """Take one call of each of ``method``'s classes, or raise RATE_LIMITED."""
        if not self.cfg.enabled:
            return
        rates = self._rates[principal.is_service]
        local = self._local
        if local is not None:
            key = principal.key
            windows = [(call_class, item, (call_class, key, limit, period), limit, period)
                       for call_class in self.classes(method) for item, limit, period in rates.windows[call_class]]
            refused = local.hit_all([(k, limit, period) for _, _, k, limit, period in windows])
            if refused is not None:
                # The window that keeps the call out longest: its wait is the one that works.
                waits = [(local.retry_after(k, limit, period), call_class, item)
                         for call_class, item, k, limit, period in (windows[i] for i in refused)]
                wait, call_class, item = max(waits, key=lambda w: w[0])
                self._refuse(principal, call_class, item, rates.text[call_class], wait)
            return
        if self._limiter is None:
            return
        # Shortest windows first, stopping at the first refusal: a call the per-second burst
        # refuses is not counted in the per-minute window (the counts a refused call leaves in
        # shorter windows expire within their own short period).
        for call_class, item in rates.ordered(self.classes(method)):
            try:
                admitted = await self._limiter.hit(item, call_class.value, principal.key)
            except Exception as exc:
                self._storage_failed(exc)
                return
            if not admitted:
                await self._refuse_rate(principal, call_class, item, rates.text[call_class])

    async def _refuse_rate(self, principal: Principal, call_class: CallClass, item: RateLimitItem, text: str) -> None:
        assert self._limiter is not None
        try:
            stats = await self._limiter.get_window_stats(item, call_class.value, principal.key)
            wait = max(0.0, stats.reset_time - time.time())
        except Exception:
            wait = float(item.get_expiry())
        self._refuse(principal, call_class, item, text, wait)

    def _refuse(self, principal: Principal, call_class: CallClass, item: RateLimitItem, text: str,
                wait: float) -> None:
        wait = min(max(wait, 0.001), float(item.get_expiry()))
        self._count_refusal(principal, "RATE_LIMITED", call_class.value)
        raise ResourceExhausted(
            f"too many {call_class.value} calls: the limit is {text}",
            reason="RATE_LIMITED",
            retry_after=timedelta(seconds=wait),
            metadata={"class": call_class.value, "limit": text, "window_limit": str(item),
                      "principal_kind": "service" if principal.is_service else "user",
                      "retry_after_seconds": f"{wait:.3f}"},
        )

    @asynccontextmanager
    async def stream(self, principal: Principal) -> AsyncIterator[None]:
        """Hold one of ``principal``'s concurrent-stream slots while the stream runs."""
        if not self.cfg.enabled:
            yield
            return
        limit = self._rates[principal.is_service].concurrent_streams
        slot = await self.slots.acquire(principal.key, limit)
        if slot is None:
            self._count_refusal(principal, "TOO_MANY_STREAMS", CallClass.STREAMS.value)
            raise ResourceExhausted(
                f"too many open streams: at most {limit} at once; close one first",
                reason="TOO_MANY_STREAMS",
                retry_after=STREAM_RETRY,
                metadata={"class": CallClass.STREAMS.value, "limit": str(limit),
                          "principal_kind": "service" if principal.is_service else "user"},
            )
        try:
            yield
        finally:
            await self.slots.release(principal.key, slot)

    def _count_refusal(self, principal: Principal, reason: str, call_class: str) -> None:
        THROTTLED.labels(reason, call_class).inc()
        self._repeat.refused(principal, reason, call_class)

    def _storage_failed(self, exc: Exception) -> None:
        STORAGE_ERRORS.inc()
        now = time.monotonic()
        if now - self._last_storage_error >= 30:
            self._last_storage_error = now
            log.warning("rate-limit storage unreachable; letting calls through", extra={"error": type(exc).__name__})
