"""Exchange rates for valuation: one daily series per foreign currency, in units of the base
currency per unit of that currency, applied day by day.

**Rate on day d** = the latest rate dated on or before d (carried forward over weekends and
holidays, like closes). Before a currency's first rate there is *no* rate: whatever needs it is
left out and the currency is reported as missing (:attr:`FxTable.missing` collects them), never
converted at 1. The base currency converts to itself at exactly 1.

Series are :class:`~.models.PriceSeries` keyed by :func:`fx_key` (``#FX:EUR/USD``), so the
service caches and invalidates them exactly like price series; the key cannot collide with a
ticker (tickers start with a letter or digit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import numpy as np

from stack_cfo.core.portfolio.models import BoolArray, FloatArray, IntArray, PriceSeries

_ONE = Decimal(1)
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

