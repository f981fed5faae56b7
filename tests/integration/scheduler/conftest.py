"""Fixtures for the scheduler's integration tests: stand-ins, users, and a frozen-clock harness."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import Channel
from stack_cfo.core.notifications.policy import RetryPolicy
from stack_cfo.core.notifications.ports import (
    AlertFacts,
    DigestFacts,
    Holding,
    Mover,
    StaticNewsReader,
    StaticPortfolioReader,
    ValuePoint,
    WeeklyFacts,
)
from stack_cfo.scheduler.channels import DeliveryChannel
from stack_cfo.scheduler.config import SchedulerConfig, SmtpSettings
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.scheduler.planner import Planner
from stack_cfo.scheduler.process import build_worker
from stack_cfo.scheduler.worker import DeliveryWorker, RowOutcome
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.standins.fcm import FcmStandIn
from tests.standins.smtp import SmtpSink

HISTORY = tuple(ValuePoint(date(2026, 1, 1) + timedelta(days=i), Decimal(100_000 + 250 * i)) for i in range(30))
DIGEST = DigestFacts(
    day=date(2026, 1, 1),
    currency="USD",
    total_value=Decimal("107250.00"),
    change=Decimal("812.40"),
    day_return=0.0076,
    holdings=(Holding("AAPL", 0.55, Decimal("58987.50"), 0.012), Holding("MSFT", 0.45, Decimal("48262.50"), 0.002)),
    history=HISTORY,
)
WEEKLY = WeeklyFacts(
    week_start=date(2026, 1, 1),
    week_end=date(2026, 1, 7),
    currency="USD",
    start_value=Decimal("105000"),
    end_value=Decimal("107250"),
    change=Decimal("2250"),
    week_return=0.0214,
    benchmark_symbol="SPY",
    benchmark_return=0.011,
    top_movers=(Mover("AAPL", 0.031, Decimal("1800")),),
    history=HISTORY,
)

ALERT = AlertFacts(
    at=datetime(2026, 3, 9, 15, tzinfo=UTC),
    currency="USD",
    value=Decimal("96800"),
    change=Decimal("-3200"),
    move=-0.032,
    sigma=-2.8,
    threshold_sigma=2.0,
    drivers=(Mover("NVDA", -0.08, Decimal("-2400")),),
)


def static_portfolio(**kw: Any) -> StaticPortfolioReader:
    return StaticPortfolioReader(default_digest=DIGEST, default_weekly=WEEKLY, **kw)


def test_config(**overrides: Any) -> SchedulerConfig:
    """Fast intervals, no metrics port, short backoff; only what a test changes differs."""
    base = SchedulerConfig(
        metrics_listen="",
        poll_interval=timedelta(milliseconds=100),
        tick_interval=timedelta(seconds=1),
        heartbeat_interval=timedelta(seconds=1),
        lease=timedelta(seconds=30),
        retry=RetryPolicy(base=timedelta(seconds=60), cap=timedelta(minutes=30), max_attempts=6),
        shutdown_grace=timedelta(seconds=10),
        replica_id=f"test-{uuid.uuid4().hex[:6]}",
    )
    return replace(base, **overrides)


test_config.__test__ = False  # type: ignore[attr-defined]


def smtp_settings(sink: SmtpSink, **kw: Any) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=sink.port, starttls=False, timeout=5.0, **kw)


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = await SmtpSink().start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest.fixture
async def fcm() -> AsyncIterator[FcmStandIn]:
    standin = await FcmStandIn().start()
    try:
        yield standin
    finally:
        await standin.stop()


@contextlib.asynccontextmanager
async def _seeding() -> AsyncIterator[None]:
    """What the tests write and inspect directly spans users: the system scope (row-level security)."""
    with system_scope("test-seed"):
        yield


@pytest.fixture
def repo(database: Database) -> SchedulerRepo:
    return SchedulerRepo(database)


async def add_users(
    db: Database,
    n: int,
    *,
    created_at: datetime = datetime(2025, 1, 1, tzinfo=UTC),
    email: bool = True,
    prefs: Mapping[str, Any] | None = None,
) -> list[str]:
    """``n`` users (``user{i}@example.com``); with ``prefs`` each gets a notification_prefs row."""
    ids = [uuid.uuid4() for _ in range(n)]
    with system_scope("test-seed"):  # seeding spans users; the code under test sets its own scopes
        await _insert_users(db, ids, created_at, email, prefs)
    return [str(i) for i in ids]


async def _insert_users(
    db: Database, ids: list[uuid.UUID], created_at: datetime, email: bool, prefs: Mapping[str, Any] | None
) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (id, email, created_at) "
            "SELECT u, CASE WHEN %(email)s THEN 'user' || u::text || '@example.com' END, %(created)s "
            "FROM unnest(%(ids)s::uuid[]) AS u",
            {"ids": ids, "email": email, "created": created_at},
        )
        if prefs is not None:
            p = {
                "time_zone": "UTC",
                "email_address": None,
                "quiet_hours_start": None,
                "quiet_hours_end": None,
                "opted_in_at": created_at,
                "daily_digest_enabled": True,
                "weekly_summary_enabled": True,
                "performance_alerts_enabled": True,
                "email_enabled": True,
                "push_enabled": True,
                **prefs,
            }
            await conn.execute(
                "INSERT INTO notification_prefs (user_id, time_zone, email_address, quiet_hours_start, "
                "quiet_hours_end, opted_in_at, daily_digest_enabled, weekly_summary_enabled, "
                "performance_alerts_enabled, email_enabled, push_enabled) "
                "SELECT u.id, %(time_zone)s, coalesce(%(email_address)s::text, coalesce(u.email, '')), "
                "%(quiet_hours_start)s::time, %(quiet_hours_end)s::time, %(opted_in_at)s::timestamptz, "
                "%(daily_digest_enabled)s, "
                "%(weekly_summary_enabled)s, %(performance_alerts_enabled)s, %(email_enabled)s, %(push_enabled)s "
                "FROM users u WHERE u.id = ANY(%(ids)s::uuid[])",
                {**p, "ids": ids},
            )


async def add_device(db: Database, user_id: str, token: str, platform: str = "fcm") -> int:
    async with _seeding(), db.connection() as conn:
        row = await (
            await conn.execute(
                "INSERT INTO push_devices (user_id, platform, token) VALUES (%s, %s, %s) RETURNING id",
                (user_id, platform, token),
            )
        ).fetchone()
    assert row is not None
    return int(row["id"])


async def outbox(db: Database, where: str = "true", params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    async with _seeding(), db.connection() as conn:
        return await (
            await conn.execute(f"SELECT * FROM notification_outbox WHERE {where} ORDER BY id", params or {})  # type: ignore[arg-type]
        ).fetchall()


@dataclass
class Harness:
    """Planner + worker over one database with a frozen clock, stepping time by hand."""

    db: Database
    config: SchedulerConfig
    clock: FrozenClock
    planner: Planner
    worker: DeliveryWorker
    metrics: SchedulerMetrics

    @property
    def repo(self) -> SchedulerRepo:
        return self.planner.repo

    async def step(self, at: datetime, *, plan: bool = True) -> list[RowOutcome]:
        self.clock.set(at)
        if plan:
            await self.planner.tick()
        return await self.worker.drain()

    async def walk(self, start: datetime, end: datetime, every: timedelta) -> list[RowOutcome]:
        out: list[RowOutcome] = []
        t = start
        while t <= end:
            out += await self.step(t)
            t += every
        return out


def make_harness(
    db: Database,
    config: SchedulerConfig,
    channels: Mapping[Channel, DeliveryChannel],
    *,
    start: datetime,
    portfolio: Any = None,
    news: Iterable[Any] = (),
) -> Harness:
    clock = FrozenClock(start)
    metrics = SchedulerMetrics()
    repo = SchedulerRepo(db)
    planner = Planner(repo, config, metrics=metrics, clock=clock)
    worker = build_worker(
        db,
        config,
        portfolio=portfolio or static_portfolio(),
        news=StaticNewsReader(tuple(news)),
        channels=channels,
        metrics=metrics,
        clock=clock,
        worker_id=config.replica_id,
    )
    return Harness(db, config, clock, planner, worker, metrics)


def local(d: date, t: time, tz: str) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(d, t, ZoneInfo(tz)).astimezone(UTC)


def write_fcm_account(fcm: FcmStandIn, tmp_path: Path) -> Path:
    return fcm.write_service_account(tmp_path / "service-account.json")
