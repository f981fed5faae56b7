"""The notifications' :class:`~stack_cfo.core.notifications.ports.PortfolioReader` over the
portfolio domain service (``PortfolioService``: the same summaries, history and alert rule the
API serves), so a digest never disagrees with what the app shows.

- digest: the summary at the close of the reported trading day (the last session on or before
  the local day before the digest's date: a weekend or holiday is never reported; sent before
  that close: the latest close before, a session in progress is never a day's result), one
  month of daily values for the chart, the portfolio core's own sentences as the narrative;
- weekly: the summary at the end of the week against the one at its start (volatility,
  diversification score), the week's movers and the core's insights; the value at the last close
  before the week and at its end (cash included), the net deposits and withdrawals in between and
  the whole portfolio's time-weighted return over it (:func:`_week_return`), the return its words
  state beside those values. ``week_return`` stays the invested positions' price return (cash
  left out), the portfolio API's ``week_return_percent``;

A portfolio first synced after the reported day (a new user) has no summary at that day's close
(none is computed before the first snapshot's effective date): its digest reports the holdings
as they are now, dated by the last session whose close they are valued at, never the reported
day's label over other figures. A weekly summary measures its week from the last close before it;
a portfolio first synced after the week began has no value then, so its summary covers its
holdings now over the seven days to its market date (their prices a week back against now, the
holdings-based change), labelled with those seven days (ending by the user's local date:
:meth:`~stack_cfo.core.notifications.ports.WeeklyFacts.ending_by`); today's cash is held all week,
so its portfolio return is the change over the start value, no flow in it.
- alert: :func:`stack_cfo.core.portfolio.evaluate_alert` with the user's thresholds on the
  move since the previous close, volatility from the last 90 daily TWR returns. The move is the
  summary's day change measured from that close: today's holdings (today's cash included, so a
  deposit or withdrawal is never a move) at the previous close against now, a stale price moving
  nothing and a price not newer than that close moving only with its currency; each position's
  move in base currency is a driver, and the drivers add up to the portfolio's move.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.errors import FailedPrecondition, NotFound
from stack_cfo.core.i18n import Localizer
from stack_cfo.core.market_calendar import calendar_for, last_closed_session_day, previous_session_day
from stack_cfo.core.notifications.ports import (
    AlertFacts,
    DigestFacts,
    Holding,
    Mover,
    ValuePoint,
    WeeklyFacts,
)
from stack_cfo.core.portfolio import AlertRule, AlertWindow, evaluate_alert
from stack_cfo.core.portfolio.history import DateRange
from stack_cfo.core.portfolio.insight_texts import insight_text
from stack_cfo.core.portfolio.narrative import narrative_sentences, summary_document
from stack_cfo.core.portfolio.periods import ratio
from stack_cfo.core.portfolio.results import HistoryPoint, Period, PriceSource

if TYPE_CHECKING:
    from stack_cfo.core.portfolio import PortfolioService, SummaryView
    from stack_cfo.core.portfolio.results import PortfolioSummary

log = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")
CLOSE = time(16, 0)
CHART_DAYS = 30
VOL_DAYS = 140  # calendar days covering the 90 trading days the alert rule looks at


def _close_of(day: date) -> datetime:
    return datetime.combine(day, CLOSE, NEW_YORK).astimezone(UTC)


def _digest_close(day: date, now: datetime) -> datetime:
    """The close a digest reporting local ``day`` (the day before its date) is computed at: that of
    the last trading day on or before ``day`` (a digest sent on Sunday or Monday reports Friday,
    one after a holiday the session before it), or, when the digest goes out before it (east of
    about UTC+11 a morning digest is sent while New York's session of the local day before is
    still open), the latest close before ``now``: a digest never presents a session in progress
    as the day's result, nor a day without a session as a trading day."""
    calendar = calendar_for("America/New_York")
    session = day if calendar.session(day) is not None else previous_session_day(calendar, day)
    close = _close_of(session) if session is not None else now
    if close <= now:
        return close
    last = last_closed_session_day(calendar, now)
    return _close_of(last) if last is not None else now


def _session_of(s: PortfolioSummary) -> date:
    """The trading day whose close a summary's day figures are: its market date when that session
    had closed at the summary's instant (a digest's summary is taken at a close), else the last
    session closed by then (a new user's summary taken now, on a weekend or before the close)."""
    calendar = calendar_for("America/New_York")
    if calendar.session(s.market_date) is not None and _close_of(s.market_date) <= s.as_of:
        return s.market_date
    return last_closed_session_day(calendar, s.as_of) or s.market_date


class PortfolioFacts:
    def __init__(self, service: PortfolioService, *, clock: Clock | None = None) -> None:
        self.service = service
        self.clock = clock or SystemClock()

    async def _summary(self, user_id: str, as_of: datetime, *, or_now: bool = False,
                       holdings_now: bool = False) -> SummaryView | None:
        """The summary at ``as_of``; ``None`` without a portfolio, or when it was first synced after
        ``as_of`` (no holdings then). In that last case, ``holdings_now``: the holdings as they are
        now, valued at ``as_of`` (a new user's first digest: at the last close, dated by that session,
        as the contract says; it showed today's prices as that close's); ``or_now``: the summary as of
        now (an alert, evaluated at the current instant anyway)."""
        now = self.clock.now()
        try:
            # the live summary's rule (a close posted today counts at once), so a digest's figures are
            # the ones GetPortfolioSummary shows at the same time
            return await self.service.summary(user_id, min(as_of, now), live=True, holdings_now=holdings_now)
        except NotFound:
            return None
        except FailedPrecondition as exc:
            if exc.reason != "NO_HOLDINGS_AS_OF":
                raise
        if not or_now:
            return None
        try:
            return await self.service.summary(user_id, now, live=True)
        except (NotFound, FailedPrecondition):
            return None

    async def _history(self, user_id: str, start: date, end: date) -> tuple[HistoryPoint, ...]:
        try:
            view = await self.service.history(user_id, DateRange(start, end))
        except NotFound:
            return ()
        return view.history.points

    async def _values(self, user_id: str, start: date, end: date) -> tuple[ValuePoint, ...]:
        return tuple(ValuePoint(p.date, p.value) for p in await self._history(user_id, start, end))

    async def digest_facts(self, user_id: str, day: date) -> DigestFacts | None:
        # One user's numbers, read in their scope (row-level security) even inside the worker's
        # system scope: a digest can only ever see its own user's rows. Likewise below.
        with user_scope(user_id):
            view = await self._summary(user_id, _digest_close(day, self.clock.now()), holdings_now=True)
            if view is None or not view.summary.positions:
                return None
            s = view.summary
            reported = _session_of(s)
            holdings = tuple(
                Holding(p.symbol, w, p.market_value or Decimal(0), p.day_return)
                for p, w in zip(s.positions, view.position_weights, strict=True)
            )
            history = await self._values(user_id, s.market_date - timedelta(days=CHART_DAYS), s.market_date)
            narrative = " ".join(narrative_sentences(s, max_movers=2, max_insights=1)[:3])

            def narrator(l10n: Localizer, s: PortfolioSummary = s) -> str:
                return " ".join(narrative_sentences(s, max_movers=2, max_insights=1, l10n=l10n)[:3])

            return DigestFacts(
                day=reported,
                currency=s.base_currency,
                total_value=s.total_value,
                change=s.day_change,
                day_return=s.day_return,
                holdings=holdings,
                history=history,
                narrative=narrative,
                narrator=narrator,
                # the session the day's figures are of (a new user's summary is taken now, dated today: the AI
                # was told "market_date: Monday" over Friday's move, which the digest reports)
                data={**summary_document(s), "market_date": reported.isoformat()},
                as_of=s.as_of,
            )

    async def weekly_facts(self, user_id: str, week_start: date, week_end: date) -> WeeklyFacts | None:
        with user_scope(user_id):
            end_view = await self._summary(user_id, _close_of(week_end))
            start_at = _close_of(week_start - timedelta(days=1))
            start_view = await self._summary(user_id, start_at) if end_view is not None else None
            if end_view is None or start_view is None:
                # first synced after the week began: no value at its start, so no change over it
                return await self._week_so_far(user_id)
            if not end_view.summary.positions:
                return None
            s = end_view.summary
            points = await self._history(user_id, week_start - timedelta(days=CHART_DAYS), s.market_date)
            history = tuple(ValuePoint(p.date, p.value) for p in points)
            before = [p for p in history if p.day < week_start]
            # the last close before the week (the start the week return is measured from); without a
            # valuation day before it (synced over the weekend before), the summary at its start
            start_value = before[-1].value if before else start_view.summary.total_value
            portfolio_return, net_flows = _week_return(
                points, week_start, week_end, start_value, s.total_value, anchored=bool(before)
            )
            movers = _week_movers(s)
            prev = start_view.summary
            return WeeklyFacts(
                week_start=week_start,
                week_end=week_end,
                currency=s.base_currency,
                start_value=start_value,
                end_value=s.total_value,
                change=s.total_value - start_value,
                week_return=s.week_return,
                portfolio_return=portfolio_return,
                net_flows=net_flows,
                benchmark_symbol=s.benchmark_symbol,
                benchmark_return=s.benchmark_week_return,
                top_movers=movers,
                volatility=s.risk.volatility.value,
                previous_volatility=prev.risk.volatility.value,
                diversification=end_view.diversification_score.value,
                previous_diversification=start_view.diversification_score.value,
                insights=tuple(i.message for i in s.insights[:3]),
                insights_writer=lambda l10n, s=s: tuple(  # type: ignore[misc]
                    insight_text(i, l10n, benchmark=s.benchmark_symbol) for i in s.insights[:3]
                ),
                history=tuple(p for p in history if p.day >= week_start - timedelta(days=7)),
                portfolio=summary_document(s),
                as_of=s.as_of,
            )

    async def _week_so_far(self, user_id: str) -> WeeklyFacts | None:
        """A new portfolio's summary: its holdings now over the seven days to its market date, priced
        at the start of that window (the holdings-based week change of :mod:`...portfolio.periods`,
        as every week return here is), and labelled with that window, not the week asked for."""
        view = await self._summary(user_id, self.clock.now())
        if view is None or not view.summary.positions:
            return None
        s = view.summary
        week = next((p for p in s.periods if p.period is Period.WEEK), None)
        # nothing held has a price a week back (valued at cost): no change, and no return
        change = week.change if week is not None and week.period_return is not None else Decimal(0)
        start_value = s.total_value - change
        history = await self._values(user_id, s.market_date - timedelta(days=CHART_DAYS), s.market_date)
        return WeeklyFacts(
            week_start=s.market_date - timedelta(days=6),
            week_end=s.market_date,
            currency=s.base_currency,
            start_value=start_value,
            end_value=s.total_value,
            change=change,
            week_return=s.week_return,
            # no flows by construction (the holdings now, today's cash held all week): end over start
            portfolio_return=ratio(change, start_value) if start_value > 0 else None,
            benchmark_symbol=s.benchmark_symbol,
            benchmark_return=s.benchmark_week_return,
            top_movers=_week_movers(s),
            volatility=s.risk.volatility.value,
            diversification=view.diversification_score.value,
            insights=tuple(i.message for i in s.insights[:3]),
            insights_writer=lambda l10n, s=s: tuple(  # type: ignore[misc]
                insight_text(i, l10n, benchmark=s.benchmark_symbol) for i in s.insights[:3]
            ),
            history=history,
            portfolio=summary_document(s),
            as_of=s.as_of,
        )

    async def alert_facts(
        self, user_id: str, at: datetime, *, threshold_percent: float, threshold_sigma: float
    ) -> AlertFacts | None:
        with user_scope(user_id):
            view = await self._summary(user_id, at, or_now=True)
            if view is None or not view.summary.positions:
                return None
            s = view.summary
            points = await self._history(user_id, s.market_date - timedelta(days=VOL_DAYS), s.market_date)
            returns = _daily_returns(points)
            history = tuple(ValuePoint(p.date, p.value) for p in points)
            previous = [p for p in history if p.day < s.market_date]
            if previous:
                ref_day = previous[-1].day
            else:
                # first valued today (synced today, or over the weekend before): no valuation day before
                # it, but today's move is still its holdings' since the previous session's close, as the
                # summary's day change is (it was never alerted, whatever the move); no returns: no sigma
                found = previous_session_day(calendar_for("America/New_York"), s.market_date)
                if found is None:
                    return None
                ref_day = found
            ref_at = _close_of(ref_day)
            moves = await self._moves_since(user_id, s, ref_day, ref_at)
            change = sum(moves.values(), Decimal(0))
            # today's holdings (today's cash included: deposits and withdrawals are not moves) valued
            # at the previous close, as the summary's day change is
            reference = (ref_at, s.total_value - change)
            decision = evaluate_alert(
                [reference, (at, s.total_value)],
                returns,
                AlertRule(threshold_pct=threshold_percent, threshold_sigma=threshold_sigma, window=AlertWindow.DAY),
                position_moves=moves,
            )
            if not decision.fires or decision.move_pct is None or decision.reference_value is None:
                return None
            values = {p.symbol: p.market_value for p in s.positions}
            drivers = tuple(
                Mover(d.symbol, _move_return(values.get(d.symbol), d.change), d.change) for d in decision.drivers
            )
            return AlertFacts(
                at=at,
                currency=s.base_currency,
                value=s.total_value,
                change=s.total_value - decision.reference_value,
                move=decision.move_pct / 100,
                sigma=decision.sigma,
                threshold_sigma=threshold_sigma,
                drivers=drivers,
                history=history[-CHART_DAYS:],
                threshold_percent=threshold_percent,
                crossed=decision.crossed,
            )

    async def _moves_since(
        self, user_id: str, s: PortfolioSummary, ref_day: date, ref_at: datetime
    ) -> dict[str, Decimal]:
        """Each position's move since the close of ``ref_day`` in base currency, at today's quantity.

        - a stale price moves nothing (the summary's day change is 0 for it too);
        - a price from a session after ``ref_day`` (today's): the summary's own day change, the
          value now against the previous close at that close's exchange rate;
        - a price from ``ref_day`` or before (no new price since the reference close): no price move,
          only the currency's, its value now against its value at ``ref_day``'s rate (0 in base
          currency). The summary's day change would repeat that earlier session's move here.
        """
        moves: dict[str, Decimal] = {}
        ref_rates: dict[str, Decimal] | None = None
        for p in s.positions:
            if p.stale or p.market_value is None or p.price_at is None:
                continue
            if p.price_source not in (PriceSource.QUOTE, PriceSource.CLOSE):
                continue  # valued at cost: no move
            if p.price_at.astimezone(NEW_YORK).date() > ref_day:
                if p.day_change is not None:
                    moves[p.symbol] = p.day_change
                continue
            if p.currency == s.base_currency or p.fx_rate is None or p.fx_rate == 0:
                continue
            if ref_rates is None:
                ref_rates = await self._rates_at(user_id, ref_at)
            then = ref_rates.get(p.currency)
            if then is not None and then != p.fx_rate:
                moves[p.symbol] = p.market_value - p.market_value * then / p.fx_rate
        return moves

    async def _rates_at(self, user_id: str, at: datetime) -> dict[str, Decimal]:
        """The exchange rates the summary at ``at`` converted its positions with, by currency."""
        view = await self._summary(user_id, at)
        if view is None:
            return {}
        return {p.currency: p.fx_rate for p in view.summary.positions if p.fx_rate is not None}


def _week_return(
    points: Sequence[HistoryPoint],
    week_start: date,
    week_end: date,
    start_value: Decimal,
    end_value: Decimal,
    *,
    anchored: bool,
) -> tuple[float | None, Decimal]:
    """The whole portfolio's (cash included) time-weighted return from ``start_value`` to ``end_value``
    over the week, and the net external flows (+ deposits, - withdrawals) in it: the value change is
    the return's gain plus those flows, so a deposit is never a gain.

    The daily TWR of the valuation history (:mod:`~stack_cfo.core.portfolio.valuation`) chained from
    the last close before the week (``anchored``), else from ``start_value`` (the summary at the week's
    start of a portfolio whose first valuation day is in the week: that day's flow is its initial
    capital, already in ``start_value``). A change of the value after the week's last valuation day
    (a sync over the weekend: no session moved it) is money in or out, counted with the flows. With no
    flow at all the return is exactly ``end_value / start_value - 1``."""
    if start_value <= 0:
        return None, Decimal(0)
    before = [p for p in points if p.date < week_start]
    within = [p for p in points if week_start <= p.date <= week_end]
    if anchored and before:
        base, growth, flows = before[-1], 1.0, sum((p.net_flow for p in within), Decimal(0))
    elif within:
        base, growth = within[0], float(within[0].value / start_value)
        flows = sum((p.net_flow for p in within[1:]), Decimal(0))
    else:
        return ratio(end_value - start_value, start_value), Decimal(0)
    last = within[-1] if within else base
    flows += end_value - last.value
    if flows == 0 and all(p.net_flow == 0 for p in within[0 if anchored else 1 :]):
        return ratio(end_value - start_value, start_value), Decimal(0)
    if 1 + base.cumulative_twr <= 0 or last.value <= 0:
        return None, flows
    growth *= (1 + last.cumulative_twr) / (1 + base.cumulative_twr)
    return growth - 1, flows


def _move_return(value: Decimal | None, change: Decimal) -> float | None:
    """A position's return over the alert's window in base currency: its change over its value then."""
    if value is None or value - change == 0:
        return None
    return float(change / (value - change))


def _week_movers(s: PortfolioSummary, limit: int = 3) -> tuple[Mover, ...]:
    out = []
    for p in s.positions:
        if p.week_return is None or p.market_value is None or p.week_return <= -1:
            continue
        contribution = p.market_value - p.market_value / Decimal(str(1 + p.week_return))
        out.append(Mover(p.symbol, p.week_return, contribution.quantize(Decimal("0.01"))))
    out.sort(key=lambda m: (-abs(m.contribution), m.symbol))
    return tuple(out[:limit])


def _daily_returns(points: tuple[HistoryPoint, ...]) -> list[float]:
    """Daily time-weighted returns from the cumulative TWR (deposits and withdrawals removed)."""
    return [(1 + cur.cumulative_twr) / (1 + prev.cumulative_twr) - 1 for prev, cur in itertools.pairwise(points)
            if 1 + prev.cumulative_twr > 0]  # fmt: skip
