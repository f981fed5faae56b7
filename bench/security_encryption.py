"""The encryption-at-rest arm of ``bench/security_overhead.py`` (not a benchmark on its own).

Two ``stack-cfo serve`` processes over the same database and 0G stand-ins, identical but for
``archive.encrypt_at_rest`` (``STACK_CFO_ENCRYPT_AT_REST``): **on** seals what it writes under the
users' data keys; **off** writes in the clear. Each serves its own users (written by itself, so
the on server opens sealed rows and the off server reads clear ones). Rounds alternate between
the two; medians and best rounds are compared:

- ``GetPortfolioSummary`` throughput for a portfolio seeded sealed (on) and clear (off) - goal: at
  most a 10 % drop - plus the portfolio load itself timed in-process (sealed versus clear rows,
  the part encryption touches when the summary cache misses);
- ``SendMessage`` time to the first delta, p50 - goal: at most +1 ms;
- ``GetSession`` of a 20-message session (full view), p50 - goal: at most +2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

import grpc
from chat_common import chat_server, standins  # type: ignore[import-not-found]
from portfolio_summary import NY, SUMMARY_METHOD, _load, _trading_days  # type: ignore[import-not-found]
from server_common import bearer, server_config  # type: ignore[import-not-found]

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2
from stack_cfo.core.data_scope import system_scope, user_scope
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.crypto.envelope import MasterKeys
from stack_cfo.crypto.fields import CLEAR, FieldSealer, SealerSource
from stack_cfo.store.archive_keys import PgKeyRing
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.portfolio_repo import PortfolioRepository

ARMS = ("off", "on")


def _p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def _seed_portfolio(db: Database, sealer: SealerSource, user: str, positions: int, days: list) -> None:  # type: ignore[type-arg]
    repo = PortfolioRepository(db, sealer=sealer)
    holdings = tuple(
        HoldingInput(symbol=f"E{i:03d}", quantity=Decimal(10 + i), average_cost=Decimal("50.25"), currency="USD",
                     sector="Technology" if i % 2 else "Health Care", basket="core", tags=("bench",))
        for i in range(positions)
    )
    # One dated snapshot per week of the period: the load opens every one of them.
    for n, day in enumerate(days[::5]):
        at = datetime.combine(day, dtime(18), tzinfo=NY).astimezone(UTC)
        await repo.sync_portfolio(SyncCommand(user, holdings, Decimal("25000.00") + n, "USD"), effective=day,
                                  synced_at=at, idempotency=None)


async def _portfolio_figures(args: argparse.Namespace, dsn: str) -> tuple[dict[str, str], dict[str, float]]:
    """Seed one user per arm (sealed / clear) and time ``load_portfolio`` in-process."""
    db = Database(dsn, PoolSettings(min_size=1, max_size=4))
    await db.open()
    try:
        keys = MasterKeys.from_config(server_config()["archive"]["master_keys"])  # type: ignore[index]
        sealers: dict[str, SealerSource] = {"off": CLEAR, "on": FieldSealer(PgKeyRing(db), keys)}
        days = _trading_days(datetime.now(NY).date() - timedelta(days=1), args.days)
        users = {arm: str(uuid.uuid4()) for arm in ARMS}
        for arm in ARMS:
            with user_scope(users[arm]):  # the user's own syncs (row-level security)
                await _seed_portfolio(db, sealers[arm], users[arm], args.positions, days)
        points = [PriceInput(symbol=f"E{i:03d}", at=d, close=Decimal("100") + i, currency="USD")
                  for i in range(args.positions) for d in days]
        with system_scope("bench"):
            await PortfolioRepository(db).record_prices(points, idempotency=None)
        load_ms: dict[str, list[float]] = {arm: [] for arm in ARMS}
        for _ in range(args.enc_loads):
            for arm in ARMS:
                repo = PortfolioRepository(db, sealer=sealers[arm])
                with user_scope(users[arm]):
                    t = time.perf_counter()
                    await repo.load_portfolio(users[arm])
                    load_ms[arm].append((time.perf_counter() - t) * 1e3)
        return users, {arm: _p50(v) for arm, v in load_ms.items()}
    finally:
        await db.close()


async def _send(stub: chat_pb2_grpc.ChatServiceStub, name: str, md: tuple, turn: int) -> float:  # type: ignore[type-arg]
    started = time.perf_counter()
    first = None
    async for ev in stub.SendMessage(chat_pb2.SendMessageRequest(
            name=name, content=f"Turn {turn}: how did my holdings do today?", request_id=str(uuid.uuid4())),
            metadata=md, timeout=30):
        if ev.WhichOneof("event") == "delta" and first is None:
            first = time.perf_counter() - started
    assert first is not None, "no delta"
    return first * 1e3


async def encryption_arm(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    users, load_p50 = await _portfolio_figures(args, dsn)
    rps: dict[str, list[float]] = {arm: [] for arm in ARMS}
    first_ms: dict[str, list[float]] = {arm: [] for arm in ARMS}
    get_ms: dict[str, list[float]] = {arm: [] for arm in ARMS}
    cpu_us: dict[str, list[float]] = {arm: [] for arm in ARMS}
    async with standins() as (chain, provider), \
            chat_server(dsn, tmp, chain, provider, archive={"encrypt_at_rest": False}) as off, \
            chat_server(dsn, tmp, chain, provider, archive={"encrypt_at_rest": True}) as on:
        servers = {"off": off, "on": on}
        channels = {arm: grpc.aio.insecure_channel(s.target) for arm, s in servers.items()}
        try:
            stubs = {arm: chat_pb2_grpc.ChatServiceStub(ch) for arm, ch in channels.items()}
            sessions: dict[str, list[tuple[str, tuple]]] = {arm: [] for arm in ARMS}  # type: ignore[type-arg]
            for arm in ARMS:
                for _ in range(args.enc_sessions):
                    user = str(uuid.uuid4())
                    md = bearer(user)
                    s = await stubs[arm].CreateSession(chat_pb2.CreateSessionRequest(
                        parent=f"users/{user}", session=chat_pb2.Session(title="bench session")), metadata=md)
                    sessions[arm].append((s.name, md))
            # SendMessage: turns alternate between the arms (10 turns = 20 messages per session).
            for turn in range(10):
                for arm in ARMS:
                    for name, md in sessions[arm]:
                        ms = await _send(stubs[arm], name, md, turn)
                        if turn >= 1:  # the first turn warms connections and caches
                            first_ms[arm].append(ms)
            # GetSession of the 20-message sessions, full view.
            for _ in range(args.enc_gets):
                for arm in ARMS:
                    for name, md in sessions[arm]:
                        t = time.perf_counter()
                        got = await stubs[arm].GetSession(chat_pb2.GetSessionRequest(name=name), metadata=md)
                        get_ms[arm].append((time.perf_counter() - t) * 1e3)
                        assert len(got.messages) == 20, len(got.messages)
            # GetPortfolioSummary throughput, each arm on its own user's portfolio.
            body = {arm: portfolio_pb2.GetPortfolioSummaryRequest(portfolio=f"users/{users[arm]}/portfolio")
                    .SerializeToString() for arm in ARMS}

            def caller(arm: str) -> Callable[[], Awaitable[bytes]]:
                get = channels[arm].unary_unary(SUMMARY_METHOD)
                md = bearer(users[arm])

                async def call() -> bytes:
                    return await get(body[arm], metadata=md, timeout=10)  # type: ignore[no-any-return]

                return call

            calls = {arm: caller(arm) for arm in ARMS}
            for call in calls.values():
                await _load(call, args.concurrency, 1.0)
            for _ in range(args.rounds):
                for arm in ARMS:
                    before = servers[arm].cpu_seconds()
                    r, lat = await _load(calls[arm], args.concurrency, args.seconds)
                    cpu_us[arm].append((servers[arm].cpu_seconds() - before) / len(lat) * 1e6)
                    rps[arm].append(r)
        finally:
            for ch in channels.values():
                await ch.close()

    print()
    print(f"encryption at rest on / off (same run; {args.enc_sessions} sessions per arm, {args.positions} positions,"
          f" cpus: {os.cpu_count()})")
    best = {arm: max(v) for arm, v in rps.items()}
    cpu = {arm: min(v) for arm, v in cpu_us.items()}
    ratio, cpu_ratio = best["on"] / best["off"], cpu["off"] / cpu["on"]
    print(f"GetPortfolioSummary: off {best['off']:8.0f} req/s ({cpu['off']:5.0f} us CPU/call)   on {best['on']:8.0f} "
          f"req/s ({cpu['on']:5.0f} us CPU/call) -> on/off {ratio:.3f}, by CPU {cpu_ratio:.3f}: "
          f"{'meets' if max(ratio, cpu_ratio) >= 0.90 else 'misses'} goal (drop <= 10 %)")
    print(f"portfolio load (cache miss) in-process, p50: clear {load_p50['off']:.2f} ms, sealed {load_p50['on']:.2f} ms"
          f" (+{load_p50['on'] - load_p50['off']:.2f} ms; ratio {load_p50['on'] / load_p50['off']:.2f})")
    d_first = _p50(first_ms["on"]) - _p50(first_ms["off"])
    print(f"SendMessage first delta p50: off {_p50(first_ms['off']):.2f} ms, on {_p50(first_ms['on']):.2f} ms "
          f"-> {d_first:+.2f} ms: {'meets' if d_first <= 1.0 else 'misses'} goal (<= +1 ms)")
    d_get = _p50(get_ms["on"]) - _p50(get_ms["off"])
    print(f"GetSession (20 messages) p50: off {_p50(get_ms['off']):.2f} ms, on {_p50(get_ms['on']):.2f} ms "
          f"-> {d_get:+.2f} ms: {'meets' if d_get <= 2.0 else 'misses'} goal (<= +2 ms)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--enc-sessions", type=int, default=4, help="chat sessions per encryption arm")
    parser.add_argument("--enc-gets", type=int, default=10, help="GetSession rounds per session")
    parser.add_argument("--enc-loads", type=int, default=20, help="in-process portfolio loads per arm")
    parser.add_argument("--skip-encryption", action="store_true", help="leave the encryption arm out")


def run_encryption_arm(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    if not args.skip_encryption:
        asyncio.run(encryption_arm(args, dsn, tmp))
