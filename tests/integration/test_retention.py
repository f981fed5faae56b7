"""Retention against a real PostgreSQL: what is past its window goes, in batches, and nothing else;
two replicas pruning at once delete each row once; the scheduler process runs it at start; the
service still reads and writes afterwards (the notification history, a summary from daily closes,
a request_id that was forgotten acts anew)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as pb_grpc
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.scheduler.process import run_scheduler
from stack_cfo.store.db import Database
from stack_cfo.store.retention import RetentionRepo, RetentionWindows
from tests.integration.portfolio.support import holding, name, stub
from tests.support.server import running_server

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=120)
RECENT = NOW - timedelta(days=3)
MARKET = ZoneInfo(AnalyticsSettings().market_timezone)
WINDOWS = RetentionWindows(outbox=timedelta(days=90), idempotency_keys=timedelta(days=30), quotes=timedelta(days=30))


@contextlib.asynccontextmanager
async def _conn(db: Database) -> AsyncIterator[Any]:
    """The tests seed and inspect every user's rows directly: the system scope (row-level security);
    the retention job sets its own."""
    with system_scope("test-seed"):
        async with db.transaction() as conn:
            yield conn


async def _seed(db: Database, user: str) -> dict[str, Any]:
    """Outbox rows in every state, old and recent; runs; request ids; quotes and closes."""
    rows: list[tuple[str, datetime]] = []
    for status in ("sent", "dead", "missed", "skipped", "expired", "pending", "retry", "awaiting_ack"):
        for when in (OLD, RECENT):
            rows.append((status, when))
    async with _conn(db) as conn:
        await conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
        for i, (status, when) in enumerate(rows):
            await conn.execute(
                "INSERT INTO notification_outbox (idempotency_key, kind, user_id, channel, slot_local, scheduled_for,"
                " deadline, status, next_attempt_at, created_at, updated_at, sent_at, title)"
                " VALUES (%s, 'digest', %s, 'email', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (f"digest:{user}:{i}:email:0", user, f"2026-01-{i + 1:02d}", when, when + timedelta(hours=6),
                 status, when if status in ("pending", "retry") else None, when, when,
                 when if status == "sent" else None, f"{status} {'old' if when is OLD else 'recent'}"),
            )
        for when, state in ((OLD, "done"), (RECENT, "done"), (OLD, "running")):
            await conn.execute(
                "INSERT INTO scheduler_job_runs (id, request_hash, kind, state, created_at, finished_at)"
                " VALUES (%s, 'h', 'digest', %s, %s, %s)",
                (uuid.uuid4(), state, when, when if state == "done" else None),
            )
        for i in range(7):
            await conn.execute(
                "INSERT INTO idempotency_keys (method, principal, request_id, request_hash, created_at)"
                " VALUES ('m', %s, %s, 'h', %s)", (user, f"old-{i}", NOW - timedelta(days=40)))
        await conn.execute(
            "INSERT INTO idempotency_keys (method, principal, request_id, request_hash, created_at)"
            " VALUES ('m', %s, 'recent', 'h', %s)", (user, RECENT))
        for d in range(60):
            at = NOW - timedelta(days=d)
            await conn.execute(
                "INSERT INTO price_quotes (symbol, quoted_at, close, currency) VALUES ('QQQ', %s, %s, 'USD')",
                (at, 100 + d))
            await conn.execute(  # dated by the market's day, as a close is (not UTC's, a day ahead at night);
                # counted in days from the market's today, not as NOW - 24 h (two of which fall on the same
                # market day across the end of daylight saving time, late at night)
                "INSERT INTO prices (symbol, trading_date, close, currency) VALUES ('QQQ', %s, %s, 'USD')",
                (NOW.astimezone(MARKET).date() - timedelta(days=d), 100 + d))
    return {"rows": rows}


async def _count(db: Database, query: str, *args: Any) -> int:
    async with _conn(db) as conn:
        row = await (await conn.execute(query, args)).fetchone()
        return int(next(iter(row.values()))) if row else 0


async def test_prune_deletes_only_what_is_past_its_window_in_batches(database: Database) -> None:
    user = str(uuid.uuid4())
    await _seed(database, user)
    deleted = await RetentionRepo(database).prune(WINDOWS, batch=2)
    assert deleted == {"notification_outbox": 5, "scheduler_job_runs": 1, "idempotency_keys": 7,
                       "price_quotes": 30, "notification_contents": 0}, deleted
    async with _conn(database) as conn:
        left = [r["title"] for r in await (await conn.execute(
            "SELECT title FROM notification_outbox ORDER BY id")).fetchall()]
    finals = ("sent", "dead", "missed", "skipped", "expired")
    assert left == [t for s in ("sent", "dead", "missed", "skipped", "expired", "pending", "retry", "awaiting_ack")
                    for t in (f"{s} old", f"{s} recent") if not (s in finals and t.endswith("old"))]
    assert await _count(database, "SELECT count(*) FROM scheduler_job_runs") == 2
    assert await _count(database, "SELECT count(*) FROM scheduler_job_runs WHERE state = 'running'") == 1
    assert await _count(database, "SELECT count(*) FROM idempotency_keys") == 1
    assert await _count(database, "SELECT min(quoted_at) > now() - interval '30 days' FROM price_quotes") == 1
    assert await _count(database, "SELECT count(*) FROM prices WHERE symbol = 'QQQ'") == 60  # closes stay
    # Nothing more to do: a second run deletes nothing.
    assert set((await RetentionRepo(database).prune(WINDOWS)).values()) == {0}


async def test_two_replicas_pruning_at_once_delete_each_row_once(database: Database) -> None:
    user = str(uuid.uuid4())
    await _seed(database, user)
    repo = RetentionRepo(database)
    a, b = await asyncio.gather(repo.prune(WINDOWS, batch=1), repo.prune(WINDOWS, batch=1))
    merged = {t: a.get(t, 0) + b.get(t, 0) for t in set(a) | set(b)}
    # The replica that lost the lock stops; whatever it did not delete, the next run does.
    rest = await repo.prune(WINDOWS)
    totals = {t: merged.get(t, 0) + rest.get(t, 0) for t in set(merged) | set(rest)}
    assert totals == {"notification_outbox": 5, "scheduler_job_runs": 1, "idempotency_keys": 7,
                      "price_quotes": 30, "notification_contents": 0}, (a, b, rest)


async def test_the_scheduler_prunes_at_start_and_the_service_still_works(db_dsn: str, data_dir: Path,
                                                                         database: Database) -> None:
    user = str(uuid.uuid4())
    await _seed(database, user)
    metrics = SchedulerMetrics()
    config = dataclasses.replace(SchedulerConfig(), metrics_listen="", replica_id="retention-test",
                                 enable_daily_digest=False, enable_weekly_summary=False,
                                 enable_performance_alerts=False)
    stop = asyncio.Event()
    task = asyncio.create_task(run_scheduler(config, stop_event=stop, database=database, metrics=metrics))
    for _ in range(100):
        if metrics.registry.get_sample_value("stack_cfo_retention_deleted_rows_total",
                                             {"table": "notification_outbox"}) == 5:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await task
    assert metrics.registry.get_sample_value("stack_cfo_retention_deleted_rows_total",
                                             {"table": "price_quotes"}) == 30
    assert await _count(database, "SELECT count(*) FROM notification_outbox") == 11

    async with running_server(db_dsn, data_dir) as srv:
        # The history lists what was kept.
        page = await pb_grpc.SchedulerServiceStub(srv.channel).ListNotifications(
            pb.ListNotificationsRequest(parent=f"users/{user}", page_size=100), metadata=srv.auth(user), timeout=10)
        assert len(page.notifications) == 11
        # A request id forgotten by retention acts anew; a remembered one replays.
        rid = str(uuid.uuid4())
        sync = portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), cash_balance="100", request_id=rid,
                                                  positions=[holding("QQQ", "2", "90")])
        first = await stub(srv).SyncPortfolio(sync, metadata=srv.auth(user), timeout=10)
        assert await _count(database, "SELECT count(*) FROM idempotency_keys WHERE request_id = %s", rid) == 1
        replay = await stub(srv).SyncPortfolio(sync, metadata=srv.auth(user), timeout=10)
        assert replay.sync_time == first.sync_time  # remembered: the first result
        async with _conn(database) as conn:
            await conn.execute("UPDATE idempotency_keys SET created_at = now() - interval '31 days' "
                               "WHERE request_id = %s", (rid,))
        assert (await RetentionRepo(database).prune(WINDOWS))["idempotency_keys"] == 1
        again = await stub(srv).SyncPortfolio(sync, metadata=srv.auth(user), timeout=10)
        assert again.portfolio == first.portfolio and again.sync_time != first.sync_time  # acted anew
        assert await _count(database, "SELECT count(*) FROM idempotency_keys WHERE request_id = %s", rid) == 1
        # The summary reads the closes and quotes the retention left in place (today's: 100).
        got = await stub(srv).GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user)),
                                                  metadata=srv.auth(user), timeout=10)
        assert Decimal(got.total_value) == Decimal("300")


async def test_receipts_are_kept_unless_a_window_is_set_and_messages_keep_their_text(database: Database) -> None:
    user, session = str(uuid.uuid4()), uuid.uuid4()
    old_receipt, new_receipt = uuid.uuid4(), uuid.uuid4()
    async with _conn(database) as conn:
        await conn.execute("INSERT INTO users (id) VALUES (%s)", (user,))
        await conn.execute("INSERT INTO chat_sessions (id, user_id, title, context, provider_address, model)"
                           " VALUES (%s, %s, 't', '{}', '', 'm')", (session, user))
        for rid, when in ((old_receipt, OLD), (new_receipt, RECENT)):
            await conn.execute("INSERT INTO ai_receipts (id, user_id, surface, text, created_at)"
                               " VALUES (%s, %s, 'chat', 'answer', %s)", (rid, user, when))
        q = uuid.uuid4()
        await conn.execute("INSERT INTO chat_messages (id, session_id, seq, role, content)"
                           " VALUES (%s, %s, 1, 'user', 'question')", (q, session))
        await conn.execute("INSERT INTO chat_messages (id, session_id, seq, role, content, reply_to, receipt_id)"
                           " VALUES (%s, %s, 2, 'assistant', 'the old answer', %s, %s)",
                           (uuid.uuid4(), session, q, old_receipt))
    repo = RetentionRepo(database)
    assert "ai_receipts" not in await repo.prune(WINDOWS)  # the default keeps them
    assert await _count(database, "SELECT count(*) FROM ai_receipts") == 2
    deleted = await repo.prune(dataclasses.replace(WINDOWS, receipts=timedelta(days=90)))
    assert deleted["ai_receipts"] == 1
    async with _conn(database) as conn:
        row = await (await conn.execute("SELECT content, receipt_id FROM chat_messages WHERE seq = 2")).fetchone()
    assert row == {"content": "the old answer", "receipt_id": None}
    assert await _count(database, "SELECT count(*) FROM ai_receipts WHERE id = %s", new_receipt) == 1
