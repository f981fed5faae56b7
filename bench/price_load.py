"""How long loading daily prices holds the event loop: ``PortfolioRepository.load_daily_prices`` of
a large portfolio's symbols, old (one ``fetchall`` on the loop, series built on the loop) against new.

Run: ``.venv/bin/python bench/price_load.py [--symbols 5000] [--days 400] [--rounds 3]``

A fresh migrated database (``DATABASE_URL``'s server, else an embedded one) is seeded with
``--symbols`` x ``--days`` daily closes. While each load runs a ticker task sleeps 1 ms at a time;
its longest gap between wake-ups is the longest time the load held the loop. Reported per variant:
total time of the load and the longest gap (best of ``--rounds``), plus the phases of the old
path (query, fetchall, building the series).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import psycopg  # noqa: E402
from psycopg.rows import tuple_row  # noqa: E402
from server_common import bench_database  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo.core.portfolio import PriceSeries  # noqa: E402
from stack_cfo.store import portfolio_repo  # noqa: E402
from stack_cfo.store.db import Database, PoolSettings  # noqa: E402
from stack_cfo.store.portfolio_repo import PortfolioRepository, Q  # noqa: E402


def seed(dsn: str, symbols: int, days: int) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO prices (symbol, trading_date, close, previous_close, currency)"
            " SELECT 'S' || lpad(s::text, 5, '0'), DATE '2024-01-01' + d,"
            " round((100 + s %% 50 + d * 0.01)::numeric, 4), round((99.5 + s %% 50 + d * 0.01)::numeric, 4), 'USD'"
            " FROM generate_series(1, %s) s, generate_series(0, %s - 1) d",
            (symbols, days),
        )
        conn.execute("ANALYZE prices")


async def old_load(db: Database, symbols: Iterable[str], phases: dict[str, float]) -> dict[str, PriceSeries]:
    """The code before the change (one fetchall on the loop), timing its phases."""
    wanted = sorted(set(symbols))
    t0 = time.perf_counter()
    async with db.connection() as conn:
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(Q.load_daily_prices, {"symbols": wanted})
        t1 = time.perf_counter()
        rows = await cur.fetchall()
        t2 = time.perf_counter()
    out: dict[str, PriceSeries] = {}
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] != rows[start][0]:
            chunk = rows[start:i]
            prev = tuple(r[3] for r in chunk)
            out[chunk[0][0]] = PriceSeries(
                symbol=chunk[0][0], dates=tuple(r[1] for r in chunk), closes=tuple(r[2] for r in chunk),
                previous_closes=prev if any(p is not None for p in prev) else (), currency=chunk[-1][4],
            )
            start = i
    t3 = time.perf_counter()
    for k, v in (("query", t1 - t0), ("fetchall", t2 - t1), ("build series", t3 - t2)):
        phases[k] = min(phases.get(k, v), v)
    return out


async def measured(load: Callable[[], Awaitable[Any]]) -> tuple[float, float, Any]:
    """(total seconds, longest loop gap in seconds, result) of ``load()`` beside a 1 ms ticker."""
    gaps: list[float] = []
    stop = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    gaps.clear()
    t0 = time.perf_counter()
    result = await load()
    total = time.perf_counter() - t0
    stop = True
    await task
    return total, max(gaps, default=total), result


async def main_async(dsn: str, symbols: int, rounds: int) -> None:
    db = Database(dsn, PoolSettings(min_size=1, max_size=2))
    await db.open()
    repo = PortfolioRepository(db)
    wanted = [f"S{s:05d}" for s in range(1, symbols + 1)]
    phases: dict[str, float] = {}
    results: dict[str, list[tuple[float, float]]] = {"old": [], "new": []}
    try:
        for _ in range(rounds):
            for name, load in (("old", lambda: old_load(db, wanted, phases)),
                               ("new", lambda: repo.load_daily_prices(wanted))):
                total, gap, out = await measured(load)
                assert len(out) == symbols, len(out)
                results[name].append((total, gap))
    finally:
        await db.close()
    for name, runs in results.items():
        totals, gaps = [t for t, _ in runs], [g for _, g in runs]
        print(f"{name}: total {min(totals) * 1000:.0f} ms (median {statistics.median(totals) * 1000:.0f}),"
              f" longest loop stall {min(gaps) * 1000:.1f} ms (worst {max(gaps) * 1000:.1f})")
    print("old phases (best):", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in phases.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--symbols", type=int, default=5000)
    ap.add_argument("--days", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=portfolio_repo.PRICE_BATCH_ROWS, help="rows per fetch (new)")
    args = ap.parse_args()
    portfolio_repo.PRICE_BATCH_ROWS = args.batch
    with bench_database("priceload") as (dsn, _tmp):
        t0 = time.perf_counter()
        seed(dsn, args.symbols, args.days)
        print(f"seeded {args.symbols} x {args.days} = {args.symbols * args.days:,} rows"
              f" in {time.perf_counter() - t0:.1f} s")
        asyncio.run(main_async(dsn, args.symbols, args.rounds))


if __name__ == "__main__":
    main()
