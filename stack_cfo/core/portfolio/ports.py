"""The portfolio service's ports: the store of portfolios and market data, and the change feed
that tells every replica about writes. Implemented over PostgreSQL by
:mod:`stack_cfo.store.portfolio_repo`; tests plug in other implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio.fx import fx_key
from stack_cfo.core.portfolio.inputs import ArticleInput, ImportHistoryCommand, PriceInput, SyncCommand
from stack_cfo.core.portfolio.ledger import Ledger
from stack_cfo.core.portfolio.models import CashFlow, HoldingsSnapshot, PricePoint, PriceSeries
from stack_cfo.core.portfolio.transactions import BatchCreateResult, Transaction, TransactionInput
from stack_cfo.core.portfolio.user_settings import UserSettings

#: The domain's check of a ledger as it would be after a write: (every transaction, the currency
#: of each written symbol's recorded prices, field path of each written transaction by id).
#: Raises InvalidArgument naming the field; the store then writes nothing.
LedgerCheck = Callable[[list[Transaction], dict[str, str], dict[str, str]], None]


@dataclass(frozen=True, slots=True)
class SyncResult:
    position_count: int
    recorded_flow_count: int
    ignored_flow_count: int
    sync_time: datetime
    effective: date | None = None


@dataclass(frozen=True, slots=True)
class ImportResult:
    snapshot_count: int
    first: date
    last: date
    recorded_flow_count: int
    ignored_flow_count: int


@dataclass(frozen=True, slots=True)
class RateInput:
    """A validated daily exchange rate: 1 ``base_currency`` = ``rate`` ``quote_currency``."""

    base_currency: str
    quote_currency: str
    day: date
    rate: Decimal


@dataclass(frozen=True, slots=True)
class RecordResult:
    inserted: int
    updated: int
    unchanged: int
    #: Symbols with at least one inserted or updated point (empty on an idempotent replay).
    changed_symbols: frozenset[str] = frozenset()
    #: The id the change's notifications carry (:attr:`PricesChanged.change_id`); "" if none.
    change_id: str = ""


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
    #: The derived ledger of a ledger-based portfolio (then ``snapshots`` are not used).
    ledger: Ledger | None = None
    user_settings: UserSettings = field(default_factory=UserSettings)
    #: Per foreign currency, its rates to the base currency.
    fx_rates: Mapping[str, PriceSeries] = field(default_factory=dict)

    @property
    def symbols(self) -> frozenset[str]:
        """Every symbol held in any snapshot (history needs their prices too)."""
        if self.ledger is not None:
            return self.ledger.symbols
        return frozenset(p.symbol for s in self.snapshots for p in s.holdings.positions)

    @property
    def current_symbols(self) -> frozenset[str]:
        if self.ledger is not None:
            return self.ledger.current_symbols()
        return frozenset(p.symbol for p in self.snapshots[-1].holdings.positions) if self.snapshots else frozenset()

    @property
    def unsectored_symbols(self) -> frozenset[str]:
        if self.ledger is not None:
            return self.ledger.current_symbols()  # transactions carry no sector
        if not self.snapshots:
            return frozenset()
        return frozenset(p.symbol for p in self.snapshots[-1].holdings.positions if not p.sector)

    @property
    def symbol_currencies(self) -> dict[str, str]:
        """The currency each symbol is held or traded in (its latest snapshot position's; a ledger's
        trades of one symbol share one)."""
        if self.ledger is not None:
            symbols = self.ledger.symbols  # once: not per book
            return {g: b.currency for g, b in self.ledger.books.items() if g in symbols and b.currency}
        return {p.symbol: p.currency for s in self.snapshots for p in s.holdings.positions}

    @property
    def currencies(self) -> set[str]:
        """Currencies of every position and flow (their rates are needed)."""
        out = {p.currency for s in self.snapshots for p in s.holdings.positions}
        out |= {f.currency for f in self.cash_flows if f.currency}
        return out

    @property
    def fx_keys(self) -> frozenset[str]:
        """The exchange-rate series this portfolio depends on (cache tags)."""
        return frozenset(fx_key(c, self.base_currency) for c in self.fx_rates)


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

    async def import_history(
        self, command: ImportHistoryCommand, *, synced_at: datetime, idempotency: Idempotency | None
    ) -> ImportResult:
        """Store every dated snapshot and the flows in one transaction (see SyncPortfolio)."""
        ...

    # -- the ledger ---------------------------------------------------------------------------

    async def create_transactions(
        self, user_id: str, rows: Sequence[TransactionInput], *, base_currency: str | None, now: datetime,
        check: LedgerCheck, idempotency: Idempotency | None,
    ) -> BatchCreateResult: ...

    async def update_transaction(
        self, user_id: str, transaction_id: str, change: Callable[[Transaction], TransactionInput], *,
        now: datetime, check: LedgerCheck,
    ) -> Transaction: ...

    async def delete_transaction(self, user_id: str, transaction_id: str, *, check: LedgerCheck) -> Transaction: ...

    async def get_transaction(self, user_id: str, transaction_id: str) -> Transaction: ...

    async def list_transactions(
        self, user_id: str, *, start: date | None, end: date | None, symbol: str | None,
        after: tuple[date, int] | None, limit: int,
    ) -> list[Transaction]: ...

    async def ledger_signatures(self, user_id: str) -> dict[str, tuple[int, int, int]]:
        """Per book (symbol, or "" for cash): (count, sum and max of revisions)."""
        ...

    async def load_transactions(self, user_id: str, books: Collection[str] | None = None) -> list[Transaction]: ...

    async def recorded_client_ids(self, user_id: str, client_ids: Collection[str]) -> set[str]:
        """Those of ``client_ids`` the user's ledger holds."""
        ...

    async def price_currencies(self, symbols: Iterable[str]) -> dict[str, str]:
        """The currency of each symbol's latest close."""
        ...

    async def portfolio_base_currency(self, user_id: str) -> str | None: ...

    # -- exchange rates and settings ----------------------------------------------------------

    async def record_exchange_rates(self, rates: Sequence[RateInput], *, idempotency: Idempotency | None
                                    ) -> RecordResult: ...

    async def load_exchange_rates(self, currencies: Iterable[str], base: str) -> dict[str, PriceSeries]:
        """Per currency, its rates to ``base`` (units of base per unit), direct or inverted."""
        ...

    async def get_settings(self, user_id: str) -> UserSettings: ...

    async def update_settings(
        self, user_id: str, values: dict[str, object], check: Callable[[UserSettings], None] | None = None
    ) -> UserSettings:
        """Set ``values`` (columns; ``None`` = the default) in one transaction; ``check`` sees the
        result before it commits, and what it raises undoes the update."""
        ...


# ---------------------------------------------------------------------------------------------
# The change feed
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricesChanged:
    symbols: frozenset[str]
    #: The writer's id of the change ("" if unknown): the process that made the write has already
    #: invalidated what depends on it when its own notification comes back (or the reverse), so
    #: the second of the two is skipped (see ``PortfolioService._invalidate_change``).
    change_id: str = ""


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
