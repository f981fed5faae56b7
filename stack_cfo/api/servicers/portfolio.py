"""``PortfolioSummaryService``: proto <-> domain translation over :class:`PortfolioService`.

Parsing (decimal strings, timestamps, dates, enums) happens here and names the request field;
every rule (signs, currencies, duplicates, limits, future dates) is the domain service's.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import grpc
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.core import Metric as PromMetric
from prometheus_client.registry import Collector

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.api.auth import Principal, current_principal, require_service
from stack_cfo.api.resources import authorize, parse_user_singleton
from stack_cfo.api.validation import (
    fill_date,
    format_decimal,
    from_date,
    from_timestamp,
    invalid,
    parse_decimal,
    to_timestamp,
)
from stack_cfo.core.ai import CompletionResult, Verification
from stack_cfo.core.errors import NotFound
from stack_cfo.core.idempotency import Idempotency, idempotency_key
from stack_cfo.core.portfolio import (
    DateRange,
    GroupSummary,
    HistoryRange,
    HistoryView,
    Insight,
    Interval,
    Metric,
    PortfolioService,
    PriceSource,
    RiskMetrics,
    Severity,
    SummaryView,
    portfolio_not_found,
)
from stack_cfo.core.portfolio.inputs import (
    MAX_ARTICLES,
    MAX_PRICE_POINTS,
    ArticleInput,
    AssetClassName,
    FlowInput,
    FlowType,
    HoldingInput,
    PriceInput,
    SyncCommand,
)
from stack_cfo.core.portfolio.views import NarrativeChunk, NarrativeDone, SummaryReady
from stack_cfo.core.portfolio.watch import WatchTrigger

SERVICE = "stack.cfo.v1.PortfolioSummaryService"
_EIGHT_PLACES = Decimal("1e-8")
_NEURON = Decimal(10) ** -18

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
        yield GaugeMetricFamily("stack_cfo_portfolio_change_feed_connected",
                                "1 while the LISTEN connection for price and holdings changes is up.",
                                value=1 if s.notifications_live else 0)


_collector: _PortfolioCollector | None = None


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


def _portfolio_name(user_id: str) -> str:
    return f"users/{user_id}/portfolio"


def _idempotency(method: str, principal: Principal, request_id: str, request: Any) -> Idempotency | None:
    return idempotency_key(method, principal.key, request_id, request.SerializeToString(deterministic=True))


def _decimal(value: str, field: str, *, required: bool = True) -> Decimal | None:
    # Signs are the domain's rules (NEGATIVE_QUANTITY, NEGATIVE_PRICE): parse them through.
    return parse_decimal(value, field, required=required, allow_negative=True)


def _asset_class(value: int, field: str) -> AssetClassName:
    try:
        name = portfolio_pb2.AssetClass.Name(value)  # type: ignore[arg-type]
    except ValueError:
        raise invalid(field, f"unknown asset class {value}", reason="INVALID_ENUM") from None
    return AssetClassName(name.removeprefix("ASSET_CLASS_"))


def _holding(h: portfolio_pb2.Holding, i: int) -> HoldingInput:
    path = f"positions[{i}]"
    quantity = _decimal(h.quantity, f"{path}.quantity")
    assert quantity is not None
    return HoldingInput(
        symbol=h.symbol,
        quantity=quantity,
        average_cost=_decimal(h.average_cost, f"{path}.average_cost", required=False),
        currency=h.currency,
        sector=h.sector or None,
        asset_class=_asset_class(h.asset_class, f"{path}.asset_class"),
        basket=h.basket or None,
        tags=tuple(h.tags),
    )


def _flow(f: portfolio_pb2.CashFlow, i: int) -> FlowInput:
    path = f"cash_flows[{i}]"
    amount = _decimal(f.amount, f"{path}.amount")
    assert amount is not None
    which = f.WhichOneof("occurred")
    kinds = {portfolio_pb2.CASH_FLOW_TYPE_DEPOSIT: FlowType.DEPOSIT,
             portfolio_pb2.CASH_FLOW_TYPE_WITHDRAWAL: FlowType.WITHDRAWAL}
    if f.type not in kinds and f.type != portfolio_pb2.CASH_FLOW_TYPE_UNSPECIFIED:
        raise invalid(f"{path}.type", f"unknown cash flow type {f.type}", reason="INVALID_ENUM")
    return FlowInput(
        type=kinds.get(f.type),
        amount=amount,
        occurred_at=from_timestamp(f.occur_time, f"{path}.occur_time", required=True) if which == "occur_time"
        else None,
        occurred_on=from_date(f.occur_date, f"{path}.occur_date", required=True) if which == "occur_date" else None,
        external_id=f.id or None,
        currency=f.currency,
    )


def _price(p: portfolio_pb2.PricePoint, i: int) -> PriceInput:
    path = f"points[{i}]"
    which = p.WhichOneof("at")
    at: date | Any = None
    if which == "date":
        at = from_date(p.date, f"{path}.date", required=True)
    elif which == "time":
        at = from_timestamp(p.time, f"{path}.time", required=True)
    close = _decimal(p.close, f"{path}.close")
    assert close is not None
    previous = _decimal(p.previous_close, f"{path}.previous_close") if p.HasField("previous_close") else None
    return PriceInput(symbol=p.symbol, at=at, close=close, currency=p.currency, previous_close=previous)


def _article(a: portfolio_pb2.NewsArticle, i: int) -> ArticleInput:
    return ArticleInput(
        id=a.id,
        source=a.source,
        published_at=from_timestamp(a.publish_time, f"articles[{i}].publish_time")
        if a.HasField("publish_time") else None,
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
# Response translation
# ---------------------------------------------------------------------------------------------


def _money(value: Decimal | None) -> str:
    """Computed money: exact, rounded half-even to at most 8 fractional digits."""
    if value is None:
        return ""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        value = value.quantize(_EIGHT_PLACES, rounding=ROUND_HALF_EVEN)
    return format_decimal(value)


def _percent(x: float | None) -> float | None:
    return None if x is None else x * 100.0


def _metric(m: Metric, target: common_pb2.Metric, *, no_drawdown: bool = False) -> None:
    if m.value is not None:
        target.value = m.value
        return
    reason = "NO_DRAWDOWN" if no_drawdown else (m.reason.value if m.reason else "UNDEFINED")
    target.reason = common_pb2.MetricUnavailableReason.Value(f"METRIC_UNAVAILABLE_REASON_{reason}")


_SEVERITY = {
    Severity.INFO: portfolio_pb2.INSIGHT_SEVERITY_INFO,
    Severity.WARNING: portfolio_pb2.INSIGHT_SEVERITY_WARNING,
    Severity.CRITICAL: portfolio_pb2.INSIGHT_SEVERITY_CRITICAL,
}
#: Insights about a basket or sector name it in ``group``; the others name symbols.
_GROUP_INSIGHTS = frozenset({"SECTOR_CONCENTRATION", "BASKET_LAGGING_BENCHMARK"})

_VERIFICATION = {
    Verification.VERIFIED: common_pb2.VERIFICATION_STATUS_VERIFIED,
    Verification.UNVERIFIED_SERVICE: common_pb2.VERIFICATION_STATUS_UNVERIFIED_SERVICE,
    Verification.FAILED: common_pb2.VERIFICATION_STATUS_FAILED,
    Verification.UNAVAILABLE: common_pb2.VERIFICATION_STATUS_UNAVAILABLE,
    Verification.NOT_APPLICABLE: common_pb2.VERIFICATION_STATUS_NOT_APPLICABLE,
}

_TRIGGERS = {
    WatchTrigger.INITIAL: portfolio_pb2.WATCH_TRIGGER_INITIAL,
    WatchTrigger.PRICE_CHANGE: portfolio_pb2.WATCH_TRIGGER_PRICE_CHANGE,
    WatchTrigger.HOLDINGS_CHANGE: portfolio_pb2.WATCH_TRIGGER_HOLDINGS_CHANGE,
}


def _insight(i: Insight, view: SummaryView) -> portfolio_pb2.Insight:
    out = portfolio_pb2.Insight(code=i.code, severity=_SEVERITY[i.severity], message=i.message, numbers=dict(i.numbers))
    if i.code in _GROUP_INSIGHTS:
        out.group = view.sector_name(i.subject) if i.code == "SECTOR_CONCENTRATION" and i.subject else (i.subject or "")
    elif i.subject:
        out.symbols.append(i.subject)
    listed = i.numbers.get("symbols")
    if listed:
        out.symbols.extend(s for s in listed.split(",") if s and s not in out.symbols)
    return out


def _group(g: GroupSummary, weight: float, name: str) -> portfolio_pb2.GroupSummary:
    out = portfolio_pb2.GroupSummary(
        key=name,
        position_count=len(g.symbols),
        symbols=list(g.symbols),
        market_value=_money(g.market_value),
        weight=weight,
        cost_basis=_money(g.cost_basis),
        unrealized_pnl_amount=_money(g.unrealized_pnl),
        day_change_amount=_money(g.day_change),
    )
    if g.unrealized_return is not None:
        out.unrealized_pnl_percent = g.unrealized_return * 100.0
    if g.day_return is not None:
        out.day_change_percent = g.day_return * 100.0
    if g.week_return is not None:
        out.week_return_percent = g.week_return * 100.0
    return out


def _risk(r: RiskMetrics, view: SummaryView, target: portfolio_pb2.RiskMetrics) -> None:
    target.observation_count = r.observations
    fill_date(target.start_date, r.start)
    fill_date(target.end_date, r.end)
    target.risk_free_rate = r.risk_free_annual
    target.benchmark_symbol = view.summary.benchmark_symbol
    _metric(r.cumulative_return, target.time_weighted_return)
    _metric(r.volatility, target.volatility)
    _metric(r.sharpe, target.sharpe)
    _metric(r.sortino, target.sortino)
    _metric(r.max_drawdown, target.max_drawdown)
    _metric(r.current_drawdown, target.current_drawdown)
    _metric(r.cagr, target.cagr)
    _metric(r.calmar, target.calmar, no_drawdown=view.calmar_no_drawdown)
    _metric(r.var_95, target.var_95)
    _metric(r.cvar_95, target.cvar_95)
    _metric(r.beta, target.beta)
    _metric(r.alpha, target.alpha)


def summary_to_proto(view: SummaryView) -> portfolio_pb2.PortfolioSummary:
    s = view.summary
    out = portfolio_pb2.PortfolioSummary(
        portfolio=_portfolio_name(view.user_id),
        as_of_time=to_timestamp(s.as_of),
        base_currency=s.base_currency,
        total_value=_money(s.total_value),
        positions_value=_money(s.invested_value),
        cash_balance=format_decimal(s.cash),
        cost_basis=_money(s.cost_basis),
        total_return_amount=_money(s.total_gain),
        day_change_amount=_money(s.day_change),
        benchmark_symbol=s.benchmark_symbol,
    )
    if s.total_return is not None:
        out.total_return_percent = s.total_return * 100.0
    if s.day_return is not None:
        out.day_change_percent = s.day_return * 100.0
    if s.benchmark_week_return is not None:
        out.benchmark_week_return_percent = s.benchmark_week_return * 100.0
    for p, weight in zip(s.positions, view.position_weights, strict=True):
        priced = p.price_source in (PriceSource.QUOTE, PriceSource.CLOSE)
        pos = portfolio_pb2.PositionSummary(
            symbol=p.symbol,
            quantity=format_decimal(p.quantity),
            average_cost=format_decimal(p.average_cost),
            cost_basis=_money(p.cost_basis),
            currency=p.currency,
            sector=view.sector_name(p.sector),
            asset_class=portfolio_pb2.AssetClass.Value(f"ASSET_CLASS_{p.asset_class or 'UNSPECIFIED'}"),
            basket=p.basket or "",
            tags=list(p.tags),
            last_price=format_decimal(p.price) if priced else "",
            stale=p.stale,
            market_value=_money(p.market_value),
            weight=weight,
            unrealized_pnl_amount=_money(p.unrealized_pnl),
            day_change_amount=_money(p.day_change),
        )
        if priced and p.price_at is not None:
            pos.last_price_time.CopyFrom(to_timestamp(p.price_at))
        if p.unrealized_return is not None:
            pos.unrealized_pnl_percent = p.unrealized_return * 100.0
        if p.day_return is not None:
            pos.day_change_percent = p.day_return * 100.0
        out.positions.append(pos)
    for g, w in zip(s.baskets, view.basket_weights, strict=True):
        out.baskets.append(_group(g, w, g.name))
    for g, w in zip(s.sectors, view.sector_weights, strict=True):
        out.sectors.append(_group(g, w, view.sector_name(g.name)))
    _risk(s.risk, view, out.risk)
    d = s.diversification
    div = out.diversification
    div.position_count = d.position_count
    div.position_hhi = d.position_hhi or 0.0
    div.effective_positions = d.effective_positions or 0.0
    div.sector_hhi = d.sector_hhi or 0.0
    div.effective_sectors = d.effective_sectors or 0.0
    div.largest_weight = d.largest_weight or 0.0
    div.largest_symbol = d.largest_symbol or ""
    div.top5_weight = d.top5_weight or 0.0
    for sw in d.sector_weights:
        div.sector_weights.append(portfolio_pb2.SectorWeight(sector=view.sector_name(sw.name), weight=sw.weight))
    _metric(view.diversification_score, div.score)
    out.insights.extend(_insight(i, view) for i in s.insights)
    return out


def history_to_proto(view: HistoryView, interval: int) -> portfolio_pb2.GetPerformanceHistoryResponse:
    out = portfolio_pb2.GetPerformanceHistoryResponse(
        portfolio=_portfolio_name(view.user_id),
        interval=interval or portfolio_pb2.HISTORY_INTERVAL_DAILY,  # type: ignore[arg-type]
        base_currency=view.base_currency,
        benchmark_symbol=view.benchmark_symbol,
    )
    points = view.history.points
    if points:
        fill_date(out.dates.start_date, points[0].date)
        fill_date(out.dates.end_date, points[-1].date)
    for p in points:
        pt = out.points.add(value=_money(p.value), net_flow=_money(p.net_flow), cumulative_return=p.cumulative_twr,
                            drawdown=p.drawdown)
        fill_date(pt.date, p.date)
        if p.benchmark_cumulative is not None:
            pt.benchmark_cumulative_return = p.benchmark_cumulative
    return out


def fee_in_0g(result: CompletionResult) -> str:
    if result.offline:
        return "0"
    if result.fee_neuron <= 0:
        return ""
    return format_decimal((Decimal(result.fee_neuron) * _NEURON).normalize())


def narrative_completed(result: CompletionResult, degraded_reason: str = "") -> portfolio_pb2.NarrativeCompleted:
    return portfolio_pb2.NarrativeCompleted(
        text=result.text,
        provider=result.provider,
        model=result.model,
        verification=_VERIFICATION.get(result.verification, common_pb2.VERIFICATION_STATUS_UNSPECIFIED),
        degraded=result.degraded,
        offline=result.offline,
        incomplete=result.incomplete,
        usage=common_pb2.TokenUsage(prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens),
        fee=fee_in_0g(result),
        degraded_reason=degraded_reason,
    )


# ---------------------------------------------------------------------------------------------
# The servicer
# ---------------------------------------------------------------------------------------------


class PortfolioServicer(portfolio_pb2_grpc.PortfolioSummaryServiceServicer):
    def __init__(self, service: PortfolioService) -> None:
        self.service = service
        # Translations of cached summaries: the same view object becomes the same message.
        self._messages: OrderedDict[int, tuple[SummaryView, portfolio_pb2.PortfolioSummary]] = OrderedDict()

    def _summary_message(self, view: SummaryView) -> portfolio_pb2.PortfolioSummary:
        hit = self._messages.get(id(view))
        if hit is not None and hit[0] is view:
            return hit[1]
        msg = summary_to_proto(view)
        self._messages[id(view)] = (view, msg)
        while len(self._messages) > 256:
            self._messages.popitem(last=False)
        return msg

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
            raise NotFound(f"user of {name!r} not found", reason="USER_NOT_FOUND",
                           metadata={"resource_name": name}) from None
        return user_id

    async def SyncPortfolio(
        self, request: portfolio_pb2.SyncPortfolioRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.SyncPortfolioResponse:
        user_id = self._writable(request.portfolio)
        idem = _idempotency("SyncPortfolio", current_principal(), request.request_id, request)
        cash = _decimal(request.cash_balance, "cash_balance", required=False)
        command = SyncCommand(
            user_id=user_id,
            positions=tuple(_holding(h, i) for i, h in enumerate(request.positions)),
            cash_balance=cash if cash is not None else Decimal(0),
            base_currency=request.base_currency,
            cash_flows=tuple(_flow(f, i) for i, f in enumerate(request.cash_flows)),
        )
        result = await self.service.sync(command, idempotency=idem)
        return portfolio_pb2.SyncPortfolioResponse(
            portfolio=_portfolio_name(user_id),
            position_count=result.position_count,
            recorded_flow_count=result.recorded_flow_count,
            ignored_flow_count=result.ignored_flow_count,
            sync_time=to_timestamp(result.sync_time),
        )

    async def RecordPrices(
        self, request: portfolio_pb2.RecordPricesRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.RecordPricesResponse:
        principal = current_principal()
        require_service(principal, operation="RecordPrices")
        if len(request.points) > MAX_PRICE_POINTS:
            raise invalid("points", f"at most {MAX_PRICE_POINTS} points per call, got {len(request.points)}",
                          reason="TOO_MANY_POINTS", limit=MAX_PRICE_POINTS, count=len(request.points))
        idem = _idempotency("RecordPrices", principal, request.request_id, request)
        points = [_price(p, i) for i, p in enumerate(request.points)]
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
        result = await self.service.ingest_news([_article(a, i) for i, a in enumerate(request.articles)])
        return portfolio_pb2.IngestNewsResponse(inserted_count=result.inserted, duplicate_count=result.duplicates)

    async def GetPortfolioSummary(
        self, request: portfolio_pb2.GetPortfolioSummaryRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.PortfolioSummary:
        user_id = self._readable(request.portfolio)
        as_of = from_timestamp(request.as_of_time, "as_of_time") if request.HasField("as_of_time") else None
        return self._summary_message(await self.service.summary(user_id, as_of))

    async def GetPerformanceHistory(
        self, request: portfolio_pb2.GetPerformanceHistoryRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.GetPerformanceHistoryResponse:
        user_id = self._readable(request.portfolio)
        window = _window(request)
        if request.interval not in (0, portfolio_pb2.HISTORY_INTERVAL_DAILY, portfolio_pb2.HISTORY_INTERVAL_WEEKLY):
            raise invalid("interval", f"unknown interval {request.interval}", reason="INVALID_ENUM")
        interval = Interval.WEEKLY if request.interval == portfolio_pb2.HISTORY_INTERVAL_WEEKLY else Interval.DAILY
        view = await self.service.history(user_id, window, interval)
        return history_to_proto(view, request.interval)

    async def StreamPortfolioSummary(
        self, request: portfolio_pb2.StreamPortfolioSummaryRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[portfolio_pb2.StreamPortfolioSummaryResponse]:
        user_id = self._readable(request.portfolio)
        remaining = context.time_remaining()
        deadline = time.monotonic() + remaining if remaining is not None else None
        async with contextlib.aclosing(self.service.stream_summary(user_id, deadline=deadline)) as events:
            async for event in events:
                if isinstance(event, SummaryReady):
                    yield portfolio_pb2.StreamPortfolioSummaryResponse(summary=self._summary_message(event.view))
                elif isinstance(event, NarrativeChunk):
                    yield portfolio_pb2.StreamPortfolioSummaryResponse(
                        narrative_delta=portfolio_pb2.NarrativeDelta(text=event.text)
                    )
                elif isinstance(event, NarrativeDone):
                    yield portfolio_pb2.StreamPortfolioSummaryResponse(
                        narrative_completed=narrative_completed(event.result, event.degraded_reason)
                    )

    async def WatchPortfolio(
        self, request: portfolio_pb2.WatchPortfolioRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[portfolio_pb2.WatchPortfolioResponse]:
        user_id = self._readable(request.portfolio)
        interval = request.min_interval.ToTimedelta() if request.HasField("min_interval") else None
        if interval is not None and interval < timedelta(0):
            raise invalid("min_interval", "must not be negative", reason="INVALID_DURATION")
        async with contextlib.aclosing(self.service.watch(user_id, interval)) as updates:
            async for update in updates:
                yield portfolio_pb2.WatchPortfolioResponse(
                    summary=self._summary_message(update.view),
                    trigger=_TRIGGERS[update.trigger],
                    changed_symbols=list(update.changed_symbols),
                )
