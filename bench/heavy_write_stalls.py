"""How long large writes hold the server's event loop: probes' worst latency during them, against idle.

Run: ``.venv/bin/python bench/heavy_write_stalls.py [--snapshots 5000] [--positions 40] [--rows 10000]``

A real ``stack-cfo serve`` runs as its own process (``DATABASE_URL``'s server, else an embedded one).
While another user's large write runs, two probes call every 100 ms: ``GetPortfolioSummary`` of a
small portfolio on the API port and ``Check`` on the health port (what a liveness probe calls; it
shares the process and its event loop). Each probe's worst latency is reported for:

* an accepted ``ImportHoldingsHistory`` of ``--snapshots`` x ``--positions`` (5,000 x 40 = 3.3 MB,
  inside every documented limit), then two of them at once (a user may run two);
* a refused one (``--snapshots`` x 50 = 250,000 positions: TOO_MANY_POSITIONS);
* ``BatchCreateTransactions`` of ``--rows`` rows.

The baseline is the same probes' worst latency over the same number of seconds with nothing else
running (measured first, in the same run): the reported ratio is worst-during / worst-idle.
Requests are serialized before the probes start and sent as bytes, so the client's own loop does
not stall its probes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from server_common import bearer, bench_database, free_port, server_env  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2, portfolio_pb2_grpc  # noqa: E402
from tests.support.proc import wait_ready  # noqa: E402

SERVICE = "/stack.cfo.v1.PortfolioSummaryService/"
PERIOD = 0.1


def _start(dsn: str, tmp: str) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    env = {**os.environ, **server_env(), "DATABASE_URL": dsn, "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
           "STACK_CFO_METRICS_LISTEN": "off", "STACK_CFO_LOG_LEVEL": "WARNING", "STACK_CFO_DATA_DIR": tmp,
           "STACK_CFO_DRAIN_DELAY": "0s", "STACK_CFO_SHUTDOWN_GRACE": "1s"}
    proc = subprocess.Popen([sys.executable, "-m", "stack_cfo.cli", "serve"], cwd=ROOT, env=env)
    return proc, f"127.0.0.1:{port}", env["STACK_CFO_HEALTH_LISTEN"]


def _pdate(d: date) -> common_pb2.Date:
    return common_pb2.Date(year=d.year, month=d.month, day=d.day)


def _import(user: str, snapshots: int, positions: int) -> bytes:
    last = datetime.now(UTC).date() - timedelta(days=2)
    req = portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=f"users/{user}/portfolio", base_currency="USD")
    for i in range(snapshots):
        s = req.snapshots.add(effective_date=_pdate(last - timedelta(days=i)), cash_balance=f"{1000 + i}.25")
        for j in range(positions):
            s.positions.add(symbol=f"S{j:02d}", quantity=f"{10 + j}.5")
    return req.SerializeToString()


def _batch(user: str, rows: int) -> bytes:
    first = datetime.now(UTC).date() - timedelta(days=2 + rows // 20)
    req = portfolio_pb2.BatchCreateTransactionsRequest(parent=f"users/{user}/portfolio", base_currency="USD")
    for i in range(rows):
        req.transactions.add(type=portfolio_pb2.TRANSACTION_TYPE_BUY,
                             trade_date=_pdate(first + timedelta(days=i // 20)), symbol=f"T{i % 50:03d}",
                             quantity="1.5", price=f"{100 + i % 7}.25", currency="USD")
    return req.SerializeToString()


def _raw(ch: grpc.aio.Channel, method: str) -> grpc.aio.UnaryUnaryMultiCallable:
    return ch.unary_unary(SERVICE + method, request_serializer=lambda b: b, response_deserializer=lambda b: b)


async def _probe(call: Callable[[], Awaitable[object]], stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        await call()
        out.append(time.perf_counter() - t)
        await asyncio.sleep(max(0.0, PERIOD - (time.perf_counter() - t)))


async def _during(label: str, api: grpc.aio.Channel, health: grpc.aio.Channel, other: str,
                  work: Callable[[], Awaitable[object]] | float) -> tuple[float, float, float]:
    """Run ``work`` (or sleep that many seconds) with both probes: (work seconds, worst summary
    latency, worst health latency), printed."""
    summary = portfolio_pb2_grpc.PortfolioSummaryServiceStub(api)
    check = health_pb2_grpc.HealthStub(health)
    md = bearer(other)
    stop = asyncio.Event()
    lat_s: list[float] = []
    lat_h: list[float] = []
    probes = [
        asyncio.create_task(_probe(lambda: summary.GetPortfolioSummary(
            portfolio_pb2.GetPortfolioSummaryRequest(portfolio=f"users/{other}/portfolio"), metadata=md,
            timeout=60), stop, lat_s)),
        asyncio.create_task(_probe(lambda: check.Check(health_pb2.HealthCheckRequest(service="liveness"),
                                                       timeout=60), stop, lat_h)),
    ]
    await asyncio.sleep(0.3)
    t = time.perf_counter()
    outcome = ""
    if isinstance(work, float):
        await asyncio.sleep(work)
    else:
        try:
            await work()
            outcome = "ok"
        except grpc.aio.AioRpcError as exc:
            outcome = f"{exc.code().name}: {exc.details()[:60]}"
    took = time.perf_counter() - t
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*probes)
    ws, wh = max(lat_s), max(lat_h)
    print(f"{label:44s} {took:7.2f} s  worst summary {ws * 1e3:8.1f} ms  worst health {wh * 1e3:8.1f} ms  "
          f"({len(lat_s)}/{len(lat_h)} probes) {outcome}", flush=True)
    return took, ws, wh


async def _run(args: argparse.Namespace, target: str, health_target: str) -> None:
    await wait_ready(health_target, timeout=120)
    opts = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
    other = str(uuid.uuid4())
    async with (grpc.aio.insecure_channel(target, options=opts) as api,
                grpc.aio.insecure_channel(target, options=opts) as writer,
                grpc.aio.insecure_channel(health_target) as health):
        await portfolio_pb2_grpc.PortfolioSummaryServiceStub(api).SyncPortfolio(
            portfolio_pb2.SyncPortfolioRequest(portfolio=f"users/{other}/portfolio", base_currency="USD",
                                               cash_balance="1000",
                                               positions=[portfolio_pb2.Holding(symbol="AAPL", quantity="3")]),
            metadata=bearer(other), timeout=30)
        importer, batcher = _raw(writer, "ImportHoldingsHistory"), _raw(writer, "BatchCreateTransactions")
        users = [str(uuid.uuid4()) for _ in range(4)]
        accepted = [_import(u, args.snapshots, args.positions) for u in users[:3]]
        refused = _import(users[3], args.snapshots, 50)
        ledger_user = str(uuid.uuid4())
        batch = _batch(ledger_user, args.rows)
        print(f"import {args.snapshots:,} x {args.positions} = {len(accepted[0]) / 1e6:.1f} MB; refused "
              f"{args.snapshots:,} x 50 = {len(refused) / 1e6:.1f} MB; batch {args.rows:,} rows = "
              f"{len(batch) / 1e6:.1f} MB; probes every {PERIOD * 1e3:.0f} ms", flush=True)

        def send(call: grpc.aio.UnaryUnaryMultiCallable, body: bytes, user: str
                 ) -> Callable[[], Awaitable[object]]:
            return lambda: call(body, metadata=bearer(user), timeout=300)

        runs = [
            ("import (accepted)", send(importer, accepted[0], users[0])),
            ("two imports at once (other users)", lambda: asyncio.gather(send(importer, accepted[1], users[1])(),
                                                                         send(importer, accepted[2], users[2])())),
            ("import refused (TOO_MANY_POSITIONS)", send(importer, refused, users[3])),
            ("BatchCreateTransactions", send(batcher, batch, ledger_user)),
        ]
        results = []
        for label, work in [r for r in runs if args.only in r[0]]:
            results.append((label, await _during(label, api, health, other, work)))
        longest = max(r[1][0] for r in results)
        _, idle_s, idle_h = await _during("idle (baseline)", api, health, other, longest)
        print("worst latency during / worst idle:")
        for label, (_, ws, wh) in results:
            print(f"  {label:42s} summary x{ws / idle_s:7.1f}   health x{wh / idle_h:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=5_000)
    parser.add_argument("--positions", type=int, default=40)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--only", default="", help="run only the writes whose label contains this text")
    args = parser.parse_args()
    with bench_database("stalls") as (dsn, tmp):
        proc, target, health = _start(dsn, tmp)
        try:
            asyncio.run(_run(args, target, health))
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
