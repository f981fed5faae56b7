"""Shared AI summaries, the RSS poller against a local feed, and a whole replica in-process
with its metrics endpoint."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web

from stack_cfo.core.ai import CompletionOptions, CompletionResult, CompletionStream, Message
from stack_cfo.core.notifications.kinds import Channel, NotificationKind
from stack_cfo.core.notifications.ports import NewsItem, StaticNewsReader
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.core.notifications.service import NotificationService
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.scheduler.news_poller import FeedPoller
from stack_cfo.scheduler.process import build_worker, run_scheduler
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.integration.scheduler.conftest import (
    add_users,
    make_harness,
    outbox,
    smtp_settings,
    static_portfolio,
    test_config,
)
from tests.standins.smtp import SmtpSink

NOW = datetime(2026, 3, 10, 8, tzinfo=UTC)
NEWS = (
    NewsItem(
        "n1",
        "Apple beats",
        "Apple beat estimates. More.",
        "https://n.example/1",
        "Wire",
        NOW - timedelta(hours=3),
        ("AAPL",),
    ),
    NewsItem(
        "n2", "Apple supplier", "Supplier news.", "https://n.example/2", "Wire", NOW - timedelta(hours=9), ("AAPL",)
    ),
    NewsItem(
        "n3", "Microsoft cloud", "Azure grew.", "https://n.example/3", "Wire", NOW - timedelta(hours=2), ("MSFT",)
    ),
    NewsItem("n4", "Oil", "Crude fell.", "https://n.example/4", "Wire", NOW - timedelta(hours=1), ("XOM",)),
)


class FakeCompute:
    """Implements the ComputeClient Protocol; counts calls, answers after a short delay."""

    def __init__(self, *, offline: bool = False) -> None:
        self.calls: list[str] = []
        """Titles of the articles summarised."""
        self.paragraphs = 0
        """Digest paragraphs written (one per user and period)."""
        self.offline = offline

    async def complete(
        self, messages: Sequence[Message], *, model: str | None = None, options: CompletionOptions | None = None
    ) -> CompletionResult:
        await asyncio.sleep(0.02)
        if self.offline:
            assert options is not None and isinstance(options.fallback, str)
            return CompletionResult(options.fallback, "m", "offline", offline=True)
        if not messages[0].content.startswith("You summarise financial news"):
            self.paragraphs += 1
            return CompletionResult("Your holdings moved with the market.", "test-model", "0xprovider")
        body = messages[-1].content
        title = json.loads(body[body.index("{"):body.rindex("}") + 1])["title"]
        self.calls.append(title)
        return CompletionResult(f"AI summary of {title}.", "test-model", "0xprovider")

    def stream(
        self, messages: Sequence[Message], *, model: str | None = None, options: CompletionOptions | None = None
    ) -> CompletionStream:
        raise NotImplementedError

    @property
    def default_model(self) -> str:
        return "test-model"

    @property
    def default_provider(self) -> str:
        return "0xprovider"


async def test_one_ai_summary_per_article_shared_by_every_user_and_replica(
    database: Database, smtp_sink: SmtpSink
) -> None:
    await add_users(database, 40, prefs={"time_zone": "UTC"})
    config = test_config(enable_weekly_summary=False, enable_performance_alerts=False)
    compute = FakeCompute()
    h = make_harness(
        database, config, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}, start=NOW - timedelta(hours=1)
    )
    h.worker = build_worker(
        database,
        config,
        portfolio=static_portfolio(),
        news=StaticNewsReader(NEWS),
        compute=compute,
        channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        clock=h.clock,
    )
    await h.step(NOW - timedelta(hours=1))
    await h.step(NOW)
    mails = smtp_sink.received()
    assert len(mails) == 40
    assert sorted(compute.calls) == ["Apple beats", "Apple supplier", "Microsoft cloud"]  # three, not 120
    assert compute.paragraphs == 40  # the portfolio paragraph is each user's own (AI digests, seed)
    text = mails[0].part("plain")
    assert "AI summary of Apple beats." in text and "Oil" not in text
    assert text.index("Apple beats") < text.index("Microsoft cloud") < text.index("Apple supplier")

    other = FakeCompute()  # another replica, fresh process memory: the database cache answers
    replica = build_worker(
        database,
        config,
        portfolio=static_portfolio(),
        news=StaticNewsReader(NEWS),
        compute=other,
        channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        clock=h.clock,
    )
    await replica.content.summarizer.summarize(NEWS[0])
    assert other.calls == []


async def test_fallback_summaries_are_used_but_never_cached_in_the_database(
    database: Database, smtp_sink: SmtpSink
) -> None:
    await add_users(database, 2, prefs={"time_zone": "UTC"})
    config = test_config(enable_weekly_summary=False, enable_performance_alerts=False)
    offline = FakeCompute(offline=True)
    h = make_harness(database, config, {}, start=NOW - timedelta(hours=1))
    h.worker = build_worker(
        database,
        config,
        portfolio=static_portfolio(),
        news=StaticNewsReader(NEWS),
        compute=offline,
        channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        clock=h.clock,
    )
    await h.step(NOW - timedelta(hours=1))
    await h.step(NOW)
    assert "Apple beat estimates." in smtp_sink.received()[0].part("plain")
    assert await SchedulerRepo(database).get_summary("n1") is None


async def _feed_server(body: bytes) -> tuple[web.AppRunner, str, list[str]]:
    seen: list[str] = []

    async def feed(request: web.Request) -> web.Response:
        seen.append(request.headers.get("If-None-Match", ""))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    app = web.Application()
    app.router.add_get("/rss", feed)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/rss", seen


async def test_feed_poller_stores_articles_about_held_symbols(database: Database) -> None:
    rss = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
        b"<item><title>Apple (AAPL) beats</title><link>https://w.example/1</link><guid>1</guid>"
        b"<pubDate>Mon, 09 Mar 2026 13:30:00 GMT</pubDate><description>Shares rose.</description></item>"
        b"<item><title>$TSLA recalls</title><link>https://w.example/2</link><guid>2</guid></item>"
        b"</channel></rss>"
    )
    runner, url, seen = await _feed_server(rss)
    repo = SchedulerRepo(database)

    async def held() -> list[str]:
        return ["AAPL", "MSFT"]

    poller = FeedPoller([url], held_symbols=held, store=repo.store_articles)
    try:
        assert await poller.poll_once() == 1
        assert await poller.poll_once() == 0  # 304 Not Modified
        assert seen == ["", '"v1"']
        [item] = await repo.news_for_symbols(
            ["aapl"], datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC), 10
        )
        assert (item.title, item.symbols, item.source, item.url) == (
            "Apple (AAPL) beats",
            ("AAPL",),
            "Wire",
            "https://w.example/1",
        )
        assert await repo.held_symbols() == []  # nobody holds anything in this database
    finally:
        await poller.aclose()
        await runner.cleanup()


async def test_a_replica_in_process_delivers_and_exposes_its_metrics(
    database: Database, db_dsn: str, smtp_sink: SmtpSink
) -> None:
    await add_users(database, 5)
    repo = SchedulerRepo(database)
    now = await repo.db_now()
    await repo.set_planner_state(NotificationKind.DIGEST, epoch=now - timedelta(hours=1))
    slot = now - timedelta(minutes=3)
    config = test_config(
        daily_digest=CronSchedule.parse(f"{slot.minute} {slot.hour} * * *"),
        enable_weekly_summary=False,
        metrics_listen="127.0.0.1:0",
        replica_id="in-process",
    )
    stop = asyncio.Event()
    port: list[int | None] = []
    metrics = SchedulerMetrics()
    task = asyncio.ensure_future(
        run_scheduler(
            config,
            stop_event=stop,
            conninfo=db_dsn,
            portfolio=static_portfolio(),
            metrics=metrics,
            channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
            on_ready=port.append,
        )
    )
    try:
        await smtp_sink.wait_for(5, timeout=30)
        for _ in range(100):  # the counters move once the sends are recorded
            if {r["status"] for r in await outbox(database)} == {"sent"}:
                break
            await asyncio.sleep(0.05)
        status = await NotificationService(SchedulerRepo(database), config).status()
        assert [(r.replica_id, r.alive) for r in status.replicas] == [("in-process", True)]
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port[0]}/metrics") as resp:
            text = await resp.text()
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert 'notification_scheduler_notifications_sent_total{channel="email",type="daily_digest"} 5.0' in text
    assert 'notification_scheduler_jobs_executed_total{job_type="daily_digest"}' in text
    assert 'notification_scheduler_delivery_lag_seconds_count{type="daily_digest"} 5.0' in text
    assert "notification_scheduler_outbox_pending" in text
    assert "notification_scheduler_outbox_oldest_pending_age_seconds" in text
    assert {r["status"] for r in await outbox(database)} == {"sent"}
    [hb] = await repo.heartbeats()
    assert hb.stopped_at is not None
