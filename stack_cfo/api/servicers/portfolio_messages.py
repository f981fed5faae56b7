"""Domain -> proto for ``PortfolioSummaryService``: summaries, history, insights, narrative events.

Money is rendered as decimal strings rounded half-even to 8 places, ratios stay fractions except
``*_percent`` fields, and an absent figure is an unset field or a Metric with its reason.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2
from stack_cfo.api.provenance import fee_in_0g, grounding_to_proto, receipt_to_proto, verification_to_proto
from stack_cfo.api.validation import (
    fill_date,
    format_decimal,
    to_timestamp,
)
from stack_cfo.core.decimals import WIDE
from stack_cfo.core.portfolio import (
    GroupSummary,
    HistoryView,
    Insight,
    Metric,
    PriceSource,
    RiskMetrics,
    Severity,
    SummaryView,
)
from stack_cfo.core.portfolio.inputs import MAX_SUMMARY_MESSAGE_BYTES
from stack_cfo.core.portfolio.views import NarrativeDone
from stack_cfo.core.portfolio.watch import WatchTrigger
from stack_cfo.core.provenance import GroundingRecord
from stack_cfo.core.wire import field_size, varint_size

_EIGHT_PLACES = Decimal("1e-8")
_NEURON = Decimal(10) ** -18


def portfolio_name(user_id: str) -> str:
    return f"users/{user_id}/portfolio"


def _money(value: Decimal | None) -> str:
    """Computed money: exact, rounded half-even to at most 8 fractional digits."""
    if value is None:
        return ""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        value = value.quantize(_EIGHT_PLACES, rounding=ROUND_HALF_EVEN, context=WIDE)
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


TRIGGERS = {
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


def _ledger(view: SummaryView, out: portfolio_pb2.PortfolioSummary) -> None:
    s = view.summary
    out.source = (portfolio_pb2.PORTFOLIO_SOURCE_LEDGER if s.source == "LEDGER"  # type: ignore[assignment]
                  else portfolio_pb2.PORTFOLIO_SOURCE_SNAPSHOTS)
    led = s.ledger
    out.realized_pnl_amount = _money(led.realized_pnl) if led is not None else "0"
    out.income_amount = _money(led.income) if led is not None else "0"
    out.fees_amount = _money(led.fees) if led is not None else "0"
    if led is not None:
        out.cost_basis_method = (portfolio_pb2.COST_BASIS_METHOD_FIFO if led.cost_method == "FIFO"  # type: ignore[assignment]
                                 else portfolio_pb2.COST_BASIS_METHOD_AVERAGE_COST)
        for x in led.symbols:
            out.ledger_positions.add(symbol=x.symbol, quantity=format_decimal(x.quantity.normalize()),
                                     realized_pnl_amount=_money(x.realized_pnl), income_amount=_money(x.income),
                                     currency=x.currency)
    _metric(s.money_weighted_return, out.money_weighted_return)
    _metric(s.local_return, out.local_return)
    _metric(s.currency_effect, out.currency_effect)
    out.missing_exchange_rates.extend(s.missing_currencies)


def summary_to_proto(view: SummaryView) -> portfolio_pb2.PortfolioSummary:
    s = view.summary
    out = portfolio_pb2.PortfolioSummary(
        portfolio=portfolio_name(view.user_id),
        as_of_time=to_timestamp(s.as_of),
        base_currency=s.base_currency,
        total_value=_money(s.total_value),
        positions_value=_money(s.invested_value),
        # synced cash as sent; a ledger's is computed (foreign cash converted), so rounded like all computed money
        cash_balance=_money(s.cash) if s.ledger is not None else format_decimal(s.cash),
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
    _ledger(view, out)
    ledger_rows = {x.symbol: x for x in s.ledger.symbols} if s.ledger is not None else {}
    for p, weight in zip(s.positions, view.position_weights, strict=True):
        priced = p.price_source in (PriceSource.QUOTE, PriceSource.CLOSE)
        pos = portfolio_pb2.PositionSummary(
            symbol=p.symbol,
            quantity=format_decimal(p.quantity),
            # a synced average cost is echoed as stored; a ledger's is computed (cost / units): rounded
            average_cost=_money(p.average_cost) if s.source == "LEDGER" else format_decimal(p.average_cost),
            cost_basis=_money(p.cost_basis),
            currency=p.currency,
            sector=view.sector_name(p.sector),
            asset_class=portfolio_pb2.AssetClass.Value(f"ASSET_CLASS_{p.asset_class or 'UNSPECIFIED'}"),
            basket=p.basket or "",
            tags=list(p.tags),
            # a stored price as stored; a computed one (split-adjusted, converted) rounded as other computed money
            last_price=(_money(p.price) if p.price_computed else format_decimal(p.price)) if priced else "",
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
        if p.fx_rate is not None:
            pos.exchange_rate = _money(p.fx_rate)
        if p.local_return is not None:
            pos.local_return_percent = p.local_return * 100.0
        if p.currency_effect is not None:
            pos.currency_effect_percent = p.currency_effect * 100.0
        figures = ledger_rows.get(p.symbol)
        if figures is not None:
            pos.realized_pnl_amount = _money(figures.realized_pnl)
            pos.income_amount = _money(figures.income)
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


#: The insight that says a summary was abridged to fit a 4 MiB response (see :func:`bounded_summary`).
ABRIDGED = "SUMMARY_ABRIDGED"


def _abridged(max_bytes: int, left_out: list[str], positions: int, positions_left_out: int,
              ledger: int = 0, ledger_left_out: int = 0) -> portfolio_pb2.Insight:
    parts = ["the positions' tags"] if "tags" in left_out else []
    if positions_left_out:
        parts.append(f"its {positions_left_out} smallest positions (of {positions})")
    if ledger_left_out:
        parts.append(f"{ledger_left_out} of its {ledger} ledger positions")
    if "group_symbols" in left_out:
        parts.append("details of its groups and insights")
    said = " and ".join(parts) if len(parts) < 3 else f"{', '.join(parts[:-1])} and {parts[-1]}"
    numbers = {"max_bytes": str(max_bytes), "left_out": ",".join(left_out),
               "position_count": str(positions), "positions_left_out": str(positions_left_out)}
    if ledger:
        numbers |= {"ledger_position_count": str(ledger), "ledger_positions_left_out": str(ledger_left_out)}
    return portfolio_pb2.Insight(
        code=ABRIDGED,
        severity=portfolio_pb2.INSIGHT_SEVERITY_INFO,
        message=f"This summary leaves out {said} to fit a 4 MiB response.",
        numbers=numbers,
    )


_EVERYTHING = ["tags", "positions", "ledger_positions", "group_symbols", "insight_symbols", "groups"]
#: The key of one ``ledger_positions`` item (field 24: two bytes).
_LEDGER_KEY = varint_size(portfolio_pb2.PortfolioSummary.LEDGER_POSITIONS_FIELD_NUMBER << 3)


def _ledger_weight(x: portfolio_pb2.SymbolLedgerFigures) -> Decimal:
    """How much a symbol's ledger figures say: its realised P&L and income, in absolute value."""
    total = Decimal(0)
    for text in (x.realized_pnl_amount, x.income_amount):
        try:
            total += abs(Decimal(text)) if text else 0
        except ArithmeticError:  # pragma: no cover - the service writes decimals here
            continue
    return total


def bounded_summary(
    full: portfolio_pb2.PortfolioSummary, max_bytes: int = MAX_SUMMARY_MESSAGE_BYTES
) -> portfolio_pb2.PortfolioSummary:
    """``full`` when it is at most ``max_bytes`` serialized (every portfolio of ordinary size: 10,000
    positions with short texts take about 1.8 MB); else a copy that fits, so that a default client (4
    MiB) can read every portfolio the service accepted. In order, as long as it does not fit: the
    positions' tags are left out; then the smallest positions (the largest by market value are kept,
    in order; totals, groups, risk and insights still describe the whole portfolio) and ledger
    positions: a kept position keeps its symbol's ledger figures, and the other ledger positions
    (closed ones, those of positions left out) fill the room left, those with the largest realised P&L
    and income (in absolute value) first, in their order (by symbol); then, only for groups and
    insights that alone nearly fill 4 MiB, the groups' and insights' symbol lists, and the smallest
    baskets, sectors and sector weights and the last insights. The copy says so in a last insight
    SUMMARY_ABRIDGED (INFO; numbers ``left_out``: "tags", "positions", "ledger_positions",
    "group_symbols", "insight_symbols", "groups", comma-separated; ``positions_left_out``,
    ``position_count``, ``max_bytes``, and for a ledger-based summary ``ledger_positions_left_out``
    and ``ledger_position_count``)."""
    if full.ByteSize() <= max_bytes:
        return full
    out = portfolio_pb2.PortfolioSummary()
    out.CopyFrom(full)
    positions = len(out.positions)
    left_out: list[str] = []
    for p in out.positions:
        if p.tags:
            del p.tags[:]
            if not left_out:
                left_out.append("tags")
    ledger = len(out.ledger_positions)
    # room for the insight that says so, with the widest numbers it may carry
    budget = max_bytes - field_size(_abridged(max_bytes, _EVERYTHING, positions, positions, ledger, ledger).ByteSize())
    position_bytes = [field_size(p.ByteSize()) for p in out.positions]
    ledger_bytes = [field_size(x.ByteSize(), _LEDGER_KEY) for x in out.ledger_positions]
    listed = sum(position_bytes) + sum(ledger_bytes)
    rest = out.ByteSize() - listed
    if rest + listed > budget and rest > budget:
        # groups and insights nearly fill the message on their own: their symbol lists go first
        for g in (*out.baskets, *out.sectors):
            del g.symbols[:]
        left_out.append("group_symbols")
        rest = out.ByteSize() - listed
        if rest > budget:
            for i in out.insights:
                del i.symbols[:]
                i.numbers.pop("symbols", None)
            left_out.append("insight_symbols")
            rest = out.ByteSize() - listed
        if rest > budget:
            left_out.append("groups")
            for items in (out.baskets, out.sectors, out.diversification.sector_weights, out.insights):
                # the tail of each list (the smallest groups, the least severe insights) until it fits
                keep = len(items)
                while keep and rest > budget:
                    keep -= 1
                    item = field_size(items[keep].ByteSize())
                    # a sub-message's length prefix may shrink too: measured again below
                    rest -= item
                del items[keep:]
                rest = out.ByteSize() - listed
    # the largest positions, each with its symbol's ledger figures; then the other ledger figures
    ledger_of = {x.symbol: k for k, x in enumerate(out.ledger_positions)}
    kept_ledger: set[int] = set()
    kept, room = 0, budget - rest
    for p, n in zip(out.positions, position_bytes, strict=True):
        k = ledger_of.get(p.symbol)
        with_ledger = n + (ledger_bytes[k] if k is not None and k not in kept_ledger else 0)
        if with_ledger > room:
            break
        room -= with_ledger
        kept += 1
        if k is not None:
            kept_ledger.add(k)
    others = sorted((k for k in range(ledger) if k not in kept_ledger),
                    key=lambda k: _ledger_weight(out.ledger_positions[k]), reverse=True)
    for k in others:
        if ledger_bytes[k] > room:
            break
        room -= ledger_bytes[k]
        kept_ledger.add(k)
    at = 1 if left_out[:1] == ["tags"] else 0
    if kept < positions:
        del out.positions[kept:]
        left_out.insert(at, "positions")
        at += 1
    if len(kept_ledger) < ledger:
        figures = [x for k, x in enumerate(out.ledger_positions) if k in kept_ledger]  # in their order
        del out.ledger_positions[:]
        out.ledger_positions.extend(figures)
        left_out.insert(at, "ledger_positions")
    out.insights.append(_abridged(max_bytes, left_out, positions, positions - kept, ledger, ledger - len(kept_ledger)))
    return out


def history_to_proto(view: HistoryView, interval: int) -> portfolio_pb2.GetPerformanceHistoryResponse:
    out = portfolio_pb2.GetPerformanceHistoryResponse(
        portfolio=portfolio_name(view.user_id),
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
        if p.local_cumulative is not None:
            pt.local_cumulative_return = p.local_cumulative
    return out


def narrative_completed(done: NarrativeDone) -> portfolio_pb2.NarrativeCompleted:
    result = done.result
    out = portfolio_pb2.NarrativeCompleted(
        text=result.text,
        provider=result.provider,
        model=result.model,
        verification=verification_to_proto(result.verification.value),
        degraded=result.degraded,
        offline=result.offline,
        incomplete=result.incomplete,
        usage=common_pb2.TokenUsage(prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens),
        fee=fee_in_0g(result.fee_neuron, offline=result.offline),
        degraded_reason=done.degraded_reason,
    )
    grounding_to_proto(done.grounding or GroundingRecord.not_checked(), out.grounding)
    if done.receipt is not None:
        receipt_to_proto(done.receipt, out.receipt)
    return out


