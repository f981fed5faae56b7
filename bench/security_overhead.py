"""What the edge defences cost: GetPortfolioSummary throughput with the per-principal limits on
versus off, and over TLS versus plain text, all measured in the same run.

Run: ``.venv/bin/python bench/security_overhead.py [--positions 50] [--days 252] [--concurrency 64]
[--seconds 3] [--rounds 3]``

Separate ``stack-cfo serve`` processes over one PostgreSQL database (``DATABASE_URL`` or an
embedded server) and one seeded portfolio (the helpers of ``bench/portfolio_summary.py``):

- ``limits off``: ``STACK_CFO_RATE_LIMIT_ENABLED=false`` (the baseline);
- ``limits on``: the in-memory limits (the default storage), with rates far above the load so
  every call is counted and none refused (a refusal is cheaper than a summary and would flatter);
- ``limits on, redis``: the same with ``STACK_CFO_RATE_LIMIT_STORAGE`` on the local Redis, when
  one answers on 127.0.0.1:6379 (reported, not part of the goal: it adds a round trip per window);
- ``TLS``: limits on plus TLS from certificate files made for the run;
- ``RLS off``: limits on, but the pool keeps the login user (``STACK_CFO_DB_ROLE=""``, a
  superuser here, which bypasses row-level security); every other arm runs with row-level
  security on (the default: ``SET ROLE stack_cfo_app`` and the acting user set per transaction).
  Goals: ``limits on`` >= 0.90 x ``RLS off`` in throughput, and a 20-message ``GetSession`` (one
  caller, sequential calls, alternating between the two servers) at most 2 ms slower at p50.

One client process drives ``--concurrency`` callers over one channel per server; rounds alternate
between the servers and the best round of each is reported, with the server's CPU time per call
(the steadier figure when other work shares the machine's cores). Goal: limits on >= 0.90 x
limits off (at most a 10 % drop). TLS versus plain text is reported.

Then the encryption-at-rest arm (``bench/security_encryption.py``): encryption on versus off for
GetPortfolioSummary throughput, SendMessage first-delta p50 and a 20-message GetSession p50
(``--skip-encryption`` leaves it out).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import psutil
from portfolio_summary import (  # type: ignore[import-not-found]
    NY,
    SUMMARY_METHOD,
    _load,
    _pct,
    _seed,
    _stop,
    _trading_days,
)
from security_encryption import add_arguments, run_encryption_arm  # type: ignore[import-not-found]
from server_common import bearer, bench_database, free_port, server_env  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2  # noqa: E402
from stack_cfo.core.chat.models import NewSession, PortfolioContext  # noqa: E402
from stack_cfo.core.data_scope import user_scope  # noqa: E402
from stack_cfo.store.chat import ChatRepository  # noqa: E402
from stack_cfo.store.db import Database, PoolSettings  # noqa: E402
from tests.support.certs import CertificateAuthority  # noqa: E402
from tests.support.proc import wait_ready  # noqa: E402

GOAL = 0.90
RLS_OFF = "RLS off (limits on)"
ALL_OFF = "all off"
RLS_GET_SESSION_GOAL_MS = 2.0
GET_SESSION = "/stack.cfo.v1.ChatService/GetSession"
HIGH = "1000000/second"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _variants(tmp: str) -> tuple[dict[str, dict[str, str]], bytes]:
    ca = CertificateAuthority("bench CA")
    cert, key = ca.issue("stack-cfo", server=True).write(Path(tmp), "server")
    limits_on = {"STACK_CFO_RATE_LIMIT_ENABLED": "true", "STACK_CFO_RATE_LIMIT_USER_READS": HIGH,
                 "STACK_CFO_MAX_CALLS_IN_FLIGHT_PER_USER": "100000"}
    variants = {
        "limits off": {"STACK_CFO_RATE_LIMIT_ENABLED": "false"},
        "limits on": limits_on,
        "TLS (limits on)": {**limits_on, "STACK_CFO_TLS_CERT_FILE": str(cert), "STACK_CFO_TLS_KEY_FILE": str(key)},
    }
    variants[RLS_OFF] = {**limits_on, "STACK_CFO_DB_ROLE": ""}
    # Every defence off at once (limits, row-level security, encryption at rest): the baseline of "all on",
    # which is ``limits on`` (row-level security and encryption are on by default).
    variants[ALL_OFF] = {"STACK_CFO_RATE_LIMIT_ENABLED": "false", "STACK_CFO_DB_ROLE": "",
                         "STACK_CFO_ENCRYPT_AT_REST": "false"}
    if _redis_answers():
        variants["limits on, redis"] = {**limits_on, "STACK_CFO_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0"}
    return variants, ca.pem


def _start(dsn: str, tmp: str, variants: dict[str, dict[str, str]]) -> dict[str, tuple[subprocess.Popen[bytes], int]]:
    out = {}
    for name, extra in variants.items():
        port = free_port()
        env = {**os.environ, **server_env(), "DATABASE_URL": dsn, "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
               "STACK_CFO_METRICS_LISTEN": "off", "STACK_CFO_LOG_LEVEL": "WARNING", "STACK_CFO_DATA_DIR": tmp,
               "STACK_CFO_DRAIN_DELAY": "0s", "STACK_CFO_SHUTDOWN_GRACE": "1s", **extra}
        out[name] = (subprocess.Popen([sys.executable, "-m", "stack_cfo.cli", "serve"], cwd=ROOT, env=env), port)
    return out


async def _run(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    user = str(uuid.uuid4())
    days = _trading_days(datetime.now(NY).date() - timedelta(days=1), args.days)
    await _seed(dsn, user, args.positions, days)
    session = await _seed_session(dsn, user, args.messages)
    variants, ca_pem = _variants(tmp)
    servers = _start(dsn, tmp, variants)
    try:
        channels: dict[str, grpc.aio.Channel] = {}
        for name, (_, port) in servers.items():
            health = os.environ.get("BENCH_HEALTH_TIMEOUT", "60")
            target = f"127.0.0.1:{port}"
            creds = grpc.ssl_channel_credentials(ca_pem) if "TLS" in name else None
            await wait_ready(target, float(health), credentials=creds)
            channels[name] = (grpc.aio.secure_channel(target, creds) if creds is not None
                              else grpc.aio.insecure_channel(target))
        md = bearer(user)
        body = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=f"users/{user}/portfolio").SerializeToString()

        def caller(ch: grpc.aio.Channel) -> Callable[[], Awaitable[bytes]]:
            get = ch.unary_unary(SUMMARY_METHOD)

            async def call() -> bytes:
                return await get(body, metadata=md, timeout=10)  # type: ignore[no-any-return]

            return call

        calls = {name: caller(ch) for name, ch in channels.items()}
        for call in calls.values():  # warm-up (cache filled, connections made)
            await _load(call, args.concurrency, 1.0)
        results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in calls}
        cpu: dict[str, list[float]] = {name: [] for name in calls}
        procs = {name: psutil.Process(p.pid) for name, (p, _) in servers.items()}
        for _ in range(args.rounds):
            for name, call in calls.items():
                before = sum(procs[name].cpu_times()[:2])
                rps, lat = await _load(call, args.concurrency, args.seconds)
                cpu[name].append((sum(procs[name].cpu_times()[:2]) - before) / len(lat))
                results[name].append((rps, lat))
        session_p50 = await _get_session_p50(channels, md, session, args)
        for ch in channels.values():
            await ch.close()
    finally:
        _stop([p for p, _ in servers.values()])

    best = {name: max(runs, key=lambda r: r[0]) for name, runs in results.items()}
    per_call = {name: min(v) for name, v in cpu.items()}
    print(f"GetPortfolioSummary, {args.positions} positions x {args.days} days; {args.concurrency} concurrent "
          f"callers; best of {args.rounds} rounds of {args.seconds:.0f}s; cpus: {os.cpu_count()}")
    for name, (rps, lat) in best.items():
        print(f"{name + ':':22s} {rps:9.0f} req/s   p50 {_pct(lat, 0.50):6.2f} ms   p99 {_pct(lat, 0.99):6.2f} ms   "
              f"server CPU {per_call[name] * 1e6:5.0f} us/call")
    base = best["limits off"][0]
    ratio = best["limits on"][0] / base
    cpu_ratio = per_call["limits off"] / per_call["limits on"]
    print(f"limits on / off throughput: {ratio:.3f} (drop {100 * (1 - ratio):.1f} %); by server CPU per call: "
          f"{cpu_ratio:.3f} (drop {100 * (1 - cpu_ratio):.1f} %) -> "
          f"{'meets' if max(ratio, cpu_ratio) >= GOAL else 'misses'} goal: drop <= {100 * (1 - GOAL):.0f} % "
          "(the CPU figure is the steadier one on a shared machine)")
    if "limits on, redis" in best:
        print(f"limits on with Redis / off throughput: {best['limits on, redis'][0] / base:.3f} (reported)")
    _report_rls(best, per_call, session_p50, args)
    all_ratio = best["limits on"][0] / best[ALL_OFF][0]
    all_cpu = per_call[ALL_OFF] / per_call["limits on"]
    print(f"all on (limits, RLS, encryption) / all off throughput: {all_ratio:.3f} "
          f"(drop {100 * (1 - all_ratio):.1f} %); "
          f"by server CPU per call: {all_cpu:.3f} -> {'meets' if max(all_ratio, all_cpu) >= GOAL else 'misses'} goal: "
          f"drop <= {100 * (1 - GOAL):.0f} %")
    print(f"TLS / plain text throughput (both with limits): {best['TLS (limits on)'][0] / best['limits on'][0]:.3f} "
          f"(reported); p50 {_pct(best['TLS (limits on)'][1], .5):.2f} ms vs {_pct(best['limits on'][1], .5):.2f} ms")


async def _seed_session(dsn: str, user: str, messages: int) -> str:
    """A chat session of ``messages`` turns' worth of messages (user and assistant in turn)."""
    db = Database(dsn, PoolSettings(min_size=1, max_size=1))
    await db.open()
    sid = str(uuid.uuid4())
    now = datetime.now(NY)
    try:
        with user_scope(user):  # the user's own rows (row-level security)
            await ChatRepository(db).create_session(NewSession(
                id=sid, user_id=user, title="bench", provider="router", model="m",
                context=PortfolioContext.empty(now), auto_summarize=False, summarize_interval=20, created_at=now,
            ))
            async with db.transaction() as conn:
                last = None
                for seq in range(1, messages + 1):
                    mid = str(uuid.uuid4())
                    role = "user" if seq % 2 else "assistant"
                    await conn.execute(
                        "INSERT INTO chat_messages (id, session_id, seq, role, content, reply_to, request_id) "
                        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        (mid, sid, seq, role, f"message {seq}: " + "how is my portfolio doing " * 8,
                         last if role == "assistant" else None, str(uuid.uuid4()) if role == "user" else None),
                    )
                    last = mid
                await conn.execute("UPDATE chat_sessions SET message_count = %s WHERE id = %s", (messages, sid))
    finally:
        await db.close()
    return f"users/{user}/sessions/{sid}"


async def _get_session_p50(
    channels: dict[str, grpc.aio.Channel], md: tuple[tuple[str, str], ...], session: str, args: argparse.Namespace
) -> dict[str, float]:
    """p50 (ms) of sequential GetSession calls, RLS on (``limits on``) versus off, rounds alternating."""
    body = chat_pb2.GetSessionRequest(name=session).SerializeToString()
    lat: dict[str, list[float]] = {"limits on": [], RLS_OFF: []}
    calls = {name: channels[name].unary_unary(GET_SESSION) for name in lat}
    for call in calls.values():  # warm-up
        for _ in range(20):
            await call(body, metadata=md, timeout=10)
    for _ in range(args.rounds * 4):
        for name, call in calls.items():
            for _ in range(max(10, args.session_calls // (args.rounds * 4))):
                t0 = time.perf_counter()
                await call(body, metadata=md, timeout=10)
                lat[name].append(time.perf_counter() - t0)
    return {name: _pct(v, 0.50) for name, v in lat.items()}  # ms


def _report_rls(
    best: dict[str, tuple[float, list[float]]], per_call: dict[str, float], session_p50: dict[str, float],
    args: argparse.Namespace,
) -> None:
    ratio = best["limits on"][0] / best[RLS_OFF][0]
    cpu_ratio = per_call[RLS_OFF] / per_call["limits on"]
    print(f"RLS on / off throughput (both with limits): {ratio:.3f} (drop {100 * (1 - ratio):.1f} %); by server "
          f"CPU per call: {cpu_ratio:.3f} -> {'meets' if max(ratio, cpu_ratio) >= GOAL else 'misses'} goal: "
          f"drop <= {100 * (1 - GOAL):.0f} %")
    gain = session_p50["limits on"] - session_p50[RLS_OFF]
    print(f"GetSession ({args.messages} messages) p50: RLS on {session_p50['limits on']:.2f} ms, off "
          f"{session_p50[RLS_OFF]:.2f} ms: {gain:+.2f} ms -> "
          f"{'meets' if gain <= RLS_GET_SESSION_GOAL_MS else 'misses'} goal: <= +{RLS_GET_SESSION_GOAL_MS:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--positions", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="RLS arm: messages in the GetSession session")
    parser.add_argument("--session-calls", type=int, default=600, help="RLS arm: GetSession calls per server")
    parser.add_argument("--days", type=int, default=252)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    add_arguments(parser)
    args = parser.parse_args()
    with bench_database("bench_security") as (dsn, tmp):
        asyncio.run(_run(args, dsn, tmp))
        run_encryption_arm(args, dsn, tmp)  # encryption at rest on versus off (bench/security_encryption.py)


if __name__ == "__main__":
    main()
