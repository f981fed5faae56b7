"""Daily valuation history, external flows and time-weighted daily returns.

**Valuation days.** Day d is a valuation day when some symbol held on d (non-zero quantity in
the snapshot in force) has a daily bar dated d, between the first snapshot's effective date and
the as-of market date. Days with no bar for anything held (weekends, holidays) carry no
information and are skipped; an all-cash stretch has no valuation days.

**Value on day d** = Σ quantity × close × fx + cash, from the latest snapshot effective on or
before d. A symbol without a bar on d uses its **last known close** (carried forward over missing
days); before its first bar it uses that first bar (so it contributes no return until then). A
symbol with no bars at all is valued at its average cost (constant; no return), or at zero when
the cost is unknown too. Foreign positions use the spot rate in ``fx_to_base``.

**Flows.** A cash flow dated f is *booked* on the first valuation day on or after the effective
date of the first snapshot effective on or after f: that is the first day whose holdings can
contain the deposit (holdings arrive by sync, so a deposit dated Tuesday and first seen in
Thursday's sync is in the value only from Thursday). Flows no snapshot reflects yet, flows after
the as-of date and flows booked on the first valuation day (initial capital) do not enter any
return.

**Time-weighted return, flows at the end of the day.** With V_d the value and F_d the net flow
booked on d (+ deposit, - withdrawal)::

    r_d = (V_d - F_d) / V_{d-1} - 1

A flow is assumed to arrive at the close, so it earns nothing that day: a deposit on a flat day
is a 0 % return, and the cumulative TWR is the product of these sub-period returns. Days whose
previous value is zero or negative have no return (skipped; the TWR index stays flat). A return
below -100 % (only possible with inconsistent data) is clamped to -100 %.

Values are float64 here (returns are ratios; relative error ~1e-16). Exact Decimal values for
display come from :meth:`ValuationSeries.exact_value`.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

import numpy as np

from stack_cfo.core.errors import FailedPrecondition
from stack_cfo.core.portfolio.models import (
    CashFlow,
    FloatArray,
    HoldingsSnapshot,
    IntArray,
    PortfolioInputs,
    Position,
    PriceSeries,
)

_ZERO = Decimal(0)
_ONE = Decimal(1)


def market_date(at: date | datetime, tz: tzinfo) -> date:
    """The market-local date of a date (itself) or an aware instant."""
    if isinstance(at, datetime):
        return at.astimezone(tz).date()
    return at


def fx_rate(position: Position, base_currency: str, fx_to_base: Mapping[str, Decimal] | None) -> Decimal:
    """Units of base currency per unit of the position's currency."""
    if position.currency == base_currency:
        return _ONE
    rate = (fx_to_base or {}).get(position.currency)
    if rate is None:
        raise FailedPrecondition(
            f"no FX rate from {position.currency} to {base_currency} for {position.symbol}",
            reason="FX_RATE_MISSING",
            metadata={"currency": position.currency, "base_currency": base_currency, "symbol": position.symbol},
        )
    return rate


@dataclass(frozen=True, slots=True)
class ValuationSeries:
    """Daily values, booked flows and TWR returns. Arrays are aligned with ``days`` unless noted."""

    days: tuple[date, ...]
    ordinals: IntArray
    #: End-of-day value in base currency (positions at the close + cash).
    values: FloatArray
    #: Net external flow booked on each day (+ deposit, - withdrawal).
    flows: FloatArray
    #: Exact booked flows, per day.
    flows_exact: tuple[Decimal, ...]
    #: Index into ``snapshots`` of the holdings used on each day.
    snapshot_index: IntArray
    #: Daily TWR returns, one per day whose previous day has a positive value (not aligned with days).
    returns: FloatArray
    #: For each return, the index in ``days`` of the day it ends on (it starts on the day before).
    return_index: IntArray
    #: TWR index per day: 1.0 on the first day, times (1 + r) on every day with a return.
    wealth: FloatArray
    snapshots: tuple[HoldingsSnapshot, ...] = field(repr=False)
    symbols: tuple[str, ...] = field(repr=False)
    #: (days × symbols) index into each symbol's closes; -1 where the symbol has no prices.
    price_index: IntArray = field(repr=False)
    prices: dict[str, PriceSeries] = field(repr=False, compare=False)
    fx_to_base: dict[str, Decimal] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.days)

    @property
    def return_dates(self) -> tuple[date, ...]:
        return tuple(self.days[i] for i in self.return_index)

    def exact_value(self, i: int) -> Decimal:
        """The value on ``days[i]`` in exact Decimal arithmetic (same rules as ``values``)."""
        snap = self.snapshots[int(self.snapshot_index[i])]
        h = snap.holdings
        total = h.cash
        cols = {s: j for j, s in enumerate(self.symbols)}
        for p in h.positions:
            if p.quantity == 0:
                continue
            rate = fx_rate(p, h.base_currency, self.fx_to_base)
            j = cols[p.symbol]
            k = int(self.price_index[i, j])
            if k >= 0:
                total += p.quantity * self.prices[p.symbol].closes[k] * rate
            elif p.average_cost is not None:
                total += p.quantity * p.average_cost * rate
        return total

    def index_on_or_before(self, day: date) -> int:
        """Index of the last valuation day on or before ``day``; -1 if none."""
        return int(np.searchsorted(self.ordinals, day.toordinal(), side="right")) - 1


def _empty(
    snapshots: tuple[HoldingsSnapshot, ...], prices: dict[str, PriceSeries], fx: dict[str, Decimal]
) -> ValuationSeries:
    f = np.empty(0, dtype=np.float64)
    i = np.empty(0, dtype=np.int64)
    return ValuationSeries(
        days=(),
        ordinals=i,
        values=f,
        flows=f,
        flows_exact=(),
        snapshot_index=i,
        returns=f,
        return_index=i,
        wealth=f,
        snapshots=snapshots,
        symbols=(),
        price_index=np.empty((0, 0), dtype=np.int64),
        prices=prices,
        fx_to_base=fx,
    )


def build_valuation(inputs: PortfolioInputs, *, through: date, tz: tzinfo) -> ValuationSeries:
    """Value the portfolio on every valuation day up to and including ``through`` (a market date)."""
    snaps = tuple(s for s in inputs.holdings if s.effective <= through)
    prices = dict(inputs.prices)
    fx = dict(inputs.fx_to_base)
    if not snaps:
        return _empty(snaps, prices, fx)

    symbols = tuple(sorted({p.symbol for s in snaps for p in s.holdings.positions if p.quantity != 0}))
    col = {s: j for j, s in enumerate(symbols)}
    n_sym = len(symbols)
    priced = [s in prices and len(prices[s].dates) > 0 for s in symbols]

    eff_ord = np.fromiter((s.effective.toordinal() for s in snaps), dtype=np.int64, count=len(snaps))
    first, last = int(eff_ord[0]), through.toordinal()

    # Per snapshot: base-currency units held of each priced symbol, and a constant part
    # (cash plus unpriced positions at cost).
    units = np.zeros((len(snaps), n_sym), dtype=np.float64)
    constant = np.zeros(len(snaps), dtype=np.float64)
    for k, snap in enumerate(snaps):
        h = snap.holdings
        const = h.cash
        for p in h.positions:
            if p.quantity == 0:
                continue
            rate = fx_rate(p, h.base_currency, fx)
            j = col[p.symbol]
            if priced[j]:
                units[k, j] = float(p.quantity * rate)
            elif p.average_cost is not None:
                const += p.quantity * p.average_cost * rate
        constant[k] = float(const)

    # Candidate days: every bar date of a priced symbol inside [first, last].
    parts = []
    for j, s in enumerate(symbols):
        if priced[j]:
            o = prices[s].ordinals
            lo = int(np.searchsorted(o, first, side="left"))
            hi = int(np.searchsorted(o, last, side="right"))
            parts.append(o[lo:hi])
    if not parts:
        return _empty(snaps, prices, fx)
    cand = np.unique(np.concatenate(parts))
    if len(cand) == 0:
        return _empty(snaps, prices, fx)

    seg = np.searchsorted(eff_ord, cand, side="right") - 1
    held = units[seg] != 0.0  # (days × symbols)
    closes = np.zeros((len(cand), n_sym), dtype=np.float64)
    price_index = np.full((len(cand), n_sym), -1, dtype=np.int64)
    has_bar = np.zeros((len(cand), n_sym), dtype=bool)
    for j, s in enumerate(symbols):
        if not priced[j]:
            continue
        series = prices[s]
        o = series.ordinals
        pos = np.searchsorted(o, cand, side="right") - 1
        filled = np.maximum(pos, 0)  # before the first bar: back-fill with it
        has_bar[:, j] = (pos >= 0) & (o[filled] == cand)
        closes[:, j] = series.closes_float[filled]
        price_index[:, j] = filled

    keep = (held & has_bar).any(axis=1)
    cand = cand[keep]
    seg = seg[keep]
    closes = closes[keep]
    price_index = price_index[keep]
    n = len(cand)
    if n == 0:
        return _empty(snaps, prices, fx)
    values = np.einsum("ij,ij->i", units[seg], closes) + constant[seg]
    days = tuple(date.fromordinal(int(o)) for o in cand)

    flows = np.zeros(n, dtype=np.float64)
    flows_exact = [_ZERO] * n
    eff_dates = [s.effective for s in snaps]
    for f in inputs.cash_flows:
        booked = _booking_index(f, eff_dates, eff_ord, cand, through, tz)
        if booked is not None:
            flows[booked] += float(f.amount)
            flows_exact[booked] += f.amount

    returns, return_index, wealth = time_weighted_returns(values, flows)
    return ValuationSeries(
        days=days,
        ordinals=cand,
        values=values,
        flows=flows,
        flows_exact=tuple(flows_exact),
        snapshot_index=seg,
        returns=returns,
        return_index=return_index,
        wealth=wealth,
        snapshots=snaps,
        symbols=symbols,
        price_index=price_index,
        prices=prices,
        fx_to_base=fx,
    )


def _booking_index(
    flow: CashFlow,
    eff_dates: list[date],
    eff_ord: IntArray,
    day_ord: IntArray,
    through: date,
    tz: tzinfo,
) -> int | None:
    d = market_date(flow.at, tz)
    if d > through:
        return None
    j = bisect_left(eff_dates, d)  # first snapshot effective on or after the flow
    if j == len(eff_dates):
        return None  # no snapshot reflects it yet
    k = int(np.searchsorted(day_ord, eff_ord[j], side="left"))
    return k if k < len(day_ord) else None


def time_weighted_returns(values: FloatArray, flows: FloatArray) -> tuple[FloatArray, IntArray, FloatArray]:
    """End-of-day-flow TWR: ``r_d = (V_d - F_d) / V_{d-1} - 1`` where ``V_{d-1} > 0``.

    Returns ``(returns, return_index, wealth)``: the returns of the days that have one, the
    index of each such day, and the TWR index per day (1.0 on day 0).
    """
    n = len(values)
    if n < 2:
        return np.empty(0, dtype=np.float64), np.empty(0, dtype=np.int64), np.ones(n, dtype=np.float64)
    prev = values[:-1]
    ok = prev > 0.0
    safe_prev = np.where(ok, prev, 1.0)
    r_all = (values[1:] - flows[1:]) / safe_prev - 1.0
    np.maximum(r_all, -1.0, out=r_all)
    return_index = (np.nonzero(ok)[0] + 1).astype(np.int64)
    returns = r_all[ok]
    growth = np.ones(n, dtype=np.float64)
    growth[return_index] = 1.0 + returns
    wealth: FloatArray = np.cumprod(growth, dtype=np.float64)
    return returns, return_index, wealth


def benchmark_returns_for(series: ValuationSeries, benchmark: PriceSeries | None) -> FloatArray:
    """The benchmark's return over the same interval as each portfolio return; NaN when unshared.

    Return k runs from ``days[i-1]`` to ``days[i]`` (i = ``return_index[k]``); the benchmark
    return is ``B(days[i]) / B(days[i-1]) - 1`` when the benchmark has a bar on *both* dates.
    """
    m = len(series.returns)
    if benchmark is None or len(benchmark.dates) == 0 or m == 0:
        return np.full(m, np.nan, dtype=np.float64)
    o = benchmark.ordinals
    c = benchmark.closes_float
    end_ord = series.ordinals[series.return_index]
    start_ord = series.ordinals[series.return_index - 1]
    pe = np.minimum(np.searchsorted(o, end_ord, side="left"), len(o) - 1)
    ps = np.minimum(np.searchsorted(o, start_ord, side="left"), len(o) - 1)
    valid = (o[pe] == end_ord) & (o[ps] == start_ord)
    out = np.full(m, np.nan, dtype=np.float64)
    out[valid] = c[pe[valid]] / c[ps[valid]] - 1.0
    return out
