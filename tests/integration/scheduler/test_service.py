"""The SchedulerService functions: RunJob progress, preferences, devices, history, status."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from stack_cfo.core.notifications.kinds import Channel, NotificationKind, OutboxStatus, Platform
from stack_cfo.core.notifications.ports import DigestFacts, StaticPortfolioReader
from stack_cfo.core.notifications.quiet_hours import QuietHours
from stack_cfo.core.notifications.service import NotificationService, RunJobEvent, RunStage
from stack_cfo.scheduler.channels.smtp import SmtpChannel
from stack_cfo.scheduler.config import SchedulerConfig
from stack_cfo.scheduler.process import build_worker
from stack_cfo.scheduler.worker import DeliveryWorker
from stack_cfo.store.db import Database
from stack_cfo.store.scheduler import SchedulerRepo
from tests.integration.scheduler.conftest import (
    add_users,
    make_harness,
    outbox,
    smtp_settings,
    static_portfolio,
    test_config,
)
from tests.standins.smtp import SmtpSink


def _service(
    database: Database, config: SchedulerConfig | None = None, worker: DeliveryWorker | None = None
) -> NotificationService:
    return NotificationService(
        SchedulerRepo(database), config or test_config(), deliverer=(lambda: worker) if worker is not None else None
    )


class _CountingReader(StaticPortfolioReader):
    def __init__(self) -> None:
        base = static_portfolio()
        super().__init__(default_digest=base.default_digest, default_weekly=base.default_weekly)
        self.digest_reads = 0

    async def digest_facts(self, user_id: str, day: date) -> DigestFacts | None:
        self.digest_reads += 1
        return await super().digest_facts(user_id, day)


async def _collect(it: object) -> list[RunJobEvent]:
    return [e async for e in it]  # type: ignore[attr-defined]


async def test_run_job_streams_planned_then_one_event_per_notification_then_done(
    database: Database, smtp_sink: SmtpSink
) -> None:
    users = await add_users(database, 4, prefs={"time_zone": "Europe/Paris"})
    no_email = (await add_users(database, 1, email=False, prefs={"time_zone": "UTC"}))[0]
    config = test_config()
    reader = _CountingReader()
    worker = build_worker(
        database, config, portfolio=reader, channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}
    )
    events = await _collect(
        _service(database, config, worker).run_job(kind=NotificationKind.DIGEST, request_id=str(uuid.uuid4()))
    )
    assert events[0].stage is RunStage.PLANNED and events[0].counts.planned == 4
    # the user without any channel is named, with the reason, right after PLANNED
    assert events[1].stage is RunStage.USER_SKIPPED and events[1].user_id == no_email
    assert events[1].reason == "no_channel" and events[1].counts.skipped_users == 1 and not events[1].notification
    sends = events[2:-1]
    assert [e.stage for e in sends] == [RunStage.SENT] * 4
    assert [e.counts.sent for e in sends] == [1, 2, 3, 4]
    assert all(e.notification.startswith("users/") and "/notifications/" in e.notification for e in sends)
    assert {e.notification.split("/")[1] for e in sends} == set(users) == {e.user_id for e in sends}
    assert events[-1].stage is RunStage.DONE and events[-1].counts.sent == 4
    assert events[-1].counts.skipped_users == 1
    assert no_email not in {e.notification.split("/")[1] for e in events if e.notification}
    assert len(smtp_sink.received()) == 4

    # a manual run has keys of its own: a second run delivers again and never takes the period's key
    again = await _collect(_service(database, config, worker).run_job(kind=NotificationKind.DIGEST))
    assert [e.stage for e in again] == [RunStage.PLANNED, RunStage.USER_SKIPPED] + [RunStage.SENT] * 4 + [
        RunStage.DONE
    ]
    assert len(smtp_sink.received()) == 8
    rows = await outbox(database, "kind = 'digest'")
    assert len(rows) == 8 and all(r["manual"] for r in rows)
    assert len({r["idempotency_key"] for r in rows}) == 8
    assert all("~m" in r["idempotency_key"].split(":")[2] for r in rows)
    assert {r["slot_local"] for r in rows} == {rows[0]["slot_local"]}  # the content is the period's
    # ... but each run reads the figures afresh: a second run resent the first run's text (with its
    # figures and receipt) for the rendering cache's lifetime
    assert reader.digest_reads == 8


async def test_manual_digest_does_not_replace_the_scheduled_one(database: Database, smtp_sink: SmtpSink) -> None:
    """The measured bug: a RunJob digest at 07:30 took the day's key and the 08:00 digest never went out."""
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config()
    start = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    h = make_harness(database, config, {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}, start=start)
    await h.step(start)
    h.clock.set(datetime(2026, 3, 10, 7, 30, tzinfo=UTC))
    service = NotificationService(SchedulerRepo(database), config, deliverer=lambda: h.worker, clock=h.clock)
    manual = await _collect(service.run_job(kind=NotificationKind.DIGEST, user_id=user))
    assert [e.stage for e in manual] == [RunStage.PLANNED, RunStage.SENT, RunStage.DONE]
    await h.step(datetime(2026, 3, 10, 8, 0, 5, tzinfo=UTC))
    rows = await outbox(database, "kind = 'digest'")
    assert [(r["manual"], r["status"], r["slot_local"]) for r in rows] == [
        (True, "sent", "2026-03-10"),
        (False, "sent", "2026-03-10"),
    ]
    assert rows[1]["idempotency_key"] == f"digest:{user}:2026-03-10:email:0"
    assert len(smtp_sink.received()) == 2


async def test_run_job_explains_users_who_get_nothing_and_quiet_hours(database: Database, smtp_sink: SmtpSink) -> None:
    [off] = await add_users(database, 1, prefs={"time_zone": "UTC", "performance_alerts_enabled": False})
    [quiet] = await add_users(
        database, 1, prefs={"time_zone": "UTC", "quiet_hours_start": "00:00", "quiet_hours_end": "23:59"}
    )
    config = test_config()
    worker = build_worker(
        database, config, portfolio=static_portfolio(), channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}
    )
    events = await _collect(_service(database, config, worker).run_job(kind=NotificationKind.ALERT))
    by_user = {e.user_id: e for e in events if e.user_id}
    assert by_user[off].stage is RunStage.USER_SKIPPED and by_user[off].reason == "kind_disabled"
    assert by_user[quiet].stage is RunStage.SKIPPED and by_user[quiet].reason == "quiet_hours"
    assert by_user[quiet].notification.startswith(f"users/{quiet}/notifications/")
    assert events[-1].counts.skipped_users == 1 and events[-1].counts.skipped == 1



async def test_a_digest_held_for_quiet_hours_is_due_again_when_they_change(
    database: Database, smtp_sink: SmtpSink
) -> None:
    """Shortening or ending the quiet hours (or moving time zone) lets what waits for the old end go
    at once; it kept the old end time (a client's test: held until 20:00 after the hours ended 13:58)."""
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=2)).time(), (now + timedelta(hours=2)).time()
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC", "quiet_hours_start": start.strftime("%H:%M"),
                                                 "quiet_hours_end": end.strftime("%H:%M")})
    config = test_config()
    worker = build_worker(
        database, config, portfolio=static_portfolio(), channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}
    )
    service = _service(database, config, worker)
    events = await _collect(service.run_job(kind=NotificationKind.DIGEST, user_id=user))
    assert [e.reason for e in events if e.stage is RunStage.SKIPPED] == ["quiet_hours"]
    [held] = await outbox(database, "user_id = %(u)s", {"u": user})
    assert held["status"] == "pending" and held["next_attempt_at"] > now + timedelta(hours=1)

    with user_scope(user):
        await service.update_preferences(user, {"time_zone": "UTC"})
    [same] = await outbox(database, "user_id = %(u)s", {"u": user})
    assert same["next_attempt_at"] == held["next_attempt_at"]  # nothing about the hours changed

    with user_scope(user):
        await service.update_preferences(user, {"quiet_hours_start": None, "quiet_hours_end": None})
    [woken] = await outbox(database, "user_id = %(u)s", {"u": user})
    assert woken["status"] == "pending" and woken["next_attempt_at"] <= datetime.now(UTC)

async def test_run_job_request_id_replays_and_errors(database: Database, smtp_sink: SmtpSink) -> None:
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config()
    worker = build_worker(
        database, config, portfolio=static_portfolio(), channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}
    )
    rid = str(uuid.uuid4())
    first = await _collect(
        _service(database, config, worker).run_job(kind=NotificationKind.WEEKLY, user_id=user, request_id=rid)
    )
    assert [e.stage for e in first] == [RunStage.PLANNED, RunStage.SENT, RunStage.DONE]
    replay = await _collect(
        _service(database, config, worker).run_job(kind=NotificationKind.WEEKLY, user_id=user, request_id=rid)
    )
    assert [e.stage for e in replay] == [RunStage.DONE] and replay[0].counts == first[-1].counts
    assert len(smtp_sink.received()) == 1
    with pytest.raises(InvalidArgument) as info:
        await _collect(_service(database, config).run_job(kind=NotificationKind.DIGEST, user_id=user, request_id=rid))
    assert info.value.reason == "REQUEST_ID_REUSED"
    with pytest.raises(NotFound) as nf:
        await _collect(_service(database, config).run_job(kind=NotificationKind.DIGEST, user_id=str(uuid.uuid4())))
    assert nf.value.reason == "USER_NOT_FOUND"
    off = test_config(enable_performance_alerts=False)
    with pytest.raises(FailedPrecondition) as fp:
        await _collect(_service(database, off).run_job(kind=NotificationKind.ALERT))
    assert fp.value.reason == "JOB_DISABLED"


async def test_a_retry_while_the_run_is_going_waits_for_its_final_counts(
    database: Database, smtp_sink: SmtpSink
) -> None:
    """A retried request_id that arrives mid-run reports the run's final counts, not its zeros so far."""
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config()
    worker = build_worker(
        database, config, portfolio=static_portfolio(), channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))}
    )
    rid = str(uuid.uuid4())
    first = _service(database, config, worker).run_job(kind=NotificationKind.WEEKLY, user_id=user, request_id=rid)
    planned = await first.__anext__()  # the run is going: planned, nothing delivered yet
    assert planned.stage is RunStage.PLANNED
    retry = asyncio.ensure_future(_collect(_service(database, config, worker).run_job(
        kind=NotificationKind.WEEKLY, user_id=user, request_id=rid, poll_interval=0.05)))
    await asyncio.sleep(0.3)
    assert not retry.done()  # following the first run
    rest = [e async for e in first]
    replay = await asyncio.wait_for(retry, 10)
    assert [e.stage for e in replay] == [RunStage.DONE]
    assert replay[0].counts.sent == rest[-1].counts.sent == 1 and replay[0].counts.planned == 1
    assert len(smtp_sink.received()) == 1


async def test_run_job_request_ids_are_the_callers_and_replays_count_skipped_users(
    database: Database, smtp_sink: SmtpSink
) -> None:
    """Two services sending one request_id run two jobs (the id is each caller's); a replay's DONE
    carries the users the run skipped, as the run's own DONE did."""
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC", "daily_digest_enabled": False})
    config = test_config()
    rid = str(uuid.uuid4())

    def run(principal: str) -> object:
        return _service(database, config).run_job(
            kind=NotificationKind.DIGEST, user_id=user, request_id=rid, principal=principal)

    first = await _collect(run("service:a"))
    assert [e.stage for e in first] == [RunStage.PLANNED, RunStage.USER_SKIPPED, RunStage.DONE]
    assert first[-1].counts.skipped_users == 1
    replay = await _collect(run("service:a"))
    assert [e.stage for e in replay] == [RunStage.DONE] and replay[0].counts == first[-1].counts
    other = await _collect(run("service:b"))
    assert [e.stage for e in other] == [e.stage for e in first]


async def test_run_job_without_a_worker_reports_what_the_scheduler_delivers(
    database: Database, smtp_sink: SmtpSink
) -> None:
    await add_users(database, 2, prefs={"time_zone": "UTC"})
    config = test_config()
    other = build_worker(
        database,
        config,
        portfolio=static_portfolio(alerts={}),
        channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
    )
    it = _service(database, config).run_job(kind=NotificationKind.ALERT, poll_interval=0.05)
    planned = await it.__anext__()
    assert planned.stage is RunStage.PLANNED and planned.counts.planned == 2
    await other.drain()  # "the scheduler process" delivers; no alert rule fires for these users
    rest = [e async for e in it]
    assert [e.stage for e in rest] == [RunStage.SKIPPED, RunStage.SKIPPED, RunStage.DONE]
    assert {e.reason for e in rest[:-1]} == {"no_alert"}


async def test_preferences_default_then_update_with_validation(database: Database) -> None:
    [user] = await add_users(database, 1)
    with user_scope(user):  # as in the user's RPC (row-level security)
        prefs = await _service(database).preferences(user)
        assert prefs.time_zone == "UTC" and prefs.daily_digest_enabled and prefs.quiet_hours is None
        assert prefs.email_address == f"user{user}@example.com" and prefs.update_time is None
        updated = await _service(database).update_preferences(
            user,
            {
                "time_zone": "Australia/Sydney",
                "quiet_hours_start": (22, 0),
                "quiet_hours_end": (7, 30),
                "performance_alerts_enabled": False,
            },
        )
        assert updated.quiet_hours == QuietHours(time(22), time(7, 30)) and updated.update_time is not None
        again = await _service(database).preferences(user)
        assert (again.time_zone, again.performance_alerts_enabled, again.quiet_hours) == (
            "Australia/Sydney",
            False,
            QuietHours(time(22), time(7, 30)),
        )
        assert again.email_address == prefs.email_address  # untouched fields keep their values
        for changes, reason in (
            ({"time_zone": "Moon/Base"}, "UNKNOWN_TIME_ZONE"),
            ({"quiet_hours_start": None}, "INVALID_QUIET_HOURS"),
            ({"email_address": "nope"}, "INVALID_EMAIL"),
            ({"alert_threshold_sigma": -1.0}, "INVALID_THRESHOLD"),
            ({"name": "x"}, "INVALID_UPDATE_MASK"),
        ):
            with pytest.raises(InvalidArgument) as info:
                await _service(database).update_preferences(user, changes)
            assert info.value.reason == reason
        assert (await _service(database).preferences(user)).time_zone == "Australia/Sydney"
    # users are created on first use (the calling backend owns identities): a new one gets the defaults
    newcomer_id = str(uuid.uuid4())
    with user_scope(newcomer_id):
        newcomer = await _service(database).preferences(newcomer_id)
    assert newcomer.time_zone == "UTC" and newcomer.update_time is None


async def test_register_device_is_idempotent_per_user_and_refuses_another_users_token(database: Database) -> None:
    alice, bob = await add_users(database, 2)
    with user_scope(alice):  # each call in its user's scope, as in their RPCs (row-level security)
        first = await _service(database).register_device(
            alice, platform=Platform.FCM, token="fcm:abc", display_name="Pixel 8"
        )
        again = await _service(database).register_device(
            alice, platform=Platform.FCM, token="fcm:abc", display_name="Pixel 8a"
        )
    assert again.id == first.id and again.display_name == "Pixel 8a" and again.active
    assert "fcm:abc" not in repr(again)
    with user_scope(bob), pytest.raises(AlreadyExists) as info:
        await _service(database).register_device(bob, platform=Platform.FCM, token="fcm:abc")
    assert info.value.reason == "DEVICE_TOKEN_IN_USE"
    long_token = "x" * 4096  # longer than a btree row allows, still unique
    with user_scope(bob):
        d = await _service(database).register_device(bob, platform=Platform.FCM, token=long_token)
    with user_scope(alice), pytest.raises(AlreadyExists):
        await _service(database).register_device(alice, platform=Platform.FCM, token=long_token)
    assert d.user_id == bob
    # An APNs token is hexadecimal: the same token in upper case is the same device, still Alice's.
    with user_scope(alice):
        await _service(database).register_device(alice, platform=Platform.APNS, token="cd" * 32)
    with user_scope(bob), pytest.raises(AlreadyExists) as info:
        await _service(database).register_device(bob, platform=Platform.APNS, token="CD" * 32)
    assert info.value.reason == "DEVICE_TOKEN_IN_USE"
    assert "registered to another user" in info.value.message and info.value.metadata["platform"] == "apns"
    for platform, token in (
        (Platform.FCM, ""),
        (Platform.FCM, "has space"),
        (Platform.APNS, "not-hex"),
        (Platform.FCM, "y" * 4097),
    ):
        with user_scope(alice), pytest.raises(InvalidArgument):
            await _service(database).register_device(alice, platform=platform, token=token)
    # a token the push service invalidated comes back to life when the app registers it again
    with user_scope(alice):
        async with database.connection() as conn:
            await conn.execute("UPDATE push_devices SET active = false WHERE id = %s", (first.id,))
        revived = await _service(database).register_device(alice, platform=Platform.FCM, token="fcm:abc")
    assert revived.id == first.id and revived.active


async def test_list_notifications_pages_newest_first_with_filters(database: Database, smtp_sink: SmtpSink) -> None:
    [user] = await add_users(database, 1, prefs={"time_zone": "UTC"})
    await add_users(database, 1, prefs={"time_zone": "UTC"})  # someone else's history is not listed
    h = make_harness(
        database,
        test_config(enable_performance_alerts=False),
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime(2026, 1, 1, tzinfo=UTC),
    )
    await h.walk(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), timedelta(hours=12))
    with user_scope(user):  # the user's own listing, as in their RPC (row-level security)
        mine = await outbox(database, "user_id = %(u)s", {"u": user})
        assert len(mine) == 59 + 8  # digests Jan 1..Feb 28 and the eight Mondays' weekly summaries
        seen: list[int] = []
        cursor = None
        sizes = []
        while True:
            page = await _service(database).list_notifications(user, page_size=25, cursor=cursor)
            sizes.append(len(page.notifications))
            seen += [n.id for n in page.notifications]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert sizes == [25, 25, 17] and len(set(seen)) == 67
        times = [r["scheduled_for"] for r in sorted(mine, key=lambda r: seen.index(r["id"]))]
        assert times == sorted(times, reverse=True)
        weekly = await _service(database).list_notifications(
            user, kind=NotificationKind.WEEKLY, status=OutboxStatus.SENT
        )
        assert len(weekly.notifications) == 8 and {n.display_period[:6] for n in weekly.notifications} == {"2026-W"}
        first = weekly.notifications[0]
        assert first.name == f"users/{user}/notifications/{first.id}" and first.title.startswith("Your week")
        assert first.target == f"user{user}@example.com" and first.sent_at is not None
        with pytest.raises(InvalidArgument) as info:
            await _service(database).list_notifications(user, page_size=-1)
        assert info.value.reason == "INVALID_PAGE_SIZE"
        with pytest.raises(InvalidArgument):
            await _service(database).list_notifications(user, cursor={"t": "yesterday"})
        assert len((await _service(database).list_notifications(user, page_size=1000)).notifications) == 67


async def test_scheduler_status_reports_jobs_counts_and_replicas(database: Database, smtp_sink: SmtpSink) -> None:
    await add_users(database, 3, prefs={"time_zone": "Asia/Kolkata"})
    config = test_config()
    h = make_harness(
        database,
        config,
        {Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
        start=datetime.now(UTC) - timedelta(hours=30),
    )
    # plan hourly over the last 30 hours of real time, so the 30-day window sees the rows
    now = datetime.now(UTC)
    await h.walk(now - timedelta(hours=30), now, timedelta(hours=1))
    await h.repo.heartbeat("replica-a", started_at=now, version="0.1.0", host="h", pid=1, last_planned=3)
    status = await _service(database, config).status()
    jobs = {j.kind: j for j in status.jobs}
    assert jobs[NotificationKind.DIGEST].schedule == "0 8 * * *" and jobs[NotificationKind.DIGEST].time_zone == "user"
    assert jobs[NotificationKind.ALERT].schedule == "0 * 9-16 * * 1-5"
    assert jobs[NotificationKind.ALERT].time_zone == "America/New_York"
    digest = jobs[NotificationKind.DIGEST]
    assert digest.counts.get(OutboxStatus.SENT, 0) >= 3 and digest.last_run_time == now
    assert digest.next_run_time is not None and digest.next_run_time > status.read_time
    local = digest.next_run_time.astimezone(ZoneInfo("Asia/Kolkata"))
    assert (local.hour, local.minute) == (8, 0)
    assert [r.replica_id for r in status.replicas] == ["replica-a"] and status.replicas[0].alive
    # The same replica id restarted (a StatefulSet pod): its status is the new process's.
    later = now + timedelta(minutes=5)
    await h.repo.heartbeat("replica-a", started_at=later, version="0.2.0", host="h2", pid=2, last_planned=0)
    [replica] = (await _service(database, config).status()).replicas
    assert (replica.start_time, replica.version) == (later, "0.2.0")


async def test_a_manual_run_is_delivered_by_a_scheduler_that_runs_other_kinds(
    database: Database, smtp_sink: SmtpSink
) -> None:
    # RunJob on an API replica with digests on; the scheduler replica that claims its rows runs alerts only. Its
    # rows were skipped "kind_disabled" (which says the user switched the kind off) though the user has it on.
    await add_users(database, 1, prefs={"time_zone": "UTC"})
    config = test_config()
    alerts_only = build_worker(
        database,
        replace(config, enable_daily_digest=False),
        portfolio=static_portfolio(),
        channels={Channel.EMAIL: SmtpChannel(smtp_settings(smtp_sink))},
    )
    it = _service(database, config).run_job(kind=NotificationKind.DIGEST, poll_interval=0.05)
    planned = await it.__anext__()
    assert planned.stage is RunStage.PLANNED and planned.counts.planned == 1
    await alerts_only.drain()
    rest = [e async for e in it]
    assert [e.stage for e in rest] == [RunStage.SENT, RunStage.DONE], [(e.stage, e.reason) for e in rest]
    assert len(smtp_sink.received()) == 1


async def test_a_status_polled_often_computes_each_next_run_once_until_it_is_due(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each GetSchedulerStatus walked 15 days of the alert schedule's minute fires (0.3-0.5 s of CPU on the event
    # loop): 40 concurrent calls from one service stalled every user's calls for 13 s (a limits tester).
    import stack_cfo.core.notifications.service as service_module

    await add_users(database, 2, prefs={"time_zone": "Asia/Kolkata"})
    calls: list[NotificationKind] = []
    real = service_module.next_run

    def counting(kind, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kind)
        return real(kind, *args, **kwargs)

    monkeypatch.setattr(service_module, "next_run", counting)
    service = _service(database, test_config())
    first = await service.status()
    assert sorted(calls) == sorted(NotificationKind)
    for _ in range(5):
        again = await service.status()
        assert [j.next_run_time for j in again.jobs] == [j.next_run_time for j in first.jobs]
    assert len(calls) == len(NotificationKind)  # remembered: each is still the next run
    await add_users(database, 1, prefs={"time_zone": "America/Los_Angeles"})  # a new zone: digests look again
    later = await service.status()
    assert len(calls) == len(NotificationKind) + 2  # the digest and the weekly summary (alerts: exchange time)
    digest = next(j for j in later.jobs if j.kind is NotificationKind.DIGEST)
    assert digest.next_run_time is not None and digest.next_run_time > later.read_time
