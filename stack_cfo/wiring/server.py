"""``stack-cfo serve``: the server's lifecycle (start-up, readiness, graceful shutdown) and the
servicers it serves, each built with the domain services it calls.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from prometheus_client import PROCESS_COLLECTOR

from stack_cfo.api.auth import TokenVerifier
from stack_cfo.api.cpu_budget import ReadCpuBudget, WriteCpuBudget
from stack_cfo.api.jwks import JwksCache
from stack_cfo.api.limits import CallLimiter
from stack_cfo.api.server import GrpcServer, Registration
from stack_cfo.api.servicers import registrations
from stack_cfo.api.servicers.chat import MAX_PAGE_BYTES, ChatServicer
from stack_cfo.api.servicers.compute_account import ComputeAccountServicer
from stack_cfo.api.servicers.portfolio import (
    PortfolioServicer,
    portfolio_metrics_collector,
    register_portfolio_metrics,
)
from stack_cfo.api.servicers.receipt import ReceiptServicer
from stack_cfo.api.servicers.scheduler import SchedulerServicer
from stack_cfo.api.servicers.user_data import UserDataServicer
from stack_cfo.config import Config
from stack_cfo.core.clock import Clock
from stack_cfo.core.data_scope import in_system_scope
from stack_cfo.store import metrics as store_metrics
from stack_cfo.store.migrations import Migrator
from stack_cfo.telemetry.listen import ListenError
from stack_cfo.telemetry.metrics import (
    MIRROR_EVERY,
    CollectorMirror,
    pool_stats_collector,
    register_pool_stats,
    start_metrics_server,
)
from stack_cfo.wiring.container import Container, build_container
from stack_cfo.wiring.startup import check_compute_model, resolve_database_url
from stack_cfo.wiring.workers import MULTIPROC_DIR, READY_FD, follow_supervisor

log = logging.getLogger(__name__)

CHAT_ACTIVITY_EVERY = 5.0
"""Seconds a reading of the chat gauges is reused by the next scrapes."""
#: How long, at shutdown, a RunJob's sends already under way (an e-mail, a push, a webhook POST) may still take
#: after ``stop(grace)`` (seconds; at most ``scheduler.shutdown_grace``).
RUNJOB_SEND_GRACE = 5.0


def api_servicers(container: Container) -> list[Any]:
    """One servicer per service of the contract, each given the domain services it calls."""
    register_portfolio_metrics(container.portfolio)
    # the CPU callers' uncached summaries, histories and receipt replays may take (per process)
    cpu_budget = ReadCpuBudget(container.config.rate_limits)
    return [
        PortfolioServicer(container.portfolio, container.page_tokens, cpu_budget=cpu_budget),
        # a list page stays within what the server may send (MAX_PAGE_BYTES: within grpc's default
        # 4 MiB a client receives)
        ChatServicer(container.chat, container.page_tokens,
                     page_bytes=min(MAX_PAGE_BYTES, container.config.server.max_message_bytes // 2)),
        SchedulerServicer(
            container.notifications,
            container.page_tokens,
            container.idempotency,
            container.webhook_endpoints,
            container.notification_feed,
        ),
        ComputeAccountServicer(container.compute),
        UserDataServicer(container.user_data, container.chat, container.idempotency, container.page_tokens,
                         page_bytes=min(MAX_PAGE_BYTES, container.config.server.max_message_bytes // 2)),
        ReceiptServicer(container.replay, cpu_budget=cpu_budget),
    ]


def token_verifier(config: Config, secret: Any) -> TokenVerifier:
    """The verifier of bearer tokens: the secret, PEM keys and the identity providers' JWKS."""
    auth = config.auth
    jwks = (
        JwksCache(auth.jwks_urls, min_refresh=auth.jwks_min_refresh.total_seconds(),
                  max_age=auth.jwks_max_age.total_seconds())
        if auth.jwks_urls else None
    )
    return TokenVerifier(auth, secret, jwks)


class ServerProcess:
    """Start-up, readiness and graceful shutdown of ``stack-cfo serve``."""

    def __init__(
        self,
        config: Config,
        conninfo: str,
        *,
        listen: str | None = None,
        clock: Clock | None = None,
        configure: Callable[[Container], None] | None = None,
        servicers: Callable[[Container], Iterable[Any]] | None = None,
        extra_registrations: Sequence[Registration] = (),
        reuse_port: bool = False,
        report_readiness: Callable[[bool], None] | None = None,
        listen_when_serving: bool = False,
    ) -> None:
        """``listen_when_serving``: bind the API port only once the pool is open (a worker of
        ``serve --workers N``, see :meth:`_become_ready`); else at :meth:`start`, contract calls
        refused with UNAVAILABLE ``SERVER_STARTING`` until then (Health answers from the start)."""
        self.config = config
        self.container = build_container(config, conninfo, clock=clock)
        if configure is not None:
            configure(self.container)
        built = (servicers or api_servicers)(self.container)
        self.grpc = GrpcServer(
            config.server,
            [*registrations(built), *extra_registrations],
            token_verifier(config, self.container.jwt_secret),
            listen=listen,
            limiter=CallLimiter(config.rate_limits),
            reuse_port=reuse_port,
            report_readiness=report_readiness,
            starting=True,
            # the CPU callers' heavy writes may take (per process), from the decoding of the request on
            write_budget=WriteCpuBudget(config.rate_limits),
        )
        self._listen_when_serving = listen_when_serving
        #: Why the API port could not be bound after start (``listen_when_serving``); ``failed`` set then.
        self.listen_error: ListenError | None = None
        self.failed = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self._metrics: Any = None
        self._serving = False
        self._activity_at = float("-inf")
        self.stopping = asyncio.Event()

    async def start(self) -> int:
        """Health (and metrics) at once, the API port at once or once serving (see ``__init__``);
        the API port's number, 0 when it is bound later."""
        port = await self.grpc.start(listen=not self._listen_when_serving)
        if self.config.server.metrics_listen:
            self._metrics = await start_metrics_server(
                self.config.server.metrics_listen, before_scrape=self._chat_activity
            )
        register_pool_stats(self.container.db.stats)
        self._tasks.append(asyncio.create_task(self._become_ready(), name="become-ready"))
        if os.environ.get(MULTIPROC_DIR):  # a worker of serve --workers N: the supervisor serves the page
            self._tasks.append(asyncio.create_task(self._mirror_metrics(), name="mirror-metrics"))
        return port

    async def _mirror_metrics(self) -> None:
        """A worker's scrape-time figures (pool, portfolio cache and watches, process CPU and
        memory, the chat gauges read from the database) written to its multiprocess files every
        ``MIRROR_EVERY`` seconds, for the supervisor's page (:class:`CollectorMirror`)."""
        mirror = CollectorMirror(lambda: (pool_stats_collector(), portfolio_metrics_collector(), PROCESS_COLLECTOR))
        while True:
            try:
                await asyncio.wait_for(self._chat_activity(), MIRROR_EVERY)
            except Exception as exc:  # the database is down: the previous figures stay
                log.debug("chat gauges not refreshed", extra={"error": type(exc).__name__})
            mirror.mirror()
            await asyncio.sleep(MIRROR_EVERY)

    async def _become_ready(self) -> None:
        """Migrate (retrying while the database is down), open the pool, let calls in (a worker:
        only now bind the API port), then watch the database (its first answer: ready).

        Migrations come first: they create the role every pooled connection switches to
        (row-level security, migration 0011), so on a new server the pool cannot open before them.

        A worker of ``serve --workers N`` listens only from here: on the shared port (SO_REUSEPORT)
        the kernel would hand it new connections as soon as it listened, and a restarted worker
        met them with DATABASE_UNAVAILABLE while its pool was still opening (the database fine,
        the other workers serving). It binds before it reports ready, so an address it cannot
        bind still exits 2 before it was ever ready (see :mod:`.workers`).
        """
        cfg = self.config
        delay = 0.5
        migrator = Migrator(self.container.db.conninfo)
        while not self.stopping.is_set():
            try:
                if cfg.database.migrate_on_start:
                    await migrator.up()
                status = await migrator.status()
                if status.at_head:
                    break
                log.error(
                    status.waiting_for() if status.ahead or cfg.database.migrate_on_start
                    else "schema is not at head and migrate_on_start is off",
                    extra={"current": status.current, "head": status.head},
                )
            except Exception as exc:
                log.warning("migration check failed; retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10)
        delay = 0.5
        while not self.stopping.is_set():
            try:
                await self.container.db.open(timeout=10)
                break
            except Exception as exc:
                log.warning("database not reachable yet; retrying", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)
        await self.container.astart()
        if self.stopping.is_set():
            return
        self.grpc.open_for_calls()
        if self._listen_when_serving:
            try:
                await self.grpc.listen_api()
            except ListenError as exc:
                self.listen_error = exc
                self.failed.set()
                return
        self._serving = True
        await self.grpc.health.readiness.monitor(
            self.container.db.probe,
            interval=cfg.server.db_health_interval.total_seconds(),
            timeout=cfg.server.health_timeout,
            failures_before_unready=cfg.server.db_failures_before_unready,
            recovered=self.container.db.revive_pool,
            unready=self.container.db.mark_down,
        )

    @in_system_scope("chat-activity-metrics")  # counts over every user's sessions
    async def _chat_activity(self) -> None:
        """Before a scrape: the chat gauges of the dashboard (open sessions, recent users), read
        from the database at most every ``CHAT_ACTIVITY_EVERY`` seconds."""
        now = asyncio.get_running_loop().time()
        if not self._serving or now - self._activity_at < CHAT_ACTIVITY_EVERY:
            return
        self._activity_at = now
        activity = await self.container.chat_store.activity()
        store_metrics.CHAT_SESSIONS_ACTIVE.set(activity.active_sessions)
        store_metrics.CHAT_SESSIONS_RECENT.set(activity.recent_sessions)
        store_metrics.CHAT_USERS_RECENT.set(activity.recent_users)

    async def abort_start(self) -> None:
        """Undo a :meth:`start` that failed: nothing was served, so no drain and no grace."""
        self.stopping.set()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.grpc.stop(0)
        await self.container.aclose()
        await self.container.db.close()
        if self._metrics is not None:
            await self._metrics.cleanup()

    def scheduler_send_grace(self) -> float:
        return self.container.scheduler_config.shutdown_grace.total_seconds()

    async def shutdown(self) -> None:
        """Readiness NOT_SERVING and watches ended at once; keep serving ``drain_delay``;
        ``stop(grace)``; close the pool.

        Watches never end by themselves, so they end first (UNAVAILABLE with a retry hint: the
        client reconnects, to another server once the load balancer has drained this one) and
        health ``Watch`` streams end before ``stop``. Then ``stop(grace)`` only waits for bounded
        calls (chat answers, narratives, RunJob): a rollout takes the drain delay, not the grace.
        """
        if self.stopping.is_set():
            return
        self.stopping.set()
        cfg = self.config.server
        await self.grpc.health.begin_shutdown()
        portfolio = self.container.built("portfolio")
        if portfolio is not None:
            portfolio.end_watches()
        feed = self.container.built("notification_feed")
        if feed is not None:
            feed.end_watches()
        chat = self.container.built("chat")
        if chat is not None:
            chat.begin_shutdown()
        log.info("shutdown: draining", extra={"drain_delay_s": cfg.drain_delay.total_seconds()})
        await asyncio.sleep(cfg.drain_delay.total_seconds())
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        log.info("shutdown: stopping gRPC", extra={"grace_s": cfg.shutdown_grace.total_seconds()})
        await self.grpc.health.servicer.end_watches()
        await self.grpc.stop(cfg.shutdown_grace.total_seconds())
        # Handler ``finally`` blocks run after stop() returns; let them finish before the pool closes.
        await asyncio.sleep(0.05)
        worker = self.container.built("delivery_worker")
        if worker is not None:
            # A RunJob cut by stop() leaves its sends under way to finish (the provider may have taken them) and
            # gives back the rest; its rows still rendering stop at once. The sends get a few seconds, not
            # scheduler.shutdown_grace: the pod stops within drain + grace (+ 10 s, when `--workers` kills it).
            await worker.aclose(grace=min(self.scheduler_send_grace(), RUNJOB_SEND_GRACE))
        await self.container.aclose()
        await self.container.db.close()
        if self._metrics is not None:
            await self._metrics.cleanup()
        log.info("shutdown complete")


def _readiness_reporter() -> Callable[[bool], None] | None:
    """In a worker of ``serve --workers N``: a function telling the supervisor each readiness
    flip, one byte on the pipe it passed (``STACK_CFO_WORKER_READY_FD``)."""
    fd = os.environ.get(READY_FD)
    if not fd:
        return None
    pipe = int(fd)

    def report(ready: bool) -> None:
        try:
            os.write(pipe, b"1" if ready else b"0")
        except OSError:  # the supervisor is gone; we are being stopped
            pass

    return report


GC_THRESHOLDS = (50_000, 20, 100)
"""The cyclic collector's thresholds in a serving process (CPython's default: 700, 10, 10).

Each open stream keeps dozens of live objects (the call, its task and generators, its
subscription), and a full collection walks every one of them: with 10,000 watches open, one
took 0.35-0.7 s of the loop, and the summaries recomputed after a price change allocate enough
to trigger several (bench/watches.py: 14 full collections, 5-10 s, over five changes). Collected
this rarely, full collections cost a few percent of that; the young generation is still
collected every 50,000 net allocations (milliseconds each)."""


def tune_gc() -> None:
    """Collect, freeze what start-up built (modules, protos, configuration: never garbage, never
    walked again) and collect rarely (:data:`GC_THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def serve(config: Config) -> int:
    await check_compute_model(config)
    conninfo, embedded = resolve_database_url(config)
    report = _readiness_reporter()
    worker = report is not None
    if worker:
        follow_supervisor()
    proc = ServerProcess(config, conninfo, reuse_port=worker, report_readiness=report, listen_when_serving=worker)
    try:
        await proc.start()
    except ListenError as exc:
        # One line naming the setting, then exit 2 as for a refused configuration (no traceback;
        # under ``--workers`` the supervisor then stops the pod instead of restarting it forever).
        log.error("cannot listen", extra=exc.log_fields())
        await proc.abort_start()
        del embedded
        return 2
    tune_gc()
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    stopped, failed = asyncio.ensure_future(stop.wait()), asyncio.ensure_future(proc.failed.wait())
    await asyncio.wait({stopped, failed}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    failed.cancel()
    if proc.listen_error is not None and not stop.is_set():
        # A worker binds its port once serving (see ServerProcess._become_ready): as above.
        log.error("cannot listen", extra=proc.listen_error.log_fields())
        await proc.abort_start()
        del embedded
        return 2
    log.info("signal received; shutting down")
    await proc.shutdown()
    del embedded  # the embedded server stops when the last handle goes
    return 0
