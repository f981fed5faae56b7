"""Entry points the RPC layer and the scheduler call. Pure and synchronous (CPU only).

* :func:`compute_summary` -> :class:`~.models.PortfolioSummary` (``GetPortfolioSummary``);
* :func:`compute_history` -> :class:`~.history.PerformanceHistory` (``GetPerformanceHistory``);
* :func:`daily_returns` -> the TWR series (alerts need the last 90 days for their sigma);
* :func:`build_valuation_for` -> the shared valuation, if a caller wants summary and history
  from one pass (pass it back through ``valuation=``).

``as_of`` is an aware instant; everything dated after its market date (in
``settings.market_timezone``) is ignored, so a past ``as_of`` replays the summary as it was
(given the same inputs).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from stack_cfo.core.errors import FailedPrecondition, InvalidArgument, NotFound
from stack_cfo.core.portfolio.diversification import compute_diversification
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.history import (
    DateRange,
    HistoryRange,
    Interval,
    PerformanceHistory,
    history_points,
    range_bounds,
)
from stack_cfo.core.portfolio.insights import generate_insights
from stack_cfo.core.portfolio.models import HoldingsSnapshot, PortfolioInputs, PriceSeries
from stack_cfo.core.portfolio.results import Metric, Period, PortfolioSummary, RiskMetrics, UnavailableReason
from stack_cfo.core.portfolio.risk import compute_risk
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.summary import bar_instant, benchmark_periods, summarize_holdings
from stack_cfo.core.portfolio.valuation import (
    ValuationSeries,
    benchmark_returns_for,
    build_valuation,
    market_date,
)
from stack_cfo.core.portfolio.xirr import portfolio_flows, xirr

_DEFAULT_SETTINGS = AnalyticsSettings()


def _check_as_of(as_of: datetime) -> None:
    if not isinstance(as_of, datetime) or as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidArgument.field("as_of", "must be a timezone-aware datetime")


def _no_holdings_as_of(day: date, first: date) -> FailedPrecondition:
    return FailedPrecondition(
        "the portfolio has no holdings on or before the requested date",
        reason="NO_HOLDINGS_AS_OF",
        metadata={"as_of_date": day.isoformat(), "first_effective": first.isoformat()},
    )


def current_snapshot(inputs: PortfolioInputs, day: date) -> HoldingsSnapshot:
    """The snapshot in force on ``day``; NotFound without holdings, FailedPrecondition before the first."""
    t = inputs.timeline
    if t is not None:
        if not len(t.effective):
            raise NotFound("the ledger of this portfolio is empty", reason="PORTFOLIO_NOT_FOUND")
        k = t.segment_on_or_before(day)
        if k < 0:
            raise _no_holdings_as_of(day, date.fromordinal(int(t.effective[0])))
        return HoldingsSnapshot(date.fromordinal(int(t.effective[k])), t.holdings_at(k))
    if not inputs.holdings:
        raise NotFound("no holdings have been synced for this portfolio", reason="PORTFOLIO_NOT_FOUND")
    chosen = None
    for s in inputs.holdings:  # sorted by effective date
        if s.effective <= day:
            chosen = s
    if chosen is None:
        raise _no_holdings_as_of(day, inputs.holdings[0].effective)
    return chosen


def money_weighted(series: ValuationSeries) -> Metric:
    """XIRR of the valuation series (see :mod:`.xirr`)."""
    if len(series.days) < 2 or series.days[-1] <= series.days[0]:
        return Metric.absent(UnavailableReason.INSUFFICIENT_HISTORY)
    rate = xirr(portfolio_flows(series))
    return Metric.of(rate) if rate is not None else Metric.absent(UnavailableReason.UNDEFINED)


def currency_split(series: ValuationSeries, risk: RiskMetrics) -> tuple[Metric, Metric]:
    """(local_return, currency_effect) over the same returns as the TWR (see the contract)."""
    if series.fx.missing:
        missing = Metric.absent(UnavailableReason.MISSING_EXCHANGE_RATE)
        return missing, missing
    twr = risk.cumulative_return
    if twr.value is None:
        return twr, twr
    local = series.local_returns
    if len(local) != len(series.returns):  # pragma: no cover - built together
        return Metric.absent(UnavailableReason.UNDEFINED), Metric.absent(UnavailableReason.UNDEFINED)
    window = len(risk_returns_window(series.returns, risk))
    used = local[len(local) - window:] if window else local[:0]
    if bool(np.any(used < -1.0)):
        undefined = Metric.absent(UnavailableReason.UNDEFINED)
        return undefined, undefined
    lr = float(np.prod(1.0 + used) - 1.0) if window else 0.0
    if lr <= -1.0:
        return Metric.of(lr), Metric.absent(UnavailableReason.UNDEFINED)
    return Metric.of(lr), Metric.of((1.0 + twr.value) / (1.0 + lr) - 1.0)


def risk_returns_window(returns: np.ndarray, risk: RiskMetrics) -> np.ndarray:
    """The returns the risk metrics were computed on (the last ``observations``)."""
    return returns[len(returns) - risk.observations:] if risk.observations else returns[:0]


def benchmark_of(inputs: PortfolioInputs, settings: AnalyticsSettings) -> PriceSeries | None:
    if inputs.benchmark is not None:
        return inputs.benchmark
    return inputs.prices.get(settings.benchmark_symbol)


def build_valuation_for(
    inputs: PortfolioInputs, *, as_of: datetime, settings: AnalyticsSettings = _DEFAULT_SETTINGS
) -> ValuationSeries:
    _check_as_of(as_of)
    return build_valuation(inputs, through=market_date(as_of, settings.tz), tz=settings.tz)


def risk_of(series: ValuationSeries, benchmark: PriceSeries | None, settings: AnalyticsSettings) -> RiskMetrics:
    """Risk metrics of the valuation's TWR series (last ``risk_window`` returns when set)."""
    returns = series.returns
    bench = benchmark_returns_for(series, benchmark) if benchmark is not None else None
    idx = series.return_index
    if settings.risk_window is not None and len(returns) > settings.risk_window:
        returns = returns[-settings.risk_window :]
        idx = idx[-settings.risk_window :]
        bench = bench[-settings.risk_window :] if bench is not None else None
    start = series.days[int(idx[0]) - 1] if len(idx) else None
    end = series.days[int(idx[-1])] if len(idx) else None
    return compute_risk(returns, bench, params=settings.risk_parameters(), start=start, end=end)


def compute_summary(
    inputs: PortfolioInputs,
    *,
    as_of: datetime,
    settings: AnalyticsSettings = _DEFAULT_SETTINGS,
    valuation: ValuationSeries | None = None,
    closes_at_session_end: bool = True,
    holdings_if_none: date | None = None,
) -> PortfolioSummary:
    """The full portfolio summary at ``as_of`` (see the modules for each part's conventions).

    ``closes_at_session_end=False`` (the live summary, as of now) uses a daily close dated today
    even before its session's close: the caller posted it as the latest price. ``holdings_if_none``:
    when nothing was held yet on the as-of day (NO_HOLDINGS_AS_OF), the holdings in force on that
    day instead, valued at the prices of ``as_of`` (a portfolio first synced after a digest's close
    is reported as it is now, at that close); it then has no history before ``as_of``."""
    _check_as_of(as_of)
    tz = settings.tz
    day = market_date(as_of, tz)
    try:
        snap = current_snapshot(inputs, day)
    except FailedPrecondition as exc:
        if holdings_if_none is None or exc.reason != "NO_HOLDINGS_AS_OF":
            raise
        snap = current_snapshot(inputs, holdings_if_none)
    holdings = snap.holdings
    benchmark = benchmark_of(inputs, settings)

    fx = FxTable(holdings.base_currency, inputs.fx_rates)
    hs = summarize_holdings(
        holdings,
        inputs.prices,
        as_of=as_of,
        tz=tz,
        stale_after=settings.stale_after,
        fx=fx,
        market_close=settings.market_close,
        closes_at_session_end=closes_at_session_end,
    )
    # a past as-of time before the day's close: the day's bar is not in the returns either
    closed = not closes_at_session_end or as_of >= bar_instant(day, tz, settings.market_close)
    through = day if closed else day - timedelta(days=1)
    series = valuation if valuation is not None else build_valuation(inputs, through=through, tz=tz)
    risk = risk_of(series, benchmark, settings)
    ledger = inputs.ledger_figures(day) if inputs.ledger_figures is not None else None
    local, currency = currency_split(series, risk)
    missing = set(hs.missing_currencies) | series.fx.missing | set(ledger.missing_currencies if ledger else ())
    diversification = compute_diversification(
        hs.positions,
        cash_weight=hs.cash_weight,
        target_positions=settings.target_positions,
        target_sectors=settings.target_sectors,
    )
    bench_symbol = benchmark.symbol if benchmark is not None else settings.benchmark_symbol
    bench_periods = benchmark_periods(benchmark, as_of=as_of, tz=tz, market_close=settings.market_close)
    bench_week = next((c.period_return for c in bench_periods if c.period is Period.WEEK), None)
    insights = generate_insights(
        positions=hs.positions,
        baskets=hs.baskets,
        sectors=hs.sectors,
        risk=risk,
        cash=hs.cash,
        cash_weight=hs.cash_weight,
        benchmark_symbol=bench_symbol,
        benchmark_week_return=bench_week,
        as_of=as_of,
        thresholds=settings.thresholds,
        missing_currencies=sorted(missing),
    )
    return PortfolioSummary(
        user=holdings.user,
        base_currency=holdings.base_currency,
        as_of=as_of,
        market_date=day,
        total_value=hs.total_value,
        cash=hs.cash,
        invested_value=hs.invested_value,
        cost_basis=hs.cost_basis,
        total_gain=hs.total_gain,
        total_return=hs.total_return,
        positions_missing_cost=hs.positions_missing_cost,
        day_change=hs.day_change,
        day_return=hs.day_return,
        week_return=hs.week_return,
        benchmark_symbol=bench_symbol,
        benchmark_week_return=bench_week,
        cash_weight=hs.cash_weight,
        positions=hs.positions,
        baskets=hs.baskets,
        sectors=hs.sectors,
        risk=risk,
        diversification=diversification,
        insights=insights,
        history_start=series.days[0] if series.days else None,
        history_end=series.days[-1] if series.days else None,
        prices_as_of=hs.prices_as_of,
        periods=hs.periods,
        benchmark_periods=bench_periods,
        source="LEDGER" if inputs.timeline is not None else "SNAPSHOTS",
        ledger=ledger,
        money_weighted_return=money_weighted(series),
        local_return=local,
        currency_effect=currency,
        missing_currencies=tuple(sorted(missing)),
    )


def compute_history(
    inputs: PortfolioInputs,
    *,
    as_of: datetime,
    range: HistoryRange | DateRange = HistoryRange.ONE_YEAR,
    interval: Interval = Interval.DAILY,
    settings: AnalyticsSettings = _DEFAULT_SETTINGS,
    valuation: ValuationSeries | None = None,
) -> PerformanceHistory:
    """Chart points over ``range`` ending at ``as_of`` (see :mod:`.history`)."""
    _check_as_of(as_of)
    tz = settings.tz
    day = market_date(as_of, tz)
    if not inputs.has_holdings:
        raise NotFound("no holdings have been synced for this portfolio", reason="PORTFOLIO_NOT_FOUND")
    series = valuation if valuation is not None else build_valuation(inputs, through=day, tz=tz)
    start, end = range_bounds(range, day, last_valuation=_last_valuation_day(series, day))
    benchmark = benchmark_of(inputs, settings)
    points = history_points(series, benchmark, start=start, end=end, interval=interval)
    return PerformanceHistory(
        start=start,
        end=end,
        interval=interval,
        benchmark_symbol=benchmark.symbol if benchmark is not None else None,
        points=points,
    )


def _last_valuation_day(series: ValuationSeries, day: date) -> date | None:
    i = series.index_on_or_before(day)
    return series.days[i] if i >= 0 else None


def daily_returns(
    inputs: PortfolioInputs, *, as_of: datetime, settings: AnalyticsSettings = _DEFAULT_SETTINGS
) -> tuple[tuple[date, float], ...]:
    """The daily TWR returns up to ``as_of``: ``(day the return ends on, return)``."""
    series = build_valuation_for(inputs, as_of=as_of, settings=settings)
    return tuple(zip(series.return_dates, (float(r) for r in series.returns), strict=True))
