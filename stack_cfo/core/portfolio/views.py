"""What the portfolio service presents: a computed summary or history plus the figures the
contract defines differently from the analytics core (weights over total value, the
diversification score as a metric, Calmar's NO_DRAWDOWN, the "Unknown" sector), and the events
of a summary stream (``StreamPortfolioSummary``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from stack_cfo.core.ai import CompletionResult
from stack_cfo.core.portfolio.history import PerformanceHistory
from stack_cfo.core.portfolio.ports import StoredPortfolio
from stack_cfo.core.portfolio.results import Metric, PortfolioSummary, UnavailableReason
from stack_cfo.core.provenance.model import GroundingRecord, Receipt

UNKNOWN_SECTOR = "Unknown"


def _share(part: Decimal | None, total: Decimal) -> float:
    """``part / total``; 0 when ``total`` is zero or negative (a margin portfolio: no share of it is defined;
    portfolio.proto PositionSummary.weight)."""
    if part is None or total <= 0:
        return 0.0
    value = float(part / total)
    return value if math.isfinite(value) else 0.0


@dataclass(frozen=True, slots=True, weakref_slot=True)
class SummaryView:
    """A computed summary with the figures the contract defines differently from the core.

    Weakly referable: what the API derives from a view (its message, its bytes) is kept only as
    long as the view itself is (the service's cache decides that)."""

    user_id: str
    summary: PortfolioSummary
    #: Per position (aligned with ``summary.positions``): market value / total value (cash included).
    position_weights: tuple[float, ...]
    #: Per basket / sector (aligned): market value / total value.
    basket_weights: tuple[float, ...]
    sector_weights: tuple[float, ...]
    diversification_score: Metric
    #: Calmar is undefined because the portfolio never fell (the contract's NO_DRAWDOWN).
    calmar_no_drawdown: bool
    #: The core's name for "no sector", shown as ``Unknown`` when it stands for an empty sector.
    unsectored_label: str | None
    held_symbols: frozenset[str]

    @property
    def rows(self) -> int:
        """Its positions and a ledger's symbols (closed ones too, each with its figures): what its size, in memory
        and as a message, grows with."""
        s = self.summary
        return len(s.positions) + (len(s.ledger.symbols) if s.ledger is not None else 0)

    def sector_name(self, name: str) -> str:
        return UNKNOWN_SECTOR if self.unsectored_label is not None and name == self.unsectored_label else name


def build_view(user_id: str, summary: PortfolioSummary, portfolio: StoredPortfolio) -> SummaryView:
    total = summary.total_value
    d = summary.diversification
    unsectored = portfolio.unsectored_symbols
    label = None
    if unsectored:
        for p in summary.positions:
            if p.symbol in unsectored:
                label = p.sector
                break
    mdd = summary.risk.max_drawdown.value
    return SummaryView(
        user_id=user_id,
        summary=summary,
        position_weights=tuple(_share(p.market_value, total) for p in summary.positions),
        basket_weights=tuple(_share(g.market_value, total) for g in summary.baskets),
        sector_weights=tuple(_share(g.market_value, total) for g in summary.sectors),
        diversification_score=Metric.of(d.score) if d.score is not None
        else Metric.absent(UnavailableReason.UNDEFINED),
        calmar_no_drawdown=(
            not summary.risk.calmar.available and mdd is not None and mdd >= 0.0 and summary.risk.cagr.available
        ),
        unsectored_label=label,
        held_symbols=portfolio.current_symbols,
    )


@dataclass(frozen=True, slots=True)
class HistoryView:
    user_id: str
    base_currency: str
    benchmark_symbol: str
    history: PerformanceHistory


# ---------------------------------------------------------------------------------------------
# Events of StreamPortfolioSummary
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SummaryReady:
    view: SummaryView


@dataclass(frozen=True, slots=True)
class NarrativeChunk:
    text: str


@dataclass(frozen=True, slots=True)
class NarrativeDone:
    result: CompletionResult
    #: Why the narrative is degraded/offline/incomplete (``core.ai.DegradedReason``); "" otherwise.
    degraded_reason: str = ""
    #: How the figures of ``result.text`` compare with the summary's numbers.
    grounding: GroundingRecord | None = None
    #: The narrative's receipt.
    receipt: Receipt | None = None


StreamEvent = SummaryReady | NarrativeChunk | NarrativeDone
