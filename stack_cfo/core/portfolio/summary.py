"""Current holdings valued at ``as_of``: totals, per-position figures and basket/sector aggregates.

All money is exact Decimal (a local context of 50 significant digits, so products of long
quantities and prices are never rounded); nothing is quantised here. Round once at
presentation with :func:`~.models.to_cents` (ROUND_HALF_EVEN, 2 dp): 3 × 33.333 is 99.999
here and 100.00 on screen. Ratios (weights, returns) are floats computed from the exact
Decimal quotient.

**Price of a position.** The latest intraday quote (at or before ``as_of``) when its market
date is after the last daily bar's date; otherwise the last daily close whose session had
closed at ``as_of`` (a bar is dated at its session's close, ``market_close`` in the market's
time zone: an as-of time of 11:00 uses the previous close, not that evening's; the live summary,
as of now, does use a close dated today that a caller posted before the session's end). No price at
all: its average cost (``COST_BASIS``, no day change), else not valued (``NONE``, excluded from
every total). Money in another currency (positions and cash) converts at the rates of the day
whose closes the summary uses (:func:`rate_day`): before the as-of day's close, the previous
session's; on a weekend, Friday's; on a US holiday with a close recorded abroad, that day's; so a
summary at a past instant equals that day's history point (the live summary: the as-of day's, the
latest).

**Day change** = quantity × (price - previous close) × fx, where the previous close is the one
reported with the quote/bar, else the stored close of the *previous trading day* (market
calendar: NYSE for New York); without either the day change is unknown (``None``), never a
change over several sessions. A **stale** price contributes a day change of 0: by default a
price is stale when it is more than one trading day old (its day is before the session that
preceded the last closed session at ``as_of``: Friday's close is fresh on Monday and on
Tuesday morning, Wednesday's is stale on Saturday); ``stale_after``, when configured, replaces
the rule with a fixed age. The portfolio's day return is
``day_change / (total_value - day_change)``: today's holdings at the previous close, not
adjusted for today's trades.

**Total return** = Σ (market value - cost) / Σ cost over positions whose average cost is known
and that have a market price (a position valued at its cost has no P&L); it is an unrealised
figure that ignores cash, realised gains and income. The flow-neutral
performance figure is the TWR in :mod:`.risk`.

**Weights** are float fractions of *invested value* (the sum of valued positions); cash is
reported separately as ``cash_weight`` = cash / total value.

**Period changes** (1d, 1w, 1m, ytd; positions, baskets, sectors, the portfolio and the
benchmark) are holdings-based: current quantities priced now versus at each period's start price,
with each position's *contribution* to its group's return. :mod:`.periods` defines the start of
every period and the formulas. The **week return** fields are the 1w period: a group's is
Σ(now - then) / Σ then over its positions with both prices, and the portfolio's
``week_return`` is that of its invested positions (cash left out, unlike the portfolio's
``periods``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, localcontext

from stack_cfo.core.market_calendar import (
    MarketCalendar,
    calendar_of,
    last_closed_session_day,
    previous_session_day,
)
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.models import EXACT_DIGITS, Holdings, Position, PriceSeries
from stack_cfo.core.portfolio.periods import PERIODS, Member, combine, period_boundary, ratio, start_close, start_point
from stack_cfo.core.portfolio.results import (
    Contribution,
    GroupKind,
    GroupSummary,
    Period,
    PeriodChange,
    PositionSummary,
    PriceSource,
)
from stack_cfo.core.portfolio.valuation import fx_rate, market_date

UNCLASSIFIED_SECTOR = "Unclassified"
_ZERO = Decimal(0)
_PRECISION = EXACT_DIGITS

__all__ = ["UNCLASSIFIED_SECTOR", "HoldingsSummary", "LivePrice", "benchmark_periods", "live_price", "ratio",
           "summarize_holdings"]


US_CLOSE = time(16, 0)


def bar_instant(day: date, tz: tzinfo, close: time = US_CLOSE) -> datetime:
    """The instant a daily bar describes: its session's close (in UTC)."""
    return datetime.combine(day, close, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class LivePrice:
    price: Decimal | None
    source: PriceSource
    at: datetime | None
    previous_close: Decimal | None
    #: Market date of the price (for week lookbacks).
    day: date | None
    #: The session day of ``previous_close`` when it is a stored close (a split since then adjusts
    #: it); ``None`` when the feed reported it (used as given) or there is none.
    previous_day: date | None = None
    #: ``price`` was divided by a split's ratio since its day (a computed value, not the stored close).
    scaled: bool = False


def _close_of_previous_session(
    series: PriceSeries, day: date, calendar: MarketCalendar
) -> tuple[Decimal | None, date | None]:
    """The stored close of the trading day before ``day``, exactly that day (no older fallback), and that day."""
    prev_day = previous_session_day(calendar, day)
    close = series.close_on(prev_day) if prev_day is not None else None
    return close, prev_day if close is not None else None


def live_price(
    position: Position,
    series: PriceSeries | None,
    *,
    as_of: datetime,
    market_day: date,
    tz: tzinfo,
    close: time = US_CLOSE,
    calendar: MarketCalendar | None = None,
    closes_at_session_end: bool = True,
) -> LivePrice:
    """The price a position is valued at (see module docstring)."""
    cal = calendar if calendar is not None else calendar_of(tz)
    if series is not None:
        i = series.index_on_or_before(market_day)
        if closes_at_session_end and i >= 0 and bar_instant(series.dates[i], tz, close) > as_of:
            i -= 1  # that session had not closed yet at as_of
        q = series.quote
        if q is not None and q.at <= as_of:  # type: ignore[operator]
            q_day = market_date(q.at, tz)
            if i < 0 or q_day > series.dates[i]:
                prev, prev_day = q.previous_close, None
                if prev is None:
                    prev, prev_day = _close_of_previous_session(series, q_day, cal)
                assert isinstance(q.at, datetime)
                return LivePrice(q.close, PriceSource.QUOTE, q.at, prev, q_day, prev_day)
        if i >= 0:
            d = series.dates[i]
            reported = series.previous_closes[i] if series.previous_closes else None
            prev, prev_day = (reported, None) if reported is not None else _close_of_previous_session(series, d, cal)
            return LivePrice(series.closes[i], PriceSource.CLOSE, bar_instant(d, tz, close), prev, d, prev_day)
    if position.average_cost is not None:
        return LivePrice(position.average_cost, PriceSource.COST_BASIS, None, None, None)
    return LivePrice(None, PriceSource.NONE, None, None, None)


def _in_todays_units(lp: LivePrice, p: Position, today: date) -> LivePrice:
    """``lp`` in the units ``p`` holds today: closes are recorded as traded, so a price (or stored
    previous close) from before a split is divided by the split's ratio. A reported previous close
    is in the units of its price's day."""
    assert lp.day is not None

    def scaled(value: Decimal | None, since: date) -> Decimal | None:
        return p.in_units_on(value, since, today) if value is not None else None  # split after ``since``

    since_previous = lp.previous_day if lp.previous_day is not None else lp.day
    price = scaled(lp.price, lp.day)
    return replace(lp, price=price, previous_close=scaled(lp.previous_close, since_previous),
                   previous_day=None, scaled=lp.scaled or price is not lp.price)


@dataclass(frozen=True, slots=True)
class _Row:
    summary: PositionSummary
    #: Value at each period's start at the current quantity (base currency), aligned with
    #: ``PERIODS``; ``None`` without a start price.
    starts: tuple[Decimal | None, ...]

    #: Each period's :class:`Member` (``None`` when unvalued), made once: the totals and each group
    #: the row belongs to combine the same ones.
    members: tuple[Member | None, ...]


@dataclass(frozen=True, slots=True)
class HoldingsSummary:
    """What :func:`summarize_holdings` computes; :mod:`.engine` folds it into the summary."""

    total_value: Decimal
    cash: Decimal
    invested_value: Decimal
    cost_basis: Decimal
    total_gain: Decimal
    total_return: float | None
    positions_missing_cost: int
    day_change: Decimal
    day_return: float | None
    week_return: float | None
    cash_weight: float | None
    positions: tuple[PositionSummary, ...]
    baskets: tuple[GroupSummary, ...]
    sectors: tuple[GroupSummary, ...]
    prices_as_of: datetime | None
    #: Currencies without an exchange rate on or before the as-of day (their money is not valued).
    missing_currencies: frozenset[str]
    #: The whole portfolio over each period, cash included in the base (see :mod:`.periods`).
    periods: tuple[PeriodChange, ...]


def rate_day(
    as_of: datetime, *, tz: tzinfo, calendar: MarketCalendar, close: time = US_CLOSE,
    closes_at_session_end: bool = True, close_days: Iterable[date] = (),
) -> date:
    """The day whose exchange rates (the latest on or before it) convert a summary at ``as_of``.

    A rate is dated by day like a daily close, so it follows the closes, as the history does (a
    history point converts that day's prices, the closes carried to it, at that day's rates): the
    last session whose close had passed at ``as_of`` (before the as-of day's close, the previous
    session; on a weekend, Friday), or the latest of ``close_days`` (the days of the closes the
    positions are valued at) when later: on a US holiday when a position traded abroad has a close
    recorded that day, that day. The summary then equals the history point of that day. The live
    summary (``closes_at_session_end=False``, which values at the latest prices as soon as they are
    recorded): the as-of market day's rates, the latest."""
    day = market_date(as_of, tz)
    if not closes_at_session_end:
        return day
    session_day = day
    if calendar.session(day) is None or bar_instant(day, tz, close) > as_of:
        session_day = previous_session_day(calendar, day) or day
    return max([session_day, *close_days])


def summarize_holdings(
    holdings: Holdings,
    prices: Mapping[str, PriceSeries],
    *,
    as_of: datetime,
    tz: tzinfo,
    stale_after: timedelta | None = None,
    fx: FxTable | None = None,
    market_close: time = US_CLOSE,
    closes_at_session_end: bool = True,
) -> HoldingsSummary:
    """Value ``holdings`` at ``as_of`` with exact Decimal arithmetic. Money in another currency is
    converted at the latest rate on or before the rate day (:func:`rate_day`: the day of the history
    point the summary equals); without one it is not valued."""
    market_day = market_date(as_of, tz)
    calendar = calendar_of(tz)
    fresh_from = _fresh_from(calendar, as_of) if stale_after is None else None
    fx = fx if fx is not None else FxTable(holdings.base_currency)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        lps = []
        for p in holdings.positions:
            lp = live_price(p, prices.get(p.symbol), as_of=as_of, market_day=market_day, tz=tz, close=market_close,
                            calendar=calendar, closes_at_session_end=closes_at_session_end)
            if p.splits and lp.day is not None:
                lp = _in_todays_units(lp, p, market_day)
            lps.append(lp)
        fx_day = rate_day(as_of, tz=tz, calendar=calendar, close=market_close,
                          closes_at_session_end=closes_at_session_end,
                          close_days=[lp.day for lp in lps if lp.source is PriceSource.CLOSE and lp.day is not None])
        priced = []
        for p, lp in zip(holdings.positions, lps, strict=True):
            rate = fx_rate(p, holdings.base_currency, fx, fx_day)
            mv = p.quantity * lp.price * rate if lp.price is not None and rate is not None else None
            priced.append((p, rate, lp, mv))
        invested = sum((mv for _, _, _, mv in priced if mv is not None), _ZERO)
        cash = holdings.cash
        for ccy, amount in holdings.foreign_cash.items():
            rate = fx.rate(ccy, fx_day)
            if rate is not None:
                cash += amount * rate
        total = invested + cash
        boundaries = tuple(period_boundary(period, market_day) for period in PERIODS)
        rows = [
            _position_row(
                p,
                prices.get(p.symbol),
                rate,
                lp,
                mv,
                invested,
                previous_rate=_previous_rate(p, holdings.base_currency, fx, lp, calendar, rate),
                as_of=as_of,
                market_day=market_day,
                stale_after=stale_after,
                fresh_from=fresh_from,
                base_currency=holdings.base_currency,
                boundaries=boundaries,
            )
            for p, rate, lp, mv in priced
        ]
        rows.sort(key=lambda r: (r.summary.market_value is None, -(r.summary.market_value or _ZERO), r.summary.symbol))

        cost = sum(
            (r.summary.cost_basis for r in rows if r.summary.unrealized_pnl is not None and r.summary.cost_basis),
            _ZERO,
        )
        gain = sum((r.summary.unrealized_pnl for r in rows if r.summary.unrealized_pnl is not None), _ZERO)
        missing_cost = sum(1 for r in rows if r.summary.average_cost is None and r.summary.quantity != 0)
        missing_rates = frozenset(r.summary.currency for r in rows if r.summary.fx_rate is None
                                  and r.summary.currency != holdings.base_currency) | fx.missing
        day_change = sum((r.summary.day_change for r in rows if r.summary.day_change is not None), _ZERO)
        week = PERIODS.index(Period.WEEK)
        week_return = _combine(rows, week, contributions=False).period_return

        baskets = _groups(rows, GroupKind.BASKET, invested)
        sectors = _groups(rows, GroupKind.SECTOR, invested)
        price_times = [r.summary.price_at for r in rows if r.summary.price_at is not None]
        return HoldingsSummary(
            total_value=total,
            cash=cash,
            invested_value=invested,
            cost_basis=cost,
            total_gain=gain,
            total_return=ratio(gain, cost),
            positions_missing_cost=missing_cost,
            day_change=day_change,
            day_return=ratio(day_change, total - day_change),
            week_return=week_return,
            cash_weight=ratio(cash, total),
            positions=tuple(r.summary for r in rows),
            baskets=baskets,
            sectors=sectors,
            prices_as_of=max(price_times) if price_times else None,
            missing_currencies=missing_rates,
            periods=tuple(_combine(rows, i, cash=cash, contributions=False) for i in range(len(PERIODS))),
        )


def _previous_rate(
    p: Position, base: str, fx: FxTable, lp: LivePrice, calendar: MarketCalendar, rate: Decimal | None
) -> Decimal | None:
    """The exchange rate on the previous close's day (the day before the price's session): a
    foreign position's day change in base currency is its value then against its value now, so a
    currency move counts. Today's rate when that day has none (the price move alone)."""
    if p.currency == base or lp.day is None:
        return rate
    prev_day = previous_session_day(calendar, lp.day)
    found = fx.rate_if_any(p.currency, prev_day) if prev_day is not None else None
    return found if found is not None else rate


def _position_row(
    p: Position,
    series: PriceSeries | None,
    rate: Decimal | None,
    lp: LivePrice,
    mv: Decimal | None,
    invested: Decimal,
    *,
    previous_rate: Decimal | None = None,
    as_of: datetime,
    market_day: date,
    stale_after: timedelta | None,
    fresh_from: date | None,
    base_currency: str,
    boundaries: tuple[date | None, ...],
) -> _Row:
    """``boundaries``: :func:`period_boundary` of each of ``PERIODS`` at ``market_day``."""
    live = lp.source in (PriceSource.QUOTE, PriceSource.CLOSE)
    if stale_after is not None:
        stale = live and lp.at is not None and as_of - lp.at > stale_after
    else:
        stale = live and lp.day is not None and fresh_from is not None and lp.day < fresh_from
    if rate is None:  # no exchange rate: nothing about it converts (never at 1)
        cost_basis = None
    elif p.cost_basis_base is not None:
        cost_basis = p.cost_basis_base
    elif p.from_ledger:
        # a ledger converts each purchase at its day's rate (its currency's first one when bought
        # before it, see .ledger): unknown there (no rate at all), unknown here (never today's rate)
        cost_basis = None
    else:
        cost_basis = p.quantity * p.average_cost * rate if p.average_cost is not None else None
    # A position valued at its cost has no known P&L: it stays out of total return.
    pnl = mv - cost_basis if live and mv is not None and cost_basis is not None else None
    local_return = (
        ratio(lp.price - p.average_cost, p.average_cost)
        if live and lp.price is not None and p.average_cost is not None and p.average_cost > 0 else None
    )
    total_return = ratio(pnl, cost_basis) if pnl is not None and cost_basis is not None else None
    currency_effect = (
        (1.0 + total_return) / (1.0 + local_return) - 1.0
        if total_return is not None and local_return is not None and local_return > -1.0 else None
    )

    day_change: Decimal | None = None
    day_return: float | None = None
    if stale:
        day_change, day_return = _ZERO, 0.0
    elif live and lp.price is not None and lp.previous_close is not None and rate is not None:
        # in base currency: the value now against the value at the previous close (its day's rate)
        then = previous_rate if previous_rate is not None else rate
        day_change = p.quantity * (lp.price * rate - lp.previous_close * then)
        day_return = ratio(lp.price - lp.previous_close, lp.previous_close)

    periods: list[PeriodChange] = []
    starts: list[Decimal | None] = []
    for period, boundary in zip(PERIODS, boundaries, strict=True):
        start: Decimal | None = None
        ret: float | None = None
        if boundary is None:  # 1d: the day change's reference
            start = mv - day_change if mv is not None and day_change is not None else None
            ret = day_return
        elif live and series is not None and lp.price is not None and lp.day is not None and rate is not None:
            found = start_point(series, boundary, lp.day)
            if found is not None:
                # a close from before a split, in today's units (closes are recorded as traded)
                ref = p.in_units_on(found[1], found[0], market_day)
                start = p.quantity * ref * rate
                ret = ratio(lp.price - ref, ref)
        change = mv - start if mv is not None and start is not None else _ZERO
        periods.append(PeriodChange(period, change, ret, 0 if start is None else 1))
        starts.append(start)

    summary = PositionSummary(
        symbol=p.symbol,
        quantity=p.quantity,
        currency=p.currency,
        sector=p.sector or UNCLASSIFIED_SECTOR,
        asset_class=p.asset_class,
        basket=p.basket,
        tags=p.tags,
        price=lp.price,
        price_source=lp.source,
        price_computed=lp.scaled or (lp.source is not PriceSource.COST_BASIS and series is not None
                                     and bool(series.converted_from)),
        price_at=lp.at,
        previous_close=lp.previous_close,
        market_value=mv,
        weight=ratio(mv, invested) if mv is not None else None,
        average_cost=p.average_cost,
        cost_basis=cost_basis,
        unrealized_pnl=pnl,
        unrealized_return=total_return,
        fx_rate=rate if p.currency != base_currency else None,
        local_return=local_return,
        currency_effect=currency_effect,
        day_change=day_change,
        day_return=day_return,
        week_return=periods[PERIODS.index(Period.WEEK)].period_return,
        stale=stale,
        periods=tuple(periods),
    )
    members = (
        tuple(Member(p.symbol, mv, start, change.period_return) for start, change in zip(starts, periods, strict=True))
        if mv is not None else (None,) * len(PERIODS)
    )
    return _Row(summary, tuple(starts), members)


def _fresh_from(calendar: MarketCalendar, as_of: datetime) -> date | None:
    """The oldest price day that is not stale at ``as_of``: the session before the last closed one."""
    last = last_closed_session_day(calendar, as_of)
    return previous_session_day(calendar, last) if last is not None else None


def _combine(rows: list[_Row], i: int, *, cash: Decimal = _ZERO, contributions: bool = True) -> PeriodChange:
    """The holdings-based change of ``rows`` over ``PERIODS[i]`` (valued rows only)."""
    members = [m for m in (r.members[i] for r in rows) if m is not None]
    return combine(PERIODS[i], members, cash=cash, contributions=contributions)


def _groups(rows: list[_Row], kind: GroupKind, invested: Decimal) -> tuple[GroupSummary, ...]:
    members: dict[str, list[_Row]] = {}
    for r in rows:
        if r.summary.market_value is None:
            continue
        key = r.summary.basket if kind is GroupKind.BASKET else r.summary.sector
        if key is None:
            continue
        members.setdefault(key, []).append(r)
    groups = []
    for name, rs in members.items():
        mv = sum((r.summary.market_value for r in rs if r.summary.market_value is not None), _ZERO)
        known = [r.summary for r in rs if r.summary.unrealized_pnl is not None]
        cost = sum((s.cost_basis for s in known if s.cost_basis is not None), _ZERO)
        pnl = sum((s.unrealized_pnl for s in known if s.unrealized_pnl is not None), _ZERO)
        dc = sum((r.summary.day_change for r in rs if r.summary.day_change is not None), _ZERO)
        periods = tuple(_combine(rs, i) for i in range(len(PERIODS)))
        week = periods[PERIODS.index(Period.WEEK)]
        groups.append(
            GroupSummary(
                kind=kind,
                name=name,
                symbols=tuple(r.summary.symbol for r in rs),
                market_value=mv,
                weight=ratio(mv, invested),
                cost_basis=cost,
                unrealized_pnl=pnl,
                unrealized_return=ratio(pnl, cost),
                day_change=dc,
                day_return=ratio(dc, mv - dc),
                week_return=week.period_return,
                week_contributors=tuple(
                    Contribution(c.symbol, c.period_return, c.contribution) for c in week.contributions
                ),
                periods=periods,
            )
        )
    groups.sort(key=lambda g: (-g.market_value, g.name))
    return tuple(groups)


def benchmark_periods(
    benchmark: PriceSeries | None, *, as_of: datetime, tz: tzinfo, market_close: time = US_CLOSE
) -> tuple[PeriodChange, ...]:
    """The benchmark's price return over the same periods as :func:`summarize_holdings` uses.

    ``change`` is the price change of one unit. Empty without a benchmark series.
    """
    if benchmark is None:
        return ()
    market_day = market_date(as_of, tz)
    lp = live_price(
        Position(symbol=benchmark.symbol, quantity=Decimal(1)),
        benchmark,
        as_of=as_of,
        market_day=market_day,
        tz=tz,
        close=market_close,
    )
    out = []
    for period in PERIODS:
        boundary = period_boundary(period, market_day)
        ref: Decimal | None = None
        if lp.price is not None and lp.day is not None:
            ref = lp.previous_close if boundary is None else start_close(benchmark, boundary, lp.day)
        if lp.price is None or ref is None:
            out.append(PeriodChange(period, _ZERO, None, 0))
        else:
            out.append(PeriodChange(period, lp.price - ref, ratio(lp.price - ref, ref), 1))
    return tuple(out)
