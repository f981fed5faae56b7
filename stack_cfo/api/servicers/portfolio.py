"""``PortfolioSummaryService``: proto <-> domain translation over :class:`PortfolioService`.

Parsing (decimal strings, timestamps, dates, enums) happens here and names the request field;
every rule (signs, currencies, duplicates, limits, future dates) is the domain service's.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar

import grpc
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.core import Metric as PromMetric
from prometheus_client.registry import Collector

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.api.auth import Principal, current_principal, require_service
from stack_cfo.api.cpu_budget import ReadCpuBudget
from stack_cfo.api.resources import authorize, parse_user_singleton
from stack_cfo.api.servicers.ledger import LedgerRpcs
from stack_cfo.api.servicers.portfolio_messages import (
    TRIGGERS,
    bounded_summary,
    history_to_proto,
    narrative_completed,
    portfolio_name,
    summary_to_proto,
)
from stack_cfo.api.servicers.portfolio_requests import (
    _UNPARSED_FLOW,
    _UNPARSED_POSITION,
    _decimal,
    _flow,
    _holding,
    _parsed,
    raised_here,
)
from stack_cfo.api.validation import (
    PageTokens,
    fill_date,
    from_date,
    from_duration,
    from_timestamp,
    invalid,
    to_timestamp,
)
from stack_cfo.core.errors import InvalidArgument, NotFound, each_checked
from stack_cfo.core.idempotency import Idempotency, request_key
from stack_cfo.core.portfolio import (
    DateRange,
    HistoryRange,
    Interval,
    PortfolioService,
    SummaryView,
    compute_pool,
    cpu_meter,
    portfolio_not_found,
)
from stack_cfo.core.portfolio.inputs import (
    MAX_ARTICLES,
    MAX_PRICE_POINTS,
    ArticleInput,
    FlowInput,
    HoldingInput,
    PriceInput,
    SyncCommand,
    check_sync_size,
)
from stack_cfo.core.portfolio.service import INLINE_POSITIONS
from stack_cfo.core.portfolio.views import NarrativeChunk, NarrativeDone, StreamEvent, SummaryReady
from stack_cfo.core.portfolio.watch import MAX_WATCH_INTERVAL, WatchTrigger, WatchUpdate
from stack_cfo.core.wire import CLIENT_RECEIVE_LIMIT

SERVICE = "stack.cfo.v1.PortfolioSummaryService"

# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


class _PortfolioCollector(Collector):
    """The portfolio service's counters and gauges, read at scrape time (bounded labels only)."""

    def __init__(self, service: PortfolioService) -> None:
        self._service = service

    def collect(self) -> Iterator[PromMetric]:
        s = self._service
        yield CounterMetricFamily("stack_cfo_portfolio_summary_cache_hits", "Summaries served from the cache.",
                                  value=s.stats.summary_hits)
        yield CounterMetricFamily("stack_cfo_portfolio_summary_cache_misses", "Summaries not in the cache.",
                                  value=s.stats.summary_misses)
        yield CounterMetricFamily("stack_cfo_portfolio_summary_computations", "Summaries computed.",
                                  value=s.stats.computations)
        yield GaugeMetricFamily("stack_cfo_portfolio_watchers", "Open WatchPortfolio streams.", value=len(s.hub))
        hold = s.hub.gc_hold
        if hold is not None:
            yield CounterMetricFamily("stack_cfo_watch_gc_holds",
                                      "Watch fan-outs during which the cyclic garbage collector was held off.",
                                      value=hold.holds)
            yield CounterMetricFamily("stack_cfo_watch_gc_holds_expired",
                                      "Of those, holds ended by their 2 s cap before the fan-out was out.",
                                      value=hold.expired)
        yield GaugeMetricFamily("stack_cfo_portfolio_change_feed_connected",
                                "1 while the LISTEN connection for price and holdings changes is up.",
                                value=1 if s.notifications_live else 0)


_collector: _PortfolioCollector | None = None


def portfolio_metrics_collector() -> Collector | None:
    """The collector :func:`register_portfolio_metrics` registered (None before)."""
    return _collector


def register_portfolio_metrics(service: PortfolioService) -> None:
    """Expose ``service``'s cache and watch figures on the process's Prometheus registry (the
    last service registered wins: one portfolio service per process)."""
    global _collector
    if _collector is not None:
        REGISTRY.unregister(_collector)
    _collector = _PortfolioCollector(service)
    REGISTRY.register(_collector)


# ---------------------------------------------------------------------------------------------
# Request parsing
# ---------------------------------------------------------------------------------------------


def _idempotency(method: str, principal: Principal, request: Any) -> Idempotency | None:
    return request_key(method, principal.key, request)


def _pdate(day: date | None) -> common_pb2.Date | None:
    if day is None:
        return None
    out = common_pb2.Date()
    fill_date(out, day)
    return out


def _price(p: portfolio_pb2.PricePoint, i: int) -> PriceInput:
    path = f"points[{i}]"
    which = p.WhichOneof("at")
    at: date | Any = None
    if which == "date":
        at = from_date(p.date, f"{path}.date", required=True)
    elif which == "time":
        at = from_timestamp(p.time, f"{path}.time", required=True, present=True)
    close = _decimal(p.close, f"{path}.close")
    assert close is not None
    previous = _decimal(p.previous_close, f"{path}.previous_close") if p.HasField("previous_close") else None
    return PriceInput(symbol=p.symbol, at=at, close=close, currency=p.currency, previous_close=previous)


def _article(a: portfolio_pb2.NewsArticle, i: int) -> ArticleInput:
    return ArticleInput(
        id=a.id,
        source=a.source,
        published_at=from_timestamp(a.publish_time, f"articles[{i}].publish_time",
                                    present=a.HasField("publish_time")),
        title=a.title,
        summary=a.summary,
        url=a.url,
        symbols=tuple(a.symbols),
    )


_RANGES = {
    portfolio_pb2.PERFORMANCE_RANGE_ONE_WEEK: HistoryRange.ONE_WEEK,
    portfolio_pb2.PERFORMANCE_RANGE_ONE_MONTH: HistoryRange.ONE_MONTH,
    portfolio_pb2.PERFORMANCE_RANGE_THREE_MONTHS: HistoryRange.THREE_MONTHS,
    portfolio_pb2.PERFORMANCE_RANGE_YEAR_TO_DATE: HistoryRange.YEAR_TO_DATE,
    portfolio_pb2.PERFORMANCE_RANGE_ONE_YEAR: HistoryRange.ONE_YEAR,
    portfolio_pb2.PERFORMANCE_RANGE_ALL: HistoryRange.ALL,
}


def _window(request: portfolio_pb2.GetPerformanceHistoryRequest) -> HistoryRange | DateRange:
    which = request.WhichOneof("window")
    if which == "range":
        spec = _RANGES.get(request.range)
        if spec is None:
            if request.range:
                raise invalid("range", f"unknown range {request.range}", reason="INVALID_ENUM")
            raise invalid("range", "must be one of ONE_WEEK ... ALL", reason="MISSING_FIELD")
        return spec
    if which == "dates":
        start = from_date(request.dates.start_date, "dates.start_date", required=True)
        end = from_date(request.dates.end_date, "dates.end_date", required=True)
        assert start is not None and end is not None
        if start > end:
            raise invalid("dates", "start_date must not be after end_date", reason="INVALID_DATE_RANGE",
                          start_date=start.isoformat(), end_date=end.isoformat())
        return DateRange(start, end)
    raise invalid("range", "one of range or dates is required", reason="MISSING_FIELD")


# ---------------------------------------------------------------------------------------------
# The servicer
# ---------------------------------------------------------------------------------------------


class _Translation:
    """A summary view's message (bounded to what a default client receives: see
    :func:`bounded_summary`), and (once asked for) the message's bytes. It does not hold the view:
    see :class:`_ByView`."""

    __slots__ = ("_bytes", "message")

    def __init__(self, message: portfolio_pb2.PortfolioSummary) -> None:
        self.message = message
        self._bytes: bytes | None = None

    def serialized(self) -> bytes:
        if self._bytes is None:
            self._bytes = self.message.SerializeToString()
        return self._bytes


_K = TypeVar("_K", bound=Hashable)
_V = TypeVar("_V")
_T = TypeVar("_T")


class _ByView(Generic[_K, _V]):
    """Values derived from summary views (keyed by the view's ``id`` and more), each kept while its
    view lives and no longer: the view is held weakly, and its entries go when it is collected. So
    a translation lives as long as the service keeps the view (its cache's TTL, size bounds,
    invalidations, an erased user's ``forget_user``), or a caller still uses it; never longer (a
    table of strong references kept 256 views of up to ~20 MB each after the cache had let them
    go). ``limit``: at most this many entries besides, the oldest going first. An entry is only
    returned for the view it was made from (a new view at a recycled ``id`` gets nothing)."""

    __slots__ = ("_data", "_limit")

    def __init__(self, limit: int) -> None:
        self._data: OrderedDict[_K, tuple[weakref.ref[SummaryView], _V]] = OrderedDict()
        self._limit = limit

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: _K, view: SummaryView) -> _V | None:
        hit = self._data.get(key)
        return hit[1] if hit is not None and hit[0]() is view else None

    def put(self, key: _K, view: SummaryView, value: _V) -> None:
        data = self._data

        def gone(ref: weakref.ref[SummaryView]) -> None:
            hit = data.get(key)
            if hit is not None and hit[0] is ref:
                data.pop(key, None)  # (a collection may run on another thread meanwhile)

        data[key] = (weakref.ref(view, gone), value)
        data.move_to_end(key)
        while len(data) > self._limit:
            data.popitem(last=False)


def _large(view: SummaryView) -> bool:
    """A summary whose message is made off the event loop (see ``PortfolioServicer._translation``)."""
    return view.rows > INLINE_POSITIONS


def _translate(view: SummaryView) -> _Translation:
    """The view's message within the 4 MiB a client receives by default, whatever the portfolio (a
    summary of long texts or long figures used to be unreadable, or unsendable past the server's 8
    MiB); a large one's bytes made at once, on the same thread. Its CPU is charged to the call's
    budget (see ``PortfolioServicer._metered``)."""
    with cpu_meter.metered():
        entry = _Translation(bounded_summary(summary_to_proto(view)))
        if _large(view):
            entry.serialized()
    return entry


class PortfolioServicer(LedgerRpcs, portfolio_pb2_grpc.PortfolioSummaryServiceServicer):
    def __init__(self, service: PortfolioService, page_tokens: PageTokens | None = None,
                 cpu_budget: ReadCpuBudget | None = None) -> None:
        """``cpu_budget``: the CPU the callers' uncached summaries and histories may take (none: unlimited)."""
        self.service = service
        self.page_tokens = page_tokens or PageTokens(os.urandom(32))
        self.cpu_budget = cpu_budget
        # Translations of cached summaries: the same view object becomes the same message, and
        # its serialized bytes once the first GetPortfolioSummary asked for them (kept while the
        # view lives: see _ByView).
        self._messages: _ByView[int, _Translation] = _ByView(256)
        self._watch_updates: _ByView[tuple[int, WatchTrigger, tuple[str, ...]], bytes] = _ByView(1024)
        self._pending: dict[int, tuple[SummaryView, asyncio.Future[_Translation]]] = {}

    async def _translation(self, view: SummaryView) -> _Translation:
        """The view's message and bytes, made once per view. A large portfolio's (some hundred ms of
        CPU for 10,000 positions) is made on the compute executor, not on the event loop, where it held
        every other caller of the process meanwhile; the callers of one view share it."""
        hit = self._messages.get(id(view), view)
        if hit is not None:
            return hit
        if not _large(view):
            entry = _translate(view)
        else:
            pending = self._pending.get(id(view))
            if pending is None or pending[0] is not view:
                task = asyncio.ensure_future(compute_pool.run(functools.partial(_translate, view)))
                pending = self._pending[id(view)] = (view, task)
                task.add_done_callback(functools.partial(self._translated, id(view)))
            entry = await asyncio.shield(pending[1])
        self._messages.put(id(view), view, entry)
        return entry

    def _translated(self, key: int, task: asyncio.Future[_Translation]) -> None:
        pending = self._pending.get(key)
        if pending is not None and pending[1] is task:
            del self._pending[key]
        if not task.cancelled():
            task.exception()  # retrieved: its waiters re-raise it (none left: no "never retrieved" warning)

    async def _summary_message(self, view: SummaryView) -> portfolio_pb2.PortfolioSummary:
        return (await self._translation(view)).message

    def _metered(self) -> contextlib.AbstractContextManager[None]:
        """For the block: a new summary or history computed for the caller, and the making of its
        message, are charged to the caller's CPU budget, which refuses a new one when it is spent
        (READ_CPU_BUDGET_EXHAUSTED; see :mod:`stack_cfo.api.cpu_budget`). Cached answers cost nothing."""
        budget = self.cpu_budget
        return cpu_meter.charged_to(budget.account(current_principal()) if budget is not None else None)

    @staticmethod
    def _readable(name: str) -> str:
        """The user id of a portfolio the caller may read; others' answer like a missing one."""
        user_id = parse_user_singleton(name, "portfolio", field="portfolio")
        try:
            authorize(user_id, name)
        except NotFound:
            raise portfolio_not_found(user_id) from None
        return user_id

    @staticmethod
    def _writable(name: str) -> str:
        user_id = parse_user_singleton(name, "portfolio", field="portfolio")
        try:
            authorize(user_id, name)
        except NotFound:
            raise NotFound.resource("user", f"users/{user_id}") from None
        return user_id

    async def SyncPortfolio(
        self, request: portfolio_pb2.SyncPortfolioRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.SyncPortfolioResponse:
        user_id = self._writable(request.portfolio)
        # The counts first, on the request's own repeated fields: a sync of too many items is refused
        # before any of them is parsed (3,500,000 empty cash flows, 7 MB, were parsed one by one on the
        # event loop for minutes, every other caller of the process waiting, and then refused).
        check_sync_size(request.positions, request.cash_flows)
        idem = _idempotency("SyncPortfolio", current_principal(), request)
        # Every part is read before any problem is raised, and a value that does not parse refuses its own
        # field or item only: the domain reports it with every problem of the rest (validate_sync: a
        # duplicate symbol, an unknown currency, a negative flow), in one error with a violation per field.
        malformed: dict[str, InvalidArgument] = {}
        cash = _reading(malformed, "cash_balance",
                        lambda: _decimal(request.cash_balance, "cash_balance", required=False))

        def items() -> tuple[tuple[list[HoldingInput], dict[int, InvalidArgument]],
                             tuple[list[FlowInput], dict[int, InvalidArgument]]]:
            return (_parsed(request.positions, _holding, _UNPARSED_POSITION),
                    _parsed(request.cash_flows, _flow, _UNPARSED_FLOW))

        # thousands of positions or cash flows: parsed in a thread, so other callers are not held
        # meanwhile (its CPU charged to the caller's write budget)
        large = len(request.positions) + len(request.cash_flows) > INLINE_POSITIONS
        (positions, bad_positions), (flows, bad_flows) = await cpu_meter.in_thread(large, items)
        # a set but all-zero Date is a missing date, as in every other request (not "today")
        effective = _reading(malformed, "effective_date",
                             lambda: from_date(request.effective_date, "effective_date", required=True)
                             if request.HasField("effective_date") else None)
        command = SyncCommand(
            user_id=user_id,
            positions=tuple(positions),
            cash_balance=cash if cash is not None else Decimal(0),
            base_currency=request.base_currency,
            cash_flows=tuple(flows),
            effective_date=effective,
            malformed_fields=malformed,
            malformed_positions=bad_positions,
            malformed_flows=bad_flows,
        )
        result = await self.service.sync(command, idempotency=idem)
        return portfolio_pb2.SyncPortfolioResponse(
            portfolio=portfolio_name(user_id),
            position_count=result.position_count,
            recorded_flow_count=result.recorded_flow_count,
            ignored_flow_count=result.ignored_flow_count,
            sync_time=to_timestamp(result.sync_time),
            effective_date=_pdate(result.effective),
        )

    async def RecordPrices(
        self, request: portfolio_pb2.RecordPricesRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.RecordPricesResponse:
        principal = current_principal()
        require_service(principal, operation="RecordPrices")
        if len(request.points) > MAX_PRICE_POINTS:
            raise invalid("points", f"at most {MAX_PRICE_POINTS} points per call, got {len(request.points)}",
                          reason="TOO_MANY_POINTS", limit=MAX_PRICE_POINTS, count=len(request.points))
        idem = _idempotency("RecordPrices", principal, request)
        # thousands of points: parsed in a thread, as a sync's items
        points = await raised_here(cpu_meter.in_thread(len(request.points) > INLINE_POSITIONS, each_checked,
                                                       request.points, _price, prefix="points"))
        result = await self.service.record_prices(points, idempotency=idem)
        return portfolio_pb2.RecordPricesResponse(
            inserted_count=result.inserted, updated_count=result.updated, unchanged_count=result.unchanged
        )

    async def IngestNews(
        self, request: portfolio_pb2.IngestNewsRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.IngestNewsResponse:
        require_service(current_principal(), operation="IngestNews")
        if len(request.articles) > MAX_ARTICLES:
            raise invalid("articles", f"at most {MAX_ARTICLES} articles per call", reason="TOO_MANY_ARTICLES",
                          limit=MAX_ARTICLES, count=len(request.articles))
        result = await self.service.ingest_news(each_checked(request.articles, _article, prefix="articles"))
        return portfolio_pb2.IngestNewsResponse(inserted_count=result.inserted, duplicate_count=result.duplicates)

    async def GetPortfolioSummary(
        self, request: portfolio_pb2.GetPortfolioSummaryRequest, context: grpc.aio.ServicerContext
    ) -> bytes:
        """The summary's serialized ``PortfolioSummary`` (the served handler passes bytes through:
        a cached summary is encoded once, not on every call)."""
        user_id = self._readable(request.portfolio)
        as_of = from_timestamp(request.as_of_time, "as_of_time", present=request.HasField("as_of_time"))
        with self._metered():
            return (await self._translation(await self.service.summary(user_id, as_of))).serialized()

    async def GetPerformanceHistory(
        self, request: portfolio_pb2.GetPerformanceHistoryRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.GetPerformanceHistoryResponse:
        user_id = self._readable(request.portfolio)
        window = _window(request)
        if request.interval not in (0, portfolio_pb2.HISTORY_INTERVAL_DAILY, portfolio_pb2.HISTORY_INTERVAL_WEEKLY):
            raise invalid("interval", f"unknown interval {request.interval}", reason="INVALID_ENUM")
        interval = Interval.WEEKLY if request.interval == portfolio_pb2.HISTORY_INTERVAL_WEEKLY else Interval.DAILY
        with self._metered():
            view = await self.service.history(user_id, window, interval)
            with cpu_meter.metered():
                return history_to_proto(view, request.interval)

    async def StreamPortfolioSummary(
        self, request: portfolio_pb2.StreamPortfolioSummaryRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[portfolio_pb2.StreamPortfolioSummaryResponse]:
        user_id = self._readable(request.portfolio)
        remaining = context.time_remaining()
        deadline = time.monotonic() + remaining if remaining is not None else None
        async with contextlib.aclosing(self.service.stream_summary(user_id, deadline=deadline)) as events:
            # The summary (the first event) is metered as GetPortfolioSummary's; the narrative is paid
            # for from the AI token budget.
            with self._metered():
                first = await anext(events, None)
                head = await self._stream_response(first) if first is not None else None
            if head is not None:
                yield head
            async for event in events:
                response = await self._stream_response(event)
                if response is not None:
                    yield response

    async def _stream_response(self, event: StreamEvent) -> portfolio_pb2.StreamPortfolioSummaryResponse | None:
        if isinstance(event, SummaryReady):
            return portfolio_pb2.StreamPortfolioSummaryResponse(summary=await self._summary_message(event.view))
        if isinstance(event, NarrativeChunk):
            return portfolio_pb2.StreamPortfolioSummaryResponse(
                narrative_delta=portfolio_pb2.NarrativeDelta(text=event.text)
            )
        if isinstance(event, NarrativeDone):
            return portfolio_pb2.StreamPortfolioSummaryResponse(narrative_completed=narrative_completed(event))
        return None

    async def WatchPortfolio(
        self, request: portfolio_pb2.WatchPortfolioRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        user_id = self._readable(request.portfolio)
        interval = (
            from_duration(request.min_interval, "min_interval", maximum=MAX_WATCH_INTERVAL)
            if request.HasField("min_interval") else None
        )
        async with contextlib.aclosing(self.service.watch(user_id, interval)) as updates:
            # The first update is metered as a GetPortfolioSummary (the call asked for it); later ones
            # follow changes (price feeds, the user's own writes), at most once per min_interval, and
            # are not charged: a watch kept open must not use up its user's other reads.
            with self._metered():
                first = await anext(updates, None)
                data = await self._watch_bytes(first) if first is not None else None
            if data is not None:
                yield data
            async for update in updates:
                yield await self._watch_bytes(update)

    async def _watch_bytes(self, update: WatchUpdate) -> bytes:
        """The update serialized once for every watcher of the portfolio it was computed for
        (watchers of one portfolio share the cached view; the interceptor sends bytes as they are);
        a large portfolio's off the event loop, as its message (see ``_translation``)."""
        key = (id(update.view), update.trigger, update.changed_symbols)
        hit = self._watch_updates.get(key, update.view)
        if hit is not None:
            return hit
        summary = await self._summary_message(update.view)
        build = functools.partial(_watch_data, update, summary)
        data = await compute_pool.run(build) if _large(update.view) else build()
        self._watch_updates.put(key, update.view, data)
        return data


def _reading(malformed: dict[str, InvalidArgument], field: str, read: Callable[[], _T]) -> _T | None:
    """``read()``, or ``None`` with its problem in ``malformed`` under ``field``."""
    try:
        return read()
    except InvalidArgument as exc:
        malformed[field] = exc.detached()  # (kept: see InvalidArgument.detached)
        return None


def _watch_data(update: WatchUpdate, summary: portfolio_pb2.PortfolioSummary) -> bytes:
    """The update's bytes (its CPU charged to the call's budget, if any: see ``PortfolioServicer._metered``)."""
    with cpu_meter.metered():
        message = portfolio_pb2.WatchPortfolioResponse(
            summary=summary,
            trigger=TRIGGERS[update.trigger],
            changed_symbols=list(update.changed_symbols),
        )
        data = message.SerializeToString()  # (its length is its size: no separate ByteSize walk)
        if len(data) > CLIENT_RECEIVE_LIMIT:
            # a summary near its bound and thousands of changed symbols: the summary makes room for
            # them (a rare path: the bounded summary leaves 16 KiB, some 2,000 short symbols)
            around = len(data) - message.summary.ByteSize()
            message.summary.CopyFrom(bounded_summary(summary_to_proto(update.view), CLIENT_RECEIVE_LIMIT - around))
            data = message.SerializeToString()
        return data
