"""The portfolio service's ports: the store of portfolios and market data, and the change feed
that tells every replica about writes. Implemented over PostgreSQL by
:mod:`stack_cfo.store.portfolio_repo`; tests plug in other implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio.inputs import ArticleInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.models import CashFlow, HoldingsSnapshot, PricePoint, PriceSeries


@dataclass(frozen=True, slots=True)
class SyncResult:
    position_count: int
    recorded_flow_count: int
    ignored_flow_count: int
    sync_time: datetime


@dataclass(frozen=True, slots=True)
class RecordResult:
    inserted: int
    updated: int
    unchanged: int
    #: Symbols with at least one inserted or updated point (empty on an idempotent replay).
    changed_symbols: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class IngestResult:
    inserted: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class StoredPortfolio:
    """What the store keeps about one portfolio, as analytics inputs."""

    user_id: str
    base_currency: str
    #: Sorted by effective date; the last one is the current holdings.
    snapshots: tuple[HoldingsSnapshot, ...]
    cash_flows: tuple[CashFlow, ...]

    @property
    def symbols(self) -> frozenset[str]:
        """Every symbol held in any snapshot (history needs their prices too)."""
        return frozenset(p.symbol for s in self.snapshots for p in s.holdings.positions)

    @property
    def current_symbols(self) -> frozenset[str]:
        return frozenset(p.symbol for p in self.snapshots[-1].holdings.positions) if self.snapshots else frozenset()

    @property
    def unsectored_symbols(self) -> frozenset[str]:
        if not self.snapshots:
            return frozenset()
        return frozenset(p.symbol for p in self.snapshots[-1].holdings.positions if not p.sector)


# ---------------------------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------------------------


class PortfolioStore(Protocol):
    """Persistence of portfolios and market data (implemented by ``stack_cfo.store.portfolio_repo``)."""

    async def sync_portfolio(
        self, command: SyncCommand, *, effective: date, synced_at: datetime, idempotency: Idempotency | None
    ) -> SyncResult:
        """Replace the holdings, upsert the day's snapshot, append new flows and notify, in one
        transaction. Raises ``InvalidArgument`` (CURRENCY_MISMATCH) when the base currency changes."""
        ...

    async def record_prices(self, points: Sequence[PriceInput], *, idempotency: Idempotency | None) -> RecordResult:
        """Upsert in one transaction and notify the changed symbols in it."""
        ...

    async def ingest_news(self, articles: Sequence[ArticleInput]) -> IngestResult: ...

    async def load_portfolio(self, user_id: str) -> StoredPortfolio | None: ...

    async def load_daily_prices(self, symbols: Iterable[str]) -> dict[str, PriceSeries]:
        """Daily bars of each symbol that has any (symbols without bars are absent)."""
        ...

    async def load_latest_quotes(self, symbols: Iterable[str], *, at_or_before: datetime) -> dict[str, PricePoint]: ...


# ---------------------------------------------------------------------------------------------
# The change feed
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricesChanged:
    symbols: frozenset[str]


@dataclass(frozen=True, slots=True)
class HoldingsChanged:
    user_id: str


@dataclass(frozen=True, slots=True)
class FeedReset:
    """The feed (re)connected: notifications may have been missed while it was down."""


ChangeEvent = PricesChanged | HoldingsChanged | FeedReset


class ChangeFeed(Protocol):
    """Change notifications from every replica (implemented over LISTEN/NOTIFY by the store)."""

    @property
    def healthy(self) -> bool:
        """Connected and listening: caches may trust that no change goes unannounced."""
        ...

    @property
    def epoch(self) -> int:
        """Changes whenever the connection is lost or re-established."""
        ...

    async def start(self, on_change: Callable[[ChangeEvent], None]) -> None: ...

    async def stop(self) -> None: ...
