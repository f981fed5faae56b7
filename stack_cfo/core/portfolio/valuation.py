"""Daily valuation history, external flows and time-weighted daily returns.

**Valuation days.** Day d is a valuation day when some symbol held on d (non-zero quantity in
the snapshot in force) has a daily bar dated d, between the first snapshot's effective date and
the as-of market date. Days with no bar for anything held (weekends, holidays) carry no
information and are skipped. Days when nothing held has a close yet (all cash, positions
valued at their cost, or symbols whose first close comes later) have no bar to date them: they
are valued on the market's sessions (NYSE for New York), so a cash-only portfolio, or a ledger
whose prices start after its first trades, has a history from its first day. A
snapshot in force over days without any bar (its prices not recorded yet) is valued on its
first session at the last known closes, so its holdings and the flows booked on it are not lost.

**Missing exchange rates.** An amount in a currency with no rate on or before a day is left out
of that day's value (never converted at 1) and the currency is named in ``fx.missing``; the day
is still valued. When the currency's first rate arrives, what was held in it at the previous
valuation day's close (its units then, at the day's prices) enters the valuation like a transfer in:
that day's return excludes it, so a late rate is no gain. What comes in on that day itself (a
deposit, a transfer, a trade) is counted by its flow only, as on any other day. With no previous
rate to hold it at, the local return holds the currency at that day's own rate (no currency move).

**Value on day d** = Σ quantity × close × fx + cash, from the latest snapshot effective on or
before d. A symbol without a bar on d uses its **last known close** (carried forward over missing
days), divided by the ratios of the symbol's splits dated after that close and on or before d
(closes are recorded as traded: the units held on d are the split's; the summary's rule,
:meth:`~.models.Position.split_factor`), as are units moved in or out on d (a transfer's flow).
Before its first bar, and when it has no bars at all, it is valued at its average cost
(as the summary as of that day values it; never at a close that comes later), or at zero when
the cost is unknown too; on its first bar the units held the day before are re-marked from cost
to market, which, like a transfer, is not a return. Foreign positions use the spot rate in ``fx_to_base``.

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
below -100 % (the value turned negative: margin debt above the positions' value, or inconsistent
data) is kept as it is, and every figure chained through it (TWR, drawdowns, CAGR, Calmar) is
UNDEFINED (see :mod:`.risk`); the chart's TWR index stops at -100 % there.

Values are float64 here (returns are ratios; relative error ~1e-16). Exact Decimal values for
display come from :meth:`ValuationSeries.exact_value`.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal, localcontext

import numpy as np

from stack_cfo.core.market_calendar import MarketCalendar, calendar_of
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.models import (
    EXACT_DIGITS,
    BoolArray,
    CashFlow,
    FloatArray,
    HoldingsSnapshot,
    HoldingsTimeline,
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


def fx_rate(position: Position, base_currency: str, fx: FxTable, day: date) -> Decimal | None:
    """Units of base currency per unit of the position's currency on ``day``; ``None`` when no rate
    is recorded on or before it (the table notes the currency as missing)."""
    if position.currency == base_currency:
        return _ONE
    return fx.rate(position.currency, day)


def in_units_held(close: Decimal, since: date, day: date, position: Position | None) -> Decimal:
    """A close dated ``since`` in the units ``position`` holds on ``day``: divided by the ratios of its
    splits dated after ``since`` and on or before ``day`` (:meth:`~.models.Position.split_factor`, as
    the summary prices it, :meth:`~.models.Position.in_units_on`, at the valuation's precision); as it is
    without a split between them."""
    if position is None or not position.splits or since >= day:
        return close
    with localcontext() as ctx:
        ctx.prec = EXACT_DIGITS
        return position.in_units_on(close, since, day)


class _Splits:
    """The splits a valuation divides carried closes by: a symbol's ledger position's (in the last
    segment through the valuation's end that holds it: every split up to it), looked up only for a
    close carried over the start of a segment (a SPLIT is dated on a trade date, which starts one),
    so a portfolio without such a close reads no holdings."""

    def __init__(self, timeline: HoldingsTimeline, n_seg: int, inputs: PortfolioInputs) -> None:
        self._timeline = timeline
        self._n_seg = n_seg
        self._starts = timeline.effective[:n_seg]
        self._inputs = inputs
        self._possible: bool | None = None
        self._column: dict[str, int] | None = None
        self._by_segment: dict[int, dict[str, Position]] = {}

    def _any(self) -> bool:
        """Whether any position can have splits: a ledger's; a snapshot's only when it says so."""
        if self._possible is None:
            i = self._inputs
            self._possible = bool(self._timeline.split_symbols) if i.timeline is not None else any(
                p.splits for snap in i.holdings for p in snap.holdings.positions)
        return self._possible

    def position(self, j: int) -> Position | None:
        """Symbol ``j``'s position in the last segment (through the valuation's end) holding it."""
        if not self._any():
            return None
        held = np.flatnonzero(self._timeline.quantities[j, : self._n_seg] != 0.0)
        if len(held) == 0:
            return None
        k = int(held[-1])
        positions = self._by_segment.get(k)
        if positions is None:
            positions = {p.symbol: p for p in self._timeline.holdings_at(k).positions}
            self._by_segment[k] = positions
        return positions.get(self._timeline.symbols[j])

    def position_of(self, symbol: str) -> Position | None:
        if self._column is None:
            self._column = {s: j for j, s in enumerate(self._timeline.symbols)}
        j = self._column.get(symbol)
        return self.position(j) if j is not None else None

    def factors(self, j: int, close_ords: IntArray, day_ords: IntArray, carried: BoolArray) -> FloatArray | None:
        """Per day, what symbol ``j``'s close (dated ``close_ords``) is divided by on the ``carried``
        days (1 on the others): the ratios of its splits dated after the close, on or before the day
        (:meth:`~.models.Position.split_factor`); ``None`` when none is."""
        if not self._any() or not bool(carried.any()):
            return None
        if self._inputs.timeline is not None and self._timeline.symbols[j] not in self._timeline.split_symbols:
            return None  # a ledger that records no split of this symbol
        starts = self._starts
        over = carried & (starts.searchsorted(close_ords, side="right") < starts.searchsorted(day_ords, side="right"))
        if not bool(over.any()):
            return None
        p = self.position(j)
        if p is None or not p.splits:
            return None
        split_ords = np.array(sorted(d.toordinal() for d, _ in p.splits), dtype=np.int64)
        after = split_ords.searchsorted(close_ords, side="right")
        through = split_ords.searchsorted(day_ords, side="right")
        idx = np.flatnonzero(over & (through > after))
        if len(idx) == 0:
            return None
        # one factor per distinct run of splits (the days between two splits share it)
        keys = after[idx] * (len(split_ords) + 1) + through[idx]
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        each = np.array([float(p.split_factor(date.fromordinal(int(close_ords[idx[i]])),
                                              date.fromordinal(int(day_ords[idx[i]])))) for i in first],
                        dtype=np.float64)
        out = np.ones(len(day_ords), dtype=np.float64)
        out[idx] = each[inverse.reshape(-1)]
        return out


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
    #: Index into the timeline's segments of the holdings used on each day.
    snapshot_index: IntArray
    #: Daily TWR returns, one per day whose previous day has a positive value (not aligned with days).
    returns: FloatArray
    #: For each return, the index in ``days`` of the day it ends on (it starts on the day before).
    return_index: IntArray
    #: TWR index per day: 1.0 on the first day, times (1 + r) on every day with a return.
    wealth: FloatArray
    timeline: HoldingsTimeline = field(repr=False)
    prices: dict[str, PriceSeries] = field(repr=False, compare=False)
    fx: FxTable = field(repr=False, compare=False)
    #: Local-currency returns aligned with ``returns``: each day's exchange rates held at the
    #: previous valuation day's (equal to ``returns`` for a portfolio in its base currency).
    local_returns: FloatArray = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    #: Per day, whether every amount held that day had an exchange rate (``None``: all days did).
    fx_complete: BoolArray | None = None
    #: Per day, value moved in that is no gain, a transfer in for the returns but no external flow:
    #: what was held, unconverted, in a currency the day before its first exchange rate arrived, and
    #: re-marks from cost to a first close (``None``: nothing did).
    entering: FloatArray | None = None
    #: Per symbol, the index of the close used on each day (built on first use by exact_value).
    _close_index: dict[str, IntArray] = field(default_factory=dict, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.days)

    @property
    def snapshots(self) -> tuple[HoldingsSnapshot, ...]:
        """The segments as snapshots (built on demand; a ledger has one per trade date)."""
        t = self.timeline
        return tuple(HoldingsSnapshot(date.fromordinal(int(o)), t.holdings_at(k)) for k, o in enumerate(t.effective))

    @property
    def return_dates(self) -> tuple[date, ...]:
        return tuple(self.days[i] for i in self.return_index)

    def exact_value(self, i: int) -> Decimal:
        """The value on ``days[i]`` in exact Decimal arithmetic (same rules as ``values``; digits
        enough for the documented bounds: 10^12 units at 10^12 is 24 digits before 18 after)."""
        h = self.timeline.holdings_at(int(self.snapshot_index[i]))
        day = self.days[i]
        total = h.cash
        with localcontext() as ctx:
            ctx.prec = EXACT_DIGITS
            for ccy, amount in h.foreign_cash.items():
                rate = self.fx.rate(ccy, day)
                if rate is not None:
                    total += amount * rate
            for p in h.positions:
                if p.quantity == 0:
                    continue
                rate = fx_rate(p, h.base_currency, self.fx, day)
                if rate is None:
                    continue
                series = self.prices.get(p.symbol)
                k = int(self._closes_used(p.symbol, series)[i]) if series is not None and series.dates else -1
                if k >= 0:
                    assert series is not None
                    total += p.quantity * in_units_held(series.closes[k], series.dates[k], day, p) * rate
                elif p.average_cost is not None:  # no close yet (or none at all): at its cost
                    total += p.quantity * p.average_cost * rate
        return total

    def _closes_used(self, symbol: str, series: PriceSeries) -> IntArray:
        idx = self._close_index.get(symbol)
        if idx is None:
            # Last close on or before each day; -1 before the first bar (valued at its cost then).
            idx = series.ordinals.searchsorted(self.ordinals, side="right") - 1
            self._close_index[symbol] = idx
        return idx

    def index_on_or_before(self, day: date) -> int:
        """Index of the last valuation day on or before ``day``; -1 if none."""
        return int(np.searchsorted(self.ordinals, day.toordinal(), side="right")) - 1


def _empty(timeline: HoldingsTimeline, prices: dict[str, PriceSeries], fx: FxTable) -> ValuationSeries:
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
        timeline=timeline,
        prices=prices,
        fx=fx,
        local_returns=f,
    )


def timeline_of(snapshots: tuple[HoldingsSnapshot, ...], base_currency: str | None = None) -> HoldingsTimeline:
    """Snapshots as a :class:`HoldingsTimeline` (positions at their quantity; average cost for
    symbols without prices; cash in the base currency)."""
    base = base_currency or (snapshots[0].holdings.base_currency if snapshots else "USD")
    symbols: dict[str, str] = {}
    for snap in snapshots:
        for p in snap.holdings.positions:
            if p.quantity:
                symbols.setdefault(p.symbol, p.currency)
    names = tuple(sorted(symbols))
    col = {s: j for j, s in enumerate(names)}
    qty = np.zeros((len(names), len(snapshots)), dtype=np.float64)
    cost = np.full((len(names), len(snapshots)), np.nan, dtype=np.float64)
    cash: dict[str, FloatArray] = {base: np.zeros(len(snapshots), dtype=np.float64)}
    for k, snap in enumerate(snapshots):
        h = snap.holdings
        cash[base][k] = float(h.cash)
        for ccy, amount in h.foreign_cash.items():
            cash.setdefault(ccy, np.zeros(len(snapshots), dtype=np.float64))[k] = float(amount)
        for p in h.positions:
            if not p.quantity:
                continue
            j = col[p.symbol]
            qty[j, k] = float(p.quantity)
            if p.average_cost is not None:
                cost[j, k] = float(p.quantity * p.average_cost)
    effective = np.fromiter((s.effective.toordinal() for s in snapshots), dtype=np.int64, count=len(snapshots))
    return HoldingsTimeline(
        base_currency=base,
        effective=effective,
        symbols=names,
        symbol_currency=tuple(symbols[s] for s in names),
        quantities=qty,
        cost_row=lambda j: cost[j],
        cash=cash,
        holdings_at=lambda k: snapshots[k].holdings,
    )


def _timeline(inputs: PortfolioInputs, through: date) -> HoldingsTimeline:
    if inputs.timeline is not None:
        return inputs.timeline
    return timeline_of(tuple(s for s in inputs.holdings if s.effective <= through))


def build_valuation(inputs: PortfolioInputs, *, through: date, tz: tzinfo) -> ValuationSeries:
    """Value the portfolio on every valuation day up to and including ``through`` (a market date)."""
    timeline = _timeline(inputs, through)
    prices = dict(inputs.prices)
    base = timeline.base_currency
    fx = FxTable(base, inputs.fx_rates)
    n_seg = int(timeline.effective.searchsorted(through.toordinal(), side="right"))
    if n_seg == 0:
        return _empty(timeline, prices, fx)

    eff_ord = timeline.effective[:n_seg]
    first, last = int(eff_ord[0]), through.toordinal()
    names = timeline.symbols
    priced = [s in prices and len(prices[s].dates) > 0 for s in names]
    held = (timeline.quantities[:, :n_seg] != 0.0).any(axis=1) if len(names) else np.zeros(0, dtype=bool)

    # Candidate days: every bar date of a priced, held symbol inside [first, last] (a bitmap over
    # the date range: cheaper than sorting the union).
    present = np.zeros(last - first + 1, dtype=bool) if last >= first else np.zeros(0, dtype=bool)
    bounds: dict[int, tuple[int, int]] = {}
    #: per snapshot, whether a symbol it holds has a bar while it is in force
    covered = np.zeros(n_seg, dtype=bool)
    for j, s in enumerate(names):
        if priced[j] and held[j]:
            o = prices[s].ordinals
            lo = int(o.searchsorted(first, side="left"))
            hi = int(o.searchsorted(last, side="right"))
            bounds[j] = (lo, hi)
            present[o[lo:hi] - first] = True
            in_seg = eff_ord.searchsorted(o[lo:hi], side="right") - 1
            covered[in_seg[timeline.quantities[j, in_seg] != 0.0]] = True
    sessions = _cash_only_sessions(timeline, n_seg, prices, priced, first, last, tz)
    if sessions is not None:
        present |= sessions
        covered[eff_ord.searchsorted(np.flatnonzero(sessions) + first, side="right") - 1] = True
    unseen = _unseen_snapshot_days(timeline, n_seg, covered, first, last, tz)
    if unseen is not None:
        present |= unseen
        sessions = unseen if sessions is None else sessions | unseen
    cand = (np.flatnonzero(present) + first).astype(np.int64)
    if len(cand) == 0:
        return _empty(timeline, prices, fx)
    n_days = len(cand)
    seg = eff_ord.searchsorted(cand, side="right") - 1

    # Columns: priced symbols (units x close), unpriced symbols (their cost) and cash per currency.
    # Each column has a currency; its values are converted with that currency's rate of the day.
    cols_units: list[FloatArray] = []  # per column, (days,) amounts held in the column's unit
    cols_price: list[FloatArray] = []  # per column, (days,) local price of one unit
    cols_ccy: list[str] = []
    #: per column, value re-marked from cost to the first close on that day (not a return)
    reval: list[FloatArray | None] = []
    has_bar = sessions[cand - first] if sessions is not None else np.zeros(n_days, dtype=bool)
    splits = _Splits(timeline, n_seg, inputs)
    for j, s in enumerate(names):
        if not held[j]:
            continue
        q = timeline.quantities[j, :n_seg][seg]
        ccy = timeline.symbol_currency[j]
        remark: FloatArray | None = None
        if priced[j]:
            series = prices[s]
            lo, hi = bounds[j]
            if hi - lo == n_days:
                # Same calendar as the union (the usual case): no search needed.
                closes = series.closes_float[lo:hi]
                bar = np.ones(n_days, dtype=bool)
            else:
                o = series.ordinals
                pos = o.searchsorted(cand, side="right") - 1
                filled = np.maximum(pos, 0)
                bar = (o[filled] == cand) & (pos >= 0)
                closes = series.closes_float[filled]
                # a close carried over a split, in the units held after it
                factor = splits.factors(j, o[filled], cand, ~bar & (pos >= 0) & (q != 0.0))
                if factor is not None:
                    closes = closes / factor
                if bool(pos[0] < 0):
                    closes, remark = _at_cost_before_first_close(closes, pos, q, timeline.cost_row(j)[:n_seg][seg])
            has_bar |= bar & (q != 0.0)
            cols_units.append(q)
            cols_price.append(closes)
        else:
            c = timeline.cost_row(j)[:n_seg][seg]
            cols_units.append(np.where(np.isnan(c), 0.0, c))
            cols_price.append(np.ones(n_days, dtype=np.float64))
        cols_ccy.append(ccy)
        reval.append(remark)
    for ccy, balance in timeline.cash.items():
        cols_units.append(balance[:n_seg][seg])
        cols_price.append(np.ones(n_days, dtype=np.float64))
        cols_ccy.append(ccy)
        reval.append(None)

    # Exchange rates per currency on each candidate day. An amount in a currency without a rate
    # on a day is left out of that day's value (never converted at a silent 1) and the currency
    # is named; the day itself stays (the rest of the portfolio is still valued).
    rates: dict[str, tuple[FloatArray, BoolArray]] = {c: fx.rows(c, cand) for c in set(cols_ccy)}
    keep = has_bar
    for u, ccy in zip(cols_units, cols_ccy, strict=True):
        if ((u != 0.0) & ~rates[ccy][1]).any():
            fx.missing.add(ccy)
    if not bool(keep.all()):
        idx = np.flatnonzero(keep)
        cand, seg = cand[idx], seg[idx]
        cols_units = [u[idx] for u in cols_units]
        cols_price = [p[idx] for p in cols_price]
        reval = [r[idx] if r is not None else None for r in reval]
        rates = {c: (r[idx], ok[idx]) for c, (r, ok) in rates.items()}
    n = len(cand)
    if n == 0:
        return _empty(timeline, prices, fx)

    # Amounts in each currency, then converted at the day's rate (values) and at the previous
    # valuation day's rate (local: what the day's holdings were worth before the currency moved).
    local_amounts: dict[str, FloatArray] = {}
    remarked: dict[str, FloatArray] = {}
    for r, ccy in zip(reval, cols_ccy, strict=True):
        if r is not None:
            remarked[ccy] = remarked[ccy] + r if ccy in remarked else r
    for u, px, ccy in zip(cols_units, cols_price, cols_ccy, strict=True):
        acc = local_amounts.get(ccy)
        if acc is None:
            local_amounts[ccy] = u * px
        else:
            acc += u * px
    values = np.zeros(n, dtype=np.float64)
    local = np.zeros(n, dtype=np.float64)
    #: Value moved into the valuation without being a gain, like a transfer in (not an external
    #: flow): the re-mark from cost to a first close, and what was already held, unconverted, in a
    #: currency when its first rate arrives (rates are carried forward, so nothing leaves again).
    entering = np.zeros(n, dtype=np.float64)
    #: The same, at the rates the local returns use.
    entering_local = np.zeros(n, dtype=np.float64)
    complete = np.ones(n, dtype=bool)
    for ccy, amount in local_amounts.items():
        r = np.nan_to_num(rates[ccy][0], nan=0.0)
        ok = rates[ccy][1]
        values += amount * r
        # The previous valuation day's rate; on the day a currency's first rate arrives there is
        # none, so the day's own (no currency move is known yet: the day's return is all local).
        prev_ok = np.concatenate(([False], ok[:-1]))
        prev_r = np.where(prev_ok, np.concatenate((r[:1], r[:-1])), r)
        local += amount * prev_r
        moved_in = remarked.get(ccy)
        if not bool(ok.all()):
            complete &= ok | (amount == 0.0)
            arrives = ok & ~prev_ok
            arrives[0] = False  # the first day's value is the initial capital
            if bool(arrives.any()):
                # Only what was out of the valuation the day before (held in the currency, not
                # converted) enters: what came in on the day itself came through an external flow
                # (a deposit, a transfer) or a trade, which the flows already count. Valued at the
                # day's prices (a re-mark from cost on the day is part of it, not counted again).
                held = _held_the_day_before(cols_units, cols_price, cols_ccy, ccy, arrives)
                moved_in = np.where(arrives, held, moved_in) if moved_in is not None else held
        if moved_in is not None:
            entering += moved_in * r
            entering_local += moved_in * prev_r

    day_ordinals = cand.tolist()
    days = tuple(map(date.fromordinal, day_ordinals))
    flows = np.zeros(n, dtype=np.float64)
    flows_exact = [_ZERO] * n
    #: The booked flows as the local returns count them (see :func:`_local_flow`).
    local_flows = np.zeros(n, dtype=np.float64)
    eff_dates = [date.fromordinal(int(o)) for o in eff_ord]
    for f in inputs.cash_flows:
        booked_amount = f.amount
        if f.units is not None:
            moved = _market_value_moved(f, prices, fx, tz, splits)
            if moved is None:
                continue
            booked_amount = moved
        booked = _booking_index(f, eff_dates, day_ordinals, through, tz)
        if f.units is None and f.currency and f.currency != base:
            when = days[booked] if booked is not None else None
            rate = fx.flow_rate(f.currency, market_date(f.at, tz), when)  # names the currency when missing
            if rate is None:
                continue
            booked_amount = booked_amount * rate
        if booked is None:
            continue
        flows[booked] += float(booked_amount)
        flows_exact[booked] += booked_amount
        previous = days[booked - 1] if booked else None
        local_flows[booked] += _local_flow(f, float(booked_amount), previous, timeline, prices, fx, tz, days[booked],
                                           splits)

    returns, return_index, wealth = time_weighted_returns(values, flows + entering)
    local_returns = _local_returns(local, values, local_flows + entering_local, return_index)
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
        timeline=timeline,
        prices=prices,
        fx=fx,
        local_returns=local_returns,
        fx_complete=complete,
        entering=entering if bool(entering.any()) else None,
    )


def _held_the_day_before(
    cols_units: list[FloatArray], cols_price: list[FloatArray], cols_ccy: list[str], ccy: str, days: BoolArray
) -> FloatArray:
    """On each of ``days`` (never the first), the amount in ``ccy`` held at the previous valuation
    day's close (its units then) at the day's prices: what was already there before the day's
    flows and trades. 0 on the other days."""
    out = np.zeros(len(days), dtype=np.float64)
    idx = np.flatnonzero(days)
    for u, px, c in zip(cols_units, cols_price, cols_ccy, strict=True):
        if c == ccy:
            out[idx] += u[idx - 1] * px[idx]
    return out


def _at_cost_before_first_close(
    closes: FloatArray, pos: IntArray, q: FloatArray, cost: FloatArray
) -> tuple[FloatArray, FloatArray | None]:
    """Prices of a symbol on days before its first close: its average cost (``cost`` is the total
    cost held, NaN when unknown: then 0, not valued), as the summary values it then, never a
    close that comes later. Also the re-mark on the first day with a close: the units held the
    day before move from cost to market, which is not a return (returned for the TWR to remove,
    like a transfer; ``None`` when nothing is re-marked)."""
    before = pos < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where((q != 0.0) & ~np.isnan(cost), cost / np.where(q != 0.0, q, 1.0), 0.0)
    out = np.where(before, unit, closes)
    if bool(before.all()):
        return out, None
    k = int(np.argmin(before))  # the first day with a close (k >= 1: day 0 is before it)
    if q[k - 1] == 0.0:
        return out, None
    remark = np.zeros(len(closes), dtype=np.float64)
    remark[k] = q[k - 1] * (closes[k] - unit[k - 1])
    return out, remark


def _segment_days(timeline: HoldingsTimeline, n_seg: int, first: int, last: int) -> tuple[IntArray, IntArray]:
    """Per snapshot in force, the first and last ordinal of its days inside ``[first, last]``."""
    eff = timeline.effective[:n_seg]
    return np.maximum(eff, first), np.minimum(np.append(eff[1:] - 1, last), last)


def _cash_only_sessions(
    timeline: HoldingsTimeline, n_seg: int, prices: dict[str, PriceSeries], priced: list[bool], first: int,
    last: int, tz: tzinfo,
) -> BoolArray | None:
    """Over ``[first, last]``, the market's sessions on days when nothing held has a close yet (all
    cash, positions valued at their cost, or symbols whose first close comes later): no bar dates
    those days, so the calendar does. ``None`` when there is no such day (the usual case)."""
    if last < first:
        return None
    never = np.iinfo(np.int64).max
    rows = [j for j, p in enumerate(priced) if p]
    if rows:
        held = timeline.quantities[rows, :n_seg] != 0.0
        first_bars = np.array([int(prices[timeline.symbols[j]].ordinals[0]) for j in rows], dtype=np.int64)
        # per snapshot, the first close of anything it holds (never: nothing priced held)
        priced_from = np.where(held, first_bars[:, None], never).min(axis=0)
    else:
        priced_from = np.full(n_seg, never, dtype=np.int64)
    lo_all, hi_all = _segment_days(timeline, n_seg, first, last)
    hi_all = np.minimum(hi_all, priced_from - 1)
    todo = np.flatnonzero(hi_all >= lo_all)
    if len(todo) == 0:
        return None
    calendar = calendar_of(tz)
    out = np.zeros(last - first + 1, dtype=bool)
    for k in todo:
        for o in range(int(lo_all[k]), int(hi_all[k]) + 1):
            if calendar.session(date.fromordinal(o)) is not None:
                out[o - first] = True
    return out if bool(out.any()) else None


def _unseen_snapshot_days(
    timeline: HoldingsTimeline, n_seg: int, covered: BoolArray, first: int, last: int, tz: tzinfo
) -> BoolArray | None:
    """For a snapshot in force over days without any bar (prices not recorded after it yet), its
    first session: valued at the last known closes, so its holdings and the flows it reflects are
    in the history (they were dropped). ``None`` when every snapshot has a valuation day."""
    if last < first:
        return None
    lo_all, hi_all = _segment_days(timeline, n_seg, first, last)
    # segments with at least one day and no bar of what they hold (a bar of a symbol sold before
    # does not value them: that day would be dropped)
    lacking = (hi_all >= lo_all) & ~covered
    out: BoolArray | None = None
    calendar: MarketCalendar | None = None
    for k in np.flatnonzero(lacking):
        lo, hi = int(lo_all[k]), int(hi_all[k])
        calendar = calendar or calendar_of(tz)
        for o in range(lo, hi + 1):
            if calendar.session(date.fromordinal(o)) is not None:
                if out is None:
                    out = np.zeros(last - first + 1, dtype=bool)
                out[o - first] = True
                break
    return out


def _local_returns(local: FloatArray, values: FloatArray, flows: FloatArray, return_index: IntArray) -> FloatArray:
    """``(L_d - F_d) / V_{d-1} - 1`` for each day with a return, where ``L_d`` values day d's
    holdings at day d's prices and day d-1's rates, and ``F_d`` is the day's flow as it adds to
    them at those rates (:func:`_local_flow`)."""
    if len(return_index) == 0:
        return np.empty(0, dtype=np.float64)
    prev = values[return_index - 1]
    r: FloatArray = (local[return_index] - flows[return_index]) / prev - 1.0
    return r


def _local_flow(
    f: CashFlow,
    booked: float,
    previous: date | None,
    timeline: HoldingsTimeline,
    prices: dict[str, PriceSeries],
    fx: FxTable,
    tz: tzinfo,
    day: date | None = None,
    splits: _Splits | None = None,
) -> float:
    """The flow ``f`` (``booked`` in base currency, as the TWR counts it) as the local returns
    count it: what it adds to the holdings valued at the rates of ``previous``, the valuation day
    before ``day``, the one it is booked on, as ``local`` values them (at ``day``'s own rate for a
    currency whose first rate arrives on it). Securities moved in or out (in their price currency)
    and foreign cash the holdings keep in its currency (a ledger's cash per currency) convert at
    that day's rate, so the currency move on them stays out of the local
    return (it is in the currency effect); a currency without a rate then converts at 0, as the
    holdings in it do. Cash the holdings keep in the base currency only (a sync's: the deposit
    arrives converted) stays at ``booked``. Flows booked on the first day (``previous`` is
    ``None``) enter no return."""
    if previous is None:
        return booked
    if f.units is None:
        if not f.currency or f.currency == fx.base or f.currency not in timeline.cash:
            return booked
        rate = _local_rate(fx, f.currency, previous, day)
        return float(f.amount) * float(rate) if rate is not None else 0.0
    symbol, quantity, currency = f.units
    if currency == fx.base:
        return booked
    prev = _local_rate(fx, currency, previous, day)
    if prev is None:
        return 0.0
    at = market_date(f.at, tz)
    close = _close_moved(symbol, prices.get(symbol), at, splits)
    if close is not None:
        return float(quantity * close) * float(prev)
    # at the transaction's price, already in base at the rate of its day: back to that day's rate
    own = fx.rate_if_any(currency, at)
    return booked * float(prev) / float(own) if own else booked


def _local_rate(fx: FxTable, currency: str, previous: date, day: date | None) -> Decimal | None:
    """The rate the local returns hold ``currency`` at on ``day``: the previous valuation day's,
    or ``day``'s own when the currency had none yet (as ``local`` values the day's holdings)."""
    rate = fx.rate_if_any(currency, previous)
    if rate is None and day is not None:
        rate = fx.rate_if_any(currency, day)
    return rate


def _close_moved(symbol: str, series: PriceSeries | None, day: date, splits: _Splits | None) -> Decimal | None:
    """The close units of ``symbol`` moved on ``day`` are valued at: the valuation's (the last on or
    before ``day``, in the units held on it); ``None`` before the first close."""
    if series is None or not series.dates:
        return None
    i = series.index_on_or_before(day)
    if i < 0:
        return None
    close, since = series.closes[i], series.dates[i]
    if since < day and splits is not None:
        close = in_units_held(close, since, day, splits.position_of(symbol))
    return close


def _market_value_moved(
    f: CashFlow, prices: dict[str, PriceSeries], fx: FxTable, tz: tzinfo, splits: _Splits | None = None
) -> Decimal | None:
    """Securities moved in (q > 0) or out (q < 0): q x the close the valuation uses that day (the
    last on or before it, in the units held that day: divided by a split since), converted at the
    day's rate; ``f.amount`` (at the transaction's price, already in base) when the symbol has no
    close yet that day, as the day's value counts them at cost (never a later close)."""
    assert f.units is not None
    symbol, quantity, currency = f.units
    day = market_date(f.at, tz)
    close = _close_moved(symbol, prices.get(symbol), day, splits)
    if close is None:
        return f.amount
    rate = fx.rate(currency, day)  # 1 for the base currency
    return quantity * close * rate if rate is not None else None


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
    return_index = (np.nonzero(ok)[0] + 1).astype(np.int64)
    returns = r_all[ok]
    growth = np.ones(n, dtype=np.float64)
    # the index stops at 0 (wiped out): a return below -100 % is kept in ``returns`` for the risk
    # figures to call UNDEFINED, but a negative index would flip the sign of every later day
    growth[return_index] = np.maximum(1.0 + returns, 0.0)
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
