"""``stack-cfo scheduler``: the scheduler process.

:func:`run_scheduler` runs one replica until ``stop_event`` is set: a ``schedule`` ticker
(planner every ``tick_interval``, reaper every ``poll_interval``, heartbeat, outbox gauges,
optional news feeds) and the delivery worker. Correctness lives in PostgreSQL; the ticker
only decides *when* this replica looks. The wiring builds what it runs with (database, compute
client, portfolio reader, archive) and handles signals (``stack-cfo scheduler``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import schedule

import stack_cfo
from stack_cfo.core.ai import ComputeClient
from stack_cfo.core.archive import ArchiveStore
from stack_cfo.core.clock import Clock, SystemClock
from stack_cfo.core.data_scope import in_system_scope, system_scope
from stack_cfo.core.errors import StackCfoError
from stack_cfo.core.market_calendar import MarketCalendar, NyseCalendar
from stack_cfo.core.notifications.kinds import Channel, Platform
from stack_cfo.core.notifications.ports import NewsReader, PortfolioReader
from stack_cfo.core.provenance import Audit
from stack_cfo.crypto.fields import CLEAR, SealerSource
from stack_cfo.scheduler.channels import DeliveryChannel
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.content import ContentService, NewsSummarizer
from stack_cfo.scheduler.health import SchedulerHealth
from stack_cfo.scheduler.metrics import SchedulerMetrics, start_metrics_server
from stack_cfo.scheduler.news_poller import FeedPoller
from stack_cfo.scheduler.planner import Planner
from stack_cfo.scheduler.worker import DeliveryWorker
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.receipts import PgReceiptStore
from stack_cfo.store.retention import RetentionRepo, RetentionWindows
from stack_cfo.store.scheduler import SchedulerRepo
from stack_cfo.telemetry.logging import OutageLimiter

log = logging.getLogger(__name__)
log.addFilter(OutageLimiter())  # a database outage: one line a minute, not one per job and try


def build_channels(config: SchedulerConfig) -> dict[Channel, DeliveryChannel]:
    """SMTP when ``SMTP_HOST`` is set; push to FCM and/or APNs (by the device's platform) when either is
    configured; webhooks always (they need no credentials of ours).

    A channel that is not configured is absent: its rows are skipped with reason
    ``channel_not_configured`` rather than retried forever (likewise a device whose platform has no
    sender). The feed channel has no sender: the worker publishes feed rows.
    """
    channels: dict[Channel, DeliveryChannel] = {}
    if config.smtp.configured:
        from stack_cfo.scheduler.channels.smtp import SmtpChannel, unsubscribe_links

        channels[Channel.EMAIL] = SmtpChannel(config.smtp, unsubscribe=unsubscribe_links(config.email))
    push: dict[Platform, DeliveryChannel] = {}
    if config.fcm.configured:
        from stack_cfo.scheduler.channels.fcm import FcmChannel

        push[Platform.FCM] = FcmChannel(config.fcm)
    if config.apns.configured:
        from stack_cfo.scheduler.channels.apns import ApnsChannel

        push[Platform.APNS] = ApnsChannel(config.apns)
    if push:
        from stack_cfo.scheduler.channels.push import PushRouter

        channels[Channel.PUSH] = PushRouter(push)
    from stack_cfo.scheduler.channels.webhook import WebhookChannel

    channels[Channel.WEBHOOK] = WebhookChannel(config.webhook)
    return channels


class _NoPortfolio:
    """Used only until a portfolio reader is wired: every digest is skipped ``no_portfolio``."""

    async def digest_facts(self, user_id: str, day: Any) -> None:
        return None

    async def weekly_facts(self, user_id: str, week_start: Any, week_end: Any) -> None:
        return None

    async def alert_facts(self, user_id: str, at: Any, *, threshold_percent: float, threshold_sigma: float) -> None:
        return None


def build_worker(
    db: Database,
    config: SchedulerConfig,
    *,
    portfolio: PortfolioReader,
    news: NewsReader | None = None,
    compute: ComputeClient | None = None,
    channels: Mapping[Channel, DeliveryChannel] | None = None,
    metrics: SchedulerMetrics | None = None,
    clock: Clock | None = None,
    worker_id: str | None = None,
    archive: ArchiveStore | None = None,
    sealer: SealerSource = CLEAR,
) -> DeliveryWorker:
    """A delivery worker over ``db`` (also what the API process uses to deliver ``RunJob`` rows).
    With ``archive``, AI-written digest texts are kept in ``ai-summaries/``; ``sealer`` opens and
    seals the users' addresses, tokens and outbox texts (encryption at rest)."""
    repo = SchedulerRepo(db, sealer=sealer)
    audit = Audit(clock or SystemClock())
    summarizer = NewsSummarizer(compute, repo, audit=audit)
    content = ContentService(
        portfolio,
        news or repo,
        summarizer,
        news_items=config.digest_news_items,
        archive=archive,
        compute=compute,
        receipts=PgReceiptStore(db, sealer=sealer),
        audit=audit,
        default_locale=config.default_locale,
        renderings=repo,  # rendered once: a retry in any process delivers the first rendering
    )
    return DeliveryWorker(
        repo,
        content,
        build_channels(config) if channels is None else channels,
        config,
        worker_id=worker_id,
        metrics=metrics,
        clock=clock,
    )


class _Ticker:
    """``schedule`` as a ticker: each job starts an asyncio task unless its last run is still going."""

    def __init__(self) -> None:
        self.scheduler = schedule.Scheduler()
        self.running: dict[str, asyncio.Task[None]] = {}

    def every(self, seconds: float, name: str, job: Callable[[], Awaitable[object]]) -> None:
        # schedule types the interval as int but computes timedelta(seconds=interval): floats work
        self.scheduler.every(seconds).seconds.do(self.fire, name, job)  # type: ignore[arg-type]

    def fire(self, name: str, job: Callable[[], Awaitable[object]]) -> None:
        current = self.running.get(name)
        if current is not None and not current.done():
            return

        async def safe() -> None:
            try:
                await job()
            except StackCfoError as exc:
                log.warning("scheduler job failed", extra={"job": name, "reason": exc.reason})
            except Exception:  # schedule would stop the loop on an exception; we never let one out
                log.exception("scheduler job crashed", extra={"job": name})

        self.running[name] = asyncio.ensure_future(safe())

    async def run(self, stop: asyncio.Event, health: SchedulerHealth | None = None) -> None:
        self.scheduler.run_all()
        while not stop.is_set():
            if health is not None:
                health.beat()
            self.scheduler.run_pending()
            idle = self.scheduler.idle_seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=max(0.05, min(0.5, idle if idle is not None else 0.5)))

    async def finish(self, timeout: float) -> None:
        tasks = [t for t in self.running.values() if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            for t in pending:
                t.cancel()
        self.scheduler.clear()


async def run_scheduler(
    config: SchedulerConfig,
    *,
    stop_event: asyncio.Event,
    database: Database | None = None,
    conninfo: str | None = None,
    portfolio: PortfolioReader | None = None,
    news: NewsReader | None = None,
    compute: ComputeClient | None = None,
    channels: Mapping[Channel, DeliveryChannel] | None = None,
    calendar: MarketCalendar | None = None,
    clock: Clock | None = None,
    metrics: SchedulerMetrics | None = None,
    planner_enabled: bool = True,
    worker_enabled: bool = True,
    on_ready: Callable[[int | None], None] | None = None,
    archive: ArchiveStore | None = None,
    health: SchedulerHealth | None = None,
    sealer: SealerSource = CLEAR,
) -> None:
    """Run one scheduler replica until ``stop_event`` is set, then shut down gracefully.

    ``database`` (opened by the caller) or ``conninfo`` (opened and closed here) is required.
    ``portfolio`` supplies the numbers; ``compute`` the AI summaries (fallback text without
    it); ``channels`` default to SMTP/FCM from config. ``on_ready(metrics_port)`` is called
    once everything is started. ``health`` (what /livez and /readyz report) follows the ticker
    loop and the database from then on.
    """
    own_db = database is None
    if database is None:
        if conninfo is None:
            raise ValueError("run_scheduler needs a database or a conninfo")
        database = Database(
            conninfo, PoolSettings(min_size=1, max_size=config.concurrency_limit + 6), name="stack-cfo-scheduler"
        )
        await database.open()
    metrics = metrics or SchedulerMetrics()
    repo = SchedulerRepo(database, sealer=sealer)
    if portfolio is None:
        log.warning("no portfolio reader wired: digests, summaries and alerts will be skipped (no_portfolio)")
        portfolio = _NoPortfolio()
    chans = build_channels(config) if channels is None else dict(channels)
    for missing in set(Channel) - set(chans) - {Channel.FEED}:
        log.warning("channel not configured; its notifications are skipped", extra={"channel": missing.value})
    worker = build_worker(
        database,
        config,
        portfolio=portfolio,
        news=news,
        compute=compute,
        channels=chans,
        metrics=metrics,
        clock=clock,
        worker_id=config.replica_id,
        archive=archive,
        sealer=sealer,
    )
    planner = Planner(repo, config, calendar=calendar or NyseCalendar(), metrics=metrics, clock=clock)
    poller = (
        FeedPoller(config.news_feeds, held_symbols=repo.held_symbols, store=repo.store_articles)
        if config.news_feeds
        else None
    )
    runner = None
    metrics_port: int | None = None
    if config.metrics_listen:
        runner = await start_metrics_server(metrics, config.metrics_listen, health)
        from stack_cfo.telemetry.metrics import bound_port

        metrics_port = bound_port(runner)
    started_at = await repo.db_now()
    wake = asyncio.Event()
    worker_stop = asyncio.Event()

    async def plan() -> None:
        results = await planner.tick()
        if any(r.pending for r in results):
            wake.set()

    @in_system_scope("scheduler-heartbeat")
    async def heartbeat() -> None:
        await repo.heartbeat(
            config.replica_id,
            started_at=started_at,
            version=stack_cfo.__version__,
            host=socket.gethostname(),
            pid=os.getpid(),
            last_planned=planner.last_planned,
        )

    @in_system_scope("scheduler-gauges")  # outbox counts over every user
    async def gauges() -> None:
        g = await repo.gauges()
        metrics.outbox_pending.set(g.waiting)
        metrics.outbox_due.set(g.due)
        metrics.oldest_pending_age.set(g.oldest_due_age.total_seconds())

    ticker = _Ticker()
    active = config.enabled
    if active and planner_enabled:
        ticker.every(config.tick_interval.total_seconds(), "plan", plan)
    if active and worker_enabled:
        ticker.every(config.poll_interval.total_seconds(), "reap", worker.reap)
    ticker.every(config.heartbeat_interval.total_seconds(), "heartbeat", heartbeat)
    ticker.every(15, "gauges", gauges)
    if active and config.retention_enabled:
        retention = RetentionRepo(database)
        windows = RetentionWindows(outbox=config.outbox_retention, idempotency_keys=config.idempotency_retention,
                                   quotes=config.quote_retention,
                                   receipts=config.receipt_retention if config.receipt_retention else None)

        async def prune() -> None:
            for table, n in (await retention.prune(windows)).items():
                metrics.retention_deleted.labels(table).inc(n)

        ticker.every(config.retention_interval.total_seconds(), "retention", prune)
    if poller is not None and active:
        ticker.every(config.news_poll_interval.total_seconds(), "news", poller.poll_once)
    worker_task = asyncio.ensure_future(worker.run(worker_stop, wake)) if active and worker_enabled else None
    ticker_task = asyncio.ensure_future(ticker.run(stop_event, health))
    watcher = None
    if health is not None:
        health.running()
        watcher = asyncio.ensure_future(health.watch(database))
    log.info(
        "scheduler started",
        extra={
            "replica": config.replica_id,
            "channels": sorted(c.value for c in chans),
            "planner": active and planner_enabled,
            "worker": active and worker_enabled,
        },
    )
    if on_ready is not None:
        on_ready(metrics_port)
    try:
        await stop_event.wait()
    finally:
        log.info("scheduler stopping", extra={"replica": config.replica_id})
        if health is not None:
            await health.readiness.begin_shutdown()
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        worker_stop.set()
        await ticker_task
        await ticker.finish(timeout=10)
        if worker_task is not None:
            await worker_task  # finishes in-flight sends, releases the rest
        with contextlib.suppress(StackCfoError), system_scope("scheduler-heartbeat"):
            await repo.heartbeat_stopped(config.replica_id)
        for ch in chans.values():
            with contextlib.suppress(Exception):
                await ch.aclose()
        if poller is not None:
            await poller.aclose()
        if runner is not None:
            await runner.cleanup()
        if own_db:
            await database.close()
        log.info("scheduler stopped", extra={"replica": config.replica_id, "sent": worker.sent_count})
