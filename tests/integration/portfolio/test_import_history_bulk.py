"""A large ImportHoldingsHistory (50 snapshots x 200 positions, sealed) stores exactly what the
summary and the performance history expect, in a number of statements that does not grow with
the rows: the import used to send a round trip per row (and rewrite the current holdings for every
snapshot), 193 s for 200 x 1,000 while holding a pooled connection (a load tester's report).

Also: re-imported days replace their holdings, only a snapshot on or after the stored ones becomes
the current holdings, a price-currency mismatch is reported as before (the first in date order) and
writes nothing, a retried request_id replays, and the change is notified once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.portfolio.inputs import (
    AssetClassName,
    DatedHoldingsInput,
    HoldingInput,
    ImportHistoryCommand,
    validate_import,
)
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.portfolio_repo import CASH, HOLDING, PortfolioRepository
from tests.integration.portfolio.support import (
    error_details,
    evening,
    holding,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
    summary,
    trading_days,
)
from tests.support.sealed import user_cipher
from tests.support.server import RunningServer, running_server

DAYS = trading_days(date(2024, 1, 2), 60)
AGAIN = "5b0c1f7e-3f7a-4d2b-9c61-1b2e3d4f5a6b"
UNIVERSE = [f"S{j:03d}" for j in range(220)]
CLASSES = [portfolio_pb2.ASSET_CLASS_EQUITY, portfolio_pb2.ASSET_CLASS_ETF, portfolio_pb2.ASSET_CLASS_FUND]


def close(j: int, k: int) -> Decimal:
    return Decimal(10 + j % 17) + Decimal(k) / 100


def positions(k: int, bump: int = 0) -> list[tuple[int, int]]:
    """(symbol index, quantity) of the snapshot of DAYS[k]: 200 symbols, a window moving with k."""
    start = k % 20
    return [(j, j % 7 + 1 + k + bump) for j in range(start, start + 200)]


def cash(k: int, bump: int = 0) -> Decimal:
    return Decimal(f"{100 + k + bump}.25")


def _holding(j: int, qty: int) -> portfolio_pb2.Holding:
    tags = [f"t{j % 3}", 'é "q"\\'] if j % 4 else []
    return holding(
        UNIVERSE[j],
        str(qty),
        f"{10 + j % 13}.5",
        sector=f"Sector {j % 5}" if j % 6 else "",
        basket=f"b{j % 4}" if j % 2 else "",
        currency="USD" if j % 5 == 0 else "",
        tags=tags,
        asset_class=CLASSES[j % 3],
    )


def snapshots(days: range, bump: int = 0) -> list[portfolio_pb2.DatedHoldings]:
    """The snapshots of those days, latest first (the request's order is not the dates')."""
    return [
        portfolio_pb2.DatedHoldings(
            effective_date=pdate(DAYS[k]),
            positions=[_holding(j, q) for j, q in positions(k, bump)],
            cash_balance=str(cash(k, bump)),
        )
        for k in reversed(days)
    ]


def value(k: int, bump: int = 0, on: int | None = None) -> Decimal:
    """The value of the snapshot of DAYS[k] at the closes of DAYS[on] (its own day's by default)."""
    on = k if on is None else on
    return cash(k, bump) + sum((q * close(j, on) for j, q in positions(k, bump)), Decimal(0))


@contextmanager
def statements_sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Statements the server's driver sends (an executemany counts one per row), in this process."""
    sent = [0]
    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany

    async def counting_execute(self: Any, *a: Any, **kw: Any) -> Any:
        sent[0] += 1
        return await execute(self, *a, **kw)

    async def counting_executemany(self: Any, query: Any, params: Any, *a: Any, **kw: Any) -> Any:
        params = list(params)
        sent[0] += len(params)
        return await executemany(self, query, params, *a, **kw)

    with monkeypatch.context() as m:
        m.setattr(psycopg.AsyncCursor, "execute", counting_execute)
        m.setattr(psycopg.AsyncCursor, "executemany", counting_executemany)
        yield sent


async def _import(
    srv: RunningServer, user: str, snaps: list[portfolio_pb2.DatedHoldings], request_id: str = ""
) -> portfolio_pb2.ImportHoldingsHistoryResponse:
    return await stub(srv).ImportHoldingsHistory(
        portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), snapshots=snaps, request_id=request_id),
        metadata=srv.auth(user),
        timeout=120,
    )


async def _history(srv: RunningServer, user: str) -> dict[date, Decimal]:
    hist = await stub(srv).GetPerformanceHistory(
        portfolio_pb2.GetPerformanceHistoryRequest(portfolio=name(user), range=portfolio_pb2.PERFORMANCE_RANGE_ALL),
        metadata=srv.auth(user),
        timeout=60,
    )
    return {date(p.date.year, p.date.month, p.date.day): Decimal(p.value) for p in hist.points}


def _stored(dsn: str, user: str) -> dict[str, Any]:
    """What the import wrote, read as the database owner (row-level security aside)."""
    with psycopg.connect(dsn) as conn:
        portfolio = conn.execute(
            "SELECT holdings_version, position_count, cash_balance, sealed_cash, synced_at"
            " FROM portfolios WHERE user_id = %s",
            (user,),
        ).fetchone()
        history = conn.execute(
            "SELECT effective_date, symbol, quantity, average_cost, currency, sector, asset_class, basket, tags,"
            " ordinal, sealed FROM holdings_history WHERE user_id = %s ORDER BY effective_date, ordinal",
            (user,),
        ).fetchall()
        cash_rows = conn.execute(
            "SELECT effective_date, cash_balance, sealed_cash, base_currency FROM"
            " cash_balance_history WHERE user_id = %s ORDER BY effective_date",
            (user,),
        ).fetchall()
        current = conn.execute(
            "SELECT symbol, quantity, average_cost, currency, sector, asset_class, basket, tags, ordinal, sealed"
            " FROM positions WHERE user_id = %s ORDER BY ordinal",
            (user,),
        ).fetchall()
    return {"portfolio": portfolio, "history": history, "cash": cash_rows, "current": current}


def _doc(j: int, qty: int) -> str:
    """The sealed document of a holding, as json.dumps wrote it before (sorted keys, no spaces)."""
    h = _holding(j, qty)
    return json.dumps(
        {"q": str(qty), "c": h.average_cost, "s": h.sector or None, "b": h.basket or None, "t": list(h.tags)},
        separators=(",", ":"),
        sort_keys=True,
    )


async def _check_stored(dsn: str, user: str, expected: dict[int, int], current: int, version: int) -> None:
    """Every snapshot's rows (sealed figures opened), its cash, the portfolio row and the current positions
    (``expected``: day index -> quantity bump of the import that wrote it; ``current``: its day index)."""
    stored = _stored(dsn, user)
    cipher = await user_cipher(dsn, user)
    rows: dict[date, list[tuple[Any, ...]]] = {}
    for r in stored["history"]:
        rows.setdefault(r[0], []).append(r)
    assert sorted(rows) == [DAYS[k] for k in sorted(expected)]
    for k, bump in expected.items():
        day = DAYS[k]
        want = positions(k, bump)
        got = rows[day]
        assert [(r[1], r[4], r[6], r[9]) for r in got] == [
            (UNIVERSE[j], "USD", portfolio_pb2.AssetClass.Name(CLASSES[j % 3]).removeprefix("ASSET_CLASS_"), i)
            for i, (j, _) in enumerate(want)
        ]
        for r, (j, q) in zip(got, want, strict=True):
            assert (r[2], r[3], r[5], r[7], r[8]) == (None, None, None, None, [])  # sealed, not in the clear
            assert cipher.open(HOLDING, f"{day.isoformat()}/{r[1]}", r[10]) == _doc(j, q)
    assert [(c[0], c[1], c[3]) for c in stored["cash"]] == [(DAYS[k], None, "USD") for k in sorted(expected)]
    for c in stored["cash"]:
        k = DAYS.index(c[0])
        assert Decimal(cipher.open(CASH, c[0].isoformat(), c[2])) == cash(k, expected[k])
    version_, count, clear_cash, sealed_cash, _ = stored["portfolio"]
    bump = expected[current]
    assert (version_, count, clear_cash) == (version, 200, None)
    assert Decimal(cipher.open(CASH, DAYS[current].isoformat(), sealed_cash)) == cash(current, bump)
    assert [(r[0], r[3], r[5], r[8]) for r in stored["current"]] == [
        (UNIVERSE[j], "USD", portfolio_pb2.AssetClass.Name(CLASSES[j % 3]).removeprefix("ASSET_CLASS_"), i)
        for i, (j, _) in enumerate(positions(current, bump))
    ]
    for r, (j, q) in zip(stored["current"], positions(current, bump), strict=True):
        assert cipher.open(HOLDING, f"{DAYS[current].isoformat()}/{r[0]}", r[9]) == _doc(j, q)


async def _check_summary(srv: RunningServer, user: str, k: int, bump: int) -> None:
    s = await summary(srv, user)
    assert Decimal(s.cash_balance) == cash(k, bump)
    assert Decimal(s.total_value) == value(k, bump, on=len(DAYS) - 1)  # at the latest closes
    got = {p.symbol: p for p in s.positions}
    want = positions(k, bump)
    assert sorted(got) == sorted(UNIVERSE[j] for j, _ in want)
    for j, q in want:
        p, h = got[UNIVERSE[j]], _holding(j, q)
        assert (
            Decimal(p.quantity),
            Decimal(p.average_cost),
            p.sector,
            p.basket,
            list(p.tags),
            p.asset_class,
            p.currency,
        ) == (q, Decimal(h.average_cost), h.sector or "Unknown", h.basket, list(h.tags), h.asset_class, "USD")


async def test_a_large_import_stores_every_snapshot_in_a_few_statements(
    db_dsn: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        points = price_points(
            {UNIVERSE[j]: [(DAYS[k], close(j, k)) for k in range(len(DAYS))] for j in range(len(UNIVERSE))}
        )
        for i in range(0, len(points), 10_000):
            await record(srv, points[i : i + 10_000])

        listener = await psycopg.AsyncConnection.connect(db_dsn, autocommit=True)
        await listener.execute("LISTEN portfolio_updates")
        with statements_sent(monkeypatch) as sent:
            resp = await _import(srv, user, snapshots(range(50)))
        # The old import sent 2 INSERTs per holding (the current holdings rewritten for each snapshot)
        # and 6 statements per snapshot: 20,300 here. Now a handful per import and per 10,000 holdings.
        assert sent[0] < 60, sent[0]
        assert (resp.snapshot_count, resp.recorded_flow_count, resp.ignored_flow_count) == (50, 0, 0)
        assert (resp.dates.start_date, resp.dates.end_date) == (pdate(DAYS[0]), pdate(DAYS[49]))
        notified = []
        async with asyncio.timeout(10):
            async for note in listener.notifies():
                notified.append(note.payload)
                break
        await listener.close()
        assert notified == [user]

        await _check_stored(db_dsn, user, {k: 0 for k in range(50)}, current=49, version=50)
        await _check_summary(srv, user, 49, 0)
        # Day 49's holdings stay in force after it, valued at each day's closes.
        assert await _history(srv, user) == {DAYS[d]: value(min(d, 49), on=d) for d in range(60)}

        # Days 45..59 again, other quantities: 45..49 replaced, 50..59 added, 59 is current.
        resp = await _import(srv, user, snapshots(range(45, 60), bump=3), request_id=AGAIN)
        expected = {k: 0 for k in range(45)} | {k: 3 for k in range(45, 60)}
        await _check_stored(db_dsn, user, expected, current=59, version=65)
        await _check_summary(srv, user, 59, 3)
        assert await _history(srv, user) == {DAYS[k]: value(k, expected[k]) for k in range(60)}
        # The same request_id again: replayed, nothing written twice.
        again = await _import(srv, user, snapshots(range(45, 60), bump=3), request_id=AGAIN)
        assert again == resp
        await _check_stored(db_dsn, user, expected, current=59, version=65)

        # Only older days: their snapshots are replaced, the current holdings stay day 59's.
        await _import(srv, user, snapshots(range(10, 13), bump=5))
        expected |= {10: 5, 11: 5, 12: 5}
        await _check_stored(db_dsn, user, expected, current=59, version=68)
        await _check_summary(srv, user, 59, 3)
        assert await _history(srv, user) == {DAYS[k]: value(k, expected[k]) for k in range(60)}


async def test_a_price_currency_mismatch_names_the_first_in_date_order_and_writes_nothing(
    db_dsn: str, data_dir: Path
) -> None:
    clock = FrozenClock(evening(DAYS[-1]))
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await record(srv, price_points({"EURX": [(DAYS[0], "5")], "EURY": [(DAYS[0], "6")]}, currency="EUR"))
        await _import(srv, user, snapshots(range(3)))
        before = _stored(db_dsn, user)
        snaps = snapshots(range(20, 40))  # DAYS[39] first ... DAYS[20] last
        snaps[0].positions.append(holding("EURY", "1"))  # DAYS[39], position 200: reported second
        snaps[-1].positions.append(holding("EURX", "1"))  # DAYS[20], position 200: the first in date order
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _import(srv, user, snaps)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(err.value)
        assert info.reason == "CURRENCY_MISMATCH"
        assert violations == [("snapshots[19].positions[200].currency", "must be EUR, the currency of EURX's prices")]
        assert {k: info.metadata[k] for k in ("symbol", "currency", "price_currency")} == {
            "symbol": "EURX",
            "currency": "USD",
            "price_currency": "EUR",
        }
        assert _stored(db_dsn, user) == before


async def test_without_sealing_the_figures_and_labels_are_stored_in_the_clear(db_dsn: str) -> None:
    """Encryption at rest off (the repository without a sealer): the same rows, in the clear, text
    that COPY must escape (tabs, newlines, backslashes, quotes, braces in tags) included."""
    user = new_user()
    odd = 'a\tb\nc\\d "e" {f,g} é'
    snaps = tuple(
        DatedHoldingsInput(
            DAYS[k],
            tuple(
                HoldingInput(
                    f"S{j:03d}",
                    Decimal(f"{j + 1}.50"),
                    None if j % 2 else Decimal("0.000001"),
                    "USD",
                    odd if j % 3 else None,
                    AssetClassName.ETF,
                    None if j % 3 else odd,
                    (odd, "x") if j % 2 else (),
                )
                for j in range(k + 1)
            ),
            Decimal(f"{k}.10"),
        )
        for k in (2, 0, 1)
    )
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=2, timeout=10.0))
    await db.open()
    try:
        repo = PortfolioRepository(db)
        with user_scope(user):
            cmd = validate_import(ImportHistoryCommand(user, snaps, "USD"), evening(DAYS[-1]))
            await repo.import_history(cmd, synced_at=evening(DAYS[5]), idempotency=None)
            loaded = await repo.load_portfolio(user)
    finally:
        await db.close()
    assert loaded is not None
    by_day = {s.effective_date: s for s in snaps}
    assert [s.effective for s in loaded.snapshots] == [DAYS[0], DAYS[1], DAYS[2]]
    for s in loaded.snapshots:
        sent = by_day[s.effective]
        assert s.holdings.cash == sent.cash_balance
        assert [
            (p.symbol, p.quantity, p.average_cost, p.currency, p.sector, p.asset_class, p.basket, p.tags)
            for p in s.holdings.positions
        ] == [
            (h.symbol, h.quantity, h.average_cost, h.currency, h.sector, "ETF", h.basket, h.tags)
            for h in sent.positions
        ]
    stored = _stored(db_dsn, user)
    assert all(r[10] is None for r in stored["history"]) and all(c[2] is None for c in stored["cash"])
    assert [str(r[2]) for r in stored["history"] if r[0] == DAYS[2]] == ["1.50", "2.50", "3.50"]
    assert stored["portfolio"][:4] == (3, 3, Decimal("2.10"), None)
    assert [(r[0], r[1], r[4], r[6], r[7], r[8]) for r in stored["current"]] == [
        (h.symbol, h.quantity, h.sector, h.basket, list(h.tags), j) for j, h in enumerate(by_day[DAYS[2]].positions)
    ]
