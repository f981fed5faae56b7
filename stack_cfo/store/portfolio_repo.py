"""Portfolio persistence (implements :class:`~stack_cfo.core.portfolio.ports.PortfolioStore`) and
the change feed over PostgreSQL LISTEN/NOTIFY (implements ``ChangeFeed``).

Writes are set-based: a sync is a handful of statements in one transaction; an import of dated
snapshots too, its holdings going through ``COPY`` into a temporary table and one ``INSERT ... SELECT``
per 10,000; prices go through ``COPY`` into a temporary table and one ``INSERT ... ON CONFLICT DO
UPDATE`` per kind; news and cash flows are single ``INSERT ... SELECT FROM unnest(...)`` statements.
Notifications are sent inside the writing transaction, so PostgreSQL delivers them only if it commits:

* ``price_updates``: ``{"symbols": ["AAPL", ...]}`` (split into several notifications when the
  list would exceed PostgreSQL's 8000-byte payload limit);
* ``portfolio_updates``: the user id (also sent by a trigger when a portfolio is deleted).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from stack_cfo.core.errors import FailedPrecondition, FieldViolation, InvalidArgument
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio import CashFlow, Holdings, HoldingsSnapshot, Position, PricePoint, PriceSeries
from stack_cfo.core.portfolio.cpu_meter import metered_call
from stack_cfo.core.portfolio.inputs import (
    ArticleInput,
    DatedHoldingsInput,
    FlowInput,
    FlowType,
    HoldingInput,
    ImportHistoryCommand,
    PriceInput,
    SyncCommand,
    base_currency_changed,
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
from stack_cfo.store.ledger_repo import LedgerRepository, off_loop
from stack_cfo.store.listen import PgListener
from stack_cfo.store.queries import load_queries
from stack_cfo.store.users import ensure_user

log = logging.getLogger(__name__)

PRICE_CHANNEL = "price_updates"
PORTFOLIO_CHANNEL = "portfolio_updates"
#: PostgreSQL rejects NOTIFY payloads of 8000 bytes or more; stay well below.
MAX_PAYLOAD_BYTES = 7000
#: Rows of daily prices decoded per turn of the event loop (:meth:`PortfolioRepository.load_daily_prices`):
#: about 20-50 ms of decoding and building series each (5,000 symbols x 400 days: 200 round trips).
PRICE_BATCH_ROWS = 10_000

Q = load_queries("portfolio")


def price_payloads(symbols: Iterable[str], change: str = "") -> Iterator[str]:
    """``{"symbols": [...], "change": id}`` documents, each under :data:`MAX_PAYLOAD_BYTES`
    (``change``, the write's id, only when given)."""
    extra = {"change": change} if change else {}
    batch: list[str] = []
    size = 16 + (len(change) + 12 if change else 0)
    start = size
    for s in sorted(symbols):
        cost = len(s.encode()) + 4
        if batch and size + cost > MAX_PAYLOAD_BYTES:
            yield json.dumps({"symbols": batch, **extra}, separators=(",", ":"))
            batch, size = [], start
        batch.append(s)
        size += cost
    if batch:
        yield json.dumps({"symbols": batch, **extra}, separators=(",", ":"))


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
FLOW = "cash_flows.sealed_amount"


def _flow_ref(flow_type: str, occurred: object, external_id: str | None) -> str:
    """A cash flow's identity for its sealed amount (its id is generated by the insert)."""
    when = occurred.isoformat() if hasattr(occurred, "isoformat") else str(occurred)
    return f"{flow_type}/{when}/{external_id or ''}"


def _holding_values(cipher: UserCipher, effective: date, symbol: str, quantity: Decimal,
                    average_cost: Decimal | None, sector: str | None, basket: str | None,
                    tags: list[str]) -> dict[str, Any]:
    clear = {"quantity": quantity, "average_cost": average_cost, "sector": sector, "basket": basket, "tags": tags,
             "sealed": None}
    if not cipher.sealing:
        return clear
    return {"quantity": None, "average_cost": None, "sector": None, "basket": None, "tags": [],
            "sealed": _seal_holding(cipher, effective.isoformat(), symbol, quantity, average_cost, sector, basket,
                                    tags)}


def _holding_doc(quantity: Decimal, average_cost: Decimal | None, sector: str | None, basket: str | None,
                 tags: Iterable[str]) -> str:
    """The sealed document of a holding: the text ``json.dumps({"q", "c", "s", "b", "t"},
    separators=(",", ":"), sort_keys=True)`` gives (what ``UserCipher.seal_json`` seals), written
    directly: json.dumps with those options builds an encoder per call, a third of an import's time."""
    return "".join((
        '{"b":', "null" if basket is None else _json_str(basket),
        ',"c":', "null" if average_cost is None else _json_str(format(average_cost, "f")),
        ',"q":', _json_str(format(quantity, "f")),
        ',"s":', "null" if sector is None else _json_str(sector),
        ',"t":[', ",".join(map(_json_str, tags)), "]}",
    ))


def _seal_holding(cipher: UserCipher, day: str, symbol: str, quantity: Decimal, average_cost: Decimal | None,
                  sector: str | None, basket: str | None, tags: Iterable[str]) -> str:
    return cipher.seal(HOLDING, f"{day}/{symbol}", _holding_doc(quantity, average_cost, sector, basket, tags))


def _open_holding(cipher: UserCipher, effective: date, symbol: str,
                  sealed: str) -> tuple[Decimal, Decimal | None, str | None, str | None, list[str]]:
    doc = cipher.open_json(HOLDING, f"{effective.isoformat()}/{symbol}", sealed)
    return (Decimal(doc["q"]), Decimal(doc["c"]) if doc["c"] is not None else None, doc["s"], doc["b"],
            list(doc["t"] or ()))


def _cash_values(cipher: UserCipher, effective: date, cash: Decimal) -> dict[str, Any]:
    if not cipher.sealing:
        return {"cash_balance": cash, "sealed_cash": None}
    return {"cash_balance": None, "sealed_cash": cipher.seal(CASH, effective.isoformat(), format(cash, "f"))}


#: Column types of ``holdings_staging`` (binary COPY).
_STAGING_TYPES = ("date", "text", "numeric", "numeric", "text", "text", "text", "text", "text[]", "int4", "text")
#: Holdings an import seals and inserts at a time: the next chunk is sealed (in a thread) while the
#: database inserts this one.
_CHUNK_ROWS = 10_000
_NO_TAGS: list[str] = []
#: Holdings rows a COPY formats before it lets the event loop serve others (~5 ms of CPU).
_COPY_ROWS_PER_TURN = 1_000

#: A run of one snapshot's positions: (snapshot, first index, end index).
_Run = tuple[DatedHoldingsInput, int, int]


def _chunks(snapshots: Sequence[DatedHoldingsInput], size: int = _CHUNK_ROWS) -> list[list[_Run]]:
    """The snapshots' positions, in order, cut into chunks of ``size`` (runs of one snapshot each)."""
    chunks: list[list[_Run]] = []
    chunk: list[_Run] = []
    room = size
    for snap in snapshots:
        start, end = 0, len(snap.positions)
        while start < end:
            stop = min(end, start + room)
            chunk.append((snap, start, stop))
            room -= stop - start
            start = stop
            if not room:
                chunks.append(chunk)
                chunk, room = [], size
    if chunk:
        chunks.append(chunk)
    return chunks


def _seal_chunk(cipher: UserCipher, chunk: list[_Run]) -> list[str] | None:
    """The sealed documents of a chunk's holdings, in order (None when the cipher does not seal):
    what :func:`_holding_values` stores in ``sealed``. Strings only: millions of container objects
    made the garbage collector a third of the sealing time."""
    if not cipher.sealing:
        return None
    seal, doc = cipher.seal, _holding_doc
    out: list[str] = []
    append = out.append
    for snap, start, stop in chunk:
        assert snap.effective_date is not None
        day = snap.effective_date.isoformat() + "/"
        for h in snap.positions[start:stop]:
            append(seal(HOLDING, day + h.symbol, doc(h.quantity, h.average_cost, h.sector, h.basket, h.tags)))
    return out


async def _copy_chunk(copy: Any, chunk: list[_Run], sealed: list[str] | None) -> None:
    """Write a chunk's holdings as ``holdings_staging`` rows: the values :func:`_holding_values`
    gives (``sealed`` the chunk's sealed documents, or None to store in the clear)."""
    k = n = 0
    for snap, start, stop in chunk:
        effective = snap.effective_date
        for i in range(start, stop):
            n += 1
            if not n % _COPY_ROWS_PER_TURN:  # formatting rows is CPU: the loop serves others now and then
                await asyncio.sleep(0)
            h = snap.positions[i]
            if sealed is None:
                await copy.write_row((effective, h.symbol, h.quantity, h.average_cost, h.currency, h.sector,
                                      h.asset_class.value, h.basket, list(h.tags), i, None))
            else:
                await copy.write_row((effective, h.symbol, None, None, h.currency, None, h.asset_class.value, None,
                                      _NO_TAGS, i, sealed[k]))
                k += 1


def _currency_mismatch(recorded: dict[str, str], positions: Sequence[HoldingInput], prefix: str
                       ) -> InvalidArgument | None:
    """CURRENCY_MISMATCH naming the first position priced in another currency than its symbol's
    recorded prices (``recorded``: symbol -> currency), if any."""
    for i, h in enumerate(positions):
        ccy = recorded.get(h.symbol)
        if ccy is not None and ccy != h.currency:
            path = f"{prefix}[{i}].currency"
            return InvalidArgument(
                f"{path}: {h.symbol} is priced in {ccy}, not {h.currency}",
                violations=[FieldViolation(path, f"must be {ccy}, the currency of {h.symbol}'s prices")],
                reason="CURRENCY_MISMATCH",
                metadata={"symbol": h.symbol, "currency": h.currency, "price_currency": ccy},
            )
    return None


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
                    "effective": effective.isoformat(),
                }
            ).encode()

        raw = await self._run(idempotency, work)
        d = json.loads(raw)
        return SyncResult(
            position_count=d["position_count"],
            recorded_flow_count=d["recorded_flow_count"],
            ignored_flow_count=d["ignored_flow_count"],
            sync_time=datetime.fromisoformat(d["sync_time"]),
            # responses stored before it was kept: the day this call computed (the same request's)
            effective=date.fromisoformat(d["effective"]) if "effective" in d else effective,
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
                sealer=self.sealer,  # responses carry sealed figures (transactions, notes)
            )

    async def _sync(
        self, conn: AsyncConnection[Any], cmd: SyncCommand, effective: date, synced_at: datetime, cipher: UserCipher
    ) -> SyncResult:
        user = cmd.user_id
        await self._lock_snapshot_portfolio(conn, user, cmd.base_currency, synced_at)
        await self._store_snapshot(
            conn, user, DatedHoldingsInput(effective, cmd.positions, cmd.cash_balance), cmd.base_currency, synced_at,
            "positions", cipher)
        recorded = await self._insert_flows(conn, user, cmd.cash_flows, cipher)
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
        """Store every snapshot, all or nothing, as one sync per snapshot in date order would (the
        latest one on or after the stored snapshots becomes the current holdings), in a few
        set-based statements: the holdings go through ``COPY`` (one round trip per row took minutes
        for 200 snapshots of 1,000 positions, holding a pooled connection all along)."""
        cipher = await self.sealer.cipher(command.user_id, create=True)
        ordered = sorted(enumerate(command.snapshots), key=lambda e: e[1].effective_date or date.min)
        chunks = _chunks([s for _, s in ordered])
        # Sealing is CPU: the first chunk before a connection is taken (off the event loop when large),
        # the others while the database inserts the one before.
        def prepare() -> tuple[list[str] | None, list[dict[str, Any]]]:
            first = _seal_chunk(cipher, chunks[0]) if chunks else None
            return first, [_cash_values(cipher, s.effective_date, s.cash_balance) for _, s in ordered
                           if s.effective_date]

        first_rows = sum(stop - start for _, start, stop in chunks[0]) if chunks else 0
        first, cash = await off_loop(len(ordered) + first_rows, prepare)

        async def work(conn: AsyncConnection[Any]) -> bytes:
            user = command.user_id
            await self._lock_snapshot_portfolio(conn, user, command.base_currency, synced_at)
            await self._store_snapshots(conn, user, ordered, cash, command.base_currency, synced_at, cipher,
                                        chunks, first)
            recorded = await self._insert_flows(conn, user, command.cash_flows, cipher)
            await conn.execute(Q.notify_portfolio, {"user_id": user})
            days = [s.effective_date for s in command.snapshots if s.effective_date is not None]
            return json.dumps({"count": len(days), "first": min(days).isoformat(), "last": max(days).isoformat(),
                               "recorded": recorded}).encode()

        d = json.loads(await self._run(idempotency, work))
        return ImportResult(d["count"], date.fromisoformat(d["first"]), date.fromisoformat(d["last"]),
                            d["recorded"], len(command.cash_flows) - d["recorded"])

    async def _store_snapshots(
        self, conn: AsyncConnection[Any], user: str, ordered: list[tuple[int, DatedHoldingsInput]],
        cash: list[dict[str, Any]], base: str, synced_at: datetime, cipher: UserCipher, chunks: list[list[_Run]],
        first: list[str] | None,
    ) -> None:
        """Store an import's snapshots (``ordered`` by date, with their index in the request;
        ``cash`` their cash values in that order; ``chunks`` their holdings, ``first`` the sealed
        documents of the first chunk): the same rows, versions and errors as :meth:`_store_snapshot`
        called for each in turn."""
        positions = sum(stop - start for chunk in chunks for _, start, stop in chunk)

        def symbols() -> set[str]:
            return {h.symbol for _, s in ordered for h in s.positions}

        def first_mismatch(recorded: dict[str, str]) -> InvalidArgument | None:
            for i, snap in ordered:  # the first mismatch in date order, as one snapshot after another did
                mismatch = _currency_mismatch(recorded, snap.positions, f"snapshots[{i}].positions")
                if mismatch is not None:
                    return mismatch
            return None

        # up to 200,000 positions to look at: in a thread when many, so other callers are not held
        recorded = await self._price_currencies(conn, await off_loop(positions, symbols))
        if recorded:
            mismatch = await off_loop(positions, first_mismatch, recorded)
            if mismatch is not None:
                raise mismatch
        cur = await conn.execute(Q.latest_snapshot_date, {"user_id": user})
        latest = (await cur.fetchone() or {}).get("latest")
        days: list[date] = [s.effective_date for _, s in ordered if s.effective_date is not None]
        # Stored in date order, each snapshot on or after the latest one became the current holdings
        # in turn: the last of them is the current holdings now.
        current = len(days) - 1 if latest is None or days[-1] >= latest else None
        bumps = len(days)
        if current is not None:
            await self._make_current(conn, user, base, cash[current], len(ordered[current][1].positions), synced_at)
            bumps -= 1
        if bumps:
            await conn.execute(Q.add_holdings_versions, {"user_id": user, "count": bumps})
        await conn.execute(
            Q.upsert_cash_snapshots,
            {
                "user_id": user,
                "effective_dates": days,
                "cash_balances": [c["cash_balance"] for c in cash],
                "sealed_cash": [c["sealed_cash"] for c in cash],
                "base_currency": base,
                "synced_at": synced_at,
            },
        )
        await conn.execute(Q.delete_snapshots_holdings, {"user_id": user, "effective_dates": days})
        if not chunks:
            return
        await conn.execute(Q.create_holdings_staging)
        sealed = first
        async with conn.cursor() as cur2:
            for n, chunk in enumerate(chunks):
                if n:
                    await cur2.execute(Q.truncate_holdings_staging)  # the dead rows would be scanned again
                async with cur2.copy(Q.copy_holdings_staging) as copy:
                    copy.set_types(list(_STAGING_TYPES))
                    await _copy_chunk(copy, chunk, sealed)
                following = (asyncio.ensure_future(asyncio.to_thread(metered_call, _seal_chunk, cipher, chunks[n + 1]))
                             if n + 1 < len(chunks) else None)
                try:
                    await cur2.execute(Q.insert_holdings_from_staging, {"user_id": user})
                except BaseException:
                    if following is not None:
                        following.cancel()  # its thread finishes unheard
                    raise
                sealed = await following if following is not None else None
            if current is not None and ordered[current][1].positions:
                await cur2.execute(Q.insert_positions_from_history, {"user_id": user, "effective_date": days[current]})

    async def _lock_snapshot_portfolio(self, conn: AsyncConnection[Any], user: str, base: str,
                                       synced_at: datetime) -> None:
        """Hold the portfolio row (created in ``base`` when there is none: the snapshot stored next
        fills it), so that concurrent first writes check the base currency and the ledger one after
        the other; without a row to lock, two of them each wrote a portfolio in their own base."""
        await ensure_user(conn, user)
        stored = await self._lock_or_create_portfolio(conn, user, base, synced_at, version=0)
        if stored != base:
            raise base_currency_changed(stored, base, may_be_empty=False)
        cur = await conn.execute(Q.has_transactions, {"user_id": user})
        if await cur.fetchone() is not None:
            raise FailedPrecondition(
                "the portfolio is ledger-based: its holdings come from its transactions (delete them to sync "
                "snapshots again)",
                reason="PORTFOLIO_LEDGER_BASED",
                metadata={"portfolio": f"users/{user}/portfolio"},
            )

    @staticmethod
    async def _make_current(conn: AsyncConnection[Any], user: str, base: str, cash: dict[str, Any],
                            position_count: int, synced_at: datetime) -> None:
        """A snapshot becomes the current holdings: the portfolio row takes its cash and count (and a new
        version), and the current positions are emptied for its own to be written."""
        await conn.execute(
            Q.upsert_portfolio,
            {"user_id": user, "base_currency": base, **cash, "position_count": position_count,
             "synced_at": synced_at},
        )
        await conn.execute(Q.delete_positions, {"user_id": user})

    async def _check_price_currencies(self, conn: AsyncConnection[Any], positions: tuple[HoldingInput, ...],
                                      prefix: str) -> None:
        recorded = await self._price_currencies(conn, (h.symbol for h in positions))
        mismatch = _currency_mismatch(recorded, positions, prefix)
        if mismatch is not None:
            raise mismatch

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
        def build() -> list[dict[str, Any]]:
            return [
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

        # sealing thousands of rows is CPU: off the event loop, so other callers are not held
        rows = await off_loop(len(snap.positions), build)
        cash = _cash_values(cipher, effective, snap.cash_balance)
        if current:
            await self._make_current(conn, user, base, cash, len(snap.positions), synced_at)
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

    async def _insert_flows(
        self, conn: AsyncConnection[Any], user: str, flows: tuple[FlowInput, ...], cipher: UserCipher
    ) -> int:
        if not flows:
            return 0
        sealed = cipher.sealing
        cur = await conn.execute(
            Q.insert_cash_flows,
            {
                "user_id": user,
                "external_ids": [f.external_id for f in flows],
                "flow_types": [f.type.value if f.type else None for f in flows],
                "amounts": [None if sealed else f.amount for f in flows],
                "currencies": [f.currency for f in flows],
                "occurred_ats": [f.occurred_at for f in flows],
                "occurred_ons": [f.occurred_on for f in flows],
                "sealed": [cipher.seal(FLOW, _flow_ref(f.type.value if f.type else "", f.occurred_at or f.occurred_on,
                                                      f.external_id), format(f.amount, "f")) if sealed else None
                           for f in flows],
            },
        )
        return len(await cur.fetchall())

    # -- RecordPrices ----------------------------------------------------------------------

    async def record_prices(self, points: Sequence[PriceInput], *, idempotency: Idempotency | None) -> RecordResult:
        change = uuid.uuid4().hex

        async def work(conn: AsyncConnection[Any]) -> bytes:
            await self._check_point_currencies(conn, points)
            inserted, updated, changed = await self._upsert_prices(conn, points)
            for payload in price_payloads(changed, change):
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
            change_id="" if replayed else change,
        )

    async def _check_point_currencies(self, conn: AsyncConnection[Any], points: Sequence[PriceInput]) -> None:
        """A symbol's prices share one currency, as its positions do: a close in another currency than
        the symbol's recorded ones (or than an earlier point of the same call) would be valued as if
        the exchange rate were 1. CURRENCY_MISMATCH naming the point."""
        recorded = await self._price_currencies(conn, (p.symbol for p in points))
        for i, p in enumerate(points):
            ccy = recorded.setdefault(p.symbol, p.currency)
            if ccy != p.currency:
                path = f"points[{i}].currency"
                raise InvalidArgument(
                    f"{path}: {p.symbol} is priced in {ccy}, not {p.currency}",
                    violations=[FieldViolation(path, f"must be {ccy}, the currency of {p.symbol}'s prices")],
                    reason="CURRENCY_MISMATCH",
                    metadata={"symbol": p.symbol, "currency": p.currency, "price_currency": ccy},
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
        # opening sealed rows is CPU: off the loop when many
        return await off_loop(len(snap_rows) + len(flow_rows), self._decode_portfolio, user_id, cipher, snap_rows,
                              flow_rows)

    @staticmethod
    def _decode_portfolio(user_id: str, cipher: UserCipher, snap_rows: list[tuple[Any, ...]],
                          flow_rows: list[tuple[Any, ...]]) -> StoredPortfolio:
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
        def flow_amount(kind: str, amount: Decimal | None, at: Any, on: Any, ext: str | None, sealed: str | None
                        ) -> Decimal:
            if sealed is not None:
                return Decimal(cipher.open(FLOW, _flow_ref(kind, at if at is not None else on, ext), sealed))
            assert amount is not None
            return amount

        flows = []
        for kind, amount, at, on, ccy, ext, sealed in flow_rows:
            value = flow_amount(kind, amount, at, on, ext, sealed)
            flows.append(CashFlow(at=at if at is not None else on, currency=ccy,
                                  amount=value if kind == FlowType.DEPOSIT else -value))
        return StoredPortfolio(
            user_id=user_id, base_currency=snapshots[-1].holdings.base_currency, snapshots=tuple(snapshots),
            cash_flows=tuple(flows),
        )

    async def load_daily_prices(self, symbols: Iterable[str]) -> dict[str, PriceSeries]:
        """Daily closes of ``symbols``, through a server-side cursor :data:`PRICE_BATCH_ROWS` rows at a
        time: a large portfolio's prices (5,000 symbols x 400 days: 2 million rows) were fetched by one
        ``fetchall``, which decodes every row in the loop's thread, and their series built in one go
        after it: the event loop serving everyone was held for seconds. Now the loop is given back
        after each batch (decoding one and building the series it completes takes a few ms)."""
        wanted = sorted(set(symbols))
        if not wanted:
            return {}
        out: dict[str, PriceSeries] = {}
        symbol: str | None = None
        dates: list[date] = []
        closes: list[Decimal] = []
        prevs: list[Decimal | None] = []
        ccy = ""

        def close_series() -> None:
            if symbol is not None:
                out[symbol] = PriceSeries(
                    symbol=symbol, dates=tuple(dates), closes=tuple(closes),
                    previous_closes=tuple(prevs) if any(p is not None for p in prevs) else (),
                    currency=ccy,  # a symbol's closes share one currency (RecordPrices): its last row's
                )

        # a named cursor lives in the transaction the connection opened (scope included)
        async with self.db.connection() as conn, conn.cursor(name="load_daily_prices", row_factory=tuple_row) as cur:
            await cur.execute(Q.load_daily_prices, {"symbols": wanted})
            while rows := await cur.fetchmany(PRICE_BATCH_ROWS):
                for sym, day, close, prev, row_ccy in rows:
                    if sym != symbol:
                        close_series()
                        symbol, dates, closes, prevs = sym, [], [], []
                    dates.append(day)
                    closes.append(close)
                    prevs.append(prev)
                    ccy = row_ccy
                if len(rows) < PRICE_BATCH_ROWS:
                    break
                await asyncio.sleep(0)  # the loop's other work runs before the next batch is decoded
        close_series()
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
            s: PricePoint(symbol=s, at=at.astimezone(UTC), close=close, previous_close=prev, currency=ccy)
            for s, at, close, prev, ccy in rows
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
            doc = json.loads(payload)
            symbols, change = doc.get("symbols", []), doc.get("change", "")
        except (ValueError, AttributeError):
            log.warning("ignoring malformed price notification", extra={"payload": payload[:200]})
            return
        self._emit(PricesChanged(frozenset(str(s) for s in symbols), change if isinstance(change, str) else ""))
