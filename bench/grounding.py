"""Grounding check on a chat answer: ~1,000 tokens, 40 figures, against a 50-position data block.

Run: ``.venv/bin/python bench/grounding.py [--positions 50] [--figures 40] [--rounds 400] [--turns 30]``

The facts come from a realistic nested snapshot (positions with quantity, price, value, weight,
P&L and 1d/1w/1m returns; sectors; baskets; risk metrics; benchmark returns; cash), built once per
snapshot (reported separately: the chat path builds them once per turn, before streaming). The
answer mixes the figure forms the corpus covers ($ and ISO amounts, k suffixes, percents with
direction words, ratios, counts, a markdown table) with prose, dates and list numbers; the check
must find it GROUNDED.

Baseline, measured in the same run: the same answer streamed through the chat path — the real server
as its own process (``stack-cfo serve``), a chat session, ``SendMessage`` from the first byte sent to
the ``completed`` event, with the 0G provider stand-in sending the answer as ~250 SSE chunks as fast as
it can (no artificial token pacing: the cheapest the path can be, so the ratio is the worst case). The
cost counted for the check is the check itself *plus* getting the facts of the data block (done once
per answer; the facts of an unchanged block are reused, so an answer pays the block's hash and a lookup;
the first answer after a context refresh, which builds them, is reported too). Goal: at most 5 % of
the chat path. Also reported: the same ratio against iterating the
answer as 250 chunks through a bare ``asyncio`` generator (a lower bound no real stream reaches).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stack_cfo.core.grounding import Facts, GroundingStatus, check, extract_figures, facts_from_data
from stack_cfo.core.provenance import Snapshot

GOAL = 0.05
SECTORS = ["Technology", "Health Care", "Financials", "Energy", "Industrials", "Utilities", "Materials", "Staples"]
PROSE = (
    "Looking at the data as of 2026-03-08, the picture is mixed but readable. Semiconductor names gave back part of "
    "last month's gains while your defensive holdings held steady, and the overall move stayed modest compared "
    "with the broader market. Nothing here calls for a hurried decision; it is worth reviewing concentration and "
    "the cash buffer against your plan before the next rebalance window in March."
)


def snapshot(n: int, rng: random.Random) -> dict[str, object]:
    positions = []
    total = Decimal(0)
    for i in range(n):
        qty = rng.randint(2, 120)
        price = Decimal(rng.randint(1_000, 90_000)) / 100
        value = qty * price
        total += value
        positions.append({
            "symbol": f"S{i:02d}X", "quantity": qty, "price": price, "market_value": value,
            "unrealized_pnl": Decimal(rng.randint(-50_000, 90_000)) / 100,
            "return_1d": round(rng.gauss(0, 0.015), 4), "return_1w": round(rng.gauss(0, 0.03), 4),
            "return_1m": round(rng.gauss(0, 0.06), 4), "sector": SECTORS[i % len(SECTORS)],
            "basket": "Tech" if i % 5 == 0 else "",
        })
    cash = Decimal("2500.00")
    total += cash
    for p in positions:
        p["weight"] = round(float(p["market_value"] / total), 4)  # type: ignore[operator]
    return {
        "base_currency": "USD",
        "total_value": total,
        "day_change": Decimal("-412.37"),
        "day_change_percent": Decimal("-1.31"),
        "total_return": 0.1008,
        "return_1w": -0.0037,
        "cash": {"amount": cash, "weight": round(float(cash / total), 4)},
        "positions": positions,
        "sectors": [{"name": s, "weight": round(1 / len(SECTORS), 4)} for s in SECTORS],
        "baskets": [{"name": "Tech", "weight": 0.2214, "return_1w": -0.0052, "return_1m": 0.0118}],
        "risk": {"sharpe_ratio": -3.04, "sortino_ratio": -2.41, "volatility": 0.2235, "max_drawdown": -0.194,
                 "beta": 0.87, "var_95": -0.0231, "observation_count": 63},
        "benchmark": {"symbol": "SPY", "return_1d": -0.0012, "return_1w": 0.0042, "return_1m": -0.0125},
    }


def answer(snap: dict[str, object], figures: int) -> str:
    """About 1,000 tokens (4,500 characters) with ``figures`` true figures in assorted forms."""
    positions: list[dict[str, object]] = snap["positions"]  # type: ignore[assignment]
    risk: dict[str, object] = snap["risk"]  # type: ignore[assignment]
    total: Decimal = snap["total_value"]  # type: ignore[assignment]
    head = [
        f"Your portfolio is worth ${total:,.2f} (about ${total / 1000:,.1f}k), down 1.31% on the day.",
        f"The Sharpe ratio is {risk['sharpe_ratio']:.2f} and the maximum drawdown was "
        f"{float(risk['max_drawdown']) * 100:.1f}%; beta is {risk['beta']:.2f}.",
        f"You hold {len(positions)} positions, and risk uses 63 trading days.",
    ]
    per_position: list[str] = []
    for p in positions:
        r1w = float(p["return_1w"])  # type: ignore[arg-type]
        verb = "rose" if r1w >= 0 else "fell"
        per_position.append(
            f"{p['symbol']} {verb} {abs(r1w) * 100:.1f}% this week and is {float(p['weight']) * 100:.1f}% of "  # type: ignore[arg-type]
            f"holdings, worth ${p['market_value']:,.2f}."
        )
    lines = head + per_position
    parts: list[str] = []
    count = 0
    for i, line in enumerate(lines):
        n = len(extract_figures(line))
        if count + n > figures - 6:
            break
        parts.append(f"{i + 1}. {line}" if i >= len(head) else line)
        count += n
    rest = figures - count  # two figures per table row, and a one-figure sentence when odd
    if rest % 2:
        cash: dict[str, object] = snap["cash"]  # type: ignore[assignment]
        parts.append(f"Cash is {float(cash['weight']) * 100:.1f}% of the portfolio.")  # type: ignore[arg-type]
    table = ["| Symbol | Weight | 1M |", "|---|---|---|"]
    for p in positions[: rest // 2]:
        table.append(f"| {p['symbol']} | {float(p['weight']) * 100:.2f}% | {float(p['return_1m']) * 100:+.2f}% |")  # type: ignore[arg-type]
    body = "\n".join(parts)
    text = f"{body}\n\n{chr(10).join(table)}\n\n"
    while len(text) < 4_500:
        text += PROSE + " "
    return text.strip()


async def _stream(text: str, chunks: int) -> AsyncIterator[str]:
    size = max(1, len(text) // chunks)
    for i in range(0, len(text), size):
        await asyncio.sleep(0)
        yield text[i : i + size]


async def stream_once(text: str, chunks: int) -> str:
    parts = [chunk async for chunk in _stream(text, chunks)]
    return "".join(parts)


def median_time(fn: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def chat_path_seconds(text: str, chunks: int, turns: int) -> list[float]:
    """Wall seconds of ``turns`` SendMessage calls answered with ``text`` through the real server."""
    from chat_common import bench_database  # type: ignore[import-not-found]

    with bench_database() as (dsn, tmp):
        return asyncio.run(_chat_path(dsn, tmp, text, chunks, turns))


async def _chat_path(dsn: str, tmp: str, text: str, chunks: int, turns: int) -> list[float]:
    import grpc
    from chat_common import chat_server, standins  # type: ignore[import-not-found]

    from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
    from tests.standins.zerog_provider import Reply

    out: list[float] = []
    async with standins() as (chain, provider), chat_server(dsn, tmp, chain, provider) as server:
        provider.default_reply = Reply.ok(text, chunks=chunks)
        user = str(uuid.uuid4())
        md = server.token(user)
        async with grpc.aio.insecure_channel(server.target) as channel:
            stub = chat_pb2_grpc.ChatServiceStub(channel)
            s = await stub.CreateSession(
                chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="bench")),
                metadata=md, timeout=10,
            )
            for i in range(turns + 2):
                started = time.perf_counter()
                async for ev in stub.SendMessage(
                    chat_pb2.SendMessageRequest(name=s.name, content=f"How is my portfolio? ({i})"),
                    metadata=md, timeout=30,
                ):
                    if ev.WhichOneof("event") == "completed":
                        assert ev.completed.assistant_message.content == text
                if i >= 2:  # the first turns warm the server up
                    out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--figures", type=int, default=40)
    parser.add_argument("--chunks", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=400)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()

    rng = random.Random(8)
    snap = snapshot(args.positions, rng)
    start = time.perf_counter()
    facts = facts_from_data(snap)
    _ = facts.index
    build = time.perf_counter() - start
    text = answer(snap, args.figures)
    result = check(text, facts)
    if result.status is not GroundingStatus.GROUNDED:
        raise SystemExit(f"bench answer not grounded: {[f.raw for f in result.ungrounded]}")

    loop = asyncio.new_event_loop()
    try:
        def baseline() -> None:
            loop.run_until_complete(stream_once(text, args.chunks))

        def grounding() -> None:
            check(text, facts)

        def extraction() -> None:
            extract_figures(text, ignore=facts.symbols)

        def rebuild() -> None:
            Facts(facts).index  # noqa: B018 - building the index is the point

        results: dict[str, list[float]] = {"check": [], "extract": [], "baseline": [], "index": []}
        for _ in range(max(1, args.rounds // 20)):
            results["baseline"].append(median_time(baseline, 20))
            results["check"].append(median_time(grounding, 20))
            results["extract"].append(median_time(extraction, 20))
            results["index"].append(median_time(rebuild, 2))
    finally:
        loop.close()
    med = {k: statistics.median(v) * 1e3 for k, v in results.items()}
    build_ms = median_time(lambda: facts_from_data(snap).index, 20) * 1e3
    # Per answer, the chat path hashes its data block and reuses the facts while the block is unchanged
    # (core.provenance.snapshot): what an answer pays is this lookup plus the check.
    Snapshot(snap, None).facts  # noqa: B018 - first use builds and caches
    lookup_ms = median_time(lambda: Snapshot(snap, None).facts, 100) * 1e3
    chat_ms = statistics.median(chat_path_seconds(text, args.chunks, args.turns)) * 1e3
    cost = med["check"] + lookup_ms
    ratio = cost / chat_ms

    words = len(text.split())
    print(f"answer: {len(text)} characters, {words} words (~{round(words * 4 / 3)} tokens), "
          f"{result.figure_count} figures; facts: {len(facts)} from {args.positions} positions")
    print(f"facts_from_data + index (once per snapshot): {build * 1e3:8.3f} ms; index alone {med['index']:8.3f} ms")
    print(f"check (extract + match), per answer:        {med['check']:8.3f} ms")
    print(f"  of which extract_figures:                  {med['extract']:8.3f} ms")
    print(f"  per figure:                                {med['check'] / result.figure_count * 1e3:8.1f} us")
    print(f"data block hashed, facts reused (per answer): {lookup_ms:8.3f} ms")
    print(f"chat path: SendMessage to completed, {args.chunks} chunks, median of {args.turns}: {chat_ms:8.3f} ms")
    print(f"ratio (check + facts lookup) / chat path: {ratio:6.3f} (goal <= {GOAL})")
    print(f"first answer after a context refresh (facts built): {(med['check'] + build_ms) / chat_ms:6.3f}")
    print(f"lower bound: {args.chunks} chunks through a bare async generator: {med['baseline']:8.3f} ms "
          f"(ratio {cost / med['baseline']:.2f})")
    print(f"goal met: {ratio <= GOAL}")


if __name__ == "__main__":
    main()
