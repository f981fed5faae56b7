"""``stack-cfo scheduler``: the scheduler process, built from the configuration.

It serves ``/metrics``, ``/livez`` and ``/readyz`` on ``scheduler.metrics_listen`` from the first
moment, waits for the database and for its schema to reach head (the scheduler never migrates:
``stack-cfo migrate up`` or a ``serve`` with ``migrate_on_start`` does), then opens its own pool,
builds the same compute client, portfolio service and archive store as the API (through a
:class:`~stack_cfo.wiring.container.Container`), and runs
:func:`~stack_cfo.scheduler.process.run_scheduler` until SIGTERM or SIGINT.

While it waits it is live but not ready, and it says why once (then again when it stops
waiting) instead of failing every tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal

from stack_cfo.config import Config
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.health import HealthTimings, SchedulerHealth
from stack_cfo.scheduler.metrics import SchedulerMetrics, start_metrics_server
from stack_cfo.scheduler.process import run_scheduler
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.store.migrations import Migrator
from stack_cfo.telemetry.listen import ListenError
from stack_cfo.telemetry.metrics import register_pool_stats
from stack_cfo.wiring.container import Container
from stack_cfo.wiring.settings import scheduler_config
from stack_cfo.wiring.startup import check_compute_model, resolve_database_url

log = logging.getLogger(__name__)

MAX_WAIT = 5.0
"""Longest pause between two looks at the database or its schema while starting."""


def main(config: Config) -> int:
    """CLI entry (the configuration was validated when it was loaded): 0 after a graceful stop."""
    return asyncio.run(_main(config, scheduler_config(config)))


def health_timings(config: Config) -> HealthTimings:
    s = config.server
    return HealthTimings(s.db_health_interval.total_seconds(), s.health_timeout, s.db_failures_before_unready)


async def _main(config: Config, sconf: SchedulerConfig) -> int:
    await check_compute_model(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    conninfo, handle = resolve_database_url(config)
    metrics = SchedulerMetrics()
    health = SchedulerHealth(health_timings(config))
    try:
        runner = await start_metrics_server(metrics, sconf.metrics_listen, health) if sconf.metrics_listen else None
    except ListenError as exc:  # one line naming the setting, then exit 2 as for a refused configuration
        log.error("cannot listen", extra=exc.log_fields())
        del handle
        return 2
    db = Database(
        conninfo,
        PoolSettings(
            min_size=1, max_size=sconf.concurrency_limit + 6, timeout=config.database.pool_timeout.total_seconds()
        ),
        name="stack-cfo-scheduler",
        role=config.database.role or None,
    )
    container: Container | None = None
    try:
        # The schema first: its migrations create the role the pool switches to (row-level security).
        if not await _schema_at_head(conninfo, stop, health) or not await _database_reachable(db, stop, health):
            return 0
        register_pool_stats(db.stats)
        container = Container(config, db)
        container.provide("scheduler_config", sconf)
        portfolio = container.portfolio_facts
        await container.astart()  # the portfolio change feed keeps its cache fresh
        await run_scheduler(
            dataclasses.replace(sconf, metrics_listen=""),  # already served above
            stop_event=stop,
            database=db,
            portfolio=portfolio,
            compute=container.compute,
            archive=container.archive,
            sealer=container.sealer,
            metrics=metrics,
            health=health,
        )
    finally:
        if container is not None:
            await container.aclose()
        await db.close()
        if runner is not None:
            await runner.cleanup()
        del handle
    return 0


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _database_reachable(db: Database, stop: asyncio.Event, health: SchedulerHealth) -> bool:
    """Open the pool, waiting while the database does not answer; False when stopped meanwhile."""
    delay, told = 0.5, False
    health.waiting_for = "the database does not answer"
    while not stop.is_set():
        try:
            await db.open(timeout=MAX_WAIT)
        except Exception as exc:
            if not told:
                log.warning("database not reachable yet; waiting", extra={"error": type(exc).__name__})
                told = True
            await _pause(stop, delay)
            delay = min(delay * 2, MAX_WAIT)
            continue
        if told:
            log.info("database reachable")
        return True
    return False


async def _schema_at_head(conninfo: str, stop: asyncio.Event, health: SchedulerHealth) -> bool:
    """Wait until the migrations are at head (logged once, not every tick); False when stopped."""
    migrator = Migrator(conninfo)
    delay, told, told_down = 0.5, False, False
    while not stop.is_set():
        try:
            status = await migrator.status()
        except Exception as exc:
            health.waiting_for = "the database does not answer"
            if not told_down:  # once (README: "waits, not ready, and says so once")
                log.warning("database does not answer; waiting, not ready",
                            extra={"error": type(exc).__name__, "detail": str(exc).splitlines()[0][:200]
                                   if str(exc) else ""})
                told_down = True
            else:
                log.debug("migration status unavailable", extra={"error": type(exc).__name__})
        else:
            if status.at_head:
                if told:
                    log.info("database schema is at head; starting", extra={"head": status.head})
                return True
            health.waiting_for = status.waiting_for()
            if not told:
                log.warning(
                    f"database schema is not at head; waiting: {status.waiting_for()}" if status.ahead else
                    "database schema is not at head; waiting for `stack-cfo migrate up` (or a serve with "
                    "database.migrate_on_start)",
                    extra={"current": status.current, "head": status.head},
                )
                told = True
        await _pause(stop, delay)
        delay = min(delay * 2, MAX_WAIT)
    return False
