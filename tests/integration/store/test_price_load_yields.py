"""Loading a large portfolio's daily prices gives the event loop back while the rows are decoded:
one ``fetchall`` of 2 million rows, then building every series, held the loop serving everyone for
2-3 s (a tester's 5,000 positions x 400 days). The rows now come through a server-side cursor a
batch at a time, and other tasks run between batches. Counted, not timed: a ticker task counts its
wake-ups, and the counts seen as the series are built must span several wake-ups (the old code
built them all in one stretch of the loop: the first and the last saw the same count)."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from stack_cfo.core.portfolio import PriceSeries
from stack_cfo.store import portfolio_repo
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository

SYMBOLS = 60
DAYS = 500  # 30,000 rows: three batches of PRICE_BATCH_ROWS and more


def _seed(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO prices (symbol, trading_date, close, previous_close, currency)"
            " SELECT 'P' || lpad(s::text, 3, '0'), DATE '2023-01-01' + d, (100 + s + d * 0.01)::numeric,"
            " CASE WHEN s %% 2 = 0 THEN (99 + s + d * 0.01)::numeric END,"
            " CASE WHEN s %% 3 = 0 THEN 'EUR' ELSE 'USD' END"
            " FROM generate_series(1, %s) s, generate_series(0, %s - 1) d",
            (SYMBOLS, DAYS),
        )


async def test_the_loop_runs_between_batches_of_a_large_price_load(
    db_dsn: str, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(db_dsn)
    assert SYMBOLS * DAYS >= 3 * portfolio_repo.PRICE_BATCH_ROWS
    wakeups = 0
    stop = False

    async def ticker() -> None:
        nonlocal wakeups
        while not stop:
            await asyncio.sleep(0)
            wakeups += 1

    seen: list[int] = []
    real = PriceSeries

    def counting(*args: Any, **kw: Any) -> PriceSeries:
        seen.append(wakeups)
        return real(*args, **kw)

    monkeypatch.setattr(portfolio_repo, "PriceSeries", counting)
    repo = PortfolioRepository(database)
    task = asyncio.create_task(ticker())
    try:
        loaded = await repo.load_daily_prices([f"P{s:03d}" for s in range(1, SYMBOLS + 1)] + ["NONE"])
    finally:
        stop = True
        await task
    assert len(seen) == SYMBOLS
    # the other task ran while the series were being built, at least once per batch boundary
    assert seen[-1] - seen[0] >= 2, seen
    assert len(set(seen)) >= 3, seen

    # and the series are what they were
    assert sorted(loaded) == [f"P{s:03d}" for s in range(1, SYMBOLS + 1)]
    for s in (1, 2, 3, SYMBOLS):
        one = loaded[f"P{s:03d}"]
        assert len(one.dates) == len(one.closes) == DAYS
        assert one.dates[0] == date(2023, 1, 1) and one.dates[-1] == date.fromordinal(date(2023, 1, 1).toordinal()
                                                                                      + DAYS - 1)
        assert one.closes[0] == Decimal(100 + s) and one.closes[-1] == Decimal(100 + s) + Decimal(DAYS - 1) / 100
        if s % 2 == 0:
            assert len(one.previous_closes) == DAYS and one.previous_closes[0] == Decimal(99 + s)
        else:
            assert one.previous_closes == ()
        assert one.currency == ("EUR" if s % 3 == 0 else "USD")
    assert await repo.load_daily_prices([]) == {}
    assert await repo.load_daily_prices(["NONE"]) == {}
