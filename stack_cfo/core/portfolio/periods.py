"""Period boundaries, and holdings-based changes over them: 1 day, 1 week, 1 month, year to date.

**Start price** of a symbol for a period, given the market date ``price_day`` of the price it is
valued at now (a quote's or a daily bar's date) and the as-of market date ``day``:

* ``1d``: the previous close reported with that price, else the close before it (the day
  change's reference, see :mod:`.summary`); a stale price has no day change (start = now);
* ``1w``: the last daily close on or before ``day`` minus 7 calendar days (a week ago today);
* ``1m``: the last daily close on or before the same calendar day one month earlier, clamped to
  that month's end (as of 31 March: the last close on or before 28/29 February);
* ``ytd``: the last daily close on or before 31 December of the previous year (the previous
  year's last close).

Calendar days, not trading days: "a week ago" is the same weekday last week whatever holidays
fell in between. A start close must be dated before ``price_day`` (otherwise nothing moved since
it); a symbol without a close on or before the boundary (too short a history) has no start price.

**Holdings-based change** of a set of members (a basket, a sector, the portfolio) over a period.
With ``V_i`` a member's value now and ``S_i`` = its current quantity × its start price × fx
(trades during the period are not replayed), over the members ``K`` that have a start price::

    change          = Σ_K (V_i - S_i)
    period_return   = change / (Σ_K S_i + C)
    contribution_i  = (V_i - S_i) / (Σ_K S_i + C)

``C`` is 0 for a basket or a sector and today's cash for the whole portfolio (cash is assumed held
through the period and earns nothing). The contributions add up to the group's return: they
answer "which positions made my tech basket lag this week". Members without a start price are
left out of every figure. This is a price return of what is held now, not the time-weighted
return (``RiskMetrics.cumulative_return``), which accounts for trades and flows.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Context, Decimal

from stack_cfo.core.portfolio.models import PriceSeries
from stack_cfo.core.portfolio.results import Period, PeriodChange, PeriodContribution

PERIODS: tuple[Period, ...] = (Period.DAY, Period.WEEK, Period.MONTH, Period.YEAR_TO_DATE)
"""Every period, in the order summaries report them."""

_ZERO = Decimal(0)
_RATIO_CONTEXT = Context(prec=50)


def ratio(numerator: Decimal, denominator: Decimal) -> float | None:
    """``numerator / denominator`` as a float (from the exact quotient), ``None`` when dividing by zero."""
    if denominator == 0:
        return None
    return float(_RATIO_CONTEXT.divide(numerator, denominator))


def month_back(day: date) -> date:
    """The same calendar day one month earlier, clamped to that month's last day."""
    year, month = (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_boundary(period: Period, day: date) -> date | None:
    """The calendar date whose last close starts ``period`` as of market date ``day`` (``None`` for 1d)."""
    if period is Period.WEEK:
        return day - timedelta(days=7)
    if period is Period.MONTH:
        return month_back(day)
    if period is Period.YEAR_TO_DATE:
        return date(day.year - 1, 12, 31)
    return None


def start_close(series: PriceSeries, boundary: date, price_day: date) -> Decimal | None:
    """The last close on or before ``boundary``, if it is dated before ``price_day``."""
    found = start_point(series, boundary, price_day)
    return found[1] if found is not None else None


def start_point(series: PriceSeries, boundary: date, price_day: date) -> tuple[date, Decimal] | None:
    """(day, close) of :func:`start_close`."""
    i = series.index_on_or_before(boundary)
    if i < 0 or series.dates[i] >= price_day:
        return None
    return series.dates[i], series.closes[i]


@dataclass(frozen=True, slots=True)
class Member:
    """One position as a period aggregate sees it."""

    symbol: str
    #: Value now (base currency).
    value: Decimal
    #: Value at the period start at the current quantity; ``None`` without a start price.
    start: Decimal | None
    #: The position's own price return over the period.
    period_return: float | None


def combine(
    period: Period, members: Sequence[Member], *, cash: Decimal = _ZERO, contributions: bool = True
) -> PeriodChange:
    """The holdings-based change of ``members`` (see the module docstring); ``cash`` joins the base."""
    known = [(m, m.start) for m in members if m.start is not None]
    change = sum((m.value - start for m, start in known), _ZERO)
    base = sum((start for _, start in known), _ZERO) + cash
    if not known or base <= 0:
        return PeriodChange(period, change, None, len(known))
    parts: tuple[PeriodContribution, ...] = ()
    if contributions:
        listed = [
            PeriodContribution(m.symbol, m.period_return, m.value - start, ratio(m.value - start, base) or 0.0)
            for m, start in known
        ]
        listed.sort(key=lambda c: (c.contribution, c.symbol))
        parts = tuple(listed)
    return PeriodChange(period, change, ratio(change, base), len(known), parts)
