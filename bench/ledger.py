"""The transactions ledger: full re-derivation, incremental correction, and summaries of a ledger
portfolio against a snapshot portfolio, each against a baseline measured in the same run.

Run: ``.venv/bin/python bench/ledger.py [--positions 50] [--years 10] [--transactions 20000] [--rounds 5]
[--seconds 3] [--concurrency 16]``

1. **Full re-derivation**: 20,000 transactions over 10 years of trading days for 50 symbols (plus
   deposits, dividends and a withdrawal a year) -> every book (cost basis, realised P&L, income),
   the holdings timeline, and the daily valuation with TWR and the local-currency returns, and
   XIRR. CPU time (``time.process_time``, the machine is shared), best of ``--rounds``.
   Goal: < 1 s.
2. **Incremental correction**: one transaction's price changed; only its book is re-derived, then
   the same timeline, valuation and XIRR. Goal: >= 10x faster than (1), same run.
3. **GetPortfolioSummary**, cached path: a real server in this process over PostgreSQL
   (``DATABASE_URL`` or an embedded server), one ledger portfolio and one snapshot portfolio with the
   same 50 positions and 10 years of closes; ``--concurrency`` callers for ``--seconds`` each,
   alternating, best round each. Goal: ledger >= 0.9x snapshot.

Exits 0 and prints the figures and whether each goal is met (never a timed test).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_common import bench_database  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo.core.portfolio.fx import FxTable  # noqa: E402
from stack_cfo.core.portfolio.ledger import derive_book, derive_ledger, group_transactions  # noqa: E402
from stack_cfo.core.portfolio.models import PortfolioInputs, PriceSeries  # noqa: E402
from stack_cfo.core.portfolio.transactions import (  # noqa: E402
    CostBasisMethod,
    Transaction,
    TransactionInput,
    TransactionType,
)
from stack_cfo.core.portfolio.valuation import build_valuation  # noqa: E402
from stack_cfo.core.portfolio.xirr import portfolio_flows, xirr  # noqa: E402

NY = ZoneInfo("America/New_York")
T = TransactionType
NOW = datetime(2025, 1, 2, 23, tzinfo=UTC)


def trading_days(end: date, years: int) -> list[date]:
    out, d = [], end - timedelta(days=365 * years)
    while d <= end:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def make_ledger(positions: int, days: list[date], count: int, seed: int = 7) -> list[TransactionInput]:
    """Buys, sells (never beyond holdings), dividends, deposits and withdrawals."""
    rng = random.Random(seed)
    symbols = [f"S{i:03d}" for i in range(positions)]
    rows: list[TransactionInput] = [TransactionInput(T.DEPOSIT, days[0], amount=Decimal(5_000_000), currency="USD")]
    held = dict.fromkeys(symbols, 0)
    for s in symbols:
        rows.append(TransactionInput(T.BUY, days[0], s, Decimal(200), Decimal("50"), currency="USD", fees=Decimal(1)))
        held[s] = 200
    year = 252
    for k in range(year, len(days), year):
        rows.append(TransactionInput(T.DEPOSIT, days[k], amount=Decimal(10_000), currency="USD"))
        rows.append(TransactionInput(T.WITHDRAWAL, days[k + 5 if k + 5 < len(days) else k], amount=Decimal(5_000),
                                     currency="USD"))
    dated: list[tuple[date, TransactionInput]] = []
    while len(rows) + len(dated) < count:
        day = days[rng.randrange(1, len(days))]
        s = rng.choice(symbols)
        r = rng.random()
        if r < 0.55:
            dated.append((day, TransactionInput(T.BUY, day, s, Decimal(rng.randint(1, 20)),
                                                Decimal(rng.randint(3000, 9000)) / 100, currency="USD",
                                                fees=Decimal(1))))
        elif r < 0.8:
            dated.append((day, TransactionInput(T.SELL, day, s, Decimal(1), Decimal(rng.randint(3000, 9000)) / 100,
                                                currency="USD", fees=Decimal(1))))
        else:
            dated.append((day, TransactionInput(T.DIVIDEND, day, s, amount=Decimal(rng.randint(100, 900)) / 100,
                                                currency="USD")))
    dated.sort(key=lambda e: e[0])
    out = rows[:]
    for _, t in dated:  # keep sells within holdings (the first 200 units cover 1-unit sells for years)
        if t.type is T.SELL:
            if held[t.symbol] < 1:
                continue
            held[t.symbol] -= 1
        elif t.type is T.BUY:
            assert t.quantity is not None
            held[t.symbol] += int(t.quantity)
        out.append(t)
    return out


def prices_for(symbols: list[str], days: list[date], seed: int = 3) -> dict[str, PriceSeries]:
    rng = random.Random(seed)
    out = {}
    for s in symbols:
        p, closes = 50.0, []
        for _ in days:
            p *= 1 + rng.gauss(0.0003, 0.012)
            closes.append(Decimal(f"{p:.4f}"))
        out[s] = PriceSeries(s, tuple(days), tuple(closes))
    return out


def derive_all(groups: dict[str, list[Transaction]], prices: dict[str, PriceSeries], days: list[date],
               books: dict | None = None) -> tuple[object, float | None]:
    led = derive_ledger(groups, base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"), books=books,
                        as_of=NOW)
    inputs = PortfolioInputs(holdings=(), prices=prices, cash_flows=led.flows, timeline=led.timeline,
                             ledger_figures=led.figures)
    series = build_valuation(inputs, through=days[-1], tz=NY)
    return led, xirr(portfolio_flows(series))


def cpu(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def bench_derivation(args: argparse.Namespace) -> tuple[float, float, list[TransactionInput], list[date]]:
    days = trading_days(date(2024, 12, 31), args.years)
    rows = make_ledger(args.positions, days, args.transactions)
    stored = [Transaction(str(i), i, r, NOW, NOW, i) for i, r in enumerate(rows)]
    groups = group_transactions(stored)
    prices = prices_for(sorted(g for g in groups if g), days)
    full = cpu(lambda: derive_all(groups, prices, days), args.rounds)

    led, _ = derive_all(groups, prices, days)
    target = next(t for t in reversed(stored) if t.type is T.SELL)

    def incremental() -> None:
        changed = dataclasses.replace(target, data=dataclasses.replace(target.data, price=Decimal("77.7")))
        g = target.data.symbol
        rows2 = [changed if t.id == target.id else t for t in groups[g]]
        books = {k: v for k, v in led.books.items() if k != g}  # type: ignore[attr-defined]
        books[g] = derive_book(g, rows2, base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"))
        derive_all({}, prices, days, books)

    inc = cpu(incremental, args.rounds * 4)
    print(f"ledger: {len(stored)} transactions, {len(groups) - 1} symbols, {len(days)} trading days")
    print(f"  full re-derivation      {full * 1000:8.1f} ms CPU   goal < 1000 ms: {'met' if full < 1 else 'NOT met'}")
    print(f"  incremental correction  {inc * 1000:8.1f} ms CPU   {full / inc:5.1f}x faster, goal >= 10x: "
          f"{'met' if full / inc >= 10 else 'NOT met'}")
    return full, inc, rows, days


async def bench_summaries(args: argparse.Namespace, rows: list[TransactionInput], days: list[date], dsn: str,
                          tmp: str) -> None:
    import uuid

    from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
    from stack_cfo.core.clock import FrozenClock
    from stack_cfo.core.data_scope import user_scope
    from stack_cfo.core.portfolio.inputs import HoldingInput, SyncCommand
    from stack_cfo.core.portfolio.transactions import BatchCreateCommand
    from tests.integration.portfolio.support import price_points, record, stub
    from tests.support.server import running_server

    symbols = sorted({r.symbol for r in rows if r.symbol})
    series = prices_for(symbols, days)
    clock = FrozenClock(datetime.combine(days[-1], datetime.min.time(), NY).replace(hour=18).astimezone(UTC))
    async with running_server(dsn, Path(tmp), clock=clock) as srv:
        points = price_points({s: list(zip(days, series[s].closes, strict=True)) for s in [*symbols, "SPY"]
                               if s in series} | {"SPY": list(zip(days, series[symbols[0]].closes, strict=True))})
        for i in range(0, len(points), 10_000):
            await record(srv, points[i:i + 10_000])
        service = srv.container.portfolio
        ledger_user, snap_user = str(uuid.uuid4()), str(uuid.uuid4())
        t0 = time.perf_counter()
        with user_scope(ledger_user):  # each user's own writes (row-level security)
            await service.create_transactions(BatchCreateCommand(ledger_user, tuple(rows)), limited=False)
        print(f"  recorded {len(rows)} transactions in {time.perf_counter() - t0:.1f} s (one DB transaction)")
        with user_scope(snap_user):
            await service.sync(SyncCommand(snap_user, tuple(HoldingInput(s, Decimal(200), Decimal(50))
                                                            for s in symbols), Decimal(1000)))
        t0 = time.process_time()
        with user_scope(ledger_user):
            await service.summary(ledger_user)
        print(f"  first ledger summary (load {len(rows)} rows + derive + value): "
              f"{(time.process_time() - t0) * 1000:.0f} ms CPU")

        async def rate(user: str) -> float:
            req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=f"users/{user}/portfolio")
            md = srv.auth(user)
            call: Callable[[], Awaitable[object]] = lambda: stub(srv).GetPortfolioSummary(req, metadata=md)  # noqa: E731
            await call()
            done = 0
            stop = time.perf_counter() + args.seconds

            async def worker() -> None:
                nonlocal done
                while time.perf_counter() < stop:
                    await call()
                    done += 1

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            return done / (time.perf_counter() - start)

        best = {"snapshot": 0.0, "ledger": 0.0}
        for _ in range(args.summary_rounds):
            best["snapshot"] = max(best["snapshot"], await rate(snap_user))
            best["ledger"] = max(best["ledger"], await rate(ledger_user))
        ratio = best["ledger"] / best["snapshot"]
        print(f"  GetPortfolioSummary (cached path): snapshot {best['snapshot']:.0f}/s, ledger "
              f"{best['ledger']:.0f}/s, ratio {ratio:.2f}, goal >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--positions", type=int, default=50)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--transactions", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--summary-rounds", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--skip-server", action="store_true", help="only the derivation figures")
    args = ap.parse_args()
    _, _, rows, days = bench_derivation(args)
    if not args.skip_server:
        with bench_database("ledger") as (dsn, tmp):
            asyncio.run(bench_summaries(args, rows, days, dsn, tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
