"""What notifications need from the portfolio and news side, as small Protocols.

The facts are plain numbers computed by the portfolio core (``compute_summary``,
``evaluate_alert``); this package only turns them into words, charts and payloads.
Ratios are fractions (``0.0123`` = 1.23 %) and ``None`` when undefined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ValuePoint:
    day: date
    value: Decimal


@dataclass(frozen=True, slots=True)
class Holding:
    symbol: str
    weight: float
    """Share of portfolio value, 0..1."""
    value: Decimal
    day_return: float | None = None


@dataclass(frozen=True, slots=True)
class Mover:
    """A position's move over the period and what it contributed to the portfolio's."""

    symbol: str
    period_return: float | None
    contribution: Decimal
    """Money gained or lost by the portfolio through this position."""


@dataclass(frozen=True, slots=True)
class NewsItem:
    id: str
    title: str
    summary: str
    url: str
    source: str
    published_at: datetime
    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """Yesterday's performance, in the user's local calendar."""

    day: date
    currency: str
    total_value: Decimal
    change: Decimal
    day_return: float | None
    holdings: tuple[Holding, ...]
    history: tuple[ValuePoint, ...] = ()
    narrative: str = ""
    """The portfolio core's deterministic one-paragraph reading of the numbers, if any."""


@dataclass(frozen=True, slots=True)
class WeeklyFacts:
    week_start: date
    week_end: date
    currency: str
    start_value: Decimal
    end_value: Decimal
    change: Decimal
    week_return: float | None
    benchmark_symbol: str
    benchmark_return: float | None
    top_movers: tuple[Mover, ...]
    volatility: float | None = None
    previous_volatility: float | None = None
    diversification: float | None = None
    """Diversification score 0..1 (1 = evenly spread), now and a week ago."""
    previous_diversification: float | None = None
    insights: tuple[str, ...] = ()
    history: tuple[ValuePoint, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """A fired alert: present only when the portfolio core's alert rule fired."""

    at: datetime
    currency: str
    value: Decimal
    change: Decimal
    move: float
    """Move since the previous close, as a fraction."""
    sigma: float | None
    """The move in standard deviations of the portfolio's own daily volatility; ``None`` when the
    history is too short to know (the alert then fired on the percentage threshold)."""
    threshold_sigma: float
    drivers: tuple[Mover, ...]
    history: tuple[ValuePoint, ...] = ()


class PortfolioReader(Protocol):
    """Numbers for one user. The lead adapts the portfolio store and core to this."""

    async def digest_facts(self, user_id: str, day: date) -> DigestFacts | None:
        """Performance on local ``day``; ``None`` when the user holds nothing."""
        ...

    async def weekly_facts(self, user_id: str, week_start: date, week_end: date) -> WeeklyFacts | None: ...

    async def alert_facts(
        self, user_id: str, at: datetime, *, threshold_percent: float, threshold_sigma: float
    ) -> AlertFacts | None:
        """The alert at ``at`` if the rule fires (move >= ``threshold_percent`` points, or
        >= ``threshold_sigma`` standard deviations), else ``None``."""
        ...


class NewsReader(Protocol):
    async def news_for_symbols(
        self, symbols: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[NewsItem]:
        """Articles published in ``[since, until)`` mentioning any of ``symbols``, newest first."""
        ...


@dataclass(slots=True)
class StaticPortfolioReader:
    """In-memory facts per user: for tests, benchmarks and demos."""

    digests: Mapping[str, DigestFacts] = field(default_factory=dict)
    weeklies: Mapping[str, WeeklyFacts] = field(default_factory=dict)
    alerts: Mapping[str, AlertFacts] = field(default_factory=dict)
    default_digest: DigestFacts | None = None
    default_weekly: WeeklyFacts | None = None

    async def digest_facts(self, user_id: str, day: date) -> DigestFacts | None:
        from dataclasses import replace

        facts = self.digests.get(user_id, self.default_digest)
        return replace(facts, day=day) if facts is not None else None

    async def weekly_facts(self, user_id: str, week_start: date, week_end: date) -> WeeklyFacts | None:
        from dataclasses import replace

        facts = self.weeklies.get(user_id, self.default_weekly)
        return replace(facts, week_start=week_start, week_end=week_end) if facts is not None else None

    async def alert_facts(
        self, user_id: str, at: datetime, *, threshold_percent: float, threshold_sigma: float
    ) -> AlertFacts | None:
        facts = self.alerts.get(user_id)
        if facts is None:
            return None
        sigma = abs(facts.sigma) if facts.sigma is not None else 0.0
        if abs(facts.move) * 100 < threshold_percent and sigma < threshold_sigma:
            return None
        return facts


@dataclass(slots=True)
class StaticNewsReader:
    items: Sequence[NewsItem] = ()

    async def news_for_symbols(
        self, symbols: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[NewsItem]:
        wanted = {s.upper() for s in symbols}
        hits = [n for n in self.items if since <= n.published_at < until and wanted.intersection(n.symbols)]
        return sorted(hits, key=lambda n: n.published_at, reverse=True)[:limit]
