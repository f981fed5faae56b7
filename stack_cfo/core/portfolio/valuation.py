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

import itertools
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
_RUN_LOOP_LIMIT = 16


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
    prices: dict[str, PriceSeries] = field(repr=False, compare=False)
    fx_to_base: dict[str, Decimal] = field(repr=False, compare=False)
    #: Per symbol, the index of the close used on each day (built on first use by exact_value).
    _close_index: dict[str, IntArray] = field(default_factory=dict, repr=False, compare=False)

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
        for p in h.positions:
            if p.quantity == 0:
                continue
            rate = fx_rate(p, h.base_currency, self.fx_to_base)
            series = self.prices.get(p.symbol)
            if series is not None and series.dates:
                k = int(self._closes_used(p.symbol, series)[i])
                total += p.quantity * series.closes[k] * rate
            elif p.average_cost is not None:
                total += p.quantity * p.average_cost * rate
        return total

    def _closes_used(self, symbol: str, series: PriceSeries) -> IntArray:
        idx = self._close_index.get(symbol)
        if idx is None:
            # Last close on or before each day; before the first bar, the first bar.
            idx = np.maximum(series.ordinals.searchsorted(self.ordinals, side="right") - 1, 0)
            self._close_index[symbol] = idx
        return idx

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

    symbols = tuple(sorted({p.symbol for s in snaps for p in s.holdings.positions if p.quantity}))
    col = {s: j for j, s in enumerate(symbols)}
    priced = [s in prices and len(prices[s].dates) > 0 for s in symbols]

    eff_ord = np.fromiter((s.effective.toordinal() for s in snaps), dtype=np.int64, count=len(snaps))
    first, last = int(eff_ord[0]), through.toordinal()

    # Per snapshot: base-currency units held of each priced symbol, and a constant part
    # (cash plus unpriced positions at cost). This loop is the only per-position Python work.
    rows: list[list[float]] = []
    const_rows: list[float] = []
    for snap in snaps:
        h = snap.holdings
        base = h.base_currency
        row = [0.0] * len(symbols)
        const = h.cash
        for p in h.positions:
            q = p.quantity
            if not q:
                continue
            j = col[p.symbol]
            if p.currency == base:
                if priced[j]:
                    row[j] = float(q)
                elif p.average_cost is not None:
                    const += q * p.average_cost
                continue
            rate = fx_rate(p, base, fx)
            if priced[j]:
                row[j] = float(q * rate)
            elif p.average_cost is not None:
                const += q * p.average_cost * rate
        rows.append(row)
        const_rows.append(float(const))
    units = np.array(rows, dtype=np.float64).reshape(len(snaps), len(symbols))
    constant = np.array(const_rows, dtype=np.float64)

    # Candidate days: every bar date of a priced symbol inside [first, last] (a bitmap over
    # the date range: cheaper than sorting the union).
    present = np.zeros(last - first + 1, dtype=bool) if last >= first else np.zeros(0, dtype=bool)
    bounds: dict[int, tuple[int, int]] = {}
    for j, s in enumerate(symbols):
        if priced[j]:
            o = prices[s].ordinals
            lo = int(o.searchsorted(first, side="left"))
            hi = int(o.searchsorted(last, side="right"))
            bounds[j] = (lo, hi)
            present[o[lo:hi] - first] = True
    cand = (np.flatnonzero(present) + first).astype(np.int64)
    if len(cand) == 0:
        return _empty(snaps, prices, fx)

    # Symbol-major (symbols × days) so each symbol fills one contiguous row.
    n_days = len(cand)
    closes = np.zeros((len(symbols), n_days), dtype=np.float64)
    has_bar = np.zeros((len(symbols), n_days), dtype=bool)
    for j, s in enumerate(symbols):
        if not priced[j]:
            continue
        series = prices[s]
        lo, hi = bounds[j]
        if hi - lo == n_days:
            # The symbol's bars in range are a subset of the union with its size: the same
            # calendar (the usual case), so no search is needed.
            has_bar[j] = True
            closes[j] = series.closes_float[lo:hi]
            continue
        o = series.ordinals
        pos = o.searchsorted(cand, side="right") - 1
        filled = np.maximum(pos, 0)  # before the first bar: back-fill with it
        np.equal(o[filled], cand, out=has_bar[j])
        has_bar[j] &= pos >= 0
        np.take(series.closes_float, filled, out=closes[j])

    # Value, and whether some held symbol has a bar, per run of days sharing a snapshot; with
    # many runs (a sync every day) one gathered matrix product is cheaper than the loop.
    seg = eff_ord.searchsorted(cand, side="right") - 1
    cuts = [0, *(np.flatnonzero(np.diff(seg)) + 1).tolist(), n_days]
    if len(cuts) - 1 <= _RUN_LOOP_LIMIT:
        values = np.empty(n_days, dtype=np.float64)
        keep = np.empty(n_days, dtype=bool)
        for a, b in itertools.pairwise(cuts):
            k = int(seg[a])
            values[a:b] = units[k] @ closes[:, a:b]
            values[a:b] += constant[k]
            keep[a:b] = has_bar[units[k] != 0.0, a:b].any(axis=0)
    else:
        held_units = units[seg].T  # (symbols × days)
        values = np.einsum("ij,ij->j", held_units, closes) + constant[seg]
        keep = ((held_units != 0.0) & has_bar).any(axis=0)
    if not bool(keep.all()):
        cand, seg, values = cand[keep], seg[keep], values[keep]
    n = len(cand)
    if n == 0:
        return _empty(snaps, prices, fx)
    day_ordinals = cand.tolist()
    days = tuple(map(date.fromordinal, day_ordinals))

    flows = np.zeros(n, dtype=np.float64)
    flows_exact = [_ZERO] * n
    eff_dates = [s.effective for s in snaps]
    for f in inputs.cash_flows:
        booked = _booking_index(f, eff_dates, day_ordinals, through, tz)
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
        prices=prices,
        fx_to_base=fx,
    )


def _booking_index(
    flow: CashFlow,
    eff_dates: list[date],
    day_ordinals: list[int],
    through: date,
    tz: tzinfo,
) -> int | None:
    d = market_date(flow.at, tz)
    if d > through:
        return None
    j = bisect_left(eff_dates, d)  # first snapshot effective on or after the flow
    if j == len(eff_dates):
        return None  # no snapshot reflects it yet
    k = bisect_left(day_ordinals, eff_dates[j].toordinal())  # first valuation day on or after it
    return k if k < len(day_ordinals) else None


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
