"""Deterministic insight rules. Same numbers in, same insights out, in the same order.

Each rule has a stable ``code`` (clients switch on it), a severity, a one-line message and the
numbers that triggered it (decimal strings: fractions with 6 dp, money with 2 dp). Thresholds
come from :class:`~.settings.InsightThresholds`.

==========================  =========  =====================================================
code                        severity   fires when
==========================  =========  =====================================================
POSITION_CONCENTRATION      WARNING /  a position's weight (of invested value) > position_weight
                            CRITICAL   (CRITICAL above position_weight_critical); one per position
SECTOR_CONCENTRATION        WARNING    a sector's weight > sector_weight ("Unclassified" is
                                       skipped: it is missing data, not a bet)
DRAWDOWN                    WARNING /  current drawdown of the TWR index <= drawdown_warning
                            CRITICAL   (CRITICAL at <= drawdown_critical)
BASKET_LAGGING_BENCHMARK    INFO       a basket's week return trails the benchmark's by more
                                       than basket_lag; names the worst contributors
POSITION_LAGGING_BENCHMARK  INFO       a position of weight >= position_lag_min_weight trails
                                       the benchmark's week return by more than position_lag
                                       (at most max_lagging_positions, worst first)
MISSING_PRICE               WARNING    positions with no price (valued at cost or not at all)
STALE_PRICES                WARNING    positions whose latest price is older than stale_after
MISSING_COST_BASIS          INFO       positions without an average cost (left out of total return)
IDLE_CASH                   INFO       positive cash > idle_cash of total value
MISSING_EXCHANGE_RATE       WARNING    money in a currency without a recorded exchange rate (left
                                       out of the value and returns, never converted at 1)
==========================  =========  =====================================================

Order: severity (CRITICAL first), then the table's order, then subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from stack_cfo.core.portfolio.models import shown, to_cents
from stack_cfo.core.portfolio.results import GroupSummary, Insight, PositionSummary, PriceSource, RiskMetrics, Severity
from stack_cfo.core.portfolio.settings import InsightThresholds
from stack_cfo.core.portfolio.summary import UNCLASSIFIED_SECTOR

RULE_ORDER = (
    "POSITION_CONCENTRATION",
    "SECTOR_CONCENTRATION",
    "DRAWDOWN",
    "BASKET_LAGGING_BENCHMARK",
    "POSITION_LAGGING_BENCHMARK",
    "MISSING_PRICE",
    "STALE_PRICES",
    "MISSING_COST_BASIS",
    "IDLE_CASH",
    "MISSING_EXCHANGE_RATE",
)
_MAX_LISTED = 10


def frac(x: float) -> str:
    """A fraction as the decimal string used in ``Insight.numbers``."""
    return f"{x:.6f}"


def pct(x: float, *, signed: bool = False) -> str:
    """A fraction as a percentage for messages: 0.1234 -> '12.3%'."""
    v = shown(x * 100, 1)
    return f"{v:+.1f}%" if signed else f"{v:.1f}%"


def points(x: float) -> str:
    """A difference of fractions in percentage points: -0.053 -> '5.3 points'."""
    return f"{abs(x) * 100:.1f} points"


def _name(text: str) -> str:
    """A user-supplied name (basket, sector, symbol) on one line, for messages."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())[:64]


def _listed(symbols: Sequence[str]) -> str:
    shown = ", ".join(_name(s) for s in symbols[:_MAX_LISTED])
    return shown + (f" and {len(symbols) - _MAX_LISTED} more" if len(symbols) > _MAX_LISTED else "")


def generate_insights(
    *,
    positions: Sequence[PositionSummary],
    baskets: Sequence[GroupSummary],
    sectors: Sequence[GroupSummary],
    risk: RiskMetrics,
    cash: Decimal,
    cash_weight: float | None,
    benchmark_symbol: str,
    benchmark_week_return: float | None,
    as_of: datetime,
    thresholds: InsightThresholds,
    missing_currencies: Sequence[str] = (),
) -> tuple[Insight, ...]:
    t = thresholds
    out: list[Insight] = []

    for p in positions:
        if p.weight is not None and p.weight > t.position_weight:
            critical = p.weight > t.position_weight_critical
            limit = t.position_weight_critical if critical else t.position_weight
            out.append(
                Insight(
                    code="POSITION_CONCENTRATION",
                    severity=Severity.CRITICAL if critical else Severity.WARNING,
                    message=f"{_name(p.symbol)} is {pct(p.weight)} of your invested portfolio, "
                    f"above the {pct(limit)} guideline.",
                    numbers={"weight": frac(p.weight), "threshold": frac(limit)},
                    subject=p.symbol,
                )
            )

    for g in sectors:
        if g.name != UNCLASSIFIED_SECTOR and g.weight is not None and g.weight > t.sector_weight:
            out.append(
                Insight(
                    code="SECTOR_CONCENTRATION",
                    severity=Severity.WARNING,
                    message=f"{_name(g.name)} is {pct(g.weight)} of your invested portfolio, above the "
                    f"{pct(t.sector_weight)} guideline.",
                    numbers={"weight": frac(g.weight), "threshold": frac(t.sector_weight)},
                    subject=g.name,
                )
            )

    cur = risk.current_drawdown.value
    if cur is not None and cur <= t.drawdown_warning:
        critical = cur <= t.drawdown_critical
        limit = t.drawdown_critical if critical else t.drawdown_warning
        numbers = {"current_drawdown": frac(cur), "threshold": frac(limit)}
        if risk.max_drawdown.value is not None:
            numbers["max_drawdown"] = frac(risk.max_drawdown.value)
        out.append(
            Insight(
                code="DRAWDOWN",
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                message=f"Your portfolio is {pct(abs(cur))} below its peak (time-weighted, deposits excluded).",
                numbers=numbers,
            )
        )

    if benchmark_week_return is not None:
        out.extend(_lagging_baskets(baskets, benchmark_symbol, benchmark_week_return, t))
        out.extend(_lagging_positions(positions, benchmark_symbol, benchmark_week_return, t))

    held = [p for p in positions if p.quantity != 0]  # zero-quantity rows (watchlist) raise nothing
    unpriced = [p.symbol for p in held if p.price_source in (PriceSource.COST_BASIS, PriceSource.NONE)]
    if unpriced:
        out.append(
            Insight(
                code="MISSING_PRICE",
                severity=Severity.WARNING,
                message=f"No price for {_listed(unpriced)}; valued at cost where known, otherwise left out.",
                numbers={"count": str(len(unpriced)), "symbols": ",".join(unpriced)},
            )
        )

    stale = [p for p in held if p.stale]
    if stale:
        oldest = min(p.price_at for p in stale if p.price_at is not None)
        age_days = (as_of - oldest).total_seconds() / 86400.0
        symbols = [p.symbol for p in stale]
        out.append(
            Insight(
                code="STALE_PRICES",
                severity=Severity.WARNING,
                message=f"Prices for {_listed(symbols)} are out of date (oldest {age_days:.1f} days); "
                "their day change counts as zero.",
                numbers={"count": str(len(stale)), "symbols": ",".join(symbols), "oldest_age_days": f"{age_days:.2f}"},
            )
        )

    no_cost = [p.symbol for p in held if p.average_cost is None]
    if no_cost:
        out.append(
            Insight(
                code="MISSING_COST_BASIS",
                severity=Severity.INFO,
                message=f"No cost basis for {_listed(no_cost)}, so total return leaves "
                        f"{'it' if len(no_cost) == 1 else 'them'} out.",
                numbers={"count": str(len(no_cost)), "symbols": ",".join(no_cost)},
            )
        )

    # idle means positive cash: margin debt over a negative total also gives a positive ratio
    if cash_weight is not None and cash > 0 and cash_weight > t.idle_cash:
        out.append(
            Insight(
                code="IDLE_CASH",
                severity=Severity.INFO,
                message=f"{pct(cash_weight)} of your portfolio is cash.",
                numbers={"cash": str(to_cents(cash)), "cash_weight": frac(cash_weight), "threshold": frac(t.idle_cash)},
            )
        )

    if missing_currencies:
        codes = sorted(missing_currencies)
        out.append(
            Insight(
                code="MISSING_EXCHANGE_RATE",
                severity=Severity.WARNING,
                message=f"No exchange rate recorded for {_listed(codes)}; money in "
                f"{'them' if len(codes) > 1 else 'it'} is left out where a rate is missing.",
                numbers={"count": str(len(codes)), "currencies": ",".join(codes)},
            )
        )

    order = {code: i for i, code in enumerate(RULE_ORDER)}
    out.sort(key=lambda i: (-i.severity.rank, order[i.code], i.subject or ""))
    return tuple(out)


def _lagging_baskets(
    baskets: Sequence[GroupSummary], bench: str, bench_week: float, t: InsightThresholds
) -> list[Insight]:
    out = []
    for g in baskets:
        if g.week_return is None:
            continue
        gap = g.week_return - bench_week
        if gap >= -t.basket_lag:
            continue
        worst = [c for c in g.week_contributors if c.contribution < 0][: t.worst_contributors]
        numbers = {
            "week_return": frac(g.week_return),
            "benchmark_week_return": frac(bench_week),
            "difference": frac(gap),
            "threshold": frac(t.basket_lag),
        }
        parts = []
        for k, c in enumerate(worst, start=1):
            numbers[f"worst_{k}_symbol"] = c.symbol
            numbers[f"worst_{k}_contribution"] = frac(c.contribution)
            if c.week_return is not None:
                numbers[f"worst_{k}_week_return"] = frac(c.week_return)
            ret = f"{pct(c.week_return, signed=True)}, " if c.week_return is not None else ""
            parts.append(f"{_name(c.symbol)} ({ret}{shown(c.contribution * 100, 1):+.1f} points)")
        why = f"; biggest drags: {', '.join(parts)}" if parts else ""
        out.append(
            Insight(
                code="BASKET_LAGGING_BENCHMARK",
                severity=Severity.INFO,
                message=f"Your {_name(g.name)} basket is {pct(g.week_return, signed=True)} this week vs "
                f"{_name(bench)} {pct(bench_week, signed=True)} ({points(gap)} behind){why}.",
                numbers=numbers,
                subject=g.name,
            )
        )
    return out


def _lagging_positions(
    positions: Sequence[PositionSummary], bench: str, bench_week: float, t: InsightThresholds
) -> list[Insight]:
    lagging = [
        p
        for p in positions
        if p.week_return is not None
        and p.weight is not None
        and p.weight >= t.position_lag_min_weight
        and p.week_return - bench_week < -t.position_lag
    ]
    lagging.sort(key=lambda p: (p.week_return or 0.0, p.symbol))
    out = []
    for p in lagging[: t.max_lagging_positions]:
        assert p.week_return is not None and p.weight is not None
        gap = p.week_return - bench_week
        out.append(
            Insight(
                code="POSITION_LAGGING_BENCHMARK",
                severity=Severity.INFO,
                message=f"{_name(p.symbol)} is {pct(p.week_return, signed=True)} this week vs {_name(bench)} "
                f"{pct(bench_week, signed=True)} ({points(gap)} behind).",
                numbers={
                    "week_return": frac(p.week_return),
                    "benchmark_week_return": frac(bench_week),
                    "difference": frac(gap),
                    "weight": frac(p.weight),
                    "threshold": frac(t.position_lag),
                },
                subject=p.symbol,
            )
        )
    return out
