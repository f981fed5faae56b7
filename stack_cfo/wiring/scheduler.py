"""``stack-cfo scheduler``: the scheduler process, built from the configuration.

It opens its own pool, builds the same compute client, portfolio service and archive store as
the API (through a :class:`~stack_cfo.wiring.container.Container`), and runs
:func:`~stack_cfo.scheduler.process.run_scheduler` until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import signal

from stack_cfo.config import Config
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.process import run_scheduler
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.wiring.container import Container
from stack_cfo.wiring.settings import scheduler_config
from stack_cfo.wiring.startup import resolve_database_url


def main(config: Config) -> int:
    """CLI entry (the configuration was validated when it was loaded): 0 after a graceful stop."""
    return asyncio.run(_main(config, scheduler_config(config)))


async def _main(config: Config, sconf: SchedulerConfig) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    conninfo, handle = resolve_database_url(config)
    db = Database(
        conninfo,
        PoolSettings(
            min_size=1, max_size=sconf.concurrency_limit + 6, timeout=config.database.pool_timeout.total_seconds()
        ),
        name="stack-cfo-scheduler",
    )
    await db.open()
    container = Container(config, db)
    container.provide("scheduler_config", sconf)
    portfolio = container.portfolio_facts
    await container.astart()  # the portfolio change feed keeps its cache fresh
    try:
        await run_scheduler(
            sconf,
            stop_event=stop,
            database=db,
            portfolio=portfolio,
            compute=container.compute,
            archive=container.archive,
        )
    finally:
        await container.aclose()
        await db.close()
        del handle
    return 0
