"""Spans named as in the seed, and a database outage in the middle of delivery."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import Channel, NotificationKind
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.planner import Planner
from stack_cfo.scheduler.process import run_scheduler
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from stack_cfo.store.scheduler.outbox import SentMark
from tests.integration.scheduler.conftest import (
    add_users,
    make_harness,
    outbox,
    smtp_settings,
    static_portfolio,
    test_config,
)
from tests.standins.smtp import SmtpSink
from tests.support.tcp_proxy import PgProxy

_EXPORTER = InMemorySpanExporter()
_provider = trace.get_tracer_provider()
if hasattr(_provider, "add_span_processor"):
    _provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))


async def test_spans_follow_the_seed_names(database: Database, smtp_sink: SmtpSink) -> None:
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    h = make_harness(database, test_config(), {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
                     start=datetime(2026, 3, 10, 7, tzinfo=UTC))  # fmt: skip
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    _EXPORTER.clear()
    await h.step(datetime(2026, 3, 10, 8, tzinfo=UTC))
    spans = {s.name: s for s in _EXPORTER.get_finished_spans()}
    for name in (
        "scheduler.run_daily_digest",
        "scheduler.run_weekly_summary",
        "scheduler.check_performance_alerts",
        "scheduler.process_daily_digest_user",
        "news_service.get_portfolio_relevant_news",
        "notification_service.send_email",
    ):
        assert name in spans, sorted(spans)
    process = spans["scheduler.process_daily_digest_user"]
    assert process.attributes is not None and process.attributes["user_id"] == user
    send = spans["notification_service.send_email"]
    assert send.parent is not None and send.parent.span_id == process.context.span_id
    assert spans["scheduler.run_daily_digest"].attributes["scheduler.planned"] == 1  # type: ignore[index]


async def test_database_outage_mid_delivery_loses_nothing(database: Database, smtp_sink: SmtpSink) -> None:
    users = 120
    concurrency = 10
    await add_users(database, users)
    repo = SchedulerRepo(database)
    now = await repo.db_now()
    slot = now - timedelta(minutes=2)
    await repo.set_planner_state(NotificationKind.DIGEST, epoch=now - timedelta(hours=1))
    config = test_config(
        daily_digest=CronSchedule.parse(f"{slot.minute} {slot.hour} * * *"),
        enable_weekly_summary=False,
        enable_performance_alerts=False,
        lease=timedelta(seconds=2),
        concurrency_limit=concurrency,
    )
    await Planner(repo, config).tick()
    proxy = PgProxy(database.conninfo)
    await proxy.start()
    smtp_sink.delay = 0.02
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        run_scheduler(config, stop_event=stop, conninfo=proxy.dsn(), portfolio=static_portfolio(),
                      channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}, planner_enabled=False)
    )  # fmt: skip
    try:
        await smtp_sink.wait_for(30, timeout=30)
        proxy.cut()  # the database disappears mid-batch
        await asyncio.sleep(1.5)
        proxy.restore()
        loop = asyncio.get_running_loop()
        t_restore = loop.time()  # nothing waits out a backoff: the outage was ours, not the messages'

        end = loop.time() + 60
        while len(await outbox(database, "status = 'sent'")) < users:
            assert loop.time() < end, Counter(r["status"] for r in await outbox(database))
            await asyncio.sleep(0.2)
        assert loop.time() - t_restore < 20
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
        await proxy.close()
    counts = smtp_sink.message_ids()
    assert len(counts) == users
    duplicates = sum(counts.values()) - users
    assert duplicates <= concurrency  # only sends whose "sent" write-back the outage swallowed


async def test_group_committed_write_backs_stay_fenced_per_row(database: Database) -> None:
    """Write-backs share one statement, but a row whose claim was reaped and handed to another worker is not
    overwritten by the old one: that row gets no sent_at, the others of the same batch do."""
    with system_scope("test-worker-mechanics"):
        await add_users(database, 3, prefs={"time_zone": "UTC"})
        repo = SchedulerRepo(database)
        start = datetime(2026, 3, 9, 7, 59, tzinfo=UTC)
        planner = Planner(repo, test_config(), clock=FrozenClock(start))
        await planner.tick(start)
        await planner.tick(datetime(2026, 3, 9, 8, 0, 5, tzinfo=UTC))
        now = datetime(2026, 3, 9, 8, 0, 6, tzinfo=UTC)
        digests = [
            r
            for r in await repo.claim("old-worker", limit=10, lease=timedelta(minutes=1), now=now)
            if r.kind is NotificationKind.DIGEST
        ]
        assert len(digests) == 3
        async with database.connection() as conn:  # the first row's claim was reaped and re-claimed elsewhere
            await conn.execute(
                "UPDATE notification_outbox SET locked_by = 'new-worker', attempts = attempts + 1 WHERE id = %s",
                (digests[0].id,),
            )
        results = await repo.mark_sent_many([SentMark(r, "old-worker", "p", "t", "x", now) for r in digests])
        assert results == [None, now, now]
        rows = {r["id"]: r for r in await outbox(database, "kind = 'digest'")}
        assert rows[digests[0].id]["status"] == "sending" and rows[digests[0].id]["locked_by"] == "new-worker"
        assert [rows[r.id]["status"] for r in digests[1:]] == ["sent", "sent"]
