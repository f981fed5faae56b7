"""The portfolio domain: pure analytics over frozen dataclasses, and the service over them (no
gRPC, SQL or HTTP).

Start at :func:`compute_summary` / :func:`compute_history` (:mod:`.engine`). Conventions:
money and quantities are exact ``Decimal`` (round with :func:`to_cents` at presentation);
ratios are ``float`` fractions; an undefined ratio is a :class:`Metric` with a reason, never
NaN/inf. Returns are time-weighted with flows at the end of the day (:mod:`.valuation`); risk
follows empyrical-reloaded 0.7.1 (:mod:`.risk`).

The domain service, :class:`PortfolioService` (:mod:`.service`), is built from a
store and a change feed (:mod:`.ports`) and takes commands validated in :mod:`.inputs`; it
answers with views (:mod:`.views`), caches them (:mod:`.cache`) and serves watches
(:mod:`.watch`). The analytics modules never import the service.
"""

from stack_cfo.core.portfolio.alerts import AlertDecision, AlertRule, AlertWindow, Driver, evaluate_alert
from stack_cfo.core.portfolio.cache import CacheSettings
from stack_cfo.core.portfolio.diversification import compute_diversification, diversification_score
from stack_cfo.core.portfolio.engine import (
    build_valuation_for,
    compute_history,
    compute_summary,
    daily_returns,
)
from stack_cfo.core.portfolio.history import DateRange, HistoryRange, Interval, PerformanceHistory
from stack_cfo.core.portfolio.insights import generate_insights
from stack_cfo.core.portfolio.models import (
    CashFlow,
    Holdings,
    HoldingsSnapshot,
    PortfolioInputs,
    Position,
    PricePoint,
    PriceSeries,
    to_cents,
)
from stack_cfo.core.portfolio.narrative import NOT_AI_NOTICE, summary_document, write_narrative
from stack_cfo.core.portfolio.periods import PERIODS
from stack_cfo.core.portfolio.results import (
    Contribution,
    Diversification,
    GroupKind,
    GroupSummary,
    HistoryPoint,
    Insight,
    Metric,
    Period,
    PeriodChange,
    PeriodContribution,
    PortfolioSummary,
    PositionSummary,
    PriceSource,
    RiskMetrics,
    SectorWeight,
    Severity,
    UnavailableReason,
)
from stack_cfo.core.portfolio.risk import compute_risk
from stack_cfo.core.portfolio.service import PortfolioService, portfolio_not_found
from stack_cfo.core.portfolio.settings import AnalyticsSettings, InsightThresholds, RiskParameters
from stack_cfo.core.portfolio.valuation import ValuationSeries, build_valuation
from stack_cfo.core.portfolio.views import HistoryView, SummaryView

__all__ = [
    "NOT_AI_NOTICE",
    "PERIODS",
    "AlertDecision",
    "AlertRule",
    "AlertWindow",
    "AnalyticsSettings",
    "CacheSettings",
    "CashFlow",
    "Contribution",
    "DateRange",
    "Diversification",
    "Driver",
    "GroupKind",
    "GroupSummary",
    "HistoryPoint",
    "HistoryRange",
    "HistoryView",
    "Holdings",
    "HoldingsSnapshot",
    "Insight",
    "InsightThresholds",
    "Interval",
    "Metric",
    "PerformanceHistory",
    "Period",
    "PeriodChange",
    "PeriodContribution",
    "PortfolioInputs",
    "PortfolioService",
    "PortfolioSummary",
    "Position",
    "PositionSummary",
    "PricePoint",
    "PriceSeries",
    "PriceSource",
    "RiskMetrics",
    "RiskParameters",
    "SectorWeight",
    "Severity",
    "SummaryView",
    "UnavailableReason",
    "ValuationSeries",
    "build_valuation",
    "build_valuation_for",
    "compute_diversification",
    "compute_history",
    "compute_risk",
    "compute_summary",
    "daily_returns",
    "diversification_score",
    "evaluate_alert",
    "generate_insights",
    "portfolio_not_found",
    "summary_document",
    "to_cents",
    "write_narrative",
]
