"""Performance history for charts: value, cumulative TWR, drawdown and the benchmark, over a range.

**Ranges** end at the as-of market date ``d``. The rolling ones count back from ``v``, the last
valuation day on or before ``d`` (Friday on a weekend; the last close of a portfolio whose prices
stopped): 1W ``v - 7 days``; 1M / 3M / 1Y the same day 1 / 3 / 12 calendar months before ``v``
(clamped to the month's last day). YTD starts on December 31 of ``d``'s previous year; ALL on
the first valuation day; or explicit dates. The first point (the *anchor*) is the last
valuation day on or before the start, so "YTD" is measured from the last
close of the previous year, as brokers do; if the history begins after the start, the anchor
is the first valuation day.

**Ratios are rebased to the anchor:** ``cumulative_twr`` is 0 there, and ``drawdown`` is measured
from the running peak of the TWR index since the anchor (computed on *daily* data even when
points are weekly, so a mid-week trough is not lost between samples). Drawdown uses the TWR
index, never raw value, so deposits cannot hide losses.

**Weekly** points are the anchor plus the last valuation day of every ISO week after the
anchor's (the current, partial week ends on the latest day): one point per ISO week, the
anchor standing for its own week.

**Benchmark**: ``B(x) / B(anchor) - 1`` with ``B(x)`` the benchmark's close dated ``x``;
``None`` where the benchmark has no close on that day or on the anchor's (no carry-forward: a
chart shows a gap rather than a flat line the benchmark never drew).

``value`` is the exact Decimal value on that day (:meth:`~.valuation.ValuationSeries.exact_value`);
``net_flow`` is the sum of flows booked after the previous point up to and including this one.
``local_cumulative`` chains the local-currency returns (each day's exchange rates held at the
previous day's; see :mod:`.valuation`) like ``cumulative_twr``; ``None`` from the first day
since the anchor when an amount held had no exchange rate (that amount is left out of the day's
value, see :mod:`.valuation`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, localcontext
from enum import StrEnum

import numpy as np

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio.models import EXACT_DIGITS, PriceSeries
from stack_cfo.core.portfolio.results import HistoryPoint
from stack_cfo.core.portfolio.valuation import ValuationSeries


class HistoryRange(StrEnum):
    ONE_WEEK = "1W"
    ONE_MONTH = "1M"
    THREE_MONTHS = "3M"
    YEAR_TO_DATE = "YTD"
    ONE_YEAR = "1Y"
    ALL = "ALL"


class Interval(StrEnum):
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"


@dataclass(frozen=True, slots=True)
class DateRange:
    """Explicit inclusive dates (market dates)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidArgument.field("start", "must not be after end")


@dataclass(frozen=True, slots=True)
class PerformanceHistory:
    """Chart points plus what they cover."""

    start: date | None
    end: date
    interval: Interval
    benchmark_symbol: str | None
    points: tuple[HistoryPoint, ...]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to the month's length."""
    y, m = divmod(day.year * 12 + (day.month - 1) - months, 12)
    m += 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def range_bounds(
    spec: HistoryRange | DateRange, market_day: date, *, last_valuation: date | None = None
) -> tuple[date | None, date]:
    """``(start, end)`` of a range ending on ``market_day``; start ``None`` means from the beginning.

    The rolling ranges (1W, 1M, 3M, 1Y) count back from ``last_valuation`` when given (the latest
    valuation day on or before ``market_day``): on a Saturday "one month" is the month to Friday's
    close, and a portfolio whose prices stopped a while ago still gets a month of points. YTD
    stays on the calendar year of ``market_day``."""
    if isinstance(spec, DateRange):
        return spec.start, min(spec.end, market_day)
    if spec is not HistoryRange.YEAR_TO_DATE and spec is not HistoryRange.ALL and last_valuation is not None:
        start, _ = range_bounds(spec, min(last_valuation, market_day))
        return start, market_day
    match spec:
        case HistoryRange.ONE_WEEK:
            return market_day - timedelta(days=7), market_day
        case HistoryRange.ONE_MONTH:
            return months_before(market_day, 1), market_day
        case HistoryRange.THREE_MONTHS:
            return months_before(market_day, 3), market_day
        case HistoryRange.ONE_YEAR:
            return months_before(market_day, 12), market_day
        case HistoryRange.YEAR_TO_DATE:
            return date(market_day.year - 1, 12, 31), market_day
        case HistoryRange.ALL:
            return None, market_day
    raise InvalidArgument.field("range", f"unknown range {spec!r}")


def history_points(
    series: ValuationSeries,
    benchmark: PriceSeries | None,
    *,
    start: date | None,
    end: date,
    interval: Interval = Interval.DAILY,
) -> tuple[HistoryPoint, ...]:
    """Points from the anchor (last valuation day on or before ``start``) through ``end``."""
    last = series.index_on_or_before(end)
    if last < 0:
        return ()
    anchor = 0 if start is None else max(series.index_on_or_before(start), 0)
    if anchor > last:
        return ()
    wealth = _window_index(series.returns, series.return_index, anchor, last)
    local: np.ndarray | None = None
    if len(series.local_returns) == len(series.returns):
        local = _window_index(series.local_returns, series.return_index, anchor, last)
    peak = np.maximum.accumulate(wealth)
    drawdown = wealth / peak - 1.0

    chosen = _sample(series.days, anchor, last, interval)
    # the local chain of a point spans the days from the anchor: absent once any of them left an amount
    # out for a missing rate (as the summary's local_return, MISSING_EXCHANGE_RATE over its series)
    fx_ok = np.ones(len(series.days), dtype=bool)
    if series.fx_complete is not None:
        fx_ok[anchor:] = np.cumsum(~series.fx_complete[anchor:]) == 0

    bench_base: Decimal | None = None
    if benchmark is not None:
        bench_base = benchmark.close_on(series.days[anchor])  # no carry-forward (the contract)

    points = []
    prev = anchor - 1
    for i in chosen:
        with localcontext() as ctx:
            ctx.prec = EXACT_DIGITS
            flow = sum(series.flows_exact[prev + 1 : i + 1], Decimal(0))
        bench: float | None = None
        if benchmark is not None and bench_base is not None:
            b = benchmark.close_on(series.days[i])
            if b is not None:
                bench = float(b / bench_base - 1)
        k = i - anchor
        points.append(
            HistoryPoint(
                date=series.days[i],
                value=series.exact_value(i),
                cumulative_twr=float(wealth[k] - 1.0),
                drawdown=float(drawdown[k]),
                benchmark_cumulative=bench,
                net_flow=flow,
                local_cumulative=float(local[k] - 1.0) if local is not None and fx_ok[i] else None,
            )
        )
        prev = i
    return tuple(points)


def _window_index(returns: np.ndarray, return_index: np.ndarray, anchor: int, last: int) -> np.ndarray:
    """The TWR index over ``days[anchor..last]``, 1.0 at the anchor, chained from the window's own
    returns: a wipe-out (a return below -100 %) before the window does not zero it, one inside it
    holds it at 0 (-100 %) from there (never a negative index, never 0/0)."""
    growth = np.ones(last - anchor + 1, dtype=np.float64)
    lo, hi = np.searchsorted(return_index, [anchor + 1, last + 1])
    growth[return_index[lo:hi] - anchor] = np.maximum(1.0 + returns[lo:hi], 0.0)
    return np.cumprod(growth)


def _sample(days: tuple[date, ...], anchor: int, last: int, interval: Interval) -> list[int]:
    if interval is Interval.DAILY:
        return list(range(anchor, last + 1))
    chosen = [anchor]
    anchor_week = days[anchor].isocalendar()[:2]
    for i in range(anchor + 1, last + 1):
        nxt = i + 1
        week = days[i].isocalendar()[:2]
        if week == anchor_week:
            continue  # the base point stands for its week: one point per ISO week
        if nxt > last or days[nxt].isocalendar()[:2] != week:
            chosen.append(i)
    return chosen
