"""Exchange rates for valuation: one daily series per foreign currency, in units of the base
currency per unit of that currency, applied day by day.

**Rate on day d** = the latest rate dated on or before d (carried forward over weekends and
holidays, like closes). Before a currency's first rate there is *no* rate: whatever the valuation
needs it for is left out and the currency is reported as missing (:attr:`FxTable.missing` collects
them), never converted at 1. (A ledger's transactions dated before it convert at that first rate,
:meth:`FxTable.first_rate_on_or_after`: see :mod:`.ledger`.) The base currency converts to itself at
exactly 1.

Series are :class:`~.models.PriceSeries` keyed by :func:`fx_key` (``#FX:EUR/USD``), so the
service caches and invalidates them exactly like price series; the key cannot collide with a
ticker (tickers start with a letter or digit).
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

from stack_cfo.core.portfolio.models import BoolArray, FloatArray, IntArray, PricePoint, PriceSeries

_ONE = Decimal(1)
_CONVERTED_STEP = Decimal("1e-12")  # a converted price keeps 12 decimals: back in base, within 1e-8
FX_PREFIX = "#FX:"


def fx_key(currency: str, base_currency: str) -> str:
    """The series name of ``currency`` -> ``base_currency`` rates (``#FX:EUR/USD``)."""
    return f"{FX_PREFIX}{currency}/{base_currency}"


def is_fx_key(name: str) -> bool:
    return name.startswith(FX_PREFIX)


def currencies_of_key(name: str) -> tuple[str, str]:
    """``#FX:EUR/USD`` -> ``("EUR", "USD")``."""
    c, _, b = name[len(FX_PREFIX):].partition("/")
    return c, b


class FxTable:
    """Daily rates to one base currency, with the currencies found missing while it was used."""

    __slots__ = ("base", "missing", "series")

    def __init__(self, base: str, series: Mapping[str, PriceSeries] | None = None) -> None:
        self.base = base
        #: Currency -> its rates in units of base per unit.
        self.series: dict[str, PriceSeries] = dict(series or {})
        self.missing: set[str] = set()

    def rate(self, currency: str, day: date) -> Decimal | None:
        """Units of base per unit of ``currency`` on ``day``; ``None`` (and noted) without a rate."""
        value = self.rate_if_any(currency, day)
        if value is None:
            self.missing.add(currency)
        return value

    def rate_if_any(self, currency: str, day: date) -> Decimal | None:
        """As :meth:`rate`, without noting a missing rate (a look back that may predate the first one)."""
        if currency == self.base:
            return _ONE
        s = self.series.get(currency)
        return s.close_on_or_before(day) if s is not None else None

    def first_rate_on_or_after(self, currency: str, day: date) -> Decimal | None:
        """The earliest rate of ``currency`` dated on or after ``day`` (when ``day`` is before the
        currency's first rate, that first rate); ``None`` without one. Nothing is noted missing."""
        if currency == self.base:
            return _ONE
        s = self.series.get(currency)
        if s is None:
            return None
        i = bisect_left(s.dates, day)
        return s.closes[i] if i < len(s.dates) else None

    def flow_rate(self, currency: str, day: date, booked: date | None) -> Decimal | None:
        """The rate of a cash flow dated ``day``: the latest on or before it, else the first one
        recorded after it up to ``booked`` (the day the flow enters the returns, when its holdings
        already include it: converting it there is better than counting the deposit as a gain);
        ``None`` (and noted) without either."""
        if currency == self.base:
            return _ONE
        s = self.series.get(currency)
        if s is not None:
            value = s.close_on_or_before(day)
            if value is None and booked is not None and s.dates and s.dates[0] <= booked:
                value = s.closes[0]  # no rate on or before the day: the first one, which is after it
            if value is not None:
                return value
        self.missing.add(currency)
        return None

    def rows(self, currency: str, ordinals: IntArray) -> tuple[FloatArray, BoolArray]:
        """Float rates on each ordinal and whether one exists (rates 1.0 for the base currency)."""
        n = len(ordinals)
        if currency == self.base:
            return np.ones(n, dtype=np.float64), np.ones(n, dtype=bool)
        s = self.series.get(currency)
        if s is None or not s.dates:
            return np.full(n, np.nan, dtype=np.float64), np.zeros(n, dtype=bool)
        pos = s.ordinals.searchsorted(ordinals, side="right") - 1
        ok = pos >= 0
        out = np.where(ok, s.closes_float[np.maximum(pos, 0)], np.nan)
        return out, ok


def convert_series(series: PriceSeries, to_currency: str, rates: FxTable) -> PriceSeries:
    """``series`` (recorded in ``series.currency``) in ``to_currency``: each close at the cross rate of
    its day, each previous close at the previous day's, the quote at its own day's (all the latest
    on or before, as for values). A day without both rates is left out: never converted at 1.

    For a symbol held or traded in another currency than its prices were recorded in (the first
    trades came before any price, which then arrived in another currency): the valuation reads a
    series in the position's currency.
    """
    source = series.currency

    def cross(day: date) -> Decimal | None:
        a = rates.rate_if_any(source, day)
        b = rates.rate_if_any(to_currency, day)
        if a is None or b is None or not b:
            return None
        return a / b

    def convert(value: Decimal, rate: Decimal) -> Decimal:
        # 12 decimals at most, without trailing zeros: 90 GBP at 1.32/1.10 is 108 EUR, not 108.000000000000
        # (the figures computed from it would show eight zero decimals where a recorded price shows two)
        q = (value * rate).quantize(_CONVERTED_STEP, rounding=ROUND_HALF_EVEN).normalize()
        return q.quantize(_ONE) if q == q.to_integral_value() else q

    dates: list[date] = []
    closes: list[Decimal] = []
    previous: list[Decimal | None] = []
    for i, day in enumerate(series.dates):
        rate = cross(day)
        if rate is None:
            continue
        close = convert(series.closes[i], rate)
        if not close:
            continue
        dates.append(day)
        closes.append(close)
        prior = series.previous_closes[i] if series.previous_closes else None
        prior_rate = cross(day - timedelta(days=1)) if prior is not None else None
        previous.append(convert(prior, prior_rate) if prior is not None and prior_rate is not None else None)
    quote: PricePoint | None = None
    q = series.quote
    if q is not None and isinstance(q.at, datetime):  # a series' quote is always an instant
        day = q.at.date()
        quote_rate = cross(day)
        quote_close = convert(q.close, quote_rate) if quote_rate is not None else None
        if quote_close:
            prior_rate = cross(day - timedelta(days=1))
            prior = convert(q.previous_close, prior_rate) if q.previous_close is not None and prior_rate else None
            quote = dataclasses.replace(q, close=quote_close, previous_close=prior or None, currency=to_currency)
    return PriceSeries(
        symbol=series.symbol,
        dates=tuple(dates),
        closes=tuple(closes),
        previous_closes=tuple(previous) if any(x is not None for x in previous) else (),
        quote=quote,
        currency=to_currency,
        converted_from=series.currency,
    )
