"""Knobs of the analytics core: one frozen settings object, thresholds in their own dataclass."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from stack_cfo.core.errors import InvalidArgument

#: Trading days per year (empyrical ``APPROX_BDAYS_PER_YEAR``).
PERIODS_PER_YEAR = 252

#: Default minimum number of daily returns before annualised figures (volatility, Sharpe,
#: Sortino, CAGR, Calmar, alpha) are shown. One quarter of trading days: below it the standard
#: error of an annualised Sharpe ratio (about sqrt(252/n)) exceeds 2, so the figure says nothing.
DEFAULT_MIN_HISTORY = 63


@dataclass(frozen=True, slots=True)
class InsightThresholds:
    """When each insight rule fires. Fractions: 0.10 means 10 %."""

    #: A single position above this share of invested value -> POSITION_CONCENTRATION (WARNING).
    position_weight: float = 0.10
    #: ... and above this one the same insight is CRITICAL.
    position_weight_critical: float = 0.25
    #: A sector above this share of invested value -> SECTOR_CONCENTRATION (WARNING).
    sector_weight: float = 0.35
    #: Current drawdown of the TWR index at or below this -> DRAWDOWN (WARNING) ...
    drawdown_warning: float = -0.10
    #: ... and at or below this -> DRAWDOWN (CRITICAL).
    drawdown_critical: float = -0.20
    #: A basket whose week return trails the benchmark's by more than this -> BASKET_LAGGING_BENCHMARK.
    basket_lag: float = 0.02
    #: A position whose week return trails the benchmark's by more than this -> POSITION_LAGGING_BENCHMARK.
    position_lag: float = 0.05
    #: ... only for positions at least this heavy (smaller ones are noise).
    position_lag_min_weight: float = 0.02
    #: At most this many POSITION_LAGGING_BENCHMARK insights (the worst first).
    max_lagging_positions: int = 3
    #: How many worst contributors a lagging-basket insight names.
    worst_contributors: int = 3
    #: Cash above this share of total value -> IDLE_CASH (INFO).
    idle_cash: float = 0.10


@dataclass(frozen=True, slots=True)
class RiskParameters:
    """What :func:`~stack_cfo.core.portfolio.risk.compute_risk` needs."""

    #: Annual risk-free rate as a fraction; converted to daily as (1+rf)^(1/252) - 1.
    risk_free_annual: float = 0.0
    periods_per_year: int = PERIODS_PER_YEAR
    #: Annualised figures need at least this many returns (0 = only the n >= 2 rule).
    min_history: int = DEFAULT_MIN_HISTORY
    #: Tail probability of the historical VaR/CVaR.
    var_cutoff: float = 0.05

    def __post_init__(self) -> None:
        if not -0.5 < self.risk_free_annual < 1.0:
            raise InvalidArgument.field("risk_free_annual", "must be an annual fraction (e.g. 0.04)")
        if self.periods_per_year <= 0:
            raise InvalidArgument.field("periods_per_year", "must be positive")
        if self.min_history < 0:
            raise InvalidArgument.field("min_history", "must not be negative")
        if not 0.0 < self.var_cutoff < 0.5:
            raise InvalidArgument.field("var_cutoff", "must be in (0, 0.5)")

    @property
    def risk_free_daily(self) -> float:
        """Geometric de-annualisation: (1 + rf)^(1/periods) - 1."""
        return float((1.0 + self.risk_free_annual) ** (1.0 / self.periods_per_year) - 1.0)


@dataclass(frozen=True, slots=True)
class AnalyticsSettings:
    """Everything configurable about a summary."""

    #: Annual risk-free rate (fraction).
    risk_free_annual: float = 0.0
    #: Benchmark symbol used when ``PortfolioInputs.benchmark`` is not given.
    benchmark_symbol: str = "SPY"
    #: Minimum returns for annualised figures (see :data:`DEFAULT_MIN_HISTORY`); 0 in oracle tests.
    min_history: int = DEFAULT_MIN_HISTORY
    #: Restrict risk to the last N daily returns (``None``: the whole history).
    risk_window: int | None = None
    #: A price older than this is stale (a daily bar is dated at ``market_close``). ``None`` (the
    #: default): stale when more than one trading day old on the market's calendar (see
    #: :mod:`.summary`; Friday's close is still fresh on Tuesday morning, Wednesday's is stale
    #: on Saturday).
    stale_after: timedelta | None = None
    #: Exchange time zone: turns instants into market dates and bars into instants.
    market_timezone: str = "America/New_York"
    #: Local time of the session close: the instant a daily bar describes.
    market_close: time = time(16, 0)
    thresholds: InsightThresholds = field(default_factory=InsightThresholds)
    #: Diversification score targets (see :mod:`.diversification`).
    target_positions: float = 20.0
    target_sectors: float = 6.0
    periods_per_year: int = PERIODS_PER_YEAR
    var_cutoff: float = 0.05

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.market_timezone)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError on odd keys
            raise InvalidArgument.field("market_timezone", f"unknown time zone: {exc}") from None
        if self.risk_window is not None and self.risk_window < 2:
            raise InvalidArgument.field("risk_window", "must be at least 2 when set")
        if self.target_positions <= 1 or self.target_sectors <= 1:
            raise InvalidArgument.field("target_positions", "targets must be greater than 1")
        self.risk_parameters()  # validates the risk fields

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.market_timezone)

    def risk_parameters(self) -> RiskParameters:
        return RiskParameters(
            risk_free_annual=self.risk_free_annual,
            periods_per_year=self.periods_per_year,
            min_history=self.min_history,
            var_cutoff=self.var_cutoff,
        )
