"""Portfolio persistence (implements :class:`~stack_cfo.core.portfolio.ports.PortfolioStore`) and
the change feed over PostgreSQL LISTEN/NOTIFY (implements ``ChangeFeed``).

Writes are set-based: a sync is a handful of statements in one transaction; prices go through
``COPY`` into a temporary table and one ``INSERT ... ON CONFLICT DO UPDATE`` per kind; news and
cash flows are single ``INSERT ... SELECT FROM unnest(...)`` statements. Notifications are sent
inside the writing transaction, so PostgreSQL delivers them only if it commits:

* ``price_updates``: ``{"symbols": ["AAPL", ...]}`` (split into several notifications when the
  list would exceed PostgreSQL's 8000-byte payload limit);
* ``portfolio_updates``: the user id (also sent by a trigger when a portfolio is deleted).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from stack_cfo.core.errors import FailedPrecondition, FieldViolation, InvalidArgument
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio import CashFlow, Holdings, HoldingsSnapshot, Position, PricePoint, PriceSeries
from stack_cfo.core.portfolio.inputs import (
    ArticleInput,
    DatedHoldingsInput,
    FlowInput,
    FlowType,
    HoldingInput,
    ImportHistoryCommand,
    PriceInput,
    SyncCommand,
)
from stack_cfo.core.portfolio.ports import (
    ChangeEvent,
    FeedReset,
    HoldingsChanged,
    ImportResult,
    IngestResult,
    PricesChanged,
    RecordResult,
    StoredPortfolio,
    SyncResult,
)
from stack_cfo.crypto.fields import CLEAR, SealerSource, UserCipher
from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.db import Database
from stack_cfo.store.errors import wrap_exceptions
from stack_cfo.store.idempotency import run_idempotent
from stack_cfo.store.ledger_repo import LedgerRepository
from stack_cfo.store.listen import PgListener
from stack_cfo.store.queries import load_queries
from stack_cfo.store.users import ensure_user

log = logging.getLogger(__name__)

PRICE_CHANNEL = "price_updates"
PORTFOLIO_CHANNEL = "portfolio_updates"
#: PostgreSQL rejects NOTIFY payloads of 8000 bytes or more; stay well below.
MAX_PAYLOAD_BYTES = 7000

Q = load_queries("portfolio")


def price_payloads(symbols: Iterable[str]) -> Iterator[str]:
    """``{"symbols": [...]}`` documents, each under :data:`MAX_PAYLOAD_BYTES`."""
    batch: list[str] = []
    size = 16
    for s in sorted(symbols):
        cost = len(s.encode()) + 4
        if batch and size + cost > MAX_PAYLOAD_BYTES:
            yield json.dumps({"symbols": batch}, separators=(",", ":"))
            batch, size = [], 16
        batch.append(s)
        size += cost
    if batch:
        yield json.dumps({"symbols": batch}, separators=(",", ":"))


def _copy_text(points: Sequence[PriceInput]) -> bytes:
    """COPY text rows (symbol, trading_date, quoted_at, close, previous_close, currency).

    Every field is already validated: symbols and currencies match ``[A-Z0-9.\\-/^=_:]``, decimals are
    plain digits, so nothing needs COPY escaping; ``\\N`` is NULL.
    """
    lines = []
    for p in points:
        at = p.at
        assert at is not None
        prev = "\\N" if p.previous_close is None else format(p.previous_close, "f")
        if isinstance(at, datetime):
            lines.append(f"{p.symbol}\t\\N\t{at.isoformat()}\t{format(p.close, 'f')}\t{prev}\t{p.currency}\n")
        else:
            lines.append(f"{p.symbol}\t{at.isoformat()}\t\\N\t{format(p.close, 'f')}\t{prev}\t{p.currency}\n")
    return "".join(lines).encode()


#: Sealed columns: a holding's amounts and labels (symbol, currency and asset class stay clear:
#: news matching and price checks select by them) and a snapshot's cash, bound to date and symbol.
HOLDING = "holdings_history.sealed"
CASH = "cash_balance_history.sealed_cash"


def _holding_values(cipher: UserCipher, effective: date, symbol: str, quantity: Decimal,
                    average_cost: Decimal | None, sector: str | None, basket: str | None,
                    tags: list[str]) -> dict[str, Any]:
    clear = {"quantity": quantity, "average_cost": average_cost, "sector": sector, "basket": basket, "tags": tags,
             "sealed": None}
    if not cipher.sealing:
        return clear
    doc = {"q": format(quantity, "f"), "c": format(average_cost, "f") if average_cost is not None else None,
           "s": sector, "b": basket, "t": tags}
    return {"quantity": None, "average_cost": None, "sector": None, "basket": None, "tags": [],
            "sealed": cipher.seal_json(HOLDING, f"{effective.isoformat()}/{symbol}", doc)}


def _open_holding(cipher: UserCipher, effective: date, symbol: str,
                  sealed: str) -> tuple[Decimal, Decimal | None, str | None, str | None, list[str]]:
    doc = cipher.open_json(HOLDING, f"{effective.isoformat()}/{symbol}", sealed)
    return (Decimal(doc["q"]), Decimal(doc["c"]) if doc["c"] is not None else None, doc["s"], doc["b"],
            list(doc["t"] or ()))


def _cash_values(cipher: UserCipher, effective: date, cash: Decimal) -> dict[str, Any]:
    if not cipher.sealing:
        return {"cash_balance": cash, "sealed_cash": None}
    return {"cash_balance": None, "sealed_cash": cipher.seal(CASH, effective.isoformat(), format(cash, "f"))}


@store_metrics.timed(store_metrics.PORTFOLIO)
class PortfolioRepository(LedgerRepository):
    def __init__(self, db: Database, *, sealer: SealerSource = CLEAR) -> None:
        self.db = db
        self.sealer = sealer
        """Seals quantities, costs, sectors, baskets, tags and cash of stored holdings (encryption at rest)."""

    # -- SyncPortfolio ---------------------------------------------------------------------

    async def sync_portfolio(
        self, command: SyncCommand, *, effective: date, synced_at: datetime, idempotency: Idempotency | None
    ) -> SyncResult:
        # The key before the transaction: creating it writes through another connection.
        cipher = await self.sealer.cipher(command.user_id, create=True)

        async def work(conn: AsyncConnection[Any]) -> bytes:
            result = await self._sync(conn, command, effective, synced_at, cipher)
            return json.dumps(
                {
                    "position_count": result.position_count,
                    "recorded_flow_count": result.recorded_flow_count,
                    "ignored_flow_count": result.ignored_flow_count,
                    "sync_time": result.sync_time.isoformat(),
                }
            ).encode()

        raw = await self._run(idempotency, work)
        d = json.loads(raw)
        return SyncResult(
            position_count=d["position_count"],
            recorded_flow_count=d["recorded_flow_count"],
            ignored_flow_count=d["ignored_flow_count"],
            sync_time=datetime.fromisoformat(d["sync_time"]),
        )

    async def _run(self, idempotency: Idempotency | None, work: Callable[[AsyncConnection[Any]], Any]) -> bytes:
        if idempotency is None:
            async with self.db.transaction() as conn:
                return await work(conn)  # type: ignore[no-any-return]
        with wrap_exceptions():
            return await run_idempotent(
                self.db,
                method=idempotency.method,
                principal=idempotency.principal,
                request_id=idempotency.request_id,
                payload=idempotency.fingerprint,
                work=work,
            )

    async def _sync(
        self, conn: AsyncConnection[Any], cmd: SyncCommand, effective: date, synced_at: datetime, cipher: UserCipher
    ) -> SyncResult:
        user = cmd.user_id
        await self._lock_snapshot_portfolio(conn, user, cmd.base_currency)
        await self._store_snapshot(
            conn, user, DatedHoldingsInput(effective, cmd.positions, cmd.cash_balance), cmd.base_currency, synced_at,
            "positions", cipher)
        recorded = await self._insert_flows(conn, user, cmd.cash_flows)
        await conn.execute(Q.notify_portfolio, {"user_id": user})
        return SyncResult(
            position_count=len(cmd.positions),
            recorded_flow_count=recorded,
            ignored_flow_count=len(cmd.cash_flows) - recorded,
            sync_time=synced_at,
            effective=effective,
        )

    async def import_history(
        self, command: ImportHistoryCommand, *, synced_at: datetime, idempotency: Idempotency | None
    ) -> ImportResult:
        cipher = await self.sealer.cipher(command.user_id, create=True)

        async def work(conn: AsyncConnection[Any]) -> bytes:
            user = command.user_id
            await self._lock_snapshot_portfolio(conn, user, command.base_currency)
            ordered = sorted(enumerate(command.snapshots), key=lambda e: e[1].effective_date or date.min)
            for i, snap in ordered:
                await self._store_snapshot(conn, user, snap, command.base_currency, synced_at,
                                           f"snapshots[{i}].positions", cipher)
            recorded = await self._insert_flows(conn, user, command.cash_flows)
            await conn.execute(Q.notify_portfolio, {"user_id": user})
            days = [s.effective_date for s in command.snapshots if s.effective_date is not None]
            return json.dumps({"count": len(days), "first": min(days).isoformat(), "last": max(days).isoformat(),
                               "recorded": recorded}).encode()

        d = json.loads(await self._run(idempotency, work))
        return ImportResult(d["count"], date.fromisoformat(d["first"]), date.fromisoformat(d["last"]),
                            d["recorded"], len(command.cash_flows) - d["recorded"])

    async def _lock_snapshot_portfolio(self, conn: AsyncConnection[Any], user: str, base: str) -> None:
        await ensure_user(conn, user)
        cur = await conn.execute(Q.lock_portfolio, {"user_id": user})
        row = await cur.fetchone()
        if row is not None and row["base_currency"] != base:
            raise InvalidArgument(
                f"base_currency: the portfolio is valued in {row['base_currency']}; it cannot change to {base}",
                violations=[FieldViolation("base_currency", f"must stay {row['base_currency']}")],
                reason="CURRENCY_MISMATCH",
                metadata={"base_currency": row["base_currency"], "requested": base},
            )
        cur = await conn.execute(Q.has_transactions, {"user_id": user})
        if await cur.fetchone() is not None:
            raise FailedPrecondition(
                "the portfolio is ledger-based: its holdings come from its transactions (delete them to sync "
                "snapshots again)",
                reason="PORTFOLIO_LEDGER_BASED",
                metadata={"portfolio": f"users/{user}/portfolio"},
            )

    async def _check_price_currencies(self, conn: AsyncConnection[Any], positions: tuple[HoldingInput, ...],
                                      prefix: str) -> None:
        recorded = await self._price_currencies(conn, (h.symbol for h in positions))
        for i, h in enumerate(positions):
            ccy = recorded.get(h.symbol)
            if ccy is not None and ccy != h.currency:
                path = f"{prefix}[{i}].currency"
                raise InvalidArgument(
                    f"{path}: {h.symbol} is priced in {ccy}, not {h.currency}",
                    violations=[FieldViolation(path, f"must be {ccy}, the currency of {h.symbol}'s prices")],
                    reason="CURRENCY_MISMATCH",
                    metadata={"symbol": h.symbol, "currency": h.currency, "price_currency": ccy},
                )

    async def _store_snapshot(
        self, conn: AsyncConnection[Any], user: str, snap: DatedHoldingsInput, base: str, synced_at: datetime,
        prefix: str, cipher: UserCipher,
    ) -> None:
        """Store one dated snapshot; it becomes the current holdings unless a later one is stored."""
        effective = snap.effective_date
        assert effective is not None
        await self._check_price_currencies(conn, snap.positions, prefix)
        cur = await conn.execute(Q.latest_snapshot_date, {"user_id": user})
        latest = (await cur.fetchone() or {}).get("latest")
        current = latest is None or effective >= latest
        rows = [
            {
                "user_id": user,
                "effective_date": effective,
                "symbol": h.symbol,
                "currency": h.currency,
                "asset_class": h.asset_class.value,
                "ordinal": i,
                **_holding_values(cipher, effective, h.symbol, h.quantity, h.average_cost, h.sector, h.basket,
                                  list(h.tags)),
            }
            for i, h in enumerate(snap.positions)
        ]
        cash = _cash_values(cipher, effective, snap.cash_balance)
        if current:
            await conn.execute(
                Q.upsert_portfolio,
                {
                    "user_id": user,
                    "base_currency": base,
                    **cash,
                    "position_count": len(snap.positions),
                    "synced_at": synced_at,
                },
            )
            await conn.execute(Q.delete_positions, {"user_id": user})
        else:
            await conn.execute(Q.bump_holdings_version, {"user_id": user})
        await conn.execute(
            Q.upsert_cash_snapshot,
            {
                "user_id": user,
                "effective_date": effective,
                **cash,
                "base_currency": base,
                "synced_at": synced_at,
            },
        )
        await conn.execute(Q.delete_snapshot_holdings, {"user_id": user, "effective_date": effective})
        if rows:
            async with conn.cursor() as cur2:
                if current:
                    await cur2.executemany(Q.insert_position, rows)
                await cur2.executemany(Q.insert_snapshot_holding, rows)

    async def _insert_flows(self, conn: AsyncConnection[Any], user: str, flows: tuple[FlowInput, ...]) -> int:
        if not flows:
            return 0
        cur = await conn.execute(
            Q.insert_cash_flows,
            {
                "user_id": user,
                "external_ids": [f.external_id for f in flows],
                "flow_types": [f.type.value if f.type else None for f in flows],
                "amounts": [f.amount for f in flows],
                "currencies": [f.currency for f in flows],
                "occurred_ats": [f.occurred_at for f in flows],
                "occurred_ons": [f.occurred_on for f in flows],
            },
        )
        return len(await cur.fetchall())

    # -- RecordPrices ----------------------------------------------------------------------

    async def record_prices(self, points: Sequence[PriceInput], *, idempotency: Idempotency | None) -> RecordResult:
        async def work(conn: AsyncConnection[Any]) -> bytes:
            inserted, updated, changed = await self._upsert_prices(conn, points)
            for payload in price_payloads(changed):
                await conn.execute(Q.notify_prices, {"payload": payload})
            return json.dumps(
                {"inserted": inserted, "updated": updated, "unchanged": len(points) - inserted - updated,
                 "changed": sorted(changed)}
            ).encode()

        replayed = False
        if idempotency is not None:
            # The response of the first call is replayed; only the first call notified.
            marker: list[bool] = []

            async def first(conn: AsyncConnection[Any]) -> bytes:
                marker.append(True)
                return await work(conn)

            raw = await self._run(idempotency, first)
            replayed = not marker
        else:
            raw = await self._run(None, work)
        d = json.loads(raw)
        return RecordResult(
            inserted=d["inserted"],
            updated=d["updated"],
            unchanged=d["unchanged"],
            changed_symbols=frozenset() if replayed else frozenset(d["changed"]),
        )

    async def _upsert_prices(
        self, conn: AsyncConnection[Any], points: Sequence[PriceInput]
    ) -> tuple[int, int, set[str]]:
        await conn.execute(Q.create_price_staging)
        async with conn.cursor(row_factory=tuple_row) as cur:
            async with cur.copy(Q.copy_price_staging) as copy:
                await copy.write(_copy_text(points))
            inserted = updated = 0
            changed: set[str] = set()
            for query in (Q.upsert_daily_from_staging, Q.upsert_quotes_from_staging):
                await cur.execute(query)
                for symbol, n_inserted, n_updated in await cur.fetchall():
                    changed.add(symbol)
                    inserted += n_inserted
                    updated += n_updated
        return inserted, updated, changed

    # -- IngestNews ------------------------------------------------------------------------

    async def ingest_news(self, articles: Sequence[ArticleInput]) -> IngestResult:
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                Q.insert_news,
                {
                    "ids": [a.id for a in articles],
                    "sources": [a.source for a in articles],
                    "published_ats": [a.published_at for a in articles],
                    "titles": [a.title for a in articles],
                    "summaries": [a.summary or None for a in articles],
                    "urls": [a.url or None for a in articles],
                    "symbols": [json.dumps(list(a.symbols)) for a in articles],
                },
            )
            inserted = len(await cur.fetchall())
        return IngestResult(inserted=inserted, duplicates=len(articles) - inserted)

    # -- reads -----------------------------------------------------------------------------

    async def load_portfolio(self, user_id: str) -> StoredPortfolio | None:
        cipher = await self.sealer.cipher(user_id)
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.load_snapshots, {"user_id": user_id})
            snap_rows = await cur.fetchall()
            if not snap_rows:
                return None
            await cur.execute(Q.load_cash_flows, {"user_id": user_id})
            flow_rows = await cur.fetchall()
        snapshots: list[HoldingsSnapshot] = []
        current: date | None = None
        header: tuple[Any, ...] = ()
        positions: list[Position] = []

        def close_snapshot() -> None:
            eff, cash, ccy, synced = header
            holdings = Holdings(user=user_id, base_currency=ccy, cash=cash, positions=tuple(positions),
                                as_of=synced)
            snapshots.append(HoldingsSnapshot(effective=eff, holdings=holdings))

        for (eff, cash, sealed_cash, ccy, synced, symbol, qty, cost, pccy, sector, aclass, basket, tags,
             sealed) in snap_rows:
            if eff != current:
                if current is not None:
                    close_snapshot()
                if sealed_cash is not None:
                    cash = Decimal(cipher.open(CASH, eff.isoformat(), sealed_cash))
                current, header, positions = eff, (eff, cash, ccy, synced), []
            if symbol is not None:
                if sealed is not None:
                    qty, cost, sector, basket, tags = _open_holding(cipher, eff, symbol, sealed)
                positions.append(
                    Position(symbol=symbol, quantity=qty, average_cost=cost, currency=pccy, sector=sector,
                             asset_class=aclass, basket=basket, tags=tuple(tags or ()))
                )
        close_snapshot()
        flows = tuple(
            CashFlow(at=at if at is not None else on, amount=amount if kind == FlowType.DEPOSIT else -amount,
                     currency=ccy)
            for kind, amount, at, on, ccy in flow_rows
        )
        return StoredPortfolio(
            user_id=user_id, base_currency=snapshots[-1].holdings.base_currency, snapshots=tuple(snapshots),
            cash_flows=flows,
        )

    async def load_daily_prices(self, symbols: Iterable[str]) -> dict[str, PriceSeries]:
        wanted = sorted(set(symbols))
        if not wanted:
            return {}
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.load_daily_prices, {"symbols": wanted})
            rows = await cur.fetchall()
        out: dict[str, PriceSeries] = {}
        start = 0
        for i in range(1, len(rows) + 1):
            if i == len(rows) or rows[i][0] != rows[start][0]:
                chunk = rows[start:i]
                prev = tuple(r[3] for r in chunk)
                out[chunk[0][0]] = PriceSeries(
                    symbol=chunk[0][0],
                    dates=tuple(r[1] for r in chunk),
                    closes=tuple(r[2] for r in chunk),
                    previous_closes=prev if any(p is not None for p in prev) else (),
                )
                start = i
        return out

    async def load_latest_quotes(self, symbols: Iterable[str], *, at_or_before: datetime) -> dict[str, PricePoint]:
        wanted = sorted(set(symbols))
        if not wanted:
            return {}
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.load_latest_quotes, {"symbols": wanted, "at_or_before": at_or_before})
            rows = await cur.fetchall()
        return {
            s: PricePoint(symbol=s, at=at.astimezone(UTC), close=close, previous_close=prev)
            for s, at, close, prev in rows
        }


class PgChangeFeed(PgListener):
    """Price and portfolio change notifications on the process's LISTEN connection (:class:`PgListener`).

    ``on_change`` runs on the event loop for every notification; a (re)connect delivers
    :class:`FeedReset` (anything may have been missed while disconnected).
    """

    channels = (PRICE_CHANNEL, PORTFOLIO_CHANNEL)
    name = "portfolio-change-feed"

    def __init__(self, conninfo: str, **kw: Any) -> None:
        super().__init__(conninfo, **kw)
        self._on_change: Callable[[ChangeEvent], None] | None = None

    async def start(self, on_change: Callable[[ChangeEvent], None]) -> None:
        if self._task is not None:
            return
        self._on_change = on_change
        self._start_task()

    def _emit(self, event: ChangeEvent) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change(event)
        except Exception:
            log.exception("change feed subscriber failed")

    def _on_connect(self) -> None:
        self._emit(FeedReset())

    def _dispatch(self, channel: str, payload: str) -> None:
        if channel == PORTFOLIO_CHANNEL:
            if payload:
                self._emit(HoldingsChanged(payload))
            return
        try:
            symbols = json.loads(payload).get("symbols", [])
        except (ValueError, AttributeError):
            log.warning("ignoring malformed price notification", extra={"payload": payload[:200]})
            return
        self._emit(PricesChanged(frozenset(str(s) for s in symbols)))
