"""The transactions ledger, exchange rates and per-user settings over PostgreSQL (part of
:class:`~stack_cfo.store.portfolio_repo.PortfolioRepository`; SQL in ``sql/ledger.sql``).

Every ledger write runs in one transaction that locks the portfolio row, checks the whole ledger
as it would be after the write (the domain's ``check`` callback: sales beyond holdings, one
currency per symbol and per price series), writes, bumps ``holdings_version`` and notifies
``portfolio_updates``; a check that fails rolls everything back, so nothing partial is written.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from stack_cfo.core.errors import NotFound
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio.cpu_meter import in_thread
from stack_cfo.core.portfolio.inputs import base_currency_changed
from stack_cfo.core.portfolio.ledger import (
    by_client_id,
    group_of,
    relabel_splits,
    splits_taking_a_trades_currency,
    with_currencies,
)
from stack_cfo.core.portfolio.models import PriceSeries
from stack_cfo.core.portfolio.ports import LedgerCheck, RateInput, RecordResult
from stack_cfo.core.portfolio.transactions import (
    BatchCreateResult,
    CostBasisMethod,
    Transaction,
    TransactionInput,
    TransactionType,
)
from stack_cfo.core.portfolio.user_settings import RANGES, UserSettings
from stack_cfo.crypto.fields import SealerSource, UserCipher
from stack_cfo.store.db import Database
from stack_cfo.store.queries import load_queries
from stack_cfo.store.users import ensure_user

Q = load_queries("ledger")


def transaction_not_found(user_id: str, transaction_id: str) -> NotFound:
    name = f"users/{user_id}/portfolio/transactions/{transaction_id}"
    return NotFound.resource("transaction", name)


#: A transaction's amounts and note, sealed together (bound to the transaction id). Type, trade date,
#: book, symbol, currency and client id stay clear: the ledger is ordered, filtered and
#: de-duplicated by them in SQL.
SEALED = "portfolio_transactions.sealed"


def _num(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


_T = TypeVar("_T")
#: Rows above which sealing, opening or scanning them (CPU: ~50 us a row to seal) runs in a thread, so
#: that a batch of 10,000 does not hold every other caller (the health port's probes among them) for
#: a second. The portfolio repository's writes use it too.
THREAD_ABOVE_ROWS = 500


async def off_loop(rows: int, fn: Callable[..., _T], *args: Any) -> _T:
    """``fn(*args)``, in a thread when it handles more than :data:`THREAD_ABOVE_ROWS` rows (its CPU there
    charged to the caller's account: :func:`~stack_cfo.core.portfolio.cpu_meter.in_thread`)."""
    return await in_thread(rows > THREAD_ABOVE_ROWS, fn, *args)


def _sealed_values(cipher: UserCipher, tid: str, data: TransactionInput) -> dict[str, Any]:
    """The amount columns of a transaction: clear (encryption off) or NULL/0 with a sealed document."""
    clear = {"quantity": data.quantity, "price": data.price, "amount": data.amount, "fees": data.fees or Decimal(0),
             "ratio": data.split_ratio, "note": data.note, "sealed": None}
    if not cipher.sealing:
        return clear

    def text(v: Decimal | None) -> str | None:
        return format(v, "f") if v is not None else None

    doc = {"q": text(data.quantity), "p": text(data.price), "a": text(data.amount), "f": text(data.fees),
           "r": text(data.split_ratio), "n": data.note}
    return {"quantity": None, "price": None, "amount": None, "fees": Decimal(0), "ratio": None, "note": "",
            "sealed": cipher.seal_json(SEALED, tid, doc)}


def _row(r: Sequence[Any], cipher: UserCipher) -> Transaction:
    (tid, seq, revision, client_id, kind, day, symbol, qty, price, amount, ccy, fees, ratio, note, created,
     updated, sealed, ccy_given) = r
    if sealed is not None:
        doc = cipher.open_json(SEALED, str(tid), sealed)
        qty, price, amount, fees, ratio, note = (_num(doc["q"]), _num(doc["p"]), _num(doc["a"]),
                                                 _num(doc["f"]), _num(doc["r"]), doc["n"])
    return Transaction(
        id=str(tid),
        seq=seq,
        revision=revision,
        data=TransactionInput(type=TransactionType(kind), trade_date=day, symbol=symbol or "", quantity=qty,
                              price=price, amount=amount, currency=ccy, fees=fees, split_ratio=ratio,
                              client_id=client_id or "", note=note or "", currency_given=ccy_given),
        created_at=created,
        updated_at=updated,
    )


class LedgerRepository:
    db: Database
    sealer: SealerSource

    async def _run(self, idempotency: Idempotency | None, work: Callable[[AsyncConnection[Any]], Any]) -> bytes:
        raise NotImplementedError  # provided by PortfolioRepository

    # -- writes ----------------------------------------------------------------------------

    async def _lock_or_create_portfolio(
        self, conn: AsyncConnection[Any], user_id: str, base: str, now: datetime, *, version: int = 1
    ) -> str:
        """Lock the portfolio row, creating it in ``base`` (no holdings, no cash) when there is none;
        its base currency. The user's row must exist.

        Every writer leaves holding the row, so concurrent writes run their checks one after the
        other. Concurrent first writes all find no row: one inserts it (and holds it until it
        commits); the others' inserts wait for that commit and do nothing, and those writers then
        lock the row it created: they see its base currency and everything it wrote."""
        while True:  # again only when a row created concurrently was deleted before it could be locked
            cur = await conn.execute(Q.lock_portfolio, {"user_id": user_id})
            row = await cur.fetchone()
            if row is not None:
                return str(row["base_currency"])
            cur = await conn.execute(Q.create_portfolio, {"user_id": user_id, "base_currency": base, "now": now,
                                                          "version": version})
            if await cur.fetchone() is not None:  # created by this transaction: no one else sees it yet
                return base

    async def _open_ledger(self, conn: AsyncConnection[Any], user_id: str, base: str | None, now: datetime) -> str:
        """Lock (creating it if needed, in ``base`` or USD) the portfolio row; its base currency.
        A requested ``base`` other than the locked row's is CURRENCY_MISMATCH."""
        await ensure_user(conn, user_id)
        stored = await self._lock_or_create_portfolio(conn, user_id, base or "USD", now)
        if base and stored != base:
            raise base_currency_changed(stored, base)
        return stored

    async def _all(self, conn: AsyncConnection[Any], user_id: str, cipher: UserCipher) -> list[Transaction]:
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(Q.load_all, {"user_id": user_id})
        rows = await cur.fetchall()
        return await off_loop(len(rows), lambda: [_row(r, cipher) for r in rows])

    async def _price_currencies(self, conn: AsyncConnection[Any], symbols: Iterable[str]) -> dict[str, str]:
        wanted = sorted({s for s in symbols if s})
        if not wanted:
            return {}
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(Q.price_currencies, {"symbols": wanted})
        return {s: c for s, c in await cur.fetchall()}

    async def _relabel(self, conn: AsyncConnection[Any], user_id: str, currencies: dict[str, str],
                       now: datetime) -> None:
        """Give stored SPLITs (``{id: currency}``) their symbol's first trade's currency."""
        if currencies:
            ids = sorted(currencies)
            await conn.execute(Q.set_currencies, {"user_id": user_id, "now": now, "ids": ids,
                                                  "currencies": [currencies[i] for i in ids]})

    async def _finish(self, conn: AsyncConnection[Any], user_id: str) -> None:
        await conn.execute(Q.touch_portfolio, {"user_id": user_id})
        await conn.execute("SELECT pg_notify('portfolio_updates', %s::text)", (user_id,))

    async def create_transactions(
        self,
        user_id: str,
        rows: Sequence[TransactionInput],
        *,
        base_currency: str | None,
        now: datetime,
        check: LedgerCheck,
        idempotency: Idempotency | None,
    ) -> BatchCreateResult:
        """Record validated rows (all or nothing); a row with an empty currency is recorded in the
        portfolio's base currency, read from the locked portfolio row (``base_currency`` when this
        call creates the portfolio), a SPLIT in its symbol's (:func:`~.ledger.with_currencies`);
        the SPLITs recorded without a currency before their symbol's first trade take its currency
        with it (:func:`~.ledger.splits_taking_a_trades_currency`).
        ``check`` sees the ledger as it would be after the write, the new rows named by their
        position in ``rows`` (``transactions[k]``; a row whose client id is
        recorded with other content is among them, for the check to refuse), before anything is
        written; it runs even when nothing is new (with no transactions), and what it raises rolls
        everything back."""
        cipher = await self.sealer.cipher(user_id, create=True)  # before the transaction (it may write a key)

        async def work(conn: AsyncConnection[Any]) -> bytes:
            result = await self._create(conn, user_id, rows, base_currency, now, check, cipher)
            return json.dumps({"ids": [t.id for t in result.transactions], "created": result.created,
                               "existing": result.existing}).encode()

        raw = json.loads(await self._run(idempotency, work))
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.load_ids, {"user_id": user_id, "ids": raw["ids"]})
            loaded = await cur.fetchall()
        found = await off_loop(len(loaded), lambda: {t.id: t for t in (_row(r, cipher) for r in loaded)})
        return BatchCreateResult(tuple(found[i] for i in raw["ids"] if i in found), raw["created"], raw["existing"])

    async def _create(
        self, conn: AsyncConnection[Any], user_id: str, rows: Sequence[TransactionInput], base: str | None,
        now: datetime, check: LedgerCheck, cipher: UserCipher,
    ) -> BatchCreateResult:
        locked_base = await self._open_ledger(conn, user_id, base, now)
        # An empty currency is the portfolio's base currency, known for sure only now that its row is
        # locked (a concurrent first write may have created the portfolio in another one); a SPLIT's is
        # its symbol's, which the ledger knows.
        existing: list[Transaction] | None = None
        unset = {r.symbol for r in rows if r.type is TransactionType.SPLIT and not r.currency}
        if unset:
            existing = await self._all(conn, user_id, cipher)
            rows = with_currencies(rows, existing, locked_base, await self._price_currencies(conn, unset))
        else:
            rows = with_currencies(rows, (), locked_base)
        client_ids = sorted({r.client_id for r in rows if r.client_id})
        stored: dict[str, Transaction] = {}
        if client_ids:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.by_client_ids, {"user_id": user_id, "client_ids": client_ids})
            stored = {t.data.client_id: t for t in (_row(r, cipher) for r in await cur.fetchall())}
        out: list[Transaction] = []
        new: list[tuple[int, Transaction]] = []
        # a client id recorded with other content makes its row new here: the check refuses it
        for i, (r, repeat) in enumerate(zip(rows, by_client_id(rows, stored), strict=True)):
            if isinstance(repeat, Transaction):  # recorded before, same content
                out.append(repeat)
            elif repeat is not None:  # repeated inside this batch (same content): the earlier row's
                out.append(out[repeat])
            else:
                t = Transaction(id=str(uuid.uuid4()), seq=2**62 + i, data=r, created_at=now, updated_at=now)
                out.append(t)
                new.append((i, t))
        if not new:  # nothing to write; the check still runs (the caller may have refused rows it left out)
            check([], {}, {})
        if new:
            if existing is None:
                existing = await self._all(conn, user_id, cipher)
            # SPLITs recorded without a currency before their symbol's first trade take its currency
            relabelled = splits_taking_a_trades_currency(existing, [t for _, t in new])
            existing = relabel_splits(existing, relabelled)
            everything = existing + [t for _, t in new]
            values = await off_loop(len(new), lambda: [_sealed_values(cipher, t.id, t.data) for _, t in new])
            prices = await self._price_currencies(conn, {t.data.symbol for _, t in new})
            check(everything, prices, {t.id: f"transactions[{i}]" for i, t in new})
            await self._relabel(conn, user_id, relabelled, now)
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.insert_transactions, {
                "user_id": user_id,
                "now": now,
                "ids": [t.id for _, t in new],
                "client_ids": [t.data.client_id or None for _, t in new],
                "types": [t.type.value for _, t in new],
                "dates": [t.trade_date for _, t in new],
                "books": [group_of(t) for _, t in new],
                "symbols": [t.data.symbol for _, t in new],
                "quantities": [v["quantity"] for v in values],
                "prices": [v["price"] for v in values],
                "amounts": [v["amount"] for v in values],
                "currencies": [t.data.currency for _, t in new],
                "fees": [v["fees"] for v in values],
                "ratios": [v["ratio"] for v in values],
                "notes": [v["note"] for v in values],
                "sealed": [v["sealed"] for v in values],
                "currency_given": [t.data.currency_given for _, t in new],
            })
            await cur.fetchall()
            await self._finish(conn, user_id)
        return BatchCreateResult(tuple(out), len(new), len(rows) - len(new))

    async def update_transaction(
        self,
        user_id: str,
        transaction_id: str,
        change: Callable[[Transaction], TransactionInput],
        *,
        now: datetime,
        check: LedgerCheck,
    ) -> Transaction:
        """Change one transaction; the SPLITs recorded without a currency before its symbol's first
        trade (the changed transaction, when it becomes one) take its currency, as on creation
        (:func:`~.ledger.splits_taking_a_trades_currency`). ``check`` sees the ledger after the change."""
        cipher = await self.sealer.cipher(user_id, create=True)
        async with self.db.transaction() as conn:
            everything, old = await self._locked(conn, user_id, transaction_id, cipher)
            data = change(old)
            updated = dataclasses.replace(old, data=data, updated_at=now)
            others = [t for t in everything if t.id != transaction_id]
            relabelled = splits_taking_a_trades_currency(others, [updated])
            after = [updated if t.id == transaction_id else t for t in relabel_splits(everything, relabelled)]
            prices = await self._price_currencies(conn, {data.symbol})
            check(after, prices, {transaction_id: "transaction"})
            await self._relabel(conn, user_id, relabelled, now)
            cur = await conn.execute(Q.update_one, {
                "user_id": user_id, "id": transaction_id, "type": data.type.value if data.type else None,
                "date": data.trade_date, "book": group_of(updated), "symbol": data.symbol,
                "currency": data.currency, "currency_given": data.currency_given, "now": now,
                **_sealed_values(cipher, transaction_id, data),
            })
            row = await cur.fetchone()
            assert row is not None
            await self._finish(conn, user_id)
        return dataclasses.replace(updated, revision=row["revision"], updated_at=row["updated_at"])

    async def delete_transaction(self, user_id: str, transaction_id: str, *, check: LedgerCheck) -> Transaction:
        cipher = await self.sealer.cipher(user_id)
        async with self.db.transaction() as conn:
            everything, old = await self._locked(conn, user_id, transaction_id, cipher)
            check([t for t in everything if t.id != transaction_id], {}, {})
            await conn.execute(Q.delete_one, {"user_id": user_id, "id": transaction_id})
            await self._finish(conn, user_id)
        return old

    async def _locked(
        self, conn: AsyncConnection[Any], user_id: str, transaction_id: str, cipher: UserCipher
    ) -> tuple[list[Transaction], Transaction]:
        """Lock the portfolio; the whole ledger and the transaction (NOT_FOUND when not there)."""
        await conn.execute(Q.lock_portfolio, {"user_id": user_id})
        everything = await self._all(conn, user_id, cipher)
        old = next((t for t in everything if t.id == transaction_id), None)
        if old is None:
            raise transaction_not_found(user_id, transaction_id)
        return everything, old

    # -- reads -----------------------------------------------------------------------------

    async def get_transaction(self, user_id: str, transaction_id: str) -> Transaction:
        cipher = await self.sealer.cipher(user_id)
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.get_one, {"user_id": user_id, "id": transaction_id})
            row = await cur.fetchone()
        if row is None:
            raise transaction_not_found(user_id, transaction_id)
        return _row(row, cipher)

    async def list_transactions(
        self, user_id: str, *, start: date | None, end: date | None, symbol: str | None,
        after: tuple[date, int] | None, limit: int,
    ) -> list[Transaction]:
        cipher = await self.sealer.cipher(user_id)
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.list_page, {
                "user_id": user_id, "start": start, "end": end, "symbol": symbol,
                "after_date": after[0] if after else None, "after_seq": after[1] if after else None,
                "limit": limit,
            })
            return [_row(r, cipher) for r in await cur.fetchall()]

    async def ledger_signatures(self, user_id: str) -> dict[str, tuple[int, int, int]]:
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.signatures, {"user_id": user_id})
            rows = await cur.fetchall()
        return await off_loop(len(rows), lambda: {b: (int(n), int(s), int(m)) for b, n, s, m in rows})

    async def load_transactions(self, user_id: str, books: Collection[str] | None = None) -> list[Transaction]:
        cipher = await self.sealer.cipher(user_id)
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            if books is None:
                await cur.execute(Q.load_all, {"user_id": user_id})
            else:
                await cur.execute(Q.load_books, {"user_id": user_id, "books": sorted(books)})
            rows = await cur.fetchall()
        return await off_loop(len(rows), lambda: [_row(r, cipher) for r in rows])

    async def recorded_client_ids(self, user_id: str, client_ids: Collection[str]) -> set[str]:
        """Those of ``client_ids`` the user's ledger holds."""
        if not client_ids:
            return set()
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.recorded_client_ids, {"user_id": user_id, "client_ids": sorted(client_ids)})
            return {str(r[0]) for r in await cur.fetchall()}

    async def price_currencies(self, symbols: Iterable[str]) -> dict[str, str]:
        """The currency of each symbol's latest close (what a write's check uses)."""
        async with self.db.connection() as conn:
            return await self._price_currencies(conn, symbols)

    async def portfolio_base_currency(self, user_id: str) -> str | None:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.base_currency, {"user_id": user_id})
            row = await cur.fetchone()
        return str(row["base_currency"]) if row else None

    # -- exchange rates --------------------------------------------------------------------

    async def record_exchange_rates(self, rates: Sequence[RateInput], *, idempotency: Idempotency | None
                                    ) -> RecordResult:
        """Upsert the rates and notify ``price_updates`` of each changed pair, named both ways round
        (``#FX:EUR/USD`` and ``#FX:USD/EUR``), with the write's change id (``"change"``, as
        RecordPrices does): the writing process invalidates once, whichever of its own invalidation
        and its notification comes first. A replayed call notified nothing and changed nothing."""
        change = uuid.uuid4().hex

        async def work(conn: AsyncConnection[Any]) -> bytes:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.upsert_rates, {
                "bases": [r.base_currency for r in rates], "quotes": [r.quote_currency for r in rates],
                "dates": [r.day for r in rates], "rates": [r.rate for r in rates],
            })
            inserted = updated = 0
            pairs: list[list[str]] = []
            for b, q, n_ins, n_upd in await cur.fetchall():
                inserted += n_ins
                updated += n_upd
                pairs.append([b, q])
            names = sorted(_pair_names(pairs))
            for i in range(0, len(names), 200):  # 200 names of 12 bytes and the id: far below NOTIFY's 8000 bytes
                payload = json.dumps({"symbols": names[i:i + 200], "change": change}, separators=(",", ":"))
                await conn.execute("SELECT pg_notify('price_updates', %s)", (payload,))
            return json.dumps({"inserted": inserted, "updated": updated, "pairs": pairs}).encode()

        marker: list[bool] = []

        async def first(conn: AsyncConnection[Any]) -> bytes:
            marker.append(True)
            return await work(conn)

        d = json.loads(await self._run(idempotency, first))
        replayed = not marker  # the first call's response, replayed: only the first call notified
        return RecordResult(inserted=d["inserted"], updated=d["updated"],
                            unchanged=len(rates) - d["inserted"] - d["updated"],
                            changed_symbols=frozenset() if replayed else _pair_names(d["pairs"]),
                            change_id="" if replayed else change)

    async def load_exchange_rates(self, currencies: Iterable[str], base: str) -> dict[str, PriceSeries]:
        wanted = sorted({c for c in currencies if c != base})
        if not wanted:
            return {}
        async with self.db.connection() as conn:
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(Q.load_rates, {"base": base, "currencies": wanted})
            rows = await cur.fetchall()
        out: dict[str, PriceSeries] = {}
        by: dict[str, dict[date, Decimal]] = {}
        for c, day, rate in rows:
            by.setdefault(c, {}).setdefault(day, rate)  # the direct rate wins (ordered first)
        for c, days in by.items():
            ordered = sorted(days)
            out[c] = PriceSeries(symbol=f"#FX:{c}/{base}", dates=tuple(ordered), closes=tuple(days[d] for d in ordered))
        return out

    # -- settings --------------------------------------------------------------------------

    async def get_settings(self, user_id: str) -> UserSettings:
        async with self.db.connection() as conn:
            cur = await conn.execute(Q.get_settings, {"user_id": user_id})
            row = await cur.fetchone()
        return _settings(row)

    async def update_settings(
        self, user_id: str, values: dict[str, object], check: Callable[[UserSettings], None] | None = None
    ) -> UserSettings:
        from psycopg import sql

        async with self.db.transaction() as conn:
            await ensure_user(conn, user_id)
            await conn.execute(Q.ensure_settings, {"user_id": user_id})
            if values:
                cols = [sql.SQL("{} = %s").format(sql.Identifier(k)) for k in values]
                stmt = sql.SQL("UPDATE portfolio_settings SET {}, updated_at = now() WHERE user_id = %s").format(
                    sql.SQL(", ").join(cols))
                params = [v.value if isinstance(v, CostBasisMethod) else v for v in values.values()]
                await conn.execute(stmt, [*params, user_id])
            cur = await conn.execute(Q.get_settings, {"user_id": user_id})
            result = _settings(await cur.fetchone())
            if check is not None:
                check(result)  # raising rolls the update back
            await conn.execute("SELECT pg_notify('portfolio_updates', %s::text)", (user_id,))
        return result


def _pair_names(pairs: Iterable[Sequence[str]]) -> frozenset[str]:
    """The series names of changed pairs, both ways round (``#FX:EUR/USD``, ``#FX:USD/EUR``)."""
    return frozenset({f"#FX:{b}/{q}" for b, q in pairs} | {f"#FX:{q}/{b}" for b, q in pairs})


def _settings(row: Any) -> UserSettings:
    if row is None:
        return UserSettings()
    method = row["cost_basis_method"]
    return UserSettings(
        benchmark_symbol=row["benchmark_symbol"],
        cost_basis_method=CostBasisMethod(method) if method else None,
        updated_at=row["updated_at"],
        **{k: row[k] for k in RANGES},
    )
