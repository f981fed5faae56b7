"""RecordPrices of 10,000 points through the real server, against a raw COPY of the same rows.

Run: ``.venv/bin/python bench/record_prices.py [--points 10000] [--rounds 5]``

The server (``stack-cfo serve`` in its own process, PostgreSQL from ``DATABASE_URL`` or an embedded
server) parses and validates the request, COPYs it into a temporary table, upserts it with one
``INSERT ... ON CONFLICT DO UPDATE`` and notifies the changed symbols, in one transaction. The
baseline is the floor for getting the same rows into PostgreSQL: a psycopg ``COPY`` from this
process into a table with the same primary key (no RPC, no validation, no upsert). For contrast,
row-at-a-time INSERTs (one round trip per point) are timed on a sample. Insert rounds use new
symbols; update rounds rewrite the same keys with new closes. Best round of each is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import grpc
import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server_common import bearer, server_env  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2  # noqa: E402
from stack_cfo.store.migrations import Migrator  # noqa: E402
from tests.support.proc import wait_ready  # noqa: E402

DAYS_PER_SYMBOL = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _days(count: int) -> list[date]:
    out: list[date] = []
    d = date.today() - timedelta(days=1)
    while len(out) < count:
        if d.weekday() < 5:
            out.append(d)
        d -= timedelta(days=1)
    return out[::-1]


def _rows(prefix: str, points: int, bump: int) -> list[tuple[str, date, str]]:
    days = _days(DAYS_PER_SYMBOL)
    out = []
    for i in range(points):
        sym, day = divmod(i, DAYS_PER_SYMBOL)
        out.append((f"{prefix}{sym:04d}", days[day], f"{100 + (i % 37) + bump}.{i % 100:02d}"))
    return out


def _request(rows: list[tuple[str, date, str]]) -> portfolio_pb2.RecordPricesRequest:
    return portfolio_pb2.RecordPricesRequest(points=[
        portfolio_pb2.PricePoint(symbol=s, date=common_pb2.Date(year=d.year, month=d.month, day=d.day), close=c,
                                 currency="USD")
        for s, d, c in rows
    ])




def _copy_baseline(dsn: str, rows: list[tuple[str, date, str]]) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_copy (symbol text, trading_date date, close numeric, "
                     "previous_close numeric, currency text, PRIMARY KEY (symbol, trading_date))")
        conn.execute("TRUNCATE bench_copy")
        conn.commit()
        t = time.perf_counter()
        with conn.cursor() as cur, cur.copy("COPY bench_copy (symbol, trading_date, close, currency) FROM STDIN") as cp:
            for s, d, c in rows:
                cp.write_row((s, d, c, "USD"))
        conn.commit()
        return time.perf_counter() - t


def _row_at_a_time(dsn: str, rows: list[tuple[str, date, str]]) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute("TRUNCATE bench_copy")
        conn.commit()
        t = time.perf_counter()
        for s, d, c in rows:
            conn.execute("INSERT INTO bench_copy (symbol, trading_date, close, currency) VALUES (%s, %s, %s, 'USD') "
                         "ON CONFLICT (symbol, trading_date) DO UPDATE SET close = EXCLUDED.close", (s, d, c))
        conn.commit()
        return time.perf_counter() - t


def _start_server(dsn: str, tmp: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "STACK_CFO_LISTEN": f"127.0.0.1:{port}",
           "STACK_CFO_METRICS_LISTEN": "off", **server_env(), "STACK_CFO_LOG_LEVEL": "WARNING",
           "STACK_CFO_DATA_DIR": tmp, "STACK_CFO_DRAIN_DELAY": "0s", "STACK_CFO_SHUTDOWN_GRACE": "1s"}
    return subprocess.Popen([sys.executable, "-m", "stack_cfo.cli", "serve"], cwd=ROOT, env=env), port


async def _run(args: argparse.Namespace, dsn: str, port: int) -> None:
    inserts: list[float] = []
    updates: list[float] = []
    copies: list[float] = []
    await wait_ready(f"127.0.0.1:{port}")
    md = bearer(service="bench")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}",
                                         options=[("grpc.max_send_message_length", 16 << 20)]) as ch:
        record = ch.unary_unary(
            "/stack.cfo.v1.PortfolioSummaryService/RecordPrices",
            request_serializer=portfolio_pb2.RecordPricesRequest.SerializeToString,
            response_deserializer=portfolio_pb2.RecordPricesResponse.FromString,
        )
        for r in range(args.rounds):
            req = _request(_rows(f"I{r}X", args.points, 0))
            t = time.perf_counter()
            resp = await record(req, metadata=md, timeout=60)
            inserts.append(time.perf_counter() - t)
            assert resp.inserted_count == args.points, resp
            req = _request(_rows(f"I{r}X", args.points, 1))
            t = time.perf_counter()
            resp = await record(req, metadata=md, timeout=60)
            updates.append(time.perf_counter() - t)
            assert resp.updated_count == args.points, resp
            copies.append(_copy_baseline(dsn, _rows("C", args.points, r)))
    sample = min(args.points, 2000)
    slow = _row_at_a_time(dsn, _rows("R", sample, 0))
    n = args.points
    best_copy = n / min(copies)
    print(f"{n:,} points per call; best of {args.rounds} rounds; cpus: {os.cpu_count()}")
    for label, times in (("RecordPrices, all new", inserts), ("RecordPrices, all changed", updates)):
        pps = n / min(times)
        print(f"{label + ':':28s} {pps:10,.0f} points/s  ({min(times) * 1e3:6.1f} ms per call)  "
              f"ratio to raw COPY {pps / best_copy:.2f}")
    print(f"{'raw COPY (baseline):':28s} {best_copy:10,.0f} points/s  ({min(copies) * 1e3:6.1f} ms)")
    print(f"{'row-at-a-time INSERT:':28s} {sample / slow:10,.0f} points/s  (what set-based writes avoid; "
          f"{sample:,} rows sampled)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="stack-cfo-bench-") as tmp:
        handle = None
        if not admin:
            from stack_cfo.store.embedded import start_embedded

            admin, handle = start_embedded(tmp)
        name = f"stackcfo_bench_prices_{os.getpid()}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        dsn = make_conninfo(admin, dbname=name)
        proc: subprocess.Popen[bytes] | None = None
        try:
            asyncio.run(Migrator(dsn).up())
            proc, port = _start_server(dsn, tmp)
            asyncio.run(_run(args, dsn, port))
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            if handle is not None:
                handle.cleanup()


if __name__ == "__main__":
    main()
