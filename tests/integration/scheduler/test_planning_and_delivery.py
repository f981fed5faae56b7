"""Planner + worker over real PostgreSQL with a frozen clock: DST, quiet hours, missed slots,
market calendar, retries, dead letters, invalid tokens."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus
from stack_cfo.core.notifications.ports import AlertFacts, Mover
from stack_cfo.core.notifications.schedules import CronSchedule
from stack_cfo.core.notifications.service import NotificationService
from stack_cfo.scheduler.channels.fcm import FcmChannel
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.config import FcmSettings
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from stack_cfo.store.scheduler._base import Q
from tests.integration.scheduler.conftest import (
    add_device,
    add_users,
    local,
    make_harness,
    outbox,
    smtp_settings,
    static_portfolio,
    test_config,
    write_fcm_account,
)
from tests.standins.fcm import FcmStandIn
from tests.standins.smtp import SmtpSink
from tests.support.proc import cli_env, finish, start_cli

DIGEST_ONLY = {"enable_weekly_summary": False, "enable_performance_alerts": False}


@pytest.mark.parametrize(
    ("tz", "first_day", "days"),
    [
        ("America/New_York", date(2026, 3, 6), 4),  # spring forward Sun 2026-03-08
        ("America/New_York", date(2026, 10, 30), 4),  # fall back Sun 2026-11-01
        ("Australia/Sydney", date(2026, 4, 3), 4),  # DST ends Sun 2026-04-05
        ("Australia/Sydney", date(2026, 10, 2), 4),  # DST starts Sun 2026-10-04
    ],
)
async def test_daily_digest_arrives_once_at_eight_local_across_dst(
    database: Database, smtp_sink: SmtpSink, tz: str, first_day: date, days: int
) -> None:
    [user] = await add_users(database, 1, prefs={"time_zone": tz})
    h = make_harness(
        database,
        test_config(**DIGEST_ONLY),
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=local(first_day, time(0), tz),
    )
    await h.walk(
        local(first_day, time(0), tz), local(first_day + timedelta(days=days), time(0), tz), timedelta(minutes=30)
    )

    rows = await outbox(database)
    expected = [(first_day + timedelta(days=i)).isoformat() for i in range(days)]
    assert [r["slot_local"] for r in rows] == expected
    for r in rows:
        assert r["status"] == "sent" and r["user_id"].hex == user.replace("-", "")
        for instant in (r["scheduled_for"], r["sent_at"]):
            wall = instant.astimezone(ZoneInfo(tz))
            assert (wall.date().isoformat(), wall.hour, wall.minute) == (r["slot_local"], 8, 0)
    ids = smtp_sink.message_ids()
    assert len(ids) == days and set(ids.values()) == {1}


async def test_quiet_hours_across_midnight_defer_digests_and_drop_alerts(
    database: Database, smtp_sink: SmtpSink
) -> None:
    berlin = (
        await add_users(
            database,
            1,
            prefs={
                "time_zone": "Europe/Berlin",
                "quiet_hours_start": time(22),
                "quiet_hours_end": time(7),
                "performance_alerts_enabled": False,
            },
        )
    )[0]
    tokyo = (
        await add_users(
            database,
            1,
            prefs={
                "time_zone": "Asia/Tokyo",
                "quiet_hours_start": time(22),
                "quiet_hours_end": time(7),
                "daily_digest_enabled": False,
            },
        )
    )[0]
    new_york = (await add_users(database, 1, prefs={"time_zone": "America/New_York", "daily_digest_enabled": False}))[0]
    alert = AlertFacts(
        at=datetime(2026, 3, 5, 15, tzinfo=UTC),
        currency="USD",
        value=Decimal("96800"),
        change=Decimal("-3200"),
        move=-0.032,
        sigma=-2.9,
        threshold_sigma=2.0,
        drivers=(Mover("NVDA", -0.08, Decimal("-2400")),),
    )
    config = test_config(daily_digest=CronSchedule.parse("30 6 * * *"), enable_weekly_summary=False)
    h = make_harness(
        database,
        config,
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=local(date(2026, 3, 5), time(5), "Europe/Berlin"),
        portfolio=static_portfolio(alerts={tokyo: alert, new_york: alert}),
    )
    # 06:30 Berlin: the digest is due inside quiet hours (22:00-07:00) and waits
    await h.step(local(date(2026, 3, 5), time(5), "Europe/Berlin"))
    out = await h.step(local(date(2026, 3, 5), time(6, 30), "Europe/Berlin"))
    assert [(o.user_id, o.status.value, o.reason.value if o.reason else None) for o in out] == [
        (berlin, "pending", "quiet_hours")
    ]
    [row] = await outbox(database, "kind = 'digest'")
    assert row["next_attempt_at"] == local(date(2026, 3, 5), time(7), "Europe/Berlin") and row["attempts"] == 0
    assert smtp_sink.received() == []
    await h.step(local(date(2026, 3, 5), time(6, 59), "Europe/Berlin"))
    assert smtp_sink.received() == []
    await h.step(local(date(2026, 3, 5), time(7), "Europe/Berlin"))
    [row] = await outbox(database, "kind = 'digest'")
    assert row["status"] == "sent" and row["sent_at"] == local(date(2026, 3, 5), time(7), "Europe/Berlin")

    # 10:05 New York (EST) = 00:05 in Tokyo: Tokyo's alert is dropped, New York's is sent
    out = await h.step(datetime(2026, 3, 5, 15, 5, tzinfo=UTC))
    by_user = {o.user_id: (o.status.value, o.reason.value if o.reason else None) for o in out}
    assert by_user[tokyo] == ("skipped", "quiet_hours")
    assert by_user[new_york] == ("sent", None)
    attempts = {str(r["user_id"]): r["attempts"] for r in await outbox(database, "kind = 'alert'")}
    assert attempts == {tokyo: 0, new_york: 1}  # a skipped alert was never tried: no attempt
    assert len(smtp_sink.received()) == 2
    assert smtp_sink.received()[1].subject.startswith("Unusual move: portfolio -3.20%")


async def test_downtime_longer_than_grace_records_missed_without_a_flood(
    database: Database, smtp_sink: SmtpSink
) -> None:
    tz = "America/New_York"
    [old] = await add_users(database, 1, prefs={"time_zone": tz})
    # opted in mid-morning on the 10th: its 08:00 slot that day predates the opt-in
    [late] = await add_users(
        database, 1, prefs={"time_zone": tz, "opted_in_at": local(date(2026, 3, 10), time(10), tz)}
    )
    h = make_harness(
        database,
        test_config(**DIGEST_ONLY),
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=local(date(2026, 3, 10), time(7), tz),
    )
    # first deploy at 07:00 on the 10th: a week of past slots exists but none is recorded
    await h.step(local(date(2026, 3, 10), time(7), tz))
    assert await outbox(database) == []
    # down from 07:00 until 13:00 (5 h past the 08:00 slot, grace is 4 h)
    out = await h.step(local(date(2026, 3, 10), time(13), tz))
    assert out == []
    rows = await outbox(database)
    assert [(r["user_id"].hex, r["slot_local"], r["status"], r["reason"]) for r in rows] == [
        (old.replace("-", ""), "2026-03-10", "missed", "grace_exceeded")
    ]
    assert smtp_sink.received() == []
    # back to normal the next day: both users get theirs, on time
    await h.step(local(date(2026, 3, 11), time(8), tz))
    sent = await outbox(database, "status = 'sent'")
    assert sorted(r["user_id"].hex for r in sent) == sorted(u.replace("-", "") for u in (old, late))
    assert len(smtp_sink.received()) == 2


async def test_late_but_within_grace_is_sent_late_not_missed(database: Database, smtp_sink: SmtpSink) -> None:
    tz = "UTC"
    await add_users(database, 3, prefs={"time_zone": tz})
    h = make_harness(
        database,
        test_config(**DIGEST_ONLY),
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 3, 10, 7, tzinfo=UTC),
    )
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    await h.step(datetime(2026, 3, 10, 11, 30, tzinfo=UTC))  # 3.5 h late
    rows = await outbox(database)
    assert {r["status"] for r in rows} == {"sent"} and len(rows) == 3
    assert all(r["sent_at"] - r["scheduled_for"] == timedelta(hours=3, minutes=30) for r in rows)


async def test_no_alerts_on_nyse_holiday_and_none_after_an_early_close(database: Database, smtp_sink: SmtpSink) -> None:
    users = await add_users(database, 3, prefs={"time_zone": "America/New_York"})
    alert = AlertFacts(
        at=datetime(2026, 11, 27, 17, tzinfo=UTC),
        currency="USD",
        value=Decimal("100000"),
        change=Decimal("2500"),
        move=0.025,
        sigma=2.4,
        threshold_sigma=2.0,
        drivers=(),
    )
    config = test_config(enable_daily_digest=False, enable_weekly_summary=False)
    ny = "America/New_York"
    h = make_harness(
        database,
        config,
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=local(date(2026, 11, 26), time(9), ny),
        portfolio=static_portfolio(alerts={u: alert for u in users}),
    )
    # Thanksgiving: market closed all day
    for hour in range(9, 17):
        await h.step(local(date(2026, 11, 26), time(hour, 5), ny))
    assert await outbox(database) == []
    # the day after: half day, opens 09:30, closes 13:00
    for hour in range(9, 17):
        await h.step(local(date(2026, 11, 27), time(hour, 35), ny))
    periods = sorted({r["slot_local"] for r in await outbox(database)})
    assert periods == [f"XNYS-2026-11-27T{h:02d}" for h in range(9, 14)]
    assert len(smtp_sink.received()) == 3  # one alert per user: the same move at every hour is no news


async def test_invalid_push_token_deactivates_the_device(database: Database, fcm: FcmStandIn, tmp_path: Path) -> None:
    [user] = await add_users(database, 1, email=False, prefs={"time_zone": "UTC"})
    good = await add_device(database, user, "good-token")
    gone = await add_device(database, user, "gone-token")
    fcm.unregistered.add("gone-token")
    settings = FcmSettings(
        project_id=fcm.project_id, service_account_file=write_fcm_account(fcm, tmp_path), endpoint=fcm.base_url
    )
    async with aiohttp.ClientSession() as session:
        h = make_harness(
            database,
            test_config(**DIGEST_ONLY),
            {Channel.PUSH: FcmChannel(settings, session=session)},
            start=datetime(2026, 3, 10, 7, tzinfo=UTC),
        )
        await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
        await h.step(datetime(2026, 3, 10, 8, tzinfo=UTC))
        rows = {r["target_id"]: r for r in await outbox(database)}
        assert rows[good]["status"] == "sent" and rows[good]["title"] == "Portfolio +0.76% yesterday"
        assert (rows[gone]["status"], rows[gone]["reason"]) == ("dead", "push_token_invalid")
        with system_scope("test-inspect"):
            devices = await h.repo.devices([good, gone])
        assert devices[good].active and not devices[gone].active
        # the next day only the live device is planned
        await h.step(datetime(2026, 3, 11, 8, tzinfo=UTC))
        next_day = await outbox(database, "slot_local = '2026-03-11'")
        assert [r["target_id"] for r in next_day] == [good]
    assert [m["token"] for m in fcm.accepted] == ["good-token", "good-token"]


async def test_smtp_down_is_retried_with_backoff_then_delivered(database: Database, smtp_sink: SmtpSink) -> None:
    await add_users(database, 1, prefs={"time_zone": "UTC"})
    channel = SmtpChannel(smtp_settings(smtp_sink))
    h = make_harness(
        database, test_config(**DIGEST_ONLY), {Channel.EMAIL: channel}, start=datetime(2026, 3, 10, 7, tzinfo=UTC)
    )
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    await smtp_sink.stop()
    eight = datetime(2026, 3, 10, 8, tzinfo=UTC)
    [o] = await h.step(eight)
    assert (o.status, o.reason.value if o.reason else None) == (OutboxStatus.RETRY, "smtp_unavailable")
    [row] = await outbox(database)
    assert eight + timedelta(seconds=30) <= row["next_attempt_at"] <= eight + timedelta(seconds=60)
    assert await h.step(eight + timedelta(seconds=20), plan=False) == []  # not due yet
    await smtp_sink.start()  # same port
    [o] = await h.step(eight + timedelta(seconds=61), plan=False)
    assert o.status is OutboxStatus.SENT
    [row] = await outbox(database)
    assert (row["status"], row["attempts"], row["reason"]) == ("sent", 2, None)
    assert len(smtp_sink.received()) == 1


async def test_a_dead_letter_can_be_requeued(database: Database, smtp_sink: SmtpSink) -> None:
    await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY)
    h = make_harness(
        database,
        config,
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 3, 10, 7, tzinfo=UTC),
    )
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    smtp_sink.fail_next("550 5.7.1 Message rejected as spam")
    [o] = await h.step(datetime(2026, 3, 10, 8, tzinfo=UTC))
    assert (o.status, o.reason.value if o.reason else None) == (OutboxStatus.DEAD, "smtp_5xx")
    [row] = await outbox(database)
    assert "550 5.7.1" in row["last_error"]
    h.clock.set(datetime(2026, 3, 10, 9, tzinfo=UTC))
    # what an operator runs (the docs' "operators can re-queue it"): the command line
    env = cli_env({"DATABASE_URL": database.conninfo})
    rc, out, err = await asyncio.to_thread(
        finish, start_cli(["notifications", "requeue-dead", "--kind", "alert"], env), "requeue-dead")
    assert (rc, out.strip()) == (0, "requeued=0"), err  # another kind: nothing
    rc, out, err = await asyncio.to_thread(
        finish, start_cli(["notifications", "requeue-dead", "--id", str(row["id"])], env), "requeue-dead")
    assert (rc, out.strip()) == (0, f"requeued=1 ids={row['id']}"), err
    assert await NotificationService(SchedulerRepo(database), config).requeue_dead_letters(ids=[row["id"]]) == []
    # requeue_dead_letters uses the database clock; move ours past it
    [o] = await h.step(datetime.now(UTC) + timedelta(seconds=1), plan=False)
    assert o.status is OutboxStatus.SENT and len(smtp_sink.received()) == 1


async def test_retries_stop_at_the_deadline_and_after_max_attempts(
    database: Database, smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stack_cfo.scheduler.worker")
    await add_users(database, 2, prefs={"time_zone": "UTC"})
    config = test_config(**DIGEST_ONLY)
    config = replace(config, retry=replace(config.retry, max_attempts=2, base=timedelta(seconds=10)))
    h = make_harness(
        database,
        config,
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 3, 10, 7, tzinfo=UTC),
    )
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    smtp_sink.fail_next("421 4.7.0 Try again later", times=4)
    first = await h.step(datetime(2026, 3, 10, 8, tzinfo=UTC))
    assert {o.status for o in first} == {OutboxStatus.RETRY}
    second = await h.step(datetime(2026, 3, 10, 8, 1, tzinfo=UTC), plan=False)
    assert {(o.status, o.reason.value if o.reason else None) for o in second} == {(OutboxStatus.DEAD, "max_attempts")}
    assert smtp_sink.received() == []
    # Why, in the log lines operators read first (the server's answer; e-mail addresses masked).
    retried = [r for r in caplog.records if r.getMessage() == "delivery failed; will retry"]
    dead = [r for r in caplog.records if r.getMessage() == "delivery failed for good (dead letter)"]
    assert len(retried) == 2 and len(dead) == 2
    assert all("421" in r.error and "@" not in r.error for r in retried + dead)  # type: ignore[attr-defined]


async def test_switching_a_kind_off_stops_planning_and_skips_what_was_planned(
    database: Database, smtp_sink: SmtpSink
) -> None:
    await add_users(database, 2, prefs={"time_zone": "UTC"})
    on = test_config(**DIGEST_ONLY)
    h = make_harness(database, on, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
                     start=datetime(2026, 3, 10, 7, tzinfo=UTC))  # fmt: skip
    await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
    h.clock.set(datetime(2026, 3, 10, 8, tzinfo=UTC))
    await h.planner.tick()  # planned while the kind was on
    off = replace(on, enable_daily_digest=False)
    h2 = make_harness(database, off, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
                      start=datetime(2026, 3, 10, 8, tzinfo=UTC))  # fmt: skip
    out = await h2.step(datetime(2026, 3, 10, 8, 1, tzinfo=UTC))
    assert {(o.status, o.reason.value if o.reason else None) for o in out} == {(OutboxStatus.SKIPPED, "kind_disabled")}
    await h2.step(datetime(2026, 3, 11, 8, 1, tzinfo=UTC))
    assert len(await outbox(database)) == 2 and smtp_sink.received() == []


async def test_fcm_503_is_retried_after_its_retry_after_then_delivered(
    database: Database, fcm: FcmStandIn, tmp_path: Path
) -> None:
    [user] = await add_users(database, 1, email=False, prefs={"time_zone": "UTC"})
    await add_device(database, user, "live-token")
    fcm.fail_next(503, retry_after="120")
    settings = FcmSettings(project_id=fcm.project_id, service_account_file=write_fcm_account(fcm, tmp_path),
                           endpoint=fcm.base_url)  # fmt: skip
    async with aiohttp.ClientSession() as session:
        h = make_harness(database, test_config(**DIGEST_ONLY), {Channel.PUSH: FcmChannel(settings, session=session)},
                         start=datetime(2026, 3, 10, 7, tzinfo=UTC))  # fmt: skip
        await h.step(datetime(2026, 3, 10, 7, tzinfo=UTC))
        eight = datetime(2026, 3, 10, 8, tzinfo=UTC)
        [o] = await h.step(eight)
        assert (o.status, o.reason.value if o.reason else None) == (OutboxStatus.RETRY, "push_unavailable")
        [row] = await outbox(database)
        assert row["next_attempt_at"] == eight + timedelta(seconds=120)  # Retry-After beats the shorter backoff
        assert await h.step(eight + timedelta(seconds=90), plan=False) == []
        [o] = await h.step(eight + timedelta(seconds=121), plan=False)
        assert o.status is OutboxStatus.SENT
    assert [m["token"] for m in fcm.accepted] == ["live-token"] and fcm.send_attempts == 2


async def test_resetting_the_planner_state_waits_for_a_running_tick(database: Database, repo: SchedulerRepo) -> None:
    """A tick reads the state, plans, then writes its high-water mark. A reset of the state that
    landed in between was overwritten (the reset's slots were never planned: a replica test
    delivered nothing once); the reset now waits for the tick's planner lock and lands after it."""
    kind = NotificationKind.DIGEST
    now = await repo.db_now()
    await repo.set_planner_state(kind, epoch=now - timedelta(days=1), planned_until=now)  # planned before
    with system_scope("test"):
        async with database.transaction() as tick:  # a tick of another replica, between read and write
            assert (await (await tick.execute(Q.lock_planner, {"kind": kind.value})).fetchone())["locked"]
            await tick.execute(Q.ensure_state, {"kind": kind.value, "now": now})
            reset = asyncio.create_task(repo.set_planner_state(kind, epoch=now - timedelta(hours=1)))
            await asyncio.sleep(0.3)
            assert not reset.done(), "the reset did not wait for the running tick"
            await tick.execute(Q.save_state, {"kind": kind.value, "now": now, "planned": 0, "missed": 0,
                                              "duration_ms": 1})
        await asyncio.wait_for(reset, 5)
        state = (await repo.planner_states())[kind]
    assert state.planned_until is None  # the reset's, written after the tick's
    assert state.deploy_epoch == now - timedelta(hours=1)
