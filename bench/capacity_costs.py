"""Per-operation costs for the capacity model (docs/capacity.md): statements, transactions and rows
per operation, bytes per row per table, prompt size per chat turn and digest.

Run: ``.venv/bin/python bench/capacity_costs.py [--users 40] [--turns 4] [--positions 10] [--days 260]``

A real server (in this process: the statements it sends are counted by wrapping psycopg's cursor)
over a fresh PostgreSQL database (``DATABASE_URL`` or embedded), the 0G router stand-in and an SMTP
sink. Phases, each measured on its own: SyncPortfolio (``--positions`` holdings), one RecordPrices of
a day's closes for every symbol, GetPortfolioSummary uncached then cached, CreateSession plus
``--turns`` chat turns, a daily digest by e-mail (RunJob). Reported per operation: SQL statements,
rows added per table (exact counts before and after), and the prompt
the provider received (characters; tokens estimated as characters / 4, the usual rule for English
text: the stand-in itself counts words). Then, after the workload, each table's rows, total size
(pg_total_relation_size, indexes and TOAST included) and bytes per row. The baseline of the ratios
is the raw size of one row's values (pg_column_size of the row), so "x overhead" is what indexes,
headers and free space add.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server_common import bench_database  # type: ignore[import-not-found]  # noqa: E402

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2  # noqa: E402
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as spb  # noqa: E402
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as spb_grpc  # noqa: E402
from tests.integration.portfolio.support import holding, name, price_points, record, stub, sync  # noqa: E402
from tests.standins.smtp import SmtpSink  # noqa: E402
from tests.standins.zerog_provider import RouterStandIn  # noqa: E402
from tests.support.contract import market_today  # noqa: E402
from tests.support.secrets import ZEROG_API_KEY  # noqa: E402
from tests.support.server import running_server  # noqa: E402

STATEMENTS = [0]


def _count_statements() -> None:
    for cls in (psycopg.AsyncCursor, psycopg.AsyncClientCursor, psycopg.AsyncServerCursor):
        for method in ("execute", "executemany"):
            real = getattr(cls, method)

            async def counted(self: Any, *a: Any, __real: Any = real, **kw: Any) -> Any:
                STATEMENTS[0] += 1
                return await __real(self, *a, **kw)

            setattr(cls, method, counted)
    real_copy = psycopg.AsyncCursor.copy

    def copy(self: Any, *a: Any, **kw: Any) -> Any:
        STATEMENTS[0] += 1
        return real_copy(self, *a, **kw)

    psycopg.AsyncCursor.copy = copy  # type: ignore[method-assign]


def _row_counts(dsn: str) -> dict[str, int]:
    """Exact rows per table (pg_stat counters reach pg_stat_database only when a pooled backend
    flushes them, seconds later: they would land in the wrong phase)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public'").fetchall()]
        return {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}  # type: ignore[index]


class Phase:
    def __init__(self, dsn: str, router: RouterStandIn) -> None:
        self.dsn, self.router = dsn, router
        self.rows: list[str] = []

    async def measure(self, label: str, ops: int, work: Any) -> None:
        before, stmts, requests, cpu, t = (await asyncio.to_thread(_row_counts, self.dsn), STATEMENTS[0],
                                           len(self.router.requests), time.process_time(), time.perf_counter())
        await work()
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        after = await asyncio.to_thread(_row_counts, self.dsn)
        chats = [r for r in self.router.requests[requests:] if "chat/completions" in r.path]
        chars = sum(sum(len(str(m.get("content", ""))) for m in r.json.get("messages", [])) for r in chats)
        grown = ", ".join(f"{t} {(after[t] - before.get(t, 0)) / ops:+.1f}" for t in sorted(after)
                          if after[t] != before.get(t, 0))
        self.rows.append(
            f"{label:34s} {ops:5d} {(STATEMENTS[0] - stmts) / ops:7.1f} {len(chats) / ops:6.2f} {chars / ops:8.0f} "
            f"{chars / 4 / ops:7.0f} {cpu / ops * 1e3:8.2f} {wall / ops * 1e3:8.1f}   {grown or '-'}")


def _table_sizes(dsn: str) -> list[str]:
    out = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname").fetchall()]
        for t in tables:
            n, total, raw = conn.execute(
                f'SELECT count(*), pg_total_relation_size(\'"{t}"\'), coalesce(avg(pg_column_size(x.*)), 0) '
                f'FROM "{t}" AS x').fetchone()  # type: ignore[misc]
            if n:
                out.append(f"{t:28s} {n:8d} {total / 1024:9.0f} {total / n:9.0f} {float(raw):8.0f} "
                           f"{total / n / max(float(raw), 1):6.1f}")
    return out


async def _run(args: argparse.Namespace, dsn: str, tmp: str) -> None:
    _count_statements()
    users = [str(uuid.uuid4()) for _ in range(args.users)]
    symbols = [f"C{i:02d}" for i in range(args.positions)]
    days = [date.today() - timedelta(days=d) for d in range(args.days, 0, -1)]
    async with RouterStandIn(api_key=ZEROG_API_KEY) as router:
        smtp = await SmtpSink().start()
        overrides = {
            "zerog": {"compute": {"mode": "router", "broker_endpoint": router.base_url, "api_key": ZEROG_API_KEY}},
            "notifications": {"smtp": {"host": "127.0.0.1", "port": smtp.port, "starttls": False}},
        }
        try:
            async with running_server(dsn, Path(tmp), overrides) as srv:
                # History first (not measured): the prices every summary reads.
                await record(srv, price_points({s: [(d, str(100 + i % 7)) for i, d in enumerate(days)]
                                                for s in [*symbols, "SPY"]}))
                phase = Phase(dsn, router)
                chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
                sched = spb_grpc.SchedulerServiceStub(srv.channel)

                async def syncs() -> None:
                    for u in users:
                        await sync(srv, u, [holding(s, "10", "95") for s in symbols], cash="1000")

                async def prices() -> None:
                    today = market_today()
                    await record(srv, price_points({s: [(today, "111")] for s in [*symbols, "SPY"]}))

                async def summaries() -> None:
                    for u in users:
                        await stub(srv).GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(
                            portfolio=name(u)), metadata=srv.auth(u), timeout=30)

                sessions: dict[str, str] = {}

                async def sessions_created() -> None:
                    for u in users:
                        s = await chat.CreateSession(chat_pb2.CreateSessionRequest(
                            parent=f"users/{u}", session=chat_pb2.Session(title="Capacity")),
                            metadata=srv.auth(u), timeout=30)
                        sessions[u] = s.name

                async def turns() -> None:
                    for t in range(args.turns):
                        for u in users:
                            async for _ in chat.SendMessage(chat_pb2.SendMessageRequest(
                                    name=sessions[u], content=f"How did my portfolio do this week? ({t})",
                                    request_id=str(uuid.uuid4())), metadata=srv.auth(u), timeout=60):
                                pass

                async def digests() -> None:
                    for n, u in enumerate(users):
                        await sched.UpdateNotificationPreferences(spb.UpdateNotificationPreferencesRequest(
                            preferences=spb.NotificationPreferences(
                                name=f"users/{u}/notificationPreferences", email_address=f"u{n}@example.com",
                                email_enabled=True, push_enabled=False)), metadata=srv.auth(u), timeout=10)
                    for u in users:
                        async for _ in sched.RunJob(spb.RunJobRequest(
                                kind=spb.NOTIFICATION_KIND_DAILY_DIGEST, user=f"users/{u}"),
                                metadata=srv.auth(service="ops"), timeout=120):
                            pass

                await phase.measure("SyncPortfolio", len(users), syncs)
                await phase.measure("RecordPrices (a day, all symbols)", 1, prices)
                await phase.measure("GetPortfolioSummary (uncached)", len(users), summaries)
                await phase.measure("GetPortfolioSummary (cached)", len(users), summaries)
                await phase.measure("CreateSession", len(users), sessions_created)
                await phase.measure("SendMessage (chat turn)", len(users) * args.turns, turns)
                await phase.measure("digest by e-mail (prefs + RunJob)", len(users), digests)
        finally:
            await smtp.stop()
    print(f"{args.users} users x {args.positions} positions x {args.days} days of closes; {args.turns} turns each")
    print(f"{'operation':34s} {'ops':>5s} {'stmts':>7s} {'AI req':>6s} {'prompt':>8s} {'~tokens':>7s} "
          f"{'cpu ms':>8s} {'wall ms':>8s}   rows added per operation, by table")
    print("\n".join(phase.rows))
    print("(cpu ms: this process, which runs the server AND the client; the server-only figures come from "
          "bench/portfolio_summary.py and bench/chat_concurrency.py)")
    print(f"\n{'table':28s} {'rows':>8s} {'KiB':>9s} {'B/row':>9s} {'raw B':>8s} {'x raw':>6s}")
    print("\n".join(await asyncio.to_thread(_table_sizes, dsn)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--turns", type=int, default=4)
    parser.add_argument("--positions", type=int, default=10)
    parser.add_argument("--days", type=int, default=260)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(), bench_database("capacity") as (dsn, tmp):
        asyncio.run(_run(args, dsn, tmp))


if __name__ == "__main__":
    main()
