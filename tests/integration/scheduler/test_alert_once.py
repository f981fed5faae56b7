"""A performance alert is news once (docs/api.md, "Performance alerts"; scheduler.proto,
``alert_threshold_percent``): the hourly check measures the day's move from the previous close, and a
user hears of a move when it first crosses the threshold that market day, again only when it has grown
by another threshold beyond the last alerted move the same way or crossed the threshold the other way,
and afresh the next market day. The memory is the outbox's and the stored renderings', so two
scheduler processes share it.

Real planner, worker, content service and portfolio service over PostgreSQL with a frozen clock;
e-mail through an SMTP sink, push through the FCM stand-in. Prices: ZZA closes at 20 + 0.1 x (n % 3 - 1)
on the n-th NYSE session from Mon 5 Oct to Fri 4 Dec 2026 (a calm history); on Mon 7 Dec (and Tue 8 Dec)
quotes arrive a few minutes before each hourly check. The user's threshold is 2 % (and 50 standard
deviations, out of reach, so the percentage decides as in the tester's report).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.data_scope import system_scope, user_scope
from stack_cfo.core.notifications.kinds import Channel
from stack_cfo.core.notifications.portfolio_facts import PortfolioFacts
from stack_cfo.core.portfolio import PortfolioService
from stack_cfo.core.portfolio.inputs import HoldingInput, PriceInput, SyncCommand
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.crypto.envelope import MasterKeys
from stack_cfo.crypto.fields import CLEAR, FieldSealer, SealerSource
from stack_cfo.scheduler.channels import DeliveryChannel
from stack_cfo.scheduler.channels.fcm import FcmChannel
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.config import FcmSettings, SchedulerConfig
from stack_cfo.scheduler.metrics import SchedulerMetrics
from stack_cfo.scheduler.planner import Planner
from stack_cfo.scheduler.process import build_worker
from stack_cfo.scheduler.worker import DeliveryWorker, RowOutcome
from stack_cfo.store.archive_keys import PgKeyRing
from stack_cfo.store.db import Database
from stack_cfo.store.portfolio_repo import PortfolioRepository
from stack_cfo.store.scheduler import SchedulerRepo
from tests.integration.scheduler.conftest import (
    add_device,
    add_users,
    outbox,
    smtp_settings,
    test_config,
    write_fcm_account,
)
from tests.standins.fcm import FcmStandIn
from tests.standins.smtp import SmtpSink
from tests.support.portfolio_feeds import TestFeed, nyse_sessions
from tests.support.secrets import ARCHIVE_MASTER_KEYS

NY = ZoneInfo("America/New_York")
FIRST = date(2026, 10, 5)
FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)
TUESDAY = date(2026, 12, 8)
SHARES = Decimal(100)
ALERTS_ONLY = {"enable_daily_digest": False, "enable_weekly_summary": False}


def _close(n: int) -> Decimal:
    return Decimal(20) + Decimal(n % 3 - 1) / 10


FRIDAY_CLOSE = _close(len(nyse_sessions(FIRST, FRIDAY)) - 1)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), NY).astimezone(UTC)


@dataclass
class Market:
    """One user holding 100 ZZA, the scheduler's planner and worker(s), and one clock for all of them."""

    db: Database
    user: str
    clock: FrozenClock
    service: PortfolioService
    planner: Planner
    workers: list[DeliveryWorker]
    last_drained: list[int] = field(default_factory=list)
    """How many rows each worker settled at the last check."""

    async def quote(self, at: datetime, price: Decimal) -> None:
        self.clock.set(at)
        await self.service.record_prices([PriceInput("ZZA", at, price, "USD")], idempotency=None)

    async def check(
        self, day: date, hour: int, move_pct: str, *, reference: Decimal = FRIDAY_CLOSE
    ) -> list[RowOutcome]:
        """A quote ``move_pct`` % from ``reference`` (the previous close) at hh:55 before, then the hh:00
        check: planned, then drained by every worker at once."""
        price = (reference * (1 + Decimal(move_pct) / 100)).quantize(Decimal("0.0001"))
        await self.quote(_at(day, hour - 1, 55), price)
        self.clock.set(_at(day, hour))
        await self.planner.tick()
        drained = await asyncio.gather(*(w.drain() for w in self.workers))
        self.last_drained = [len(d) for d in drained]
        return [o for d in drained for o in d]


async def _market(
    db: Database,
    channels: dict[Channel, DeliveryChannel],
    *,
    workers: int = 1,
    quiet: tuple[time, time] | None = None,
    config: SchedulerConfig | None = None,
    sealer: SealerSource = CLEAR,
) -> Market:
    [user] = await add_users(
        db,
        1,
        prefs={
            "time_zone": "America/New_York",
            "quiet_hours_start": quiet[0] if quiet else None,
            "quiet_hours_end": quiet[1] if quiet else None,
        },
    )
    with system_scope("test-seed"):
        async with db.connection() as conn:
            await conn.execute(
                "UPDATE notification_prefs SET alert_threshold_percent = 2.0, alert_threshold_sigma = 50.0 "
                "WHERE user_id = %s",
                (user,),
            )
    clock = FrozenClock(_at(FIRST, 9))
    service = PortfolioService(PortfolioRepository(db), TestFeed(), clock=clock, settings=AnalyticsSettings())
    with user_scope(user):
        await service.sync(
            SyncCommand(
                user_id=user,
                positions=(HoldingInput("ZZA", SHARES, Decimal(10)),),
                cash_balance=Decimal(0),
                base_currency="USD",
            )
        )
    clock.set(_at(MONDAY, 8))
    closes = [PriceInput("ZZA", d, _close(n), "USD") for n, d in enumerate(nyse_sessions(FIRST, FRIDAY))]
    await service.record_prices(closes, idempotency=None)
    config = config or test_config(**ALERTS_ONLY)
    metrics = SchedulerMetrics()
    planner = Planner(SchedulerRepo(db), config, metrics=metrics, clock=clock)
    facts = PortfolioFacts(service, clock=clock)
    built = [
        build_worker(db, config, portfolio=facts, channels=channels, metrics=metrics, clock=clock,
                     worker_id=f"{config.replica_id}-{i}", sealer=sealer)
        for i in range(workers)
    ]
    clock.set(_at(MONDAY, 9))
    await planner.tick()  # the deploy epoch: the first check is 10:00
    return Market(db, user, clock, service, planner, built)


async def _alert_rows(db: Database, status: str | None = None) -> list[tuple[str, str, str | None]]:
    rows = await outbox(db, "kind = 'alert'")
    return [
        (r["slot_local"], r["status"], r["reason"]) for r in rows if status is None or r["status"] == status
    ]


def _subjects(sink: SmtpSink) -> list[str]:
    """The e-mails' subjects without their sigma tag (" (4.2σ)")."""
    return [m.subject.split(" (")[0] for m in sink.received()]


# -- the tester's day: one alert, not one per hour ---------------------------------------------------


async def test_a_day_that_stays_down_alerts_once(database: Database, smtp_sink: SmtpSink) -> None:
    m = await _market(database, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    await m.check(MONDAY, 10, "-3.0")
    await m.check(MONDAY, 11, "-3.2")
    await m.check(MONDAY, 12, "-3.3")

    assert _subjects(smtp_sink) == ["Unusual move: portfolio -3.00%"]
    assert await _alert_rows(database) == [
        ("XNYS-2026-12-07T10", "sent", None),
        ("XNYS-2026-12-07T11", "skipped", "no_alert"),
        ("XNYS-2026-12-07T12", "skipped", "no_alert"),
    ]


async def test_a_move_that_grows_by_another_threshold_alerts_again(database: Database, smtp_sink: SmtpSink) -> None:
    m = await _market(database, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    await m.check(MONDAY, 10, "-3.0")
    await m.check(MONDAY, 11, "-4.9")  # 1.9 points beyond the alerted 3.0: not yet
    await m.check(MONDAY, 12, "-5.1")  # 2.1 points beyond: news
    await m.check(MONDAY, 13, "-6.0")  # 0.9 beyond the alerted 5.1
    await m.check(MONDAY, 14, "-7.1")  # 2.0 beyond 5.1

    assert _subjects(smtp_sink) == [
        "Unusual move: portfolio -3.00%",
        "Unusual move: portfolio -5.10%",
        "Unusual move: portfolio -7.10%",
    ]
    assert [status for _, status, _ in await _alert_rows(database)] == ["sent", "skipped", "sent", "skipped", "sent"]


async def test_a_reversal_through_the_threshold_alerts_once(database: Database, smtp_sink: SmtpSink) -> None:
    m = await _market(database, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    await m.check(MONDAY, 10, "-3.0")
    await m.check(MONDAY, 11, "-1.0")  # back within the threshold: the rule does not fire
    await m.check(MONDAY, 12, "2.5")  # up through the threshold: a first crossing upwards
    await m.check(MONDAY, 13, "2.8")
    await m.check(MONDAY, 14, "-2.6")  # down again, but less than the 3.0 already alerted

    assert _subjects(smtp_sink) == ["Unusual move: portfolio -3.00%", "Unusual move: portfolio +2.50%"]
    assert [status for _, status, _ in await _alert_rows(database)] == ["sent", "skipped", "sent", "skipped", "skipped"]


async def test_the_next_market_day_starts_afresh(database: Database, smtp_sink: SmtpSink) -> None:
    m = await _market(database, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    await m.check(MONDAY, 10, "-3.0")
    await m.check(MONDAY, 15, "-3.3")
    monday_close = (FRIDAY_CLOSE * Decimal("0.967")).quantize(Decimal("0.0001"))
    m.clock.set(_at(MONDAY, 17))
    await m.service.record_prices([PriceInput("ZZA", MONDAY, monday_close, "USD")], idempotency=None)
    # Tuesday: -3.0 % from Monday's close, a smaller move than Monday's alerted one: news on a new day
    await m.check(TUESDAY, 10, "-3.0", reference=monday_close)
    await m.check(TUESDAY, 11, "-3.1", reference=monday_close)

    assert _subjects(smtp_sink) == ["Unusual move: portfolio -3.00%", "Unusual move: portfolio -3.00%"]
    assert await _alert_rows(database, "sent") == [
        ("XNYS-2026-12-07T10", "sent", None),
        ("XNYS-2026-12-08T10", "sent", None),
    ]


async def test_an_alert_dropped_in_quiet_hours_does_not_count(database: Database, smtp_sink: SmtpSink) -> None:
    # quiet until 10:30 New York time: the 10:00 alert is dropped, so the user has not heard of the move
    m = await _market(database, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}, quiet=(time(6), time(10, 30)))
    await m.check(MONDAY, 10, "-3.0")
    await m.check(MONDAY, 11, "-3.2")
    await m.check(MONDAY, 12, "-3.3")

    assert _subjects(smtp_sink) == ["Unusual move: portfolio -3.20%"]
    assert await _alert_rows(database) == [
        ("XNYS-2026-12-07T10", "skipped", "quiet_hours"),
        ("XNYS-2026-12-07T11", "sent", None),
        ("XNYS-2026-12-07T12", "skipped", "no_alert"),
    ]


async def test_an_alert_no_channel_delivered_does_not_count(database: Database, smtp_sink: SmtpSink) -> None:
    # every delivery of the 10:00 alert fails for good: the user never got it, so 11:00 is still news
    m = await _market(database, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))})
    smtp_sink.fail_next("550 5.1.1 mailbox unavailable")
    await m.check(MONDAY, 10, "-3.0")
    await m.check(MONDAY, 11, "-3.2")
    await m.check(MONDAY, 12, "-3.3")

    assert _subjects(smtp_sink) == ["Unusual move: portfolio -3.20%"]
    assert [(p, s) for p, s, _ in await _alert_rows(database)] == [
        ("XNYS-2026-12-07T10", "dead"),
        ("XNYS-2026-12-07T11", "sent"),
        ("XNYS-2026-12-07T12", "skipped"),
    ]


# -- two scheduler processes share the memory ----------------------------------------------------


@contextlib.asynccontextmanager
async def _email_and_push(smtp_sink: SmtpSink, fcm: FcmStandIn, tmp_path: Path) -> AsyncIterator[
    dict[Channel, DeliveryChannel]
]:
    settings = FcmSettings(
        project_id=fcm.project_id, service_account_file=write_fcm_account(fcm, tmp_path), endpoint=fcm.base_url
    )
    async with aiohttp.ClientSession() as session:
        yield {
            Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink)),
            Channel.PUSH: FcmChannel(settings, session=session),
        }


async def test_two_scheduler_workers_checking_the_same_hours_alert_once(
    database: Database, smtp_sink: SmtpSink, fcm: FcmStandIn, tmp_path: Path
) -> None:
    # each worker is a scheduler process of its own (its own content service and caches) and takes one row
    # at a time, so the e-mail and the push of each hour are checked by the two at the same moment; the
    # stored alerts are sealed (encryption at rest) as in production
    config = test_config(**ALERTS_ONLY, batch_size=1)
    sealer = FieldSealer(PgKeyRing(database), MasterKeys.from_config(ARCHIVE_MASTER_KEYS))
    async with _email_and_push(smtp_sink, fcm, tmp_path) as channels:
        m = await _market(database, channels, workers=2, config=config, sealer=sealer)
        await add_device(database, m.user, "phone-token")
        await m.check(MONDAY, 10, "-3.0")
        assert m.last_drained == [1, 1]
        await m.check(MONDAY, 11, "-3.2")
        assert m.last_drained == [1, 1]
        await m.check(MONDAY, 12, "-5.1")
        assert m.last_drained == [1, 1]
        await m.check(MONDAY, 13, "-5.3")

    assert _subjects(smtp_sink) == ["Unusual move: portfolio -3.00%", "Unusual move: portfolio -5.10%"]
    assert [msg["notification"]["title"] for msg in fcm.accepted] == ["Portfolio down 3.00%", "Portfolio down 5.10%"]
    with system_scope("test-inspect"):
        async with database.connection() as conn:
            stored = await (await conn.execute("SELECT content::text AS c FROM notification_contents")).fetchall()
    assert len(stored) == 2 and not any("Portfolio" in r["c"] for r in stored)  # the memory is sealed
    rows = await _alert_rows(database)
    assert sorted(rows) == sorted(
        [(f"XNYS-2026-12-07T{h}", s, r) for h, s, r in [
            ("10", "sent", None), ("11", "skipped", "no_alert"), ("12", "sent", None), ("13", "skipped", "no_alert"),
        ] for _ in range(2)]
    )

