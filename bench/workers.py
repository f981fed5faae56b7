"""GetPortfolioSummary throughput of ``stack-cfo serve --workers 2`` against ``--workers 1``, same run.

Run: ``.venv/bin/python bench/workers.py [--positions 50] [--days 504] [--concurrency 64] [--conns 8]
[--seconds 5] [--rounds 2] [--client go|h2load]``

The real server (its own processes, PostgreSQL from ``DATABASE_URL`` or an embedded server, limits
on but far above the load) serves a cached ``GetPortfolioSummary`` of ``--positions`` positions x
``--days`` daily closes to ``--concurrency`` callers over ``--conns`` connections. Rounds
alternate (1 worker, 2 workers, ...) and the best round of each is reported with its ratio.
Goal: 2 workers >= 1.7 x 1 worker on a 2-core machine.

**Keeping the load generator from eating the gain.** With 2 cores, every CPU-second the client
spends is taken from the second worker. So the load comes from ``bench/loadgen`` (Go, built here
with Debian's Go toolchain and gRPC, offline): it sends pre-encoded request bytes and reads the
response as bytes (no protobuf work), runs with ``GOMAXPROCS=1``, and costs a few percent of the
server's CPU per call (a Python grpc.aio client costs about as much as the server itself, ~300 us
a call, and would halve what a second worker can add). The bench prints the client's and the
server's CPU per call, so the share the client took is visible in every run; on a quiet machine
the ceiling is ``2 cores - client share``. Several connections are needed: ``SO_REUSEPORT``
balances connections, not calls, over the workers.

``--client h2load`` drives the same load from nghttp2's ``h2load`` instead (C, one thread, the
wrk of HTTP/2; Debian's ``nghttp2-client``, installed when missing): it posts the pre-framed gRPC
request and counts answers without decoding them, at about a third of the Go generator's CPU per
call. gRPC errors are HTTP 200s too, so the bench checks each call received a full summary's bytes.

The machine must be otherwise idle for the ratio to mean anything (other processes take the
second core as surely as the client would).

**The ceiling on 2 cores.** One worker already uses more than one core: its main thread runs the
event loop and every handler (one core at most, the GIL), while grpc's completion-queue poller
and event-engine threads do the socket work beside it. The bench prints that split for one
worker and the ratio it allows: with ``main``, ``other`` and ``generator`` CPU per call, two
workers on two cores reach at most ``2 * main / (main + other + generator)`` of one worker. The
cheaper the handlers get (uvloop, the wrapper work), the lower that ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from go_load import build_loadgen, run_h2load, run_unary_load  # type: ignore[import-not-found]  # noqa: E402
from portfolio_summary import NY, SUMMARY_METHOD, _seed, _trading_days  # type: ignore[import-not-found]  # noqa: E402
from server_common import bearer, bench_database, free_port, server_env  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2  # noqa: E402
from tests.support.proc import wait_ready  # noqa: E402

GOAL = 1.7
CLIENTS = {"go": "Go load generator (GOMAXPROCS=1)", "h2load": "h2load (C, one thread)"}


def _tree_cpu(proc: psutil.Process) -> float:
    """CPU seconds of a process and its live children (the supervisor and its workers)."""
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _start(workers: int, dsn: str, tmp: str) -> tuple[subprocess.Popen[bytes], str, str]:
    port = free_port()
    env = {
        **os.environ,
        **server_env(),
        "DATABASE_URL": dsn,
        "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
        "STACK_CFO_METRICS_LISTEN": "off",
        "STACK_CFO_LOG_LEVEL": "WARNING",
        "STACK_CFO_DATA_DIR": tmp,
        "STACK_CFO_DRAIN_DELAY": "0s",
        "STACK_CFO_SHUTDOWN_GRACE": "1s",
        "STACK_CFO_RATE_LIMIT_USER_READS": "1000000/second",
        "STACK_CFO_MAX_CALLS_IN_FLIGHT_PER_USER": "100000",  # one user's callers: all in flight at once
    }
    proc = subprocess.Popen([sys.executable, "-m", "stack_cfo.cli", "serve", "--workers", str(workers)],
                            cwd=ROOT, env=env)
    return proc, f"127.0.0.1:{port}", env["STACK_CFO_HEALTH_LISTEN"]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        for c in psutil.Process(proc.pid).children(recursive=True):
            c.kill()
        proc.kill()
        proc.wait()


async def _warm(target: str, request: bytes, md: tuple[tuple[str, str], ...], conns: int) -> int:
    """One summary on every connection-to-be (each worker computes and caches its own)."""
    size = 0
    for _ in range(conns * 2):
        async with grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
            size = len(await ch.unary_unary(SUMMARY_METHOD)(request, metadata=md, timeout=30))
    return size


def _thread_cpu(proc: psutil.Process) -> tuple[float, float]:
    """(CPU seconds of the processes' main threads, of all their other threads) over the tree.
    A worker's main thread runs the event loop and every handler (one core at most, the GIL);
    the others are grpc's: its completion-queue poller and its event engine's I/O threads."""
    main = other = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            for t in p.threads():
                if t.id == p.pid:
                    main += t.user_time + t.system_time
                else:
                    other += t.user_time + t.system_time
        except psutil.NoSuchProcess:
            pass
    return main, other


def _round(args: argparse.Namespace, loadgen: Path, workers: int, dsn: str, tmp: str, request: bytes,
           token: str, md: tuple[tuple[str, str], ...]) -> dict[str, float]:
    proc, target, health = _start(workers, dsn, tmp)
    try:
        asyncio.run(wait_ready(health, timeout=120))
        size = asyncio.run(_warm(target, request, md, args.conns))
        server = psutil.Process(proc.pid)
        cpu0, (main0, other0) = _tree_cpu(server), _thread_cpu(server)
        if args.client == "h2load":
            r = run_h2load(target, SUMMARY_METHOD, request, token, conns=args.conns, concurrency=args.concurrency,
                           seconds=args.seconds, response_bytes=size)
        else:
            r = run_unary_load(loadgen, target, SUMMARY_METHOD, request, token, conns=args.conns,
                               concurrency=args.concurrency, seconds=args.seconds)
        server_cpu = _tree_cpu(server) - cpu0  # includes the 1 s warm-up of the load generator
        main1, other1 = _thread_cpu(server)
        calls = r["calls"] * (args.seconds + 1) / args.seconds
        return {"workers": workers, "rps": r["rps"], "p50": r["p50_ms"], "p99": r["p99_ms"],
                "client_us": r["cpu_seconds"] / r["calls"] * 1e6,
                "server_us": server_cpu / calls * 1e6, "size": size,
                "main_us": (main1 - main0) / calls * 1e6, "other_us": (other1 - other0) / calls * 1e6}
    finally:
        _stop(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--days", type=int, default=504)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--conns", type=int, default=8, help="connections (SO_REUSEPORT balances these)")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=("go", "h2load"), default="go",
                        help="the load generator: bench/loadgen (Go) or nghttp2's h2load (C)")
    args = parser.parse_args()
    with bench_database("workers") as (dsn, tmp), tempfile.TemporaryDirectory(prefix="loadgen-") as build:
        loadgen = build_loadgen(Path(build))
        user = str(uuid.uuid4())
        days = _trading_days(datetime.now(NY).date() - timedelta(days=1), args.days)
        t = time.perf_counter()
        asyncio.run(_seed(dsn, user, args.positions, days))
        print(f"seeded {args.positions} positions x {args.days} days in {time.perf_counter() - t:.1f}s")
        md = bearer(user)
        token = md[0][1].removeprefix("Bearer ")
        request = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=f"users/{user}/portfolio").SerializeToString()
        results: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for _ in range(args.rounds):
            for n in (1, 2):
                results[n].append(_round(args, loadgen, n, dsn, tmp, request, token, md))
    best = {n: max(rs, key=lambda r: r["rps"]) for n, rs in results.items()}
    print(f"GetPortfolioSummary ({best[1]['size']:,.0f} bytes), {args.concurrency} callers over {args.conns} "
          f"connections, {CLIENTS[args.client]}; best of {args.rounds} rounds of {args.seconds}s; "
          f"cpus: {os.cpu_count()}; load average now {os.getloadavg()[0]:.1f}")
    for n in (1, 2):
        r = best[n]
        latency = (f"mean {r['p50']:6.2f} ms" if args.client == "h2load"  # h2load prints no percentiles
                   else f"p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms")
        print(f"--workers {n}: {r['rps']:8.0f} req/s   {latency}   "
              f"server CPU {r['server_us']:5.0f} us/call   load generator CPU {r['client_us']:4.0f} us/call")
    one = best[1]
    ceiling = 2 * one["main_us"] / (one["main_us"] + one["other_us"] + one["client_us"])
    print(f"one worker per call: main thread {one['main_us']:.0f} us (the event loop, bound to one core by the GIL), "
          f"grpc's other threads {one['other_us']:.0f} us, load generator {one['client_us']:.0f} us")
    print(f"ceiling of 2 workers / 1 worker on 2 cores, 2*main/(main+other+generator): {ceiling:.2f} "
          "(one worker already uses more than one core through grpc's threads)")
    ratio = best[2]["rps"] / best[1]["rps"]
    print(f"ratio 2 workers / 1 worker: {ratio:.2f} ({'meets' if ratio >= GOAL else 'below'} goal >= {GOAL})")


if __name__ == "__main__":
    main()
