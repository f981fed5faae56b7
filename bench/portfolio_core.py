"""Portfolio analytics core: ``compute_summary`` for 50 positions × 504 daily closes.

Run: ``.venv/bin/python bench/portfolio_core.py [--positions 50] [--days 504] [--rounds 200]``

Goal: a full summary (valuation over two years, TWR, risk, positions, groups, diversification,
insights) well under 5 ms of CPU once inputs are loaded. Baselines measured in the same run:

* ``json.dumps`` of the inputs' closes as floats (``positions × days`` numbers): the cost of
  merely serialising the data the summary reads;
* a plain Python loop summing the same number of floats.

Inputs are built once (``PriceSeries`` converts its Decimal closes to floats at construction,
about 0.2 µs a close; that cost is reported separately because the RPC layer caches series
until prices change). CPU time is ``time.process_time``; each figure is the median of
``rounds`` runs, run alternately on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    HistoryRange,
    Holdings,
    HoldingsSnapshot,
    Interval,
    PortfolioInputs,
    Position,
    PricePoint,
    PriceSeries,
    compute_history,
    compute_summary,
)

NY = ZoneInfo("America/New_York")
SECTORS = ["Technology", "Health Care", "Financials", "Energy", "Industrials", "Utilities", "Materials", "Staples"]
GOAL_MS = 5.0


def weekdays(end: date, n: int) -> list[date]:
    out: list[date] = []
    d = end
    while len(out) < n:
        if d.weekday() < 5:
            out.append(d)
        d -= timedelta(days=1)
    return out[::-1]


def build_inputs(n_pos: int, n_days: int, *, daily_snapshots: bool) -> tuple[PortfolioInputs, datetime, float]:
    rng = np.random.default_rng(1)
    days = weekdays(date(2024, 12, 31), n_days)
    symbols = [f"S{i:03d}" for i in range(n_pos)]
    raw = {s: 50 * np.cumprod(1 + rng.normal(0.0003, 0.015, n_days)) for s in [*symbols, "SPY"]}
    as_of = datetime.combine(days[-1], dtime(15, 0), tzinfo=NY)
    start = time.process_time()
    prices = {}
    for s, closes in raw.items():
        points = [PricePoint(s, d, Decimal(f"{c:.4f}")) for d, c in zip(days, closes, strict=True)]
        points.append(PricePoint(s, as_of.astimezone(UTC), Decimal(f"{closes[-1] * 1.004:.4f}")))
        prices[s] = PriceSeries.from_points(s, points)
    load_cpu = time.process_time() - start

    def positions(k: int) -> tuple[Position, ...]:
        return tuple(
            Position(
                symbol=s,
                quantity=Decimal(10 + (i * 7 + k) % 40),
                average_cost=Decimal("48.1234") if i % 9 else None,
                sector=SECTORS[i % len(SECTORS)],
                basket="tech" if i % 5 == 0 else None,
            )
            for i, s in enumerate(symbols)
        )

    snap_days = days if daily_snapshots else days[:1]
    snapshots = tuple(
        HoldingsSnapshot(
            d,
            Holdings("users/bench", "USD", Decimal(10_000 + k), positions(k), datetime.combine(d, dtime(17), NY)),
        )
        for k, d in enumerate(snap_days)
    )
    flows = tuple(CashFlow(d, Decimal(1)) for d in snap_days[1:])
    inputs = PortfolioInputs(holdings=snapshots, prices=prices, cash_flows=flows, benchmark=prices.pop("SPY"))
    return inputs, as_of, load_cpu


def cpu_median(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--days", type=int, default=504)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    settings = AnalyticsSettings()
    inputs, as_of, load_cpu = build_inputs(args.positions, args.days, daily_snapshots=False)
    daily, _, _ = build_inputs(args.positions, args.days, daily_snapshots=True)
    n_numbers = args.positions * args.days
    floats = [float(x) for x in np.random.default_rng(2).random(n_numbers)]
    grid = [floats[i : i + args.days] for i in range(0, n_numbers, args.days)]

    def loop_sum() -> float:
        total = 0.0
        for x in floats:
            total += x
        return total

    summary = compute_summary(inputs, as_of=as_of, settings=settings)
    assert summary.risk.sharpe.available and len(summary.positions) == args.positions

    # Alternate the candidates so drift on a shared machine hits them all alike.
    results: dict[str, list[float]] = {k: [] for k in ("summary", "daily", "dumps", "loop", "hist_d", "hist_w")}
    for _ in range(args.rounds // 10):
        results["summary"].append(cpu_median(lambda: compute_summary(inputs, as_of=as_of, settings=settings), 10))
        results["daily"].append(cpu_median(lambda: compute_summary(daily, as_of=as_of, settings=settings), 10))
        results["dumps"].append(cpu_median(lambda: json.dumps(grid), 10))
        results["loop"].append(cpu_median(loop_sum, 10))
        results["hist_d"].append(
            cpu_median(lambda: compute_history(inputs, as_of=as_of, range=HistoryRange.ALL, settings=settings), 2)
        )
        results["hist_w"].append(
            cpu_median(
                lambda: compute_history(
                    inputs, as_of=as_of, range=HistoryRange.ALL, interval=Interval.WEEKLY, settings=settings
                ),
                2,
            )
        )
    med = {k: statistics.median(v) * 1e3 for k, v in results.items()}

    print(f"inputs: {args.positions} positions x {args.days} daily closes (+ intraday quotes, benchmark)")
    print(f"  building PricePoints + PriceSeries (once per load): {load_cpu * 1e3:8.2f} ms CPU")
    print(f"compute_summary, 1 holdings snapshot:        {med['summary']:8.3f} ms CPU (goal < {GOAL_MS} ms)")
    print(f"compute_summary, {args.days} daily snapshots + flows: {med['daily']:8.3f} ms CPU")
    print(f"compute_history ALL daily ({args.days} points, exact values): {med['hist_d']:8.3f} ms CPU")
    print(f"compute_history ALL weekly:                   {med['hist_w']:8.3f} ms CPU")
    print(f"baseline json.dumps of {n_numbers} floats:      {med['dumps']:8.3f} ms CPU")
    print(f"baseline Python loop summing {n_numbers} floats: {med['loop']:8.3f} ms CPU")
    print(f"ratio summary / json.dumps:  {med['summary'] / med['dumps']:6.2f}x")
    print(f"ratio summary / sum loop:    {med['summary'] / med['loop']:6.2f}x")
    print(f"goal met: {med['summary'] < GOAL_MS}")


if __name__ == "__main__":
    main()
