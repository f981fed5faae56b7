"""Scheduler metrics (the seed's names) on the scheduler process's own registry and port, and
for ``RunJob`` deliveries in ``stack-cfo serve`` on that process's page (:func:`in_process_metrics`).

Labels stay bounded: job type, notification type, channel, status, reason. User ids go to
logs and spans only.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from stack_cfo.core.notifications.kinds import Channel, NotificationKind
from stack_cfo.scheduler.health import SchedulerHealth
from stack_cfo.telemetry.listen import serve_app

log = logging.getLogger(__name__)

_LAG_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600)


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.jobs_executed = Counter(
            "notification_scheduler_jobs_executed",
            "Planner runs per job type (one per tick and kind in a scheduler process; a RunJob served by the API "
            "process is counted in its notifications_sent and users_processed only).",
            ["job_type"],
            registry=r,
        )
        self.job_duration = Histogram(
            "notification_scheduler_job_duration_seconds",
            "Duration of a planner run per job type.",
            ["job_type"],
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.users_processed = Counter(
            "notification_scheduler_users_processed",
            "Notifications a worker finished processing (sent, skipped, deferred, failed), per job type.",
            ["job_type"],
            registry=r,
        )
        self.notifications_sent = Counter(
            "notification_scheduler_notifications_sent",
            "Notifications accepted by the channel (SMTP server, FCM).",
            ["type", "channel"],
            registry=r,
        )
        self.job_failures = Counter(
            "notification_scheduler_job_failures",
            "Planner runs that raised, and delivery attempts that failed, per job type.",
            ["job_type"],
            registry=r,
        )
        self.retention_deleted = Counter(
            "stack_cfo_retention_deleted_rows",
            "Rows the retention job deleted, by table (docs/capacity.md).",
            ["table"],
            registry=r,
        )
        self.notifications_planned = Counter(
            "notification_scheduler_notifications_planned",
            "Outbox rows written by the planner, by status (pending or missed).",
            ["type", "status"],
            registry=r,
        )
        self.notifications_outcome = Counter(
            "notification_scheduler_notifications_outcome",
            "Worker outcomes that were not a send: skipped, deferred, retry, dead, expired, by reason.",
            ["type", "outcome", "reason"],
            registry=r,
        )
        self.reaped = Counter(
            "notification_scheduler_claims_reaped",
            "Rows returned by the reaper after their worker's claim expired.",
            registry=r,
        )
        self.outbox_pending = Gauge(
            "notification_scheduler_outbox_pending",
            "Outbox rows waiting (pending or retry), due or not.",
            registry=r,
        )
        self.outbox_due = Gauge(
            "notification_scheduler_outbox_due",
            "Outbox rows whose next attempt is due now.",
            registry=r,
        )
        self.oldest_pending_age = Gauge(
            "notification_scheduler_outbox_oldest_pending_age_seconds",
            "Age of the oldest due pending/retry row (0 when none is due).",
            registry=r,
        )
        self.delivery_lag = Histogram(
            "notification_scheduler_delivery_lag_seconds",
            "sent_at - scheduled_for of delivered notifications.",
            ["type"],
            buckets=_LAG_BUCKETS,
            registry=r,
        )
        self.in_flight = Gauge(
            "notification_scheduler_sends_in_flight", "Sends in progress in this replica.", registry=r
        )
        # Every job type and channel exists from the start (at 0), so rates and alerts see a
        # series before the first failure instead of no data.
        for kind in NotificationKind:
            job = kind.job_type
            for counter in (self.jobs_executed, self.users_processed, self.job_failures):
                counter.labels(job)
            for channel in Channel:
                self.notifications_sent.labels(job, channel.value)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _RunJobCollector(Collector):
    """The in-process metrics' families on the process's default registry, gauges left out: the
    outbox and in-flight gauges describe a scheduler process's queue, not ``RunJob``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def describe(self) -> list[Metric]:
        return []  # registering it must not collect (nor check its names against the others)

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            if family.type != "gauge":
                yield family


_in_process: SchedulerMetrics | None = None
_in_process_collector: _RunJobCollector | None = None
_in_process_lock = threading.Lock()


def in_process_metrics() -> SchedulerMetrics:
    """The one :class:`SchedulerMetrics` of this process for deliveries made outside the scheduler
    (``RunJob`` in ``stack-cfo serve``), created on first use. Its counters and histograms are on
    the process's default registry, so the server's ``/metrics`` page shows them (in a worker of
    ``serve --workers N`` every metric is written to the multiprocess files anyway, whatever its
    registry: the supervisor's page shows them without further copying)."""
    global _in_process, _in_process_collector
    with _in_process_lock:
        if _in_process is None:
            _in_process = SchedulerMetrics()
            _in_process_collector = _RunJobCollector(_in_process.registry)
            REGISTRY.register(_in_process_collector)
        return _in_process


class _DefaultRegistryWithout(Collector):
    """The process's default registry less the families ``own`` already has (a test process that
    ran ``RunJob`` has :func:`in_process_metrics` there, under the scheduler's own names)."""

    def __init__(self, own: CollectorRegistry) -> None:
        self._names = {family.name for family in own.collect()}

    def collect(self) -> Iterator[Metric]:
        for family in REGISTRY.collect():
            if family.name not in self._names:
                yield family


async def start_metrics_server(
    metrics: SchedulerMetrics, listen: str, health: SchedulerHealth | None = None
) -> web.AppRunner:
    """Serve on ``host:port`` (port 0 picks a free one): ``/metrics`` (this registry, then the
    process's default one: 0G compute, repository durations, pool and readiness figures),
    ``/livez`` and ``/readyz`` (200, or 503 with the reason)."""

    default = _DefaultRegistryWithout(metrics.registry)

    async def handler(_: web.Request) -> web.Response:
        body = await asyncio.to_thread(lambda: metrics.render() + generate_latest(default))
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def livez(_: web.Request) -> web.Response:
        live = health is None or health.live
        return web.Response(status=200 if live else 503, text="live\n" if live else "not live: the loop is stuck\n")

    async def readyz(_: web.Request) -> web.Response:
        if health is None:
            return web.Response(text="ready\n")
        return web.Response(status=200 if health.readiness.ready else 503, text=health.describe() + "\n")

    app = web.Application()
    app.router.add_get("/metrics", handler)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    runner = await serve_app(app, listen, "scheduler.metrics_listen")
    log.info("scheduler metrics and health listening", extra={"listen": listen})
    return runner
