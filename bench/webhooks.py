"""Webhook delivery benchmark: 10,000 signed deliveries through the outbox, one endpoint dead all along.

    .venv/bin/python bench/webhooks.py [--deliveries 10000] [--concurrency N] [--latency 0.05]

``--deliveries`` live deliveries go to 4 service-level webhook endpoints of a local receiver (another
process) that answers each POST after ``--latency`` seconds; a fifth endpoint of the same service never
answers at all (its requests hang until the webhook timeout). Every user's daily digest is planned for
all five endpoints by one planner tick, then one replica's worker (the production loop:
``DeliveryWorker.run``, batch 50) delivers them at the configured concurrency
(``SCHEDULER_CONCURRENCY_LIMIT``, default 10) with the configured webhook timeout and breaker.

Reported: live deliveries per second, as a ratio of the bound concurrency / latency (goal >= 0.8), and
as a ratio of a raw client measured in the same run (aiohttp POSTs to the same receiver at the same
concurrency, no database, no signing), plus what the dead endpoint cost (requests it got, rows postponed).

The database is ``DATABASE_URL``'s server (a new database, dropped afterwards) or an embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import aiohttp  # noqa: E402
from scheduler_digests import throwaway_database  # noqa: E402

from stack_cfo.config import Config  # noqa: E402
from stack_cfo.config.notifications import WebhookSettings  # noqa: E402
from stack_cfo.core.data_scope import system_scope  # noqa: E402
from stack_cfo.core.notifications.kinds import Channel, NotificationKind  # noqa: E402
from stack_cfo.core.notifications.ports import StaticPortfolioReader  # noqa: E402
from stack_cfo.core.notifications.schedules import CronSchedule  # noqa: E402
from stack_cfo.core.notifications.webhooks import new_secret  # noqa: E402
from stack_cfo.scheduler.channels.webhook import WebhookChannel  # noqa: E402
from stack_cfo.scheduler.config import SchedulerConfig  # noqa: E402
from stack_cfo.scheduler.planner import Planner  # noqa: E402
from stack_cfo.scheduler.process import build_worker  # noqa: E402
from stack_cfo.store.db import Database, PoolSettings  # noqa: E402
from stack_cfo.store.scheduler import SchedulerRepo  # noqa: E402
from tests.integration.scheduler.conftest import DIGEST  # noqa: E402

LIVE_ENDPOINTS = 4


def _receiver_main(latency: float, ports: Any, stop: Any) -> None:
    from tests.standins.webhook_receiver import WebhookReceiver

    async def serve() -> None:
        receiver = await WebhookReceiver(latency=latency).start()
        ports.put(receiver.port)
        await asyncio.to_thread(stop.wait)
        ports.put(receiver.slow_count)
        ports.put(receiver.hits.get("/hang", 0))
        await receiver.stop()

    asyncio.run(serve())


async def raw_rate(url: str, n: int, concurrency: int) -> float:
    """POSTs per second of a bare aiohttp client at ``concurrency`` to the same receiver."""
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one() -> None:
            async with sem, session.post(url, data=b'{"bench":true}') as resp:
                await resp.read()

        started = time.monotonic()
        await asyncio.gather(*(one() for _ in range(n)))
        return n / (time.monotonic() - started)


async def bench(dsn: str, deliveries: int, concurrency: int, latency: float, port: int) -> dict[str, float]:
    users = deliveries // LIVE_ENDPOINTS
    base = f"http://127.0.0.1:{port}"
    db = Database(dsn, PoolSettings(min_size=2, max_size=concurrency + 6), name="bench-webhooks")
    await db.open()
    try:
        async with db.transaction() as conn:
            ids = [uuid.uuid4() for _ in range(users)]
            await conn.execute(
                "INSERT INTO users (id, created_at) SELECT u, now() - interval '1 day' FROM unnest(%(ids)s::uuid[]) u",
                {"ids": ids},
            )
            for i in range(LIVE_ENDPOINTS):
                await conn.execute(
                    "INSERT INTO webhook_endpoints (service, url, secret) VALUES ('bench', %s, %s)",
                    (f"{base}/slow?e={i}", new_secret()),
                )
            dead = await (
                await conn.execute(
                    "INSERT INTO webhook_endpoints (service, url, secret) VALUES ('bench', %s, %s) RETURNING id",
                    (f"{base}/hang", new_secret()),
                )
            ).fetchone()
            assert dead is not None
        keys = Config().scheduler
        repo = SchedulerRepo(db)
        now = await repo.db_now()
        slot = now - timedelta(minutes=1)  # a digest "at" the last minute (users are in UTC)
        config = SchedulerConfig(
            daily_digest=CronSchedule.parse(f"{slot.minute} {slot.hour} * * *"),
            enable_weekly_summary=False,
            enable_performance_alerts=False,
            concurrency_limit=concurrency,
            batch_size=keys.batch_size,
            metrics_listen="",
            replica_id="bench-webhooks",
        )
        hooks = WebhookSettings(allow_private_networks=True)  # local receiver; timeout and breaker as configured
        await repo.set_planner_state(NotificationKind.DIGEST, epoch=now - timedelta(minutes=3))
        planned = await Planner(repo, config).tick(now)
        rows = sum(r.pending for r in planned)
        assert rows == users * (LIVE_ENDPOINTS + 1), rows
        channel = WebhookChannel(hooks)
        worker = build_worker(
            db, config, portfolio=StaticPortfolioReader(default_digest=DIGEST), channels={Channel.WEBHOOK: channel}
        )
        stop = asyncio.Event()
        started = time.monotonic()
        task = asyncio.ensure_future(worker.run(stop))
        live_sent = 0
        while live_sent < deliveries:
            await asyncio.sleep(0.1)
            async with db.connection() as conn:
                r = await (
                    await conn.execute(
                        "SELECT count(*) AS n FROM notification_outbox WHERE status = 'sent' AND target_id <> %s",
                        (dead["id"],),
                    )
                ).fetchone()
            assert r is not None
            live_sent = r["n"]
            if time.monotonic() - started > 600:
                raise TimeoutError(f"only {live_sent} deliveries after 10 minutes")
        elapsed = time.monotonic() - started
        stop.set()
        await task
        await channel.aclose()
        async with db.connection() as conn:
            d = await (
                await conn.execute(
                    "SELECT count(*) FILTER (WHERE status = 'pending') AS postponed, "
                    "count(*) FILTER (WHERE status IN ('retry', 'dead')) AS failed, "
                    "coalesce(sum(attempts), 0) AS attempts "
                    "FROM notification_outbox WHERE target_id = %s",
                    (dead["id"],),
                )
            ).fetchone()
        assert d is not None
        return {
            "elapsed": elapsed,
            "rate": live_sent / elapsed,
            "rows": rows,
            "postponed": d["postponed"],
            "dead_failed": d["failed"],
            "dead_attempts": d["attempts"],
        }
    finally:
        await db.close()


async def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deliveries", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, default=Config().scheduler.concurrency_limit)
    p.add_argument("--latency", type=float, default=0.05)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    ctx = mp.get_context("spawn")
    ports, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=_receiver_main, args=(args.latency, ports, stop), daemon=True)
    proc.start()
    try:
        port = ports.get(timeout=30)
        bound = args.concurrency / args.latency
        raw = await raw_rate(f"http://127.0.0.1:{port}/slow", max(500, args.concurrency * 100), args.concurrency)
        async with throwaway_database() as dsn:
            r = await bench(dsn, args.deliveries, args.concurrency, args.latency, port)
    finally:
        stop.set()
    served, hung = ports.get(timeout=30), ports.get(timeout=30)
    proc.join(timeout=10)
    print(f"webhooks: {args.deliveries} live deliveries in {r['elapsed']:.1f} s = {r['rate']:.1f}/s "
          f"(concurrency {args.concurrency}, receiver latency {args.latency * 1000:.0f} ms, "
          f"{int(r['rows'])} rows incl. the dead endpoint's)")  # fmt: skip
    print(f"  ratio vs the bound concurrency / latency ({bound:.0f}/s): {r['rate'] / bound:.2f}  (goal >= 0.8)")
    print(f"  ratio vs a raw aiohttp client at the same concurrency ({raw:.1f}/s, no DB, no signing): "
          f"{r['rate'] / raw:.2f}")  # fmt: skip
    print(f"  dead endpoint: {hung} requests reached it, {int(r['dead_attempts'])} attempts spent, "
          f"{int(r['postponed'])} of its rows waiting (postponed, no attempt spent); "
          f"receiver served {served}")  # fmt: skip
    return 0


if __name__ == "__main__":
    # The bench seeds, plans and inspects every user's rows: the system scope (row-level security).
    with system_scope("bench"):
        sys.exit(asyncio.run(main()))
