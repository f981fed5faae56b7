"""One scheduler replica as a real OS process, for the multi-process and crash tests.

    python -m tests.integration.scheduler.replica --dsn ... --smtp-port N [--no-planner]
        [--digest-cron "M H * * *"] [--lease 2s] [--start-at EPOCH_SECONDS] --replica NAME

Runs :func:`stack_cfo.scheduler.process.run_scheduler` with the static test portfolio and an
SMTP channel to the test's sink. SIGTERM stops it gracefully; it then prints ``sent=<n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

from stack_cfo.config import build_config
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.scheduler.process import run_scheduler
from stack_cfo.telemetry.logging import configure_logging
from tests.integration.scheduler.conftest import static_portfolio


async def _run(args: argparse.Namespace) -> int:
    config = SchedulerConfig.from_config(
        build_config(
            {},
            {
                "SCHEDULER_DAILY_DIGEST_TIME": args.digest_cron,
                "NOTIFICATION_ENABLE_WEEKLY_SUMMARY": "false",
                "NOTIFICATION_ENABLE_PERFORMANCE_ALERTS": "false",
                "SCHEDULER_METRICS_LISTEN": "off",
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(args.smtp_port),
                "SMTP_STARTTLS": "false",
                "SCHEDULER_LEASE": args.lease,
                "SCHEDULER_POLL_INTERVAL": "100ms",
                "SCHEDULER_TICK_INTERVAL": "1s",
                "SCHEDULER_HEARTBEAT_INTERVAL": "1s",
                "SCHEDULER_BATCH_SIZE": str(args.batch),
                "SCHEDULER_CONCURRENCY_LIMIT": str(args.concurrency),
                "SCHEDULER_REPLICA_ID": args.replica,
            },
        )
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if args.start_at:
        await asyncio.sleep(max(0.0, args.start_at - time.time()))
    metrics = SchedulerMetrics()
    await run_scheduler(
        config,
        stop_event=stop,
        conninfo=args.dsn,
        portfolio=static_portfolio(),
        metrics=metrics,
        planner_enabled=not args.no_planner,
        on_ready=lambda _port: print("ready", flush=True),
    )
    sent = sum(
        s.value
        for m in metrics.registry.collect()
        if m.name == "notification_scheduler_notifications_sent"
        for s in m.samples
        if s.name.endswith("_total")
    )
    print(f"sent={int(sent)}", flush=True)
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--dsn", required=True)
    p.add_argument("--smtp-port", type=int, required=True)
    p.add_argument("--digest-cron", default="0 8 * * *")
    p.add_argument("--lease", default="2m")
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--replica", required=True)
    p.add_argument("--no-planner", action="store_true")
    p.add_argument("--start-at", type=float, default=0.0)
    args = p.parse_args()
    configure_logging("WARNING")
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
