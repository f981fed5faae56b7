"""10,000 live WatchPortfolio streams on one server process, against the bare fan-out of a grpc.aio
server measured in the same run.

Run: ``.venv/bin/python bench/watches.py [--watchers 10000] [--users 200] [--clients 1]
[--per-connection 1] [--rounds 5] [--positions 10] [--days 260] [--bdp] [--profile FILE]``

One ``stack-cfo serve`` process (PostgreSQL from ``DATABASE_URL`` or an embedded server; per-user
stream limits raised for the bench) holds ``--watchers`` WatchPortfolio streams of ``--users``
portfolios (watchers spread evenly over them), each portfolio holding the symbol ``HOT`` among its
``--positions`` positions. The streams come from ``--clients`` watch client processes,
``--per-connection`` streams per HTTP/2 connection (1: one connection per watcher, as phones hold
them). Each round records a new close of ``HOT`` (RecordPrices, a service principal) and measures,
for every watcher, the time from the call until its update arrived (``min_interval`` 1 s, the
contract's floor, and rounds spaced beyond it, so coalescing never delays a delivery: the same as
interval 0).

**Keeping the watchers from eating the server's CPU.** On a 2-core machine every CPU-second the
clients spend is taken from the server. The watchers are ``bench/watchclient`` (Go, built here
with Debian's Go toolchain and gRPC, offline, as bench/workers.py builds its load generator): raw
bytes in and out (a pass-through codec, no protobuf parsing), ``GOMAXPROCS=1`` (one core at
most), arrival times taken on the client's CLOCK_MONOTONIC (Python's ``time.monotonic``) and
subtracted here from the instant the round was fired, and fixed HTTP/2 flow-control windows
(grpc-go's bandwidth-delay estimation off: otherwise every burst of data on every connection
brings a PING the server must answer, about a third of the bare fan-out's CPU per message at
4,000 streams; ``--bdp`` turns it back on, for both servers). Python grpc.aio watcher processes cost
about as much CPU per message as the server and slowed the server and the baseline alike (10,000
streams: baseline p99 3.1 s with four of them, 1.1-1.3 s with the Go client). The CPU seconds per
round of the server and of the watch clients are printed, so the clients' share is visible in
every run.

Baseline: a bare grpc.aio server in its own process holding the same number of streams from the same
client processes; a unary call makes it send one message of the same size as a watch update to
every stream (one asyncio.Event set per stream; no database, no auth, no computing). Reported:
server RSS (idle, with every watch open, after the rounds; goal <= 1 GiB), p50/p99/max latency of
both, their ratio, CPU per round, and how many summaries were computed per change (one per
watched portfolio is the floor). ``--profile FILE``: py-spy samples of the server during the
rounds (``pip install py-spy``; "stack count" lines).

**What the tail is made of.** p99 over all rounds is the tail of the slowest round (the 500
slowest of 50,000 arrivals). Until this release one round of five was often 0.3-0.5 s slower than
the others, on both servers, in the middle of the round (its p10 normal, its p50 late): the Go
client's garbage collector. With ``GOMAXPROCS=1`` its collection takes the client's one thread off
reading for hundreds of milliseconds, and every arrival behind it is stamped late. The clients now
run with ``GOGC=off`` (``GOMEMLIMIT=2GiB`` as the safety net; a run needs a few hundred MB): three
runs of five rounds had no slow round on either server. The server's own collections are held
during a fan-out (``stack_cfo/core/gc_hold.py``). The bare server runs with the collector settings
of ``stack-cfo serve`` (``tune_gc``): with CPython's defaults its full collections (0.15-0.2 s with
10,000 streams) landed in some rounds and took a third of its CPU per round (0.43-0.48 s against
0.28-0.32 s now). Each round's
p10/p50/p99/max is printed, for both servers alike. The streams that "reconnected while
opening" (thousands, on both servers) are calls the server ends with CANCELLED before their
first message while 10,000 streams arrive at once (the same on the bare
server: grpc's, not the service's; waiting for ready connections does not avoid it); the client
reopens them, and before the rounds the bench checks that each server holds exactly
``--watchers`` streams (the probe watch that measures an update's size is closed first), so no
stale stream is sent to during the rounds.

The machine must be otherwise idle for the figures to mean anything: run it 2-3 times.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from go_load import build_go  # type: ignore[import-not-found]  # noqa: E402
from portfolio_summary import _trading_days  # type: ignore[import-not-found]  # noqa: E402
from server_common import bearer, bench_database, free_port, server_env  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2  # noqa: E402
from stack_cfo.core.data_scope import system_scope, user_scope  # noqa: E402
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand  # noqa: E402
from stack_cfo.store.db import Database, PoolSettings  # noqa: E402
from stack_cfo.store.portfolio_repo import PortfolioRepository  # noqa: E402
from tests.support.proc import wait_ready  # noqa: E402

GOAL_RSS = 1 << 30
GOAL_P99 = 1.0
WATCH = "/stack.cfo.v1.PortfolioSummaryService/WatchPortfolio"
RECORD = "/stack.cfo.v1.PortfolioSummaryService/RecordPrices"
FAN_WATCH, FAN_FIRE, FAN_STATS = "/bench.Fanout/Watch", "/bench.Fanout/Fire", "/bench.Fanout/Stats"
NY = ZoneInfo("America/New_York")


# ---------------------------------------------------------------------------------------------
# The baseline server (its own process)
# ---------------------------------------------------------------------------------------------


async def _fanout_server(port: int, size: int) -> None:
    from stack_cfo.wiring.server import tune_gc

    tune_gc()  # the collector settings of `stack-cfo serve` (thresholds, start-up frozen), for a fair baseline
    payload = b"\x0a" + b"x" * max(0, size - 1)
    events: set[asyncio.Event] = set()
    # When the server's last send of the round completed (grpc resumes the generator after the
    # message was handed to the transport): compared with the clients' last arrival, it shows
    # how much of the measured tail is the client's (one time.monotonic() per message).
    last_sent = [0.0]

    async def watch(request: bytes, context: grpc.aio.ServicerContext) -> Any:
        event = asyncio.Event()
        events.add(event)
        try:
            yield payload
            while True:
                await event.wait()
                event.clear()
                yield payload
                last_sent[0] = time.monotonic()
        finally:
            events.discard(event)

    async def stats(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return json.dumps({"streams": len(events), "last_sent": last_sent[0]}).encode()

    async def fire(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        for e in events:
            e.set()
        return b""

    server = grpc.aio.server()
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("bench.Fanout", {
        "Watch": grpc.unary_stream_rpc_method_handler(watch),
        "Fire": grpc.unary_unary_rpc_method_handler(fire),
        "Stats": grpc.unary_unary_rpc_method_handler(stats),
    }),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


# ---------------------------------------------------------------------------------------------
# The watchers: bench/watchclient (Go) processes, each holding its share of the streams
# ---------------------------------------------------------------------------------------------


class Clients:
    """The client processes of one phase."""

    def __init__(self, procs: list[asyncio.subprocess.Process], shares: list[int]) -> None:
        self.procs, self.shares = procs, shares
        self.counts: list[dict[int, int]] = [{} for _ in procs]
        self.reconnects = 0

    def cpu(self) -> float:
        """CPU seconds the client processes used so far."""
        return sum(_cpu(p.pid) for p in self.procs)

    @classmethod
    async def start(cls, binary: Path, target: str, method: str, streams: list[tuple[str, str]], clients: int,
                    per_connection: int, bdp: bool) -> Clients:
        procs, shares = [], []
        # One core at most, whatever it is given; no garbage collection while measuring (a
        # collection stops the one thread reading, and arrivals behind it are stamped late).
        env = {**os.environ, "GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "2GiB"}
        for c in range(clients):
            share = streams[c::clients]
            proc = await asyncio.create_subprocess_exec(
                str(binary), cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, limit=1 << 26)
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"target": target, "method": method, "streams": share,
                                         "per_connection": per_connection, "bdp": bdp}).encode() + b"\n")
            await proc.stdin.drain()
            procs.append(proc)
            shares.append(len(share))
        return cls(procs, shares)

    async def wait_round(self, k: int, timeout: float) -> None:
        """Until every client saw every one of its streams get message ``k`` (0 = the initial one)."""

        async def one(i: int) -> None:
            proc = self.procs[i]
            assert proc.stdout is not None
            while self.counts[i].get(k, 0) < self.shares[i]:
                line = await proc.stdout.readline()
                if not line:
                    raise RuntimeError(f"client {i} exited")
                msg = json.loads(line)
                if "error" in msg:
                    raise RuntimeError(f"client {i}: {msg['error']}")
                self.counts[i][msg["round"]] = msg["count"]

        async def progress() -> None:
            while True:
                await asyncio.sleep(15)
                print(f"  ... waiting for message {k}: {sum(c.get(k, 0) for c in self.counts):,} of "
                      f"{sum(self.shares):,}", file=sys.stderr, flush=True)

        shown = asyncio.create_task(progress())
        try:
            await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(len(self.procs)))), timeout)
        finally:
            shown.cancel()

    async def finish(self) -> tuple[dict[int, list[float]], float]:
        arrivals: dict[int, list[float]] = {}
        sizes = []
        for proc in self.procs:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(b"done\n")
            await proc.stdin.drain()
        for proc in self.procs:
            assert proc.stdout is not None
            while True:
                line = await proc.stdout.readline()
                if not line:
                    break
                msg = json.loads(line)
                if "arrivals" in msg:
                    for k, times in msg["arrivals"].items():
                        arrivals.setdefault(int(k), []).extend(times)
                    sizes.append(msg["size"])
                    self.reconnects += msg["reconnects"]
                    break
            await proc.wait()
        return arrivals, statistics.median(sizes) if sizes else 0.0


# ---------------------------------------------------------------------------------------------
# Set-up
# ---------------------------------------------------------------------------------------------


async def _seed(dsn: str, users: list[str], positions: int, days: list[date]) -> None:
    db = Database(dsn, PoolSettings(min_size=1, max_size=4))
    await db.open()
    repo = PortfolioRepository(db)
    rng = np.random.default_rng(7)
    symbols = ["HOT", *(f"S{i:03d}" for i in range(positions - 1))]
    points: list[PriceInput] = []
    for s in [*symbols, "SPY"]:
        price = 100.0
        for d in days:
            price *= 1.0 + float(rng.normal(0.0004, 0.015))
            points.append(PriceInput(symbol=s, at=d, close=Decimal(f"{price:.4f}"), currency="USD"))
    with system_scope("bench"):  # prices are shared data
        await repo.record_prices(points, idempotency=None)
    first = datetime.combine(days[0], dtime(18), tzinfo=NY).astimezone(UTC)

    async def sync(user: str) -> None:
        holdings = tuple(HoldingInput(symbol=s, quantity=Decimal(int(rng.integers(1, 500))),
                                      average_cost=Decimal("50.25"), currency="USD") for s in symbols)
        with user_scope(user):  # the user's own sync (row-level security)
            await repo.sync_portfolio(SyncCommand(user, holdings, Decimal("2500.00"), "USD"), effective=days[0],
                                      synced_at=first, idempotency=None)

    for i in range(0, len(users), 8):
        await asyncio.gather(*(sync(u) for u in users[i:i + 8]))
    await db.close()


def _raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by every child
    return hard


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _round_p99(phase: Phase) -> float:
    """The median over rounds of each round's p99 (one round slowed by another process on the
    machine moves it less than the p99 of all rounds pooled)."""
    return statistics.median(_pct(r, .99) for r in phase.rounds)


def _cpu(pid: int) -> float:
    """CPU seconds of a process and its children."""
    total = 0.0
    proc = psutil.Process(pid)
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            t = p.cpu_times()
            total += t.user + t.system
    return total


def _computations(port: int) -> float:
    """The server's count of summaries computed (its Prometheus endpoint)."""
    return _metric(port, "stack_cfo_portfolio_summary_computations_total")


def _metric(port: int, name: str) -> float:
    """One unlabelled sample of the server's Prometheus endpoint."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise RuntimeError(f"no {name} in /metrics")


def _rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return int(proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True)))


# ---------------------------------------------------------------------------------------------
# The phases
# ---------------------------------------------------------------------------------------------


@dataclass
class Phase:
    rounds: list[list[float]]  # the latencies of each round
    server_cpu: float  # CPU seconds per round, from the fire to the last delivery
    client_cpu: float
    sent: list[float]  # per round, when the server's last send completed (baseline only)

    @property
    def latencies(self) -> list[float]:
        """Every round's, pooled."""
        return [t for r in self.rounds for t in r]

    @property
    def worst(self) -> list[float]:
        """Each round's slowest."""
        return [max(r) for r in self.rounds]


async def _phase(label: str, clients: Clients, fire: Any, rounds: int, spacing: float, watchers: int,
                 server_pid: int, profile: str | None = None, last_sent: Any = None) -> Phase:
    """Per round: fire, then wait for every watcher's update. ``profile``: py-spy's samples of the
    server during the rounds go there (raw, "stack count" lines)."""
    starts: dict[int, float] = {}
    sent: list[float] = []
    server_cpu = client_cpu = 0.0
    spy = None
    if profile:
        spy = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("py-spy")), "record", "-p", str(server_pid), "-r", "100", "-f", "raw",
            "-o", profile, "--nonblocking", stdout=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(1)
    for k in range(1, rounds + 1):
        await asyncio.sleep(spacing)
        s0, c0 = _cpu(server_pid), clients.cpu()
        starts[k] = time.monotonic()
        await fire(k)
        await clients.wait_round(k, timeout=120)
        server_cpu += _cpu(server_pid) - s0
        client_cpu += clients.cpu() - c0
        if last_sent is not None:
            sent.append(await last_sent() - starts[k])
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    arrivals, _ = await clients.finish()
    per_round: list[list[float]] = []
    for k, t0 in starts.items():
        got = [t - t0 for t in arrivals.get(k, [])]
        assert len(got) == watchers, f"{label} round {k}: {len(got)} of {watchers} updates"
        per_round.append(got)
    return Phase(per_round, server_cpu / rounds, client_cpu / rounds, sent)


async def _run(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    binary = await asyncio.to_thread(build_go, "watchclient", Path(tmp) / "go")
    users = [str(uuid.uuid4()) for _ in range(args.users)]
    days = _trading_days(datetime.now(NY).date() - timedelta(days=1), args.days)
    t = time.perf_counter()
    await _seed(dsn, users, args.positions, days)
    bdp = "on" if args.bdp else "off"
    print(f"seeded {args.users} portfolios x {args.positions} positions x {args.days} days "
          f"in {time.perf_counter() - t:.1f}s; {args.watchers:,} watchers, {args.watchers // args.users} per "
          f"portfolio, {args.clients} Go client process(es) (GOMAXPROCS=1, BDP pings {bdp}), "
          f"{args.per_connection} stream(s) per connection; cpus: {os.cpu_count()}; "
          f"RLIMIT_NOFILE {resource.getrlimit(resource.RLIMIT_NOFILE)[0]}")

    port, fan_port, metrics_port = free_port(), free_port(), free_port()
    env = {**os.environ, **server_env(), "DATABASE_URL": dsn, "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
           "STACK_CFO_METRICS_LISTEN": f"127.0.0.1:{metrics_port}", "STACK_CFO_LOG_LEVEL": "WARNING",
           "STACK_CFO_DATA_DIR": tmp,
           "STACK_CFO_DRAIN_DELAY": "0s", "STACK_CFO_SHUTDOWN_GRACE": "1s",
           "STACK_CFO_MAX_STREAMS_PER_USER": "100000", "STACK_CFO_MAX_CALLS_IN_FLIGHT_PER_USER": "100000",
           "STACK_CFO_RATE_LIMIT_USER_STREAMS": "100000/second",
           "STACK_CFO_RATE_LIMIT_SERVICE_WRITES": "100000/second"}
    # Every open watch is an RPC in flight: server.max_concurrent_rpcs (default 1000) must exceed them.
    config = Path(tmp) / "watches.yaml"
    config.write_text(json.dumps({"server": {"max_concurrent_rpcs": args.watchers + 1000}}))
    env["STACK_CFO_CONFIG"] = str(config)
    server = await asyncio.to_thread(subprocess.Popen, [sys.executable, "-m", "stack_cfo.cli", "serve"], cwd=ROOT,
                                     env=env)
    fanout: subprocess.Popen[bytes] | None = None
    try:
        await wait_ready(f"127.0.0.1:{port}")
        target = f"127.0.0.1:{port}"
        watch_reqs = [portfolio_pb2.WatchPortfolioRequest(portfolio=f"users/{u}/portfolio",
                                                          min_interval={"seconds": 1}).SerializeToString().hex()
                      for u in users]
        auths = [dict(bearer(u, ttl=6 * 3600))["authorization"] for u in users]
        streams = [(watch_reqs[i % args.users], auths[i % args.users]) for i in range(args.watchers)]
        service = bearer(service="bench")
        today = datetime.now(NY).date()
        async with grpc.aio.insecure_channel(target) as ch:
            record = ch.unary_unary(RECORD, request_serializer=portfolio_pb2.RecordPricesRequest.SerializeToString,
                                    response_deserializer=portfolio_pb2.RecordPricesResponse.FromString)
            # One watch of one portfolio first: the size of an update, for the baseline's payload.
            probe_call = ch.unary_stream(WATCH)(bytes.fromhex(watch_reqs[0]), metadata=(("authorization", auths[0]),))
            probe = await probe_call.read()
            probe_call.cancel()  # the rounds measure exactly --watchers watches
            size = len(probe)

            async def fire_server(k: int) -> None:
                resp = await record(portfolio_pb2.RecordPricesRequest(points=[portfolio_pb2.PricePoint(
                    symbol="HOT", date=common_pb2.Date(year=today.year, month=today.month, day=today.day),
                    close=f"{150 + k}.25", currency="USD")]), metadata=service, timeout=30)
                assert resp.inserted_count + resp.updated_count == 1, resp

            # -- baseline: the bare fan-out, same streams, same clients
            fanout = await asyncio.to_thread(
                subprocess.Popen, [sys.executable, __file__, "--fanout-server", str(fan_port), str(size)], cwd=ROOT)
            fan_target = f"127.0.0.1:{fan_port}"
            async with grpc.aio.insecure_channel(fan_target) as fch:
                fire_call = fch.unary_unary(FAN_FIRE)
                for _ in range(100):
                    try:
                        await fire_call(b"", timeout=1)
                        break
                    except grpc.aio.AioRpcError:
                        await asyncio.sleep(0.1)
                fan_idle = _rss(fanout.pid)
                t = time.perf_counter()
                clients = await Clients.start(binary, fan_target, FAN_WATCH, [("", "-")] * args.watchers, args.clients,
                                              args.per_connection, args.bdp)
                await clients.wait_round(0, timeout=600)
                fan_open = time.perf_counter() - t
                fan_full = _rss(fanout.pid)

                async def fire_fan(k: int) -> None:
                    await fire_call(b"", timeout=30)

                stats_call = fch.unary_unary(FAN_STATS)

                async def fan_stats() -> dict[str, Any]:
                    return json.loads(await stats_call(b"", timeout=30))  # type: ignore[no-any-return]

                async def fan_last_sent() -> float:
                    return float((await fan_stats())["last_sent"])

                fan_clients = clients
                fan_streams = (await fan_stats())["streams"]
                assert fan_streams == args.watchers, f"the bare server holds {fan_streams} streams"
                base = await _phase("baseline", clients, fire_fan, args.rounds, 1.5, args.watchers, fanout.pid,
                                    last_sent=fan_last_sent)
            fanout.terminate()
            fanout.wait(10)
            fanout = None

            # -- the real server
            idle = _rss(server.pid)
            t = time.perf_counter()
            clients = await Clients.start(binary, target, WATCH, streams, args.clients, args.per_connection, args.bdp)
            await clients.wait_round(0, timeout=1200)
            opened = time.perf_counter() - t
            full = _rss(server.pid)
            computed = await asyncio.to_thread(_computations, metrics_port)
            held = await asyncio.to_thread(_metric, metrics_port, "stack_cfo_portfolio_watchers")
            assert held == args.watchers, f"the server holds {held:.0f} watches"
            real = await _phase("server", clients, fire_server, args.rounds, 1.5, args.watchers, server.pid,
                                args.profile)
            after = _rss(server.pid)
            computed = (await asyncio.to_thread(_computations, metrics_port) - computed) / args.rounds
    finally:
        for p in (server, fanout):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()

    mib = 1 << 20
    lat, p99, fan_p99 = real.latencies, _pct(real.latencies, .99), _pct(base.latencies, .99)
    print(f"update size: {size:,} bytes; rounds: {args.rounds}; load average now {os.getloadavg()[0]:.1f}")
    print(f"bare fan-out (baseline): opened {args.watchers:,} streams in {fan_open:.1f}s; RSS {fan_idle / mib:.0f} "
          f"-> {fan_full / mib:.0f} MiB; latency p10 {_pct(base.latencies, .1) * 1e3:.0f} ms, "
          f"p50 {_pct(base.latencies, .5) * 1e3:.0f} ms, p99 "
          f"{fan_p99 * 1e3:.0f} ms (per round, median of rounds: {_round_p99(base) * 1e3:.0f} ms), max "
          f"{max(base.worst) * 1e3:.0f} ms; CPU per round: server "
          f"{base.server_cpu:.2f}s, watch clients {base.client_cpu:.2f}s; {fan_clients.reconnects} stream(s) "
          f"reconnected while opening; {fan_streams:,} streams held by the server")
    print(f"                         server's last send of a round completed after (median of rounds) "
          f"{statistics.median(base.sent) * 1e3:.0f} ms, the last arrival at the clients "
          f"{statistics.median(base.worst) * 1e3:.0f} ms")
    print(f"stack-cfo serve:         opened {args.watchers:,} streams in {opened:.1f}s; RSS {idle / mib:.0f} -> "
          f"{full / mib:.0f} MiB with every watch open ({after / mib:.0f} MiB after the rounds; goal <= "
          f"{GOAL_RSS / mib:.0f}); per watch {(full - idle) / args.watchers / 1024:.1f} KiB; "
          f"{clients.reconnects} stream(s) reconnected while opening; {held:,.0f} watches held by the server")
    print(f"                         latency RecordPrices -> every watcher: p10 {_pct(lat, .1) * 1e3:.0f} ms, "
          f"p50 {_pct(lat, .5) * 1e3:.0f} ms, "
          f"p99 {p99 * 1e3:.0f} ms (per round, median of rounds: {_round_p99(real) * 1e3:.0f} ms), max "
          f"{max(real.worst) * 1e3:.0f} ms (goal p99 <= {GOAL_P99 * 1e3:.0f} ms); "
          f"CPU per round: server {real.server_cpu:.2f}s, watch clients {real.client_cpu:.2f}s; "
          f"{computed:.0f} summaries computed per change ({args.users} portfolios watched)")
    for name, phase in (("bare fan-out", base), ("stack-cfo serve", real)):
        print(f"{name + ': each round':25s}  p10/p50/p99/max " + ", ".join(
            "/".join(f"{v * 1e3:.0f}" for v in (_pct(r, .1), _pct(r, .5), _pct(r, .99), w))
            for r, w in zip(phase.rounds, phase.worst, strict=True)) + " ms")
    print(f"ratio p99 server / bare fan-out: {p99 / fan_p99:.2f}x; "
          f"p99 {'meets' if p99 <= GOAL_P99 else 'MISSES'} the goal, RSS "
          f"{'meets' if full <= GOAL_RSS else 'MISSES'} the goal")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--fanout-server":
        asyncio.run(_fanout_server(int(sys.argv[2]), int(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--watchers", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=200, help="distinct portfolios the watchers watch")
    parser.add_argument("--clients", type=int, default=1, help="Go watch client processes (GOMAXPROCS=1 each)")
    parser.add_argument("--per-connection", type=int, default=1, help="streams per HTTP/2 connection")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--positions", type=int, default=10)
    parser.add_argument("--days", type=int, default=260)
    parser.add_argument("--bdp", action="store_true",
                        help="watch clients estimate bandwidth-delay (a PING per burst of data; default: fixed "
                        "windows)")
    parser.add_argument("--profile", help="write py-spy samples of the server during the rounds to this file")
    args = parser.parse_args()
    hard = _raise_nofile()
    need = args.watchers // args.per_connection + 500
    if need > hard:
        sys.exit(f"{need} file descriptors needed, the hard limit is {hard}: raise --per-connection")
    with bench_database("watches") as (dsn, tmp):
        asyncio.run(_run(args, dsn, tmp))


if __name__ == "__main__":
    main()
