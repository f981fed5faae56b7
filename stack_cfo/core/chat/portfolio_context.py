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
from decimal import Decimal
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
from stack_cfo.core.errors import NotFound
from stack_cfo.core.portfolio import GroupSummary, Metric, PeriodChange, PriceSource, SummaryView, compute_pool
from stack_cfo.core.portfolio.results import Diversification, PortfolioSummary
from stack_cfo.core.portfolio.service import INLINE_POSITIONS


class _SummarySource(Protocol):
    async def summary(self, user_id: str) -> SummaryView: ...


def _pct(x: float | None) -> float | None:
    return None if x is None else x * 100.0


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


#: The largest snapshot a session keeps, as JSON (never smaller than the message a client reads it in):
#: within what a session's reads may send, so no portfolio makes a session no call can read.
MAX_SNAPSHOT_JSON = 4 * 1024 * 1024


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def bounded(ctx: PortfolioContext, limit: int = MAX_SNAPSHOT_JSON) -> PortfolioContext:
    """``ctx`` within ``limit`` bytes of JSON: as it is when it fits (every portfolio of ordinary
    size); else without its positions' tags and its baskets' and sectors' member lists, and, if
    still too large, with its largest positions by market value only (in their order; the totals,
    groups and risk figures still describe the whole portfolio). The AI's prompt carries at most
    its largest positions anyway (``MAX_PROMPT_POSITIONS``)."""
    rough = sum(len(p.sector) + len(p.basket) + sum(len(t) for t in p.tags) + 800 for p in ctx.positions)
    if rough <= limit // 4:
        return ctx
    if _json_size(ctx.to_json()) <= limit:
        return ctx
    slim = dataclasses.replace(
        ctx,
        positions=tuple(dataclasses.replace(p, tags=()) for p in ctx.positions),
        baskets=tuple(dataclasses.replace(g, members=()) for g in ctx.baskets),
        sectors=tuple(dataclasses.replace(g, members=()) for g in ctx.sectors),
    )
    rest = _json_size(dataclasses.replace(slim, positions=()).to_json())
    sizes = [_json_size(position_json(p)) + 1 for p in slim.positions]
    if rest + sum(sizes) <= limit:
        return slim
    order = sorted(range(len(sizes)), key=lambda i: abs(slim.positions[i].market_value or Decimal(0)), reverse=True)
    room, keep = limit - rest, set()
    for i in order:
        if sizes[i] > room:
            break
        room -= sizes[i]
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
                exchange_rate=p.fx_rate,
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
        # 10,000 positions held the event loop half a second for everyone
        return await compute_pool.run(functools.partial(context_from_view, view, taken_at=taken))
