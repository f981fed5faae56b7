"""Typed outputs of the portfolio analytics core: summaries, figures, insights, history points.

Units as stated in :mod:`.models`: money is exact :class:`~decimal.Decimal` in the base currency
(round once at presentation with :func:`~.models.to_cents`), ratios are ``float`` fractions, and
an undefined ratio is ``None`` or a :class:`Metric` with an :class:`UnavailableReason`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stack_cfo.core.portfolio.models import LedgerFigures


class UnavailableReason(StrEnum):
    """Why a metric has no value. Stable codes: clients switch on them."""

    #: Fewer than 2 observations, or fewer than the minimum history for an annualised figure.
    INSUFFICIENT_HISTORY = "INSUFFICIENT_HISTORY"
    #: The denominator is a dispersion that is zero (constant returns; no return below the
    #: risk-free rate for Sortino; a constant benchmark for beta).
    ZERO_DISPERSION = "ZERO_DISPERSION"
    #: No benchmark series, or no date shared with the portfolio's returns.
    NO_BENCHMARK = "NO_BENCHMARK"
    #: Mathematically undefined otherwise (wealth below 0, overflow; also Calmar without a
    #: drawdown, which the contract reports as NO_DRAWDOWN: see ``SummaryView.calmar_no_drawdown``).
    UNDEFINED = "UNDEFINED"
    #: A figure needs an exchange rate that was not recorded (never computed with 1).
    MISSING_EXCHANGE_RATE = "MISSING_EXCHANGE_RATE"
    #: The return series is not daily (closes recorded weekly, monthly...): the per-trading-day
    #: figures (annualised with 252 a year, 1-day VaR) would mislead.
    SPARSE_HISTORY = "SPARSE_HISTORY"


@dataclass(frozen=True, slots=True)
class Metric:
    """A ratio that is either a finite ``value`` or absent with a ``reason``; never both, never NaN."""

    value: float | None
    reason: UnavailableReason | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.reason is None):
            raise ValueError("Metric needs exactly one of value and reason")
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError("Metric value must be finite")

    @classmethod
    def of(cls, value: float) -> Metric:
        """A value, or UNDEFINED when it is not finite (the last guard against NaN/inf)."""
        v = float(value)
        return cls(v) if math.isfinite(v) else cls(None, UnavailableReason.UNDEFINED)

    @classmethod
    def absent(cls, reason: UnavailableReason) -> Metric:
        return cls(None, reason)

    @property
    def available(self) -> bool:
        return self.value is not None


class PriceSource(StrEnum):
    """Where a position's price came from."""

    QUOTE = "QUOTE"  # latest intraday quote (newer than the last daily bar)
    CLOSE = "CLOSE"  # last daily close
    COST_BASIS = "COST_BASIS"  # no price at all: valued at its average cost
    NONE = "NONE"  # no price and no cost: not valued (excluded from totals)


class GroupKind(StrEnum):
    BASKET = "BASKET"
    SECTOR = "SECTOR"


class Period(StrEnum):
    """The periods a summary reports changes over; :mod:`.periods` defines each start exactly."""

    DAY = "1d"
    WEEK = "1w"
    MONTH = "1m"
    YEAR_TO_DATE = "ytd"


class Severity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"

    @property
    def rank(self) -> int:
        return {"INFO": 0, "WARNING": 1, "CRITICAL": 2}[self.value]


@dataclass(frozen=True, slots=True)
class PositionSummary:
    """One position valued at ``as_of``. Money in base currency unless noted; exact (unrounded)."""

    symbol: str
    quantity: Decimal
    currency: str
    sector: str
    asset_class: str | None
    basket: str | None
    tags: tuple[str, ...]
    #: Price per unit in the position's currency.
    price: Decimal | None
    price_source: PriceSource
    #: Instant the price refers to (a daily bar: its session's close).
    price_at: datetime | None
    previous_close: Decimal | None
    market_value: Decimal | None
    #: Share of invested value (positions only, cash excluded).
    weight: float | None
    average_cost: Decimal | None
    cost_basis: Decimal | None
    unrealized_pnl: Decimal | None
    unrealized_return: float | None
    #: Change since the previous close (0 when the price is stale).
    day_change: Decimal | None
    day_return: float | None
    #: Price return since the last close on or before ``as_of`` - 7 days.
    week_return: float | None
    #: The latest price is older than ``AnalyticsSettings.stale_after``.
    stale: bool
    #: Change over each :class:`Period` (1d, 1w, 1m, ytd, in that order); ``week_return`` is the 1w one.
    periods: tuple[PeriodChange, ...] = ()
    #: Units of base currency per unit of ``currency`` used (``None`` for the base currency, or
    #: when no rate is recorded: the position is then not valued).
    fx_rate: Decimal | None = None
    #: Unrealised return in the position's own currency (price / average cost - 1).
    local_return: float | None = None
    #: ``(1 + unrealized_return) / (1 + local_return) - 1``: what the exchange rate added.
    currency_effect: float | None = None
    #: ``price`` was computed (a close divided by a split's ratio since, or converted from the currency its
    #: prices were recorded in), not a stored price: shown rounded as other computed money is.
    price_computed: bool = False

    def period(self, period: Period) -> PeriodChange | None:
        return _find(self.periods, period)


@dataclass(frozen=True, slots=True)
class PeriodContribution:
    """A group member's part of the group's change over a period (see :mod:`.periods`)."""

    symbol: str
    #: The member's own price return over the period (``None`` without a start price).
    period_return: float | None
    #: Value now minus value at the period start, current quantity, base currency.
    change: Decimal
    #: ``change`` / the group's value at the period start: the members' contributions add up to
    #: the group's ``period_return``.
    contribution: float


@dataclass(frozen=True, slots=True)
class PeriodChange:
    """The change of a position, a group, the portfolio or the benchmark over one :class:`Period`.

    Holdings-based: current quantities priced now versus at the period's start price (see
    :mod:`.periods`). Members without a start price (too short a history) are left out of both
    ``change`` and ``period_return`` and not counted in ``priced``.
    """

    period: Period
    #: Money, base currency: value now minus value at the start, over the members with a start
    #: price (for the benchmark: the price change of one unit, in its own currency).
    change: Decimal
    #: ``change`` / value at the start (for the whole portfolio the start value includes today's
    #: cash); a position's is its price return. ``None`` when nothing had a start price.
    period_return: float | None
    #: Members with a start price (1 or 0 for a single position or the benchmark).
    priced: int
    #: Groups only: each member's contribution, worst (most negative) first.
    contributions: tuple[PeriodContribution, ...] = ()


@dataclass(frozen=True, slots=True)
class Contribution:
    """A position's part of its group's week return: contributions sum to the group return."""

    symbol: str
    week_return: float | None
    contribution: float


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """Aggregate of the positions sharing a basket or a sector (valued positions only)."""

    kind: GroupKind
    name: str
    symbols: tuple[str, ...]
    market_value: Decimal
    weight: float | None
    #: Cost of the positions in the group with a known cost and a market price.
    cost_basis: Decimal
    #: Unrealised P&L over the same positions.
    unrealized_pnl: Decimal
    unrealized_return: float | None
    day_change: Decimal
    day_return: float | None
    #: Holdings-based week return: current quantities repriced a week ago (positions with both prices).
    week_return: float | None
    #: Worst contributors first (most negative contribution).
    week_contributors: tuple[Contribution, ...]
    #: Change over each :class:`Period` with every member's contribution; ``week_return`` and
    #: ``week_contributors`` are the 1w one.
    periods: tuple[PeriodChange, ...] = ()

    def period(self, period: Period) -> PeriodChange | None:
        return _find(self.periods, period)


@dataclass(frozen=True, slots=True)
class SectorWeight:
    name: str
    weight: float


@dataclass(frozen=True, slots=True)
class Diversification:
    """Concentration measures over *invested value* (cash excluded; ``cash_weight`` reports it).

    ``score`` ("stack-cfo diversification score v1", published in the contract's
    ``Diversification.score``) = round(100·(0.6·P + 0.4·S), 1) with
    P = clamp((effective_positions - 1)/(20 - 1), 0, 1) and S = clamp((effective_sectors - 1)/(6 - 1), 0, 1);
    the targets 20 and 6 are ``AnalyticsSettings.target_positions``/``target_sectors``. ``None``
    when nothing is invested. See :mod:`.diversification`.
    """

    position_count: int
    position_hhi: float | None
    effective_positions: float | None
    largest_weight: float | None
    largest_symbol: str | None
    top5_weight: float | None
    sector_weights: tuple[SectorWeight, ...]
    sector_hhi: float | None
    effective_sectors: float | None
    score: float | None
    cash_weight: float | None
    #: The score's two parts before rounding: ``100·0.6·P`` (breadth across holdings, at most 60)
    #: and ``100·0.4·S`` (breadth across sectors, at most 40); ``None`` when nothing is invested.
    position_points: float | None = None
    sector_points: float | None = None


@dataclass(frozen=True, slots=True)
class RiskMetrics:
    """Risk on the daily time-weighted return series (see :mod:`.risk` for every formula).

    Drawdowns, VaR and CVaR are negative numbers for losses; ``var_95``/``cvar_95`` are 1-day
    historical figures at the 5 % tail.
    """

    observations: int
    start: date | None
    end: date | None
    risk_free_annual: float
    cumulative_return: Metric
    cagr: Metric
    volatility: Metric
    sharpe: Metric
    sortino: Metric
    max_drawdown: Metric
    current_drawdown: Metric
    calmar: Metric
    var_95: Metric
    cvar_95: Metric
    benchmark_observations: int
    beta: Metric
    alpha: Metric
    benchmark_cumulative_return: Metric


@dataclass(frozen=True, slots=True)
class Insight:
    """A deterministic finding. ``numbers`` are decimal strings (fractions to 6 dp, money to 2 dp)."""

    code: str
    severity: Severity
    message: str
    numbers: Mapping[str, str]
    #: What it is about (a symbol, basket or sector), when it is about one thing.
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    """One chart point. ``value`` is exact; ratios are rebased to the first point of the range."""

    date: date
    value: Decimal
    cumulative_twr: float
    drawdown: float
    benchmark_cumulative: float | None
    #: Net external flow booked since the previous point (inclusive of this day).
    net_flow: Decimal
    #: Cumulative local-currency TWR since the first point; ``None`` when a rate is missing.
    local_cumulative: float | None = None


@dataclass(frozen=True, slots=True)
class PortfolioSummary:
    """The full summary at ``as_of``. Money is exact and in ``base_currency``; round with :func:`to_cents`."""

    user: str
    base_currency: str
    as_of: datetime
    market_date: date
    total_value: Decimal
    cash: Decimal
    invested_value: Decimal
    #: Cost of the positions that have both a known average cost and a market price.
    cost_basis: Decimal
    #: Unrealised gain over the same positions (market value - cost, summed).
    total_gain: Decimal
    #: ``total_gain / cost_basis`` (those positions only; excludes cash, realised gains, income).
    #: The flow-neutral performance figure is ``risk.cumulative_return`` (TWR).
    total_return: float | None
    #: Held positions (non-zero quantity) without an average cost.
    positions_missing_cost: int
    day_change: Decimal
    #: ``day_change / (total_value - day_change)``: today's holdings at the previous close.
    day_return: float | None
    #: Holdings-based week return of invested positions (same method as baskets).
    week_return: float | None
    benchmark_symbol: str
    benchmark_week_return: float | None
    cash_weight: float | None
    positions: tuple[PositionSummary, ...]
    baskets: tuple[GroupSummary, ...]
    sectors: tuple[GroupSummary, ...]
    risk: RiskMetrics
    diversification: Diversification
    insights: tuple[Insight, ...]
    history_start: date | None
    history_end: date | None
    #: Instant of the freshest price used.
    prices_as_of: datetime | None
    #: The whole portfolio's change over each :class:`Period`, today's cash included in the start
    #: value (cash is assumed held throughout; see :mod:`.periods`).
    periods: tuple[PeriodChange, ...] = ()
    #: The benchmark's price return over the same periods (``benchmark_week_return`` is the 1w one).
    benchmark_periods: tuple[PeriodChange, ...] = ()
    #: ``"SNAPSHOTS"`` or ``"LEDGER"``: where the holdings come from.
    source: str = "SNAPSHOTS"
    #: A ledger's realised P&L, income and fees up to the as-of day; ``None`` for snapshots.
    ledger: LedgerFigures | None = None
    #: Money-weighted return (XIRR, annualised fraction) over the valuation series.
    money_weighted_return: Metric = Metric(None, UnavailableReason.INSUFFICIENT_HISTORY)
    #: Cumulative TWR with each day's exchange rates held at the previous day's.
    local_return: Metric = Metric(None, UnavailableReason.INSUFFICIENT_HISTORY)
    #: ``(1 + twr) / (1 + local_return) - 1``.
    currency_effect: Metric = Metric(None, UnavailableReason.INSUFFICIENT_HISTORY)
    #: Currencies that could not be converted on some day (their money was left out there).
    missing_currencies: tuple[str, ...] = ()

    def period(self, period: Period) -> PeriodChange | None:
        return _find(self.periods, period)

    def benchmark_period(self, period: Period) -> PeriodChange | None:
        return _find(self.benchmark_periods, period)


def _find(periods: tuple[PeriodChange, ...], period: Period) -> PeriodChange | None:
    return next((c for c in periods if c.period is period), None)
