"""The PORTFOLIO DATA block: a context as the JSON document the model answers from.

Every number in it is a figure the portfolio core computed, rounded once for display, under a key
whose name says what it is, so the grounding check (``core.grounding``, which infers a fact's kind
from its key with ``kind_for_key``) can match an answer's figures against it:

* money: decimal strings with 2 decimals in ``base_currency`` (``total_value``, ``market_value``,
  ``cost_basis``, ``value``, ``unrealized_pnl``, ``change_<period>``) - AMOUNT facts;
* a position's prices per unit, ``last_price`` and ``average_cost``: decimal strings with 2 to 4
  decimals in the position's own currency, ``price_currency`` (listed when it is not ``base_currency``; it
  applies to these two and ``local_market_value`` only, the position's money fields being in
  ``base_currency``) - AMOUNT facts; such a position also has ``exchange_rate`` (base currency per unit,
  an AMOUNT in base currency: "1.10 dollars per euro", up to 8 decimals), ``local_return`` and
  ``currency_effect_return`` (fractions, named so that the key reads as a return);
* every ratio that is a share or a return is a **fraction** rounded to 4 decimals (``0.0123`` is
  1.23 %): ``weight``, ``invested_weight``, ``return_<period>``, ``excess_return_<period>``,
  ``return_contribution_<period>``, ``unrealized_return``, the risk figures - FRACTION facts
  (Sharpe, Sortino, Calmar and beta are RATIO facts, 4 decimals);
* counts end in ``_count`` or are ``observations`` - COUNT facts; the diversification score and
  its points are plain numbers.

``weight`` is always a share of ``total_value`` (cash included) and ``invested_weight`` a share of
``invested_value`` (positions only), the basis of the insights and the diversification score.
Periods are ``1d``, ``1w``, ``1m`` and ``ytd`` as defined in :mod:`stack_cfo.core.portfolio.periods`;
:data:`CONVENTIONS` tells the model the same in words.

Within the prompt budget: positions, baskets, sectors, each group's members and the insights are
listed largest (or most severe) first up to a limit; the rest are counted in a
``<list>_not_listed_count`` key, never listed. The limits are the first of :data:`LIMITS` whose
block fits :data:`MAX_DATA_TOKENS` (a large portfolio lists fewer members per group, then fewer
groups, then fewer positions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from stack_cfo.core.ai.prompt_data import encode_data
from stack_cfo.core.chat.context_figures import PERIOD_KEYS, ContextGroup, ContextInsight, PeriodFigures
from stack_cfo.core.chat.models import ContextPosition, PortfolioContext
from stack_cfo.core.chat.text import clean_label, estimate_tokens


@dataclass(frozen=True, slots=True)
class Limits:
    """How many items the block lists; the rest are counted, not listed."""

    positions: int
    """Positions (largest market value first)."""
    groups: int
    """Baskets, and sectors (largest first)."""
    members: int
    """Members under each basket or sector (largest first)."""
    insights: int
    """Insights (most severe first)."""


LIMITS: tuple[Limits, ...] = (
    Limits(positions=25, groups=10, members=10, insights=10),
    Limits(positions=25, groups=8, members=5, insights=10),
    Limits(positions=20, groups=6, members=3, insights=8),
    Limits(positions=15, groups=5, members=2, insights=6),
    Limits(positions=10, groups=4, members=1, insights=5),
)
"""Tried in order; the first whose block fits :data:`MAX_DATA_TOKENS` is used (else the last)."""
MAX_DATA_TOKENS = 6000
"""Estimated tokens (:func:`~.text.estimate_tokens`) the block may take in a prompt of 16,000."""
MAX_PROMPT_POSITIONS = LIMITS[0].positions
"""Positions listed in the data block at most (largest first); the rest are counted, not listed."""

CONVENTIONS = (
    "Money fields (total_value, market_value, cost_basis, value, unrealized_pnl, change_*) are decimal strings in "
    "base_currency. A position's last_price and average_cost are per unit, in its price_currency when it has "
    "one, else in base_currency; its cost_basis is what the units held cost in total. Shares and returns are "
    "fractions: 0.0123 means 1.23%. weight is a share of total_value "
    "(cash included); invested_weight is a share of invested_value (positions only), which the insights and "
    "the diversification score use: say which one you quote. Periods: _1d since the previous close; _1w since "
    "the last close on or before the same day a week earlier; _1m since the last close on or before the same "
    "day a month earlier; _ytd since the last close of the previous year. Period returns and changes are "
    "holdings-based (current quantities repriced; the portfolio's performance includes its cash). "
    "return_contribution_* is a position's change over the period divided by its basket's or sector's value "
    "at the start: the contributions add up to the group's return_*. excess_return_* is a return minus the "
    "benchmark's return over the same period. *_not_listed_count counts items left out for length (the "
    "largest are listed). Name holdings by symbol."
)
"""What the keys mean, told to the model with the block (constant text, no data)."""

FOREIGN_CONVENTIONS = (
    "A position with a price_currency has its money fields in base_currency too, and also exchange_rate "
    "(base_currency per unit of price_currency), local_market_value (in price_currency), local_return (its "
    "unrealized return in price_currency) and currency_effect_return (what the exchange rate added to "
    "unrealized_return). Its return_* are its price's own moves, in price_currency; its change_1d is in "
    "base_currency and includes the exchange rate's move since the previous close, so the two can differ in "
    "sign; its longer change_* value both ends at today's rate. A basket's or sector's change_* is the sum of its "
    "positions', and its return_* that change over its value at the start."
)
"""Added to :data:`CONVENTIONS` when the block lists a position in another currency (constant text)."""


def lists_foreign_positions(doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` lists a position in another currency than the base: the prompt then adds
    :data:`FOREIGN_CONVENTIONS` (the text most prompts need stays short)."""
    positions = doc.get("positions")
    return isinstance(positions, list) and any(isinstance(p, Mapping) and "price_currency" in p for p in positions)

_CENT = Decimal("0.01")
_PRICE_STEP = Decimal("0.0001")


def money(v: Decimal | None) -> str | None:
    """Money as shown in the block: 2 decimals, half-even."""
    return format(v.quantize(_CENT, rounding=ROUND_HALF_EVEN), "f") if v is not None else None


def _at_least_cents(v: Decimal | None, step: Decimal) -> str | None:
    """``v`` with 2 decimals, or up to ``step``'s when it has more, half-even; None when unknown."""
    if v is None or not v.is_finite():
        return None
    q = v.quantize(step, rounding=ROUND_HALF_EVEN)
    cents = q.quantize(_CENT)
    return format(cents if cents == q else q.normalize(), "f")


def unit_price(v: Decimal | None) -> str | None:
    """A price per unit as shown in the block: 2 decimals, or up to 4 when it has more (a price below a cent
    keeps its digits), half-even."""
    return _at_least_cents(v, _PRICE_STEP)


_RATE_STEP = Decimal("0.00000001")


def exchange_rate(v: Decimal | None) -> str | None:
    """An exchange rate as shown in the block: 2 decimals, or up to 8 when it has more (0.00073 KRW-like
    rates keep their digits), half-even."""
    return _at_least_cents(v, _RATE_STEP)


def fraction(v: float | None, digits: int = 4) -> float | None:
    """A ratio as shown in the block (4 decimals by default); ``None`` when undefined."""
    if v is None or not math.isfinite(v):
        return None
    return round(v, digits) + 0.0  # + 0.0 turns -0.0 into 0.0


def _from_percent(v: float | None) -> float | None:
    return fraction(v / 100.0) if v is not None else None


def _compact(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None and v != {} and v != []}


def _listed(
    doc: dict[str, Any], key: str, items: Sequence[Any], limit: int, render: Callable[[Any], dict[str, Any]]
) -> None:
    if items:
        doc[key] = [render(x) for x in items[:limit]]
    if len(items) > limit:
        doc[f"{key}_not_listed_count"] = len(items) - limit


def _period_items(
    figures: PeriodFigures,
    *,
    benchmark: Mapping[str, float] | None = None,
    fallback_day: tuple[float | None, Decimal | None] = (None, None),
) -> dict[str, Any]:
    """``return_<p>``, ``change_<p>`` and, against the benchmark, ``excess_return_<p>`` per known period.

    ``fallback_day`` (return as a fraction, change) fills 1d for contexts stored before periods existed.
    """
    out: dict[str, Any] = {}
    for key in PERIOD_KEYS:
        ret = figures.returns.get(key)
        change = figures.changes.get(key)
        if key == "1d" and ret is None:
            ret, change = fallback_day
        if ret is None:
            continue
        out[f"return_{key}"] = fraction(ret)
        if change is not None:
            out[f"change_{key}"] = money(change)
        bench = benchmark.get(key) if benchmark is not None else None
        if bench is not None:
            out[f"excess_return_{key}"] = fraction(ret - bench)
    return out


def _position(p: ContextPosition, base_currency: str) -> dict[str, Any]:
    day = (p.day_change_percent / 100.0 if p.day_change_percent is not None else None, p.day_change)
    item: dict[str, Any] = {
        "symbol": clean_label(p.symbol, 32),
        "quantity": format(p.quantity.normalize(), "f"),
        "last_price": unit_price(p.last_price),
        "average_cost": unit_price(p.average_cost),
        "market_value": money(p.market_value),
        "cost_basis": money(p.cost_basis),
        "weight": fraction(p.weight),
        "invested_weight": fraction(p.invested_weight),
        "unrealized_pnl": money(p.unrealized_pnl),
        "unrealized_return": _from_percent(p.unrealized_pnl_percent),
        **_period_items(p.periods, fallback_day=day),
        "sector": clean_label(p.sector) if p.sector else None,
        "basket": clean_label(p.basket) if p.basket else None,
        "asset_class": clean_label(p.asset_class, 24) if p.asset_class else None,
        "price_currency": clean_label(p.currency, 8) if p.currency != base_currency else None,
        "price_stale": True if p.stale else None,
    }
    if p.currency != base_currency:
        local_value = p.quantity * p.last_price if p.last_price is not None else None
        item |= {
            "exchange_rate": exchange_rate(p.exchange_rate),
            "local_market_value": money(local_value),
            "local_return": fraction(p.local_return),
            "currency_effect_return": fraction(p.currency_effect),
        }
    return _compact(item)


def _group(g: ContextGroup, benchmark: Mapping[str, float] | None, members_limit: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": clean_label(g.name),
        "market_value": money(g.market_value),
        "weight": fraction(g.weight),
        "invested_weight": fraction(g.invested_weight),
        "position_count": g.position_count,
        "unrealized_pnl": money(g.unrealized_pnl),
        "unrealized_return": fraction(g.unrealized_return),
        **_period_items(g.periods, benchmark=benchmark),
    }
    doc = _compact(item)
    members = [m for m in g.members if m.contributions]
    _listed(doc, "positions", members, members_limit, lambda m: {
        "symbol": clean_label(m.symbol, 32),
        **{f"return_contribution_{k}": fraction(m.contributions[k]) for k in PERIOD_KEYS if k in m.contributions},
    })
    return doc


# Insight numbers under block keys whose kind is right (the core's keys are the contract's:
# ``weight`` there is a share of invested value, ``cash_weight`` would read as money...).
_INSIGHT_KEYS = {
    "weight": "invested_weight",
    "cash_weight": "weight",
    "week_return": "return_1w",
    "benchmark_week_return": "benchmark_return_1w",
    "difference": "excess_return_1w",
    "count": "position_count",
}
_THRESHOLD_KEYS = {
    "POSITION_CONCENTRATION": "threshold_invested_weight",
    "SECTOR_CONCENTRATION": "threshold_invested_weight",
    "DRAWDOWN": "threshold_drawdown",
    "BASKET_LAGGING_BENCHMARK": "threshold_excess_return",
    "POSITION_LAGGING_BENCHMARK": "threshold_excess_return",
    "IDLE_CASH": "threshold_weight",
}
_SUBJECT_KEYS = {
    "POSITION_CONCENTRATION": "symbol",
    "POSITION_LAGGING_BENCHMARK": "symbol",
    "SECTOR_CONCENTRATION": "sector",
    "BASKET_LAGGING_BENCHMARK": "basket",
}
_MONEY_KEYS = frozenset({"cash"})
_TEXT_KEYS = frozenset({"symbols"})


def _insight_number(key: str, raw: str) -> Any:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if key in _MONEY_KEYS:
        return money(value)
    if key.endswith("_count"):
        return int(value)
    if any(w in key for w in ("weight", "return", "drawdown", "contribution")):
        return fraction(float(value))
    return float(value)


def _insight(i: ContextInsight) -> dict[str, Any]:
    item: dict[str, Any] = {"code": i.code, "severity": i.severity}
    subject_key = _SUBJECT_KEYS.get(i.code)
    if subject_key and i.subject:
        item[subject_key] = clean_label(i.subject, 64)
    item["message"] = clean_label(i.message, 400)
    drags: dict[str, dict[str, Any]] = {}
    for key, raw in i.numbers.items():
        if key.startswith("worst_") and key.count("_") >= 2:  # worst_<k>_symbol|contribution|week_return
            rank, _, field = key[len("worst_"):].partition("_")
            drags.setdefault(rank, {})[field] = raw
            continue
        if key in _TEXT_KEYS:
            item[key] = clean_label(raw, 200)
            continue
        name = _THRESHOLD_KEYS.get(i.code, key) if key == "threshold" else _INSIGHT_KEYS.get(key, key)
        value = _insight_number(name, raw)
        if value is not None:
            item[name] = value
    listed = []
    for _, d in sorted(drags.items(), key=lambda kv: kv[0]):
        symbol = d.get("symbol")
        if not symbol:
            continue
        drag: dict[str, Any] = {"symbol": clean_label(symbol, 32)}
        for field, key in (("week_return", "return_1w"), ("contribution", "return_contribution_1w")):
            if field in d:
                drag[key] = _insight_number(key, d[field])
        listed.append(_compact(drag))
    if listed:
        item["drags"] = listed
    return _compact(item)


def _risk(context: PortfolioContext) -> dict[str, Any] | None:
    if context.risk is None:
        return None
    risk: dict[str, Any] = {"observations": context.risk.observation_count}
    for name, fig in context.risk.figures.items():
        risk[name] = fraction(fig.value) if fig.value is not None else f"unavailable ({fig.reason})"
    if context.risk.benchmark_symbol:
        risk["benchmark"] = clean_label(context.risk.benchmark_symbol, 16)
    return risk


def _ledger(context: PortfolioContext) -> dict[str, Any] | None:
    """Realised P&L, income and fees paid (money), and the money-weighted return (XIRR), local-currency
    return and currency effect (fractions): keys whose names give the grounding check their kinds."""
    raw = context.ledger
    if not raw:
        return None
    out: dict[str, Any] = {}
    for key, name in (("realized_pnl", "realized_pnl"), ("income", "income"), ("fees", "fees_paid")):
        try:
            out[name] = money(Decimal(str(raw[key]))) if key in raw else None
        except InvalidOperation:
            out[name] = None
    for key in ("money_weighted_return", "local_return", "currency_effect"):
        value = raw.get(key)
        out[key if key != "currency_effect" else "currency_effect_return"] = (
            fraction(float(value)) if isinstance(value, int | float) else None)
    return _compact(out) or None


def _diversification(context: PortfolioContext) -> dict[str, Any] | None:
    d = context.diversification
    if d is None:
        return None
    return _compact({
        "score": fraction(d.score, 1),
        # The score's two parts; not called "points", which a text reads as percentage points.
        "score_from_holdings": fraction(d.position_points, 2),
        "score_from_sectors": fraction(d.sector_points, 2),
        "position_count": d.position_count,
        "effective_position_count": fraction(d.effective_positions, 2),
        "effective_sector_count": fraction(d.effective_sectors, 2),
        "position_hhi": fraction(d.position_hhi),
        "sector_hhi": fraction(d.sector_hhi),
        "largest_symbol": clean_label(d.largest_symbol, 32) if d.largest_symbol else None,
        "largest_invested_weight": fraction(d.largest_invested_weight),
        "top5_invested_weight": fraction(d.top5_invested_weight),
    })


def _largest(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=lambda x: x.market_value or Decimal(0), reverse=True)


def context_document(context: PortfolioContext, now: datetime) -> dict[str, Any]:
    """The context as the JSON document the model sees (rounded for reading, no nulls), within
    :data:`MAX_DATA_TOKENS` when any of :data:`LIMITS` allows it.

    It depends on ``context`` only (``now`` is not shown: a block without a running age stays equal,
    and so do its facts, while the context is unchanged).
    """
    if context.is_empty:
        return {
            "available": False,
            "snapshot_time": context.snapshot_time.isoformat(timespec="seconds"),
            "note": "No portfolio data is on file for this investor. The data is insufficient: say so and "
            "do not invent holdings or figures.",
        }
    full = _document(context, LIMITS[0])
    doc = full
    for limits in LIMITS:
        doc = _trimmed(full, limits)  # later limits only list fewer of what is already rendered
        if estimate_tokens(encode_data(doc)) <= MAX_DATA_TOKENS:
            break
    return doc


def _cut(item: Mapping[str, Any], key: str, limit: int) -> dict[str, Any]:
    """``item`` with its list ``key`` cut to ``limit`` entries and ``<key>_not_listed_count`` updated."""
    out = dict(item)
    listed = out.get(key)
    if not isinstance(listed, list) or len(listed) <= limit:
        return out
    out[key] = listed[:limit]
    out[f"{key}_not_listed_count"] = out.get(f"{key}_not_listed_count", 0) + len(listed) - limit
    return out


def _trimmed(doc: Mapping[str, Any], limits: Limits) -> dict[str, Any]:
    out = _cut(_cut(doc, "positions", limits.positions), "insights", limits.insights)
    for key in ("baskets", "sectors"):
        out = _cut(out, key, limits.groups)
        if key in out:
            out[key] = [_cut(g, "positions", limits.members) for g in out[key]]
    return out


def _document(context: PortfolioContext, limits: Limits) -> dict[str, Any]:
    ccy = context.base_currency
    bench = context.benchmark.returns if context.benchmark is not None and context.benchmark.returns else None
    day = (
        context.day_change_percent / 100.0 if context.day_change_percent is not None else None,
        context.day_change_amount,
    )
    doc: dict[str, Any] = {
        "available": True,
        "snapshot_time": context.snapshot_time.isoformat(timespec="seconds"),
        "base_currency": ccy or None,
        "total_value": money(context.total_value),
        "invested_value": money(context.invested_value),
        "cash": _compact({"value": money(context.cash), "weight": fraction(context.cash_weight)}) or None,
        "unrealized_pnl": money(context.total_return_amount),
        "unrealized_return": _from_percent(context.total_return_percent),
        "performance": _period_items(context.periods, benchmark=bench, fallback_day=day) or None,
        "benchmark": {"symbol": clean_label(context.benchmark.symbol, 16),
                      **{f"return_{k}": fraction(v) for k, v in bench.items()}}
        if context.benchmark is not None and bench else None,
        "position_count": len(context.positions),
    }
    _listed(doc, "positions", _largest(context.positions), limits.positions, lambda p: _position(p, ccy))
    for key, groups in (("baskets", context.baskets), ("sectors", context.sectors)):
        _listed(doc, key, _largest(groups), limits.groups, lambda g: _group(g, bench, limits.members))
    doc["risk"] = _risk(context)
    doc["ledger"] = _ledger(context)
    doc["diversification"] = _diversification(context)
    _listed(doc, "insights", context.insights, limits.insights, _insight)
    return {k: v for k, v in doc.items() if v is not None}
