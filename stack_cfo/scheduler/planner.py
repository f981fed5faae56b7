"""The planner: on each tick, writes due notifications into the outbox (set-based, idempotent).

"Now" is the database clock unless a test passes one. Slots are computed in Python per
distinct user time zone (zoneinfo), then inserted for every matching user and target in one
``INSERT ... SELECT ... ON CONFLICT (idempotency_key) DO NOTHING`` per kind. Any number of
replicas may tick at once: an advisory lock saves duplicate work, the unique key guarantees
a notification exists once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from opentelemetry import trace

from stack_cfo.core.clock import Clock
from stack_cfo.core.data_scope import in_system_scope
from stack_cfo.core.market_calendar import MarketCalendar, NyseCalendar
from stack_cfo.core.notifications.kinds import NotificationKind, OutboxStatus
from stack_cfo.core.notifications.planning import PlannedSlot, plan_kind
from stack_cfo.core.notifications.records import PlanCounts
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.store.scheduler import SchedulerRepo

log = logging.getLogger(__name__)
tracer = trace.get_tracer("stack_cfo.scheduler")

SPAN_NAMES = {
    NotificationKind.DIGEST: "scheduler.run_daily_digest",
    NotificationKind.WEEKLY: "scheduler.run_weekly_summary",
    NotificationKind.ALERT: "scheduler.check_performance_alerts",
}


@dataclass(frozen=True, slots=True)
class PlanResult:
    kind: NotificationKind
    ran: bool
    """False when another replica held this kind's planner lock (it did the work)."""
    pending: int
    missed: int
    seconds: float


class Planner:
    def __init__(
        self,
        repo: SchedulerRepo,
        config: SchedulerConfig,
        *,
        calendar: MarketCalendar | None = None,
        metrics: SchedulerMetrics | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.repo = repo
        self.config = config
        self.calendar = calendar or NyseCalendar()
        self.metrics = metrics
        self.clock = clock
        self.last_planned = 0

    def _slots(self, kind: NotificationKind, now: datetime, start: datetime, zones: list[str]) -> list[PlannedSlot]:
        return plan_kind(
            kind,
            self.config.schedule_for(kind),
            zones,
            start=start,
            now=now,
            grace=self.config.grace.for_kind(kind),
            calendar=self.calendar,
        )

    @in_system_scope("planner")  # plans every user's notifications
    async def tick(self, now: datetime | None = None) -> list[PlanResult]:
        """Plan every enabled kind once. ``now`` defaults to the injected clock, else the DB clock."""
        if now is None:
            now = self.clock.now() if self.clock is not None else await self.repo.db_now()
        results = []
        for kind in NotificationKind:
            if self.config.enabled_for(kind):
                results.append(await self.plan(kind, now))
        self.last_planned = sum(r.pending for r in results)
        return results

    @in_system_scope("planner")
    async def plan(self, kind: NotificationKind, now: datetime) -> PlanResult:
        started = time.monotonic()
        job = kind.job_type
        with tracer.start_as_current_span(SPAN_NAMES[kind]) as span:
            span.set_attribute("scheduler.now", now.isoformat())
            try:
                ran, counts, _ = await self.repo.plan(
                    kind,
                    now=now,
                    compute_slots=partial(self._slots, kind, now),
                    max_attempts=self.config.retry.max_attempts,
                    overlap=max(self.config.tick_interval, timedelta(minutes=1)),
                    horizon=self.config.audit_horizon,
                )
            except Exception:
                if self.metrics:
                    self.metrics.job_failures.labels(job).inc()
                log.exception("planner tick failed", extra={"job_type": job})
                raise
            elapsed = time.monotonic() - started
            span.set_attribute("scheduler.planned", counts.pending)
            span.set_attribute("scheduler.missed", counts.missed)
            span.set_attribute("scheduler.ran", ran)
        if ran and self.metrics:
            self.metrics.jobs_executed.labels(job).inc()
            self.metrics.job_duration.labels(job).observe(elapsed)
            self.metrics.notifications_planned.labels(job, OutboxStatus.PENDING.value).inc(counts.pending)
            self.metrics.notifications_planned.labels(job, OutboxStatus.MISSED.value).inc(counts.missed)
        if counts.pending or counts.missed:
            log.info(
                "planned notifications",
                extra={"job_type": job, "pending": counts.pending, "missed": counts.missed, "now": now.isoformat()},
            )
        return _result(kind, ran, counts, elapsed)


def _result(kind: NotificationKind, ran: bool, counts: PlanCounts, seconds: float) -> PlanResult:
    return PlanResult(kind, ran, counts.pending, counts.missed, seconds)
