"""ImportHoldingsHistory's store: the set-based import against the row-at-a-time one it replaced, in one run.

Run: ``.venv/bin/python bench/import_history.py [--snapshots 200] [--positions 1000] [--rounds 3]``

Both imports run in this process against the same fresh, migrated database (``DATABASE_URL``'s server,
else an embedded one), with field encryption on (a real key ring and master key, as the server always
has), each for a new user, and are timed from the validated request to the committed transaction:
``validate_import`` and ``PortfolioRepository.import_history``. The old code is reproduced in this
file, not checked out: its import loop (one ``_store_snapshot`` per snapshot, which SyncPortfolio
still uses, so one ``executemany`` round of INSERTs per snapshot, the current holdings rewritten for
every snapshot), its sealing helper (``json.dumps`` then ``seal``) and its validation (the checks
``_validate_positions`` still runs on a row that fails its fast path). Also reported: how long each
holds its pooled connection, and a check that both stored the same snapshots (read back with
``load_portfolio``). The old import runs once (about 40 s for 200 x 1,000 on a laptop); the new one
``--rounds`` times, best reported. The output ends with the ratio new/old.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_common import ARCHIVE_MASTER_KEYS, bench_database  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo.core.data_scope import user_scope  # noqa: E402
from stack_cfo.core.portfolio import inputs  # noqa: E402
from stack_cfo.core.portfolio.inputs import (  # noqa: E402
    AssetClassName,
    DatedHoldingsInput,
    HoldingInput,
    ImportHistoryCommand,
    validate_import,
)
from stack_cfo.core.portfolio.ports import ImportResult, StoredPortfolio  # noqa: E402
from stack_cfo.crypto.envelope import MasterKeys  # noqa: E402
from stack_cfo.crypto.fields import FieldSealer, UserCipher  # noqa: E402
from stack_cfo.store import portfolio_repo  # noqa: E402
from stack_cfo.store.archive_keys import PgKeyRing  # noqa: E402
from stack_cfo.store.db import Database, PoolSettings  # noqa: E402
from stack_cfo.store.portfolio_repo import HOLDING, PortfolioRepository, Q  # noqa: E402


def _old_holding_values(
    cipher: UserCipher,
    effective: date,
    symbol: str,
    quantity: Decimal,
    average_cost: Decimal | None,
    sector: str | None,
    basket: str | None,
    tags: list[str],
) -> dict[str, Any]:
    """The sealing helper as it was (json.dumps through ``seal_json`` for every row)."""
    clear = {
        "quantity": quantity,
        "average_cost": average_cost,
        "sector": sector,
        "basket": basket,
        "tags": tags,
        "sealed": None,
    }
    if not cipher.sealing:
        return clear
    doc = {
        "q": format(quantity, "f"),
        "c": format(average_cost, "f") if average_cost is not None else None,
        "s": sector,
        "b": basket,
        "t": tags,
    }
    return {
        "quantity": None,
        "average_cost": None,
        "sector": None,
        "basket": None,
        "tags": [],
        "sealed": cipher.seal_json(HOLDING, f"{effective.isoformat()}/{symbol}", doc),
    }


class OldRepository(PortfolioRepository):
    """``import_history`` as it was: every snapshot stored in turn inside the transaction."""

    async def import_history(
        self, command: ImportHistoryCommand, *, synced_at: datetime, idempotency: Any = None
    ) -> ImportResult:
        cipher = await self.sealer.cipher(command.user_id, create=True)

        async def work(conn: Any) -> bytes:
            user = command.user_id
            await self._lock_snapshot_portfolio(conn, user, command.base_currency, synced_at)
            ordered = sorted(enumerate(command.snapshots), key=lambda e: e[1].effective_date or date.min)
            for i, snap in ordered:
                await self._store_snapshot(
                    conn, user, snap, command.base_currency, synced_at, f"snapshots[{i}].positions", cipher
                )
            recorded = await self._insert_flows(conn, user, command.cash_flows, cipher)
            await conn.execute(Q.notify_portfolio, {"user_id": user})
            days = [s.effective_date for s in command.snapshots if s.effective_date is not None]
            return json.dumps(
                {
                    "count": len(days),
                    "first": min(days).isoformat(),
                    "last": max(days).isoformat(),
                    "recorded": recorded,
                }
            ).encode()

        d = json.loads(await self._run(idempotency, work))
        return ImportResult(
            d["count"],
            date.fromisoformat(d["first"]),
            date.fromisoformat(d["last"]),
            d["recorded"],
            len(command.cash_flows) - d["recorded"],
        )


@contextlib.contextmanager
def old_code() -> Iterator[None]:
    """The old sealing helper and the old validation (no fast path) while the old import runs."""
    saved = portfolio_repo._holding_values, inputs._valid_position
    portfolio_repo._holding_values = _old_holding_values  # type: ignore[assignment]
    inputs._valid_position = lambda *_: None  # type: ignore[assignment]
    try:
        yield
    finally:
        portfolio_repo._holding_values, inputs._valid_position = saved  # type: ignore[assignment]


def request(user: str, snapshots: int, positions: int) -> ImportHistoryCommand:
    """A history as a client sends it: daily snapshots, quantities drifting, sector/basket/tags set."""
    start = date(2020, 1, 1)
    return ImportHistoryCommand(
        user,
        tuple(
            DatedHoldingsInput(
                start + timedelta(days=d),
                tuple(
                    HoldingInput(
                        f"sym{p:05d}",
                        Decimal(f"{p % 97 + 1}.{(d + p) % 1000:03d}"),
                        Decimal(f"{10 + p % 50}.25"),
                        "",
                        f"Sector {p % 11}",
                        AssetClassName.EQUITY,
                        f"basket-{p % 5}",
                        (f"t{p % 3}", "core"),
                    )
                    for p in range(positions)
                ),
                Decimal(f"{1000 + d}.50"),
            )
            for d in range(snapshots)
        ),
        "USD",
    )


class HoldTimer:
    """Seconds the repository holds pooled connections (wraps ``Database.connection``)."""

    def __init__(self, db: Database) -> None:
        self.held = 0.0
        inner = db.connection

        @contextlib.asynccontextmanager
        async def timed(**kw: Any) -> AsyncIterator[Any]:
            async with inner(**kw) as conn:
                t = time.perf_counter()
                try:
                    yield conn
                finally:
                    self.held += time.perf_counter() - t

        db.connection = timed  # type: ignore[method-assign]


async def one(repo: PortfolioRepository, hold: HoldTimer, snapshots: int, positions: int) -> tuple[float, float, str]:
    user = str(uuid.uuid4())
    raw = request(user, snapshots, positions)
    with user_scope(user):
        hold.held = 0.0
        t = time.perf_counter()
        cmd = validate_import(raw, datetime.now(UTC))
        await repo.import_history(cmd, synced_at=datetime(2024, 1, 2, tzinfo=UTC), idempotency=None)
        return time.perf_counter() - t, hold.held, user


def comparable(p: StoredPortfolio | None) -> tuple[Any, ...]:
    assert p is not None
    return tuple(
        (s.effective, s.holdings.cash, s.holdings.base_currency, s.holdings.as_of, s.holdings.positions)
        for s in p.snapshots
    )


async def current(db: Database, sealer: FieldSealer, user: str, day: date) -> tuple[Any, ...]:
    """The portfolio row (version, position count, sync time, cash) and its current positions, sealed
    figures opened (``day``: the current snapshot's date, which their sealing is bound to)."""
    with user_scope(user):
        cipher = await sealer.cipher(user)
        async with db.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT holdings_version, position_count, synced_at, cash_balance, sealed_cash FROM portfolios"
                    " WHERE user_id = %s",
                    (user,),
                )
            ).fetchone()
            positions = await (
                await conn.execute(
                    "SELECT symbol, currency, asset_class, ordinal, quantity, sealed FROM positions WHERE user_id = %s"
                    " ORDER BY ordinal",
                    (user,),
                )
            ).fetchall()
    assert row is not None
    cash = cipher.open(portfolio_repo.CASH, day.isoformat(), row["sealed_cash"]) if row["sealed_cash"] else None
    return (
        row["holdings_version"],
        row["position_count"],
        row["synced_at"],
        row["cash_balance"],
        cash,
        tuple(
            (
                r["symbol"],
                r["currency"],
                r["asset_class"],
                r["ordinal"],
                r["quantity"],
                portfolio_repo._open_holding(cipher, day, r["symbol"], r["sealed"]) if r["sealed"] else None,
            )
            for r in positions
        ),
    )


async def run(args: argparse.Namespace, dsn: str) -> None:
    db = Database(dsn, PoolSettings(min_size=1, max_size=2, timeout=60.0))
    await db.open()
    try:
        sealer = FieldSealer(PgKeyRing(db), MasterKeys.from_config(ARCHIVE_MASTER_KEYS))
        hold = HoldTimer(db)
        new, old = PortfolioRepository(db, sealer=sealer), OldRepository(db, sealer=sealer)
        n, p = args.snapshots, args.positions
        print(f"ImportHoldingsHistory store, {n} snapshots x {p} positions ({n * p:,} rows), sealed")
        await one(new, hold, 2, 10)  # warm-up: queries parsed, key ring read
        news = []
        for _ in range(args.rounds):
            news.append(await one(new, hold, n, p))
            print(f"  new: {news[-1][0]:7.2f} s (connection held {news[-1][1]:.2f} s)")
        with old_code():
            old_s, old_held, old_user = await one(old, hold, n, p)
        print(f"  old: {old_s:7.2f} s (connection held {old_held:.2f} s)")
        best = min(news)
        with user_scope(old_user):
            a = comparable(await new.load_portfolio(old_user))
        with user_scope(best[2]):
            b = comparable(await new.load_portfolio(best[2]))
        last = date(2020, 1, 1) + timedelta(days=n - 1)
        same_current = await current(db, sealer, old_user, last) == await current(db, sealer, best[2], last)
        print(f"  same stored snapshots: {a == b}; same portfolio row and current positions: {same_current}")
        print(
            f"new/old time: {best[0] / old_s:.4f} ({old_s / best[0]:.1f}x faster); "
            f"connection held new/old: {best[1] / old_held:.4f} ({old_held / best[1]:.1f}x shorter)"
        )
        if a != b or not same_current:
            raise SystemExit("the two imports stored different results")
    finally:
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snapshots", type=int, default=200)
    parser.add_argument("--positions", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    with bench_database("import_history") as (dsn, _tmp):
        asyncio.run(run(parser.parse_args(), dsn))
