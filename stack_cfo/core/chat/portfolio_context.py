"""The chat's view of a portfolio: :class:`PortfolioContext` from the portfolio domain service.

Units follow the contract (``PortfolioSummaryService``) for the fields it shares: percentages in
percentage points, ``weight`` as a share of total value (cash included). The figures of
:mod:`.context_figures` keep the core's fractions: period returns and contributions, and
``invested_weight`` (the core's share of invested value, which the insights use).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol

from stack_cfo.core.chat.context_figures import (
    ContextBenchmark,
    ContextDiversification,
    ContextGroup,
    ContextInsight,
    ContextMember,
    PeriodFigures,
)
from stack_cfo.core.chat.models import ContextPosition, ContextRisk, PortfolioContext, RiskFigure, position_json
from stack_cfo.core.clock import Clock
from stack_cfo.core.decimals import WIDE
from stack_cfo.core.errors import NotFound
from stack_cfo.core.portfolio import (
    GroupSummary,
    Metric,
    PeriodChange,
    PriceSource,
    SummaryView,
    compute_pool,
    cpu_meter,
)
from stack_cfo.core.portfolio.results import Diversification, PortfolioSummary
from stack_cfo.core.portfolio.service import INLINE_POSITIONS
from stack_cfo.core.wire import LARGEST_PART, field_size, utf8_size


class _SummarySource(Protocol):
    async def summary(self, user_id: str) -> SummaryView: ...


def _pct(x: float | None) -> float | None:
    return None if x is None else x * 100.0


_RATE_PLACES = Decimal("1e-8")


def _rate(v: Decimal | None) -> Decimal | None:
    """An exchange rate as the summary reports it (``PositionSummary.exchange_rate``): at most 8 decimal
    places, half-even (the inverse of a rate recorded the other way round has many more)."""
    if v is None:
        return None
    exponent = v.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        return v.quantize(_RATE_PLACES, rounding=ROUND_HALF_EVEN, context=WIDE)
    return v


def _figure(m: Metric, *, no_drawdown: bool = False) -> RiskFigure:
    if m.value is not None:
        return RiskFigure(m.value)
    return RiskFigure(None, "NO_DRAWDOWN" if no_drawdown else (m.reason.value if m.reason else "UNDEFINED"))


def _periods(changes: tuple[PeriodChange, ...], *, money: bool = True) -> PeriodFigures:
    """Known periods only: a period without any start price is left out (unknown, not zero)."""
    known = [c for c in changes if c.period_return is not None]
    return PeriodFigures(
        returns={c.period.value: c.period_return for c in known if c.period_return is not None},
        changes={c.period.value: c.change for c in known} if money else {},
    )


def _group(g: GroupSummary, weight: float, name: str) -> ContextGroup:
    members: dict[str, dict[str, float]] = {s: {} for s in g.symbols}
    for change in g.periods:
        for c in change.contributions:
            members.setdefault(c.symbol, {})[change.period.value] = c.contribution
    return ContextGroup(
        name=name,
        market_value=g.market_value,
        weight=weight,
        invested_weight=g.weight,
        position_count=len(g.symbols),
        unrealized_pnl=g.unrealized_pnl if g.cost_basis else None,
        unrealized_return=g.unrealized_return,
        periods=_periods(g.periods),
        members=tuple(ContextMember(symbol, parts) for symbol, parts in members.items()),
    )


def _diversification(d: Diversification) -> ContextDiversification:
    return ContextDiversification(
        score=d.score,
        position_points=d.position_points,
        sector_points=d.sector_points,
        position_count=d.position_count,
        effective_positions=d.effective_positions,
        effective_sectors=d.effective_sectors,
        position_hhi=d.position_hhi,
        sector_hhi=d.sector_hhi,
        largest_symbol=d.largest_symbol or "",
        largest_invested_weight=d.largest_weight,
        top5_invested_weight=d.top5_weight,
    )


#: The largest snapshot a session keeps, in UTF-8 bytes of its stored JSON.
MAX_SNAPSHOT_JSON = 4 * 1024 * 1024
#: The largest context a session holds, in bytes of the contract's ``PortfolioContext`` serialized
#: (4 MiB less 16 KiB): the session with it (its title and other fields take at most a few KiB)
#: still fits a 4 MiB message (GetSession, a ListSessions page of one, the CreateSession answer),
#: the receive limit gRPC clients have by default. Snapshots are bounded by it, and a context a
#: service supplies larger than this is refused (UpdatePortfolioContext, CONTEXT_TOO_LARGE).
MAX_CONTEXT_BYTES = LARGEST_PART


def _json_size(value: Any) -> int:
    """UTF-8 bytes of ``value`` as compact JSON (what the session stores)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _ld(n: int, key: int = 1) -> int:
    """A string field of ``n`` bytes: its key, its length, its bytes (proto3 sends no empty string)."""
    return field_size(n, key) if n else 0


def _dec(v: Decimal | None, key: int = 1) -> int:
    """A decimal string field: plain notation on the wire (``format(v, "f")``), empty when unset."""
    return 0 if v is None else _ld(len(format(v, "f")), key)


# Upper bounds of the contract's fixed-size fields, with their keys: a double (9, or 10 with a
# two-byte key), a bool (2), an enum (3), a Timestamp message (key, length, int64 seconds of at
# most 10 bytes and nanos of at most 5, with their keys: 19), a Date (3 int32 fields: 20).
_TIMESTAMP, _DATE = 19, 20
#: The risk figures: the message's key and length (3), observation_count (11), the dates,
#: risk_free_rate (9), twelve Metric messages (a two-byte key, a length, a double or a reason: 13).
_RISK_FIXED = 3 + 11 + 2 * _DATE + 9 + 12 * 13


def position_wire_size(p: ContextPosition) -> int:
    """At least the bytes ``p`` takes in a serialized ``PortfolioContext`` (a ``PositionSummary``
    with its key and length): its texts in UTF-8, its decimals in plain notation, its fixed-size
    fields at their largest (an upper bound within a few bytes, checked against the generated
    code by the tests)."""
    inner = (
        _ld(utf8_size(p.symbol)) + _dec(p.quantity) + _dec(p.average_cost) + _dec(p.cost_basis)
        + _ld(utf8_size(p.currency)) + _ld(utf8_size(p.sector)) + _ld(utf8_size(p.basket))
        + sum(_ld(utf8_size(t)) for t in p.tags)
        + _dec(p.last_price) + _dec(p.market_value) + _dec(p.unrealized_pnl) + _dec(p.day_change, key=2)
        # asset_class, stale, last_price_time, weight, the percentages (keys 16 and 18: two bytes)
        + (3 if p.asset_class else 0) + (2 if p.stale else 0) + (_TIMESTAMP if p.last_price_time else 0)
        + (9 if p.weight else 0) + (10 if p.unrealized_pnl_percent is not None else 0)
        + (10 if p.day_change_percent is not None else 0)
        # realized_pnl_amount, income_amount, exchange_rate (keys 19 to 21: two bytes), the two returns
        + _dec(p.realized_pnl, key=2) + _dec(p.income, key=2) + _dec(p.exchange_rate, key=2)
        + (10 if p.local_return is not None else 0) + (10 if p.currency_effect is not None else 0)
    )
    return field_size(inner)


def _rest_wire_size(ctx: PortfolioContext) -> int:
    """At least the bytes of ``ctx`` serialized without its positions."""
    risk = _RISK_FIXED + _ld(utf8_size(ctx.risk.benchmark_symbol)) if ctx.risk is not None else 0
    return (
        _TIMESTAMP + _ld(utf8_size(ctx.base_currency)) + _dec(ctx.total_value) + _dec(ctx.total_return_amount)
        + _dec(ctx.day_change_amount) + 9 + 9 + risk
    )


def context_wire_size(ctx: PortfolioContext) -> int:
    """At least the bytes of ``ctx`` as the contract's ``PortfolioContext`` serialized (what a
    session's reads send of it)."""
    return _rest_wire_size(ctx) + sum(position_wire_size(p) for p in ctx.positions)


def bounded(
    ctx: PortfolioContext, limit: int = MAX_SNAPSHOT_JSON, wire_limit: int = MAX_CONTEXT_BYTES
) -> PortfolioContext:
    """``ctx`` within ``limit`` UTF-8 bytes of JSON (what the session stores) and ``wire_limit``
    bytes serialized (what its reads send, :func:`context_wire_size`): as it is when it fits
    (every portfolio of ordinary size); else without its positions' tags and its baskets' and
    sectors' member lists, and, if still too large, with its largest positions by market value
    only (in their order; the totals, groups and risk figures still describe the whole
    portfolio). The AI's prompt carries at most its largest positions anyway
    (``MAX_PROMPT_POSITIONS``)."""
    # a character is at most 6 bytes of JSON (an escaped control character) and 4 of UTF-8
    rough = sum(6 * (len(p.sector) + len(p.basket) + sum(len(t) for t in p.tags)) + 800 for p in ctx.positions)
    if rough <= min(limit, wire_limit) // 4:
        return ctx
    if context_wire_size(ctx) <= wire_limit and _json_size(ctx.to_json()) <= limit:
        return ctx
    slim = dataclasses.replace(
        ctx,
        positions=tuple(dataclasses.replace(p, tags=()) for p in ctx.positions),
        baskets=tuple(dataclasses.replace(g, members=()) for g in ctx.baskets),
        sectors=tuple(dataclasses.replace(g, members=()) for g in ctx.sectors),
    )
    rest = _json_size(dataclasses.replace(slim, positions=()).to_json())
    rest_wire = _rest_wire_size(slim)
    sizes = [_json_size(position_json(p)) + 1 for p in slim.positions]
    wire = [position_wire_size(p) for p in slim.positions]
    if rest + sum(sizes) <= limit and rest_wire + sum(wire) <= wire_limit:
        return slim
    order = sorted(range(len(sizes)), key=lambda i: abs(slim.positions[i].market_value or Decimal(0)), reverse=True)
    room, wire_room, keep = limit - rest, wire_limit - rest_wire, set()
    for i in order:
        if sizes[i] > room or wire[i] > wire_room:
            break
        room -= sizes[i]
        wire_room -= wire[i]
        keep.add(i)
    return dataclasses.replace(slim, positions=tuple(p for i, p in enumerate(slim.positions) if i in keep))


def context_from_view(view: SummaryView, *, taken_at: datetime | None = None) -> PortfolioContext:
    """Map a computed summary to a context snapshot taken at ``taken_at`` (default: as-of time),
    :func:`bounded` in size."""
    s = view.summary
    positions = []
    for p, weight in zip(s.positions, view.position_weights, strict=True):
        priced = p.price_source in (PriceSource.QUOTE, PriceSource.CLOSE)
        positions.append(
            ContextPosition(
                symbol=p.symbol,
                quantity=p.quantity,
                currency=p.currency,
                sector=view.sector_name(p.sector),
                basket=p.basket or "",
                asset_class=p.asset_class or "",
                tags=tuple(p.tags),
                average_cost=p.average_cost,
                cost_basis=p.cost_basis,
                last_price=p.price if priced else None,
                last_price_time=p.price_at if priced else None,
                stale=p.stale,
                market_value=p.market_value,
                weight=weight,
                unrealized_pnl=p.unrealized_pnl,
                unrealized_pnl_percent=_pct(p.unrealized_return),
                day_change=p.day_change,
                day_change_percent=_pct(p.day_return),
                invested_weight=p.weight,
                periods=_periods(p.periods),
                exchange_rate=_rate(p.fx_rate),
                local_return=p.local_return,
                currency_effect=p.currency_effect,
            )
        )
    r = s.risk
    risk = ContextRisk(
        observation_count=r.observations,
        start_date=r.start,
        end_date=r.end,
        risk_free_rate=r.risk_free_annual,
        benchmark_symbol=s.benchmark_symbol,
        figures={
            "time_weighted_return": _figure(r.cumulative_return),
            "volatility": _figure(r.volatility),
            "sharpe": _figure(r.sharpe),
            "sortino": _figure(r.sortino),
            "max_drawdown": _figure(r.max_drawdown),
            "current_drawdown": _figure(r.current_drawdown),
            "cagr": _figure(r.cagr),
            "calmar": _figure(r.calmar, no_drawdown=view.calmar_no_drawdown),
            "var_95": _figure(r.var_95),
            "cvar_95": _figure(r.cvar_95),
            "beta": _figure(r.beta),
            "alpha": _figure(r.alpha),
        },
    )
    at = taken_at if taken_at is not None else s.as_of
    return bounded(PortfolioContext(
        snapshot_time=at,
        base_currency=s.base_currency,
        total_value=s.total_value,
        total_return_amount=s.total_gain,
        total_return_percent=_pct(s.total_return),
        day_change_amount=s.day_change,
        day_change_percent=_pct(s.day_return),
        positions=tuple(positions),
        risk=risk,
        cash=s.cash,
        cash_weight=s.cash_weight,
        invested_value=s.invested_value,
        periods=_periods(s.periods),
        benchmark=ContextBenchmark(s.benchmark_symbol, _periods(s.benchmark_periods).returns)
        if s.benchmark_periods else None,
        baskets=tuple(_group(g, w, g.name) for g, w in zip(s.baskets, view.basket_weights, strict=True)),
        sectors=tuple(
            _group(g, w, view.sector_name(g.name)) for g, w in zip(s.sectors, view.sector_weights, strict=True)
        ),
        insights=tuple(
            ContextInsight(
                code=i.code,
                severity=i.severity.value,
                message=i.message,
                subject=(view.sector_name(i.subject) if i.code == "SECTOR_CONCENTRATION" else i.subject)
                if i.subject else "",
                numbers=dict(i.numbers),
            )
            for i in s.insights
        ),
        diversification=_diversification(s.diversification) if s.diversification.position_count else None,
        ledger=_ledger(s),
    ))


def _ledger(s: PortfolioSummary) -> dict[str, object] | None:
    """Realised P&L, income and fees (ledger portfolios), XIRR and the currency split, as JSON values."""
    out: dict[str, object] = {}
    if s.ledger is not None:
        out.update(realized_pnl=str(s.ledger.realized_pnl), income=str(s.ledger.income), fees=str(s.ledger.fees))
    for key, m in (("money_weighted_return", s.money_weighted_return), ("local_return", s.local_return),
                   ("currency_effect", s.currency_effect)):
        if m.value is not None:
            out[key] = m.value
    return out or None


class PortfolioServiceContext:
    """:class:`~stack_cfo.core.chat.ports.PortfolioContextSource` over the portfolio service."""

    def __init__(self, service: _SummarySource, clock: Clock) -> None:
        self._service = service
        self._clock = clock

    async def snapshot(self, user_id: str) -> PortfolioContext | None:
        taken = self._clock.now()
        try:
            view = await self._service.summary(user_id)
        except NotFound as exc:
            if exc.reason == "PORTFOLIO_NOT_FOUND":
                return None
            raise
        if len(view.summary.positions) <= INLINE_POSITIONS:
            return context_from_view(view, taken_at=taken)
        # a large portfolio's snapshot (and its size bound) in a thread, as its summary is computed:
        # 10,000 positions held the event loop half a second for everyone (its CPU charged to the caller)
        made = functools.partial(cpu_meter.metered_call, context_from_view, view, taken_at=taken)
        return await compute_pool.run(made)
