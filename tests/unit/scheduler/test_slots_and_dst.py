"""Slot maths in local time: DST in both hemispheres, six-field cron, market calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.market_calendar import NyseCalendar
from stack_cfo.core.notifications.kinds import NotificationKind, OutboxStatus
from stack_cfo.core.notifications.planning import next_run, plan_kind
from stack_cfo.core.notifications.schedules import CronSchedule

CAL = NyseCalendar()
DIGEST = CronSchedule.parse("0 8 * * *")
WEEKLY = CronSchedule.parse("0 7 * * 1")
ALERTS = CronSchedule.parse("0 * 9-16 * * 1-5")
H4 = timedelta(hours=4)


def _local(slot_at: datetime, tz: str) -> datetime:
    return slot_at.astimezone(ZoneInfo(tz))


@pytest.mark.parametrize(
    ("tz", "start", "end"),
    [
        ("America/New_York", date(2026, 3, 5), date(2026, 3, 11)),  # spring forward 2026-03-08
        ("America/New_York", date(2026, 10, 29), date(2026, 11, 4)),  # fall back 2026-11-01
        ("Australia/Sydney", date(2026, 4, 2), date(2026, 4, 8)),  # DST ends 2026-04-05
        ("Australia/Sydney", date(2026, 10, 1), date(2026, 10, 7)),  # DST starts 2026-10-04
    ],
)
def test_daily_digest_is_once_per_local_day_at_eight_across_dst(tz: str, start: date, end: date) -> None:
    z = ZoneInfo(tz)
    window_start = datetime.combine(start, time(0), z).astimezone(UTC)
    now = datetime.combine(end, time(0), z).astimezone(UTC)
    slots = plan_kind(NotificationKind.DIGEST, DIGEST, [tz], start=window_start, now=now, grace=H4, calendar=CAL)
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    assert [s.period for s in slots] == [d.isoformat() for d in days]
    for s in slots:
        local = _local(s.scheduled_for, tz)
        assert (local.hour, local.minute) == (8, 0)
        assert local.date().isoformat() == s.period


def test_utc_offsets_change_on_the_dst_dates() -> None:
    slots = plan_kind(
        NotificationKind.DIGEST,
        DIGEST,
        ["America/New_York"],
        start=datetime(2026, 3, 7, tzinfo=UTC),
        now=datetime(2026, 3, 9, 23, tzinfo=UTC),
        grace=H4,
        calendar=CAL,
    )
    assert [s.scheduled_for.hour for s in slots] == [13, 12, 12]  # EST, then EDT


def test_a_wall_time_inside_the_spring_gap_moves_forward_and_is_not_skipped() -> None:
    sched = CronSchedule.parse("30 2 * * *")
    slots = plan_kind(
        NotificationKind.DIGEST,
        sched,
        ["America/New_York"],
        start=datetime(2026, 3, 7, 12, tzinfo=UTC),
        now=datetime(2026, 3, 9, 12, tzinfo=UTC),
        grace=H4,
        calendar=CAL,
    )
    by_period = {s.period: s for s in slots}
    gap = _local(by_period["2026-03-08"].scheduled_for, "America/New_York")
    assert (gap.hour, gap.minute) == (3, 30)
    assert list(by_period) == ["2026-03-08", "2026-03-09"]


def test_a_repeated_fall_back_hour_fires_once() -> None:
    sched = CronSchedule.parse("30 1 * * *")
    slots = plan_kind(
        NotificationKind.DIGEST,
        sched,
        ["America/New_York"],
        start=datetime(2026, 10, 31, 12, tzinfo=UTC),
        now=datetime(2026, 11, 2, 12, tzinfo=UTC),
        grace=H4,
        calendar=CAL,
    )
    nov1 = [s for s in slots if s.period == "2026-11-01"]
    assert len(nov1) == 1
    assert nov1[0].scheduled_for == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # first 01:30 (EDT)


def test_weekly_summary_key_is_the_iso_week_of_the_local_monday() -> None:
    # Monday 2026-03-09 07:00 in Sydney is Sunday 20:00 UTC; the period is Sydney's week.
    slots = plan_kind(
        NotificationKind.WEEKLY,
        WEEKLY,
        ["Australia/Sydney", "America/New_York"],
        start=datetime(2026, 3, 8, tzinfo=UTC),
        now=datetime(2026, 3, 9, 23, tzinfo=UTC),
        grace=timedelta(hours=24),
        calendar=CAL,
    )
    assert {(s.tz, s.period) for s in slots} == {
        ("Australia/Sydney", "2026-W11"),
        ("America/New_York", "2026-W11"),
    }
    syd = next(s for s in slots if s.tz == "Australia/Sydney")
    assert syd.scheduled_for == datetime(2026, 3, 8, 20, tzinfo=UTC)


def test_slots_older_than_grace_are_missed_and_recent_ones_pending() -> None:
    now = datetime(2026, 3, 10, 15, tzinfo=UTC)  # 11:00 EDT: today's 08:00 is 3 h old
    slots = plan_kind(
        NotificationKind.DIGEST,
        DIGEST,
        ["America/New_York"],
        start=now - timedelta(days=2),
        now=now,
        grace=H4,
        calendar=CAL,
    )
    assert [(s.period, s.status) for s in slots] == [
        ("2026-03-09", OutboxStatus.MISSED),
        ("2026-03-10", OutboxStatus.PENDING),
    ]
    assert slots[-1].deadline == slots[-1].scheduled_for + H4


def test_six_field_cron_is_seconds_first_like_the_seed() -> None:
    assert ALERTS.seconds_first
    fires = list(ALERTS.fire_times(datetime(2026, 3, 9, 8, 58), datetime(2026, 3, 9, 9, 2)))
    assert fires == [datetime(2026, 3, 9, 9, m) for m in range(3)]


@pytest.mark.parametrize(
    "expr",
    ["61 8 * * *", "0 8 * *", "* * 9-16 * * 1-5", "0 0 30 2 *", "every day", "0 8 * * * * *"],
)
def test_invalid_cron_names_the_config_key(expr: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        CronSchedule.parse(expr, key="SCHEDULER_DAILY_DIGEST_TIME")
    assert info.value.violations[0].field == "SCHEDULER_DAILY_DIGEST_TIME"
    assert info.value.reason == "INVALID_CRON"


def _alerts(now: datetime) -> list[str]:
    return [
        s.period
        for s in plan_kind(
            NotificationKind.ALERT,
            ALERTS,
            [],
            start=now - timedelta(days=1),
            now=now,
            grace=timedelta(hours=1),
            calendar=CAL,
        )
    ]


def test_alerts_keep_only_the_latest_exchange_hour() -> None:
    # 11:20 New York on a regular Tuesday: only the 11:00 hour, even after a long outage.
    assert _alerts(datetime(2026, 3, 10, 15, 20, tzinfo=UTC)) == ["XNYS-2026-03-10T11"]


def test_no_alerts_on_thanksgiving_or_weekends() -> None:
    assert _alerts(datetime(2026, 11, 26, 16, 30, tzinfo=UTC)) == []  # Thanksgiving 11:30 ET
    assert _alerts(datetime(2026, 3, 14, 16, 30, tzinfo=UTC)) == []  # Saturday


def test_early_close_on_the_day_after_thanksgiving() -> None:
    assert _alerts(datetime(2026, 11, 27, 18, 10, tzinfo=UTC)) == ["XNYS-2026-11-27T13"]  # 13:10 ET
    assert _alerts(datetime(2026, 11, 27, 19, 30, tzinfo=UTC)) == []  # 14:30 ET: closed at 13:00
    # a regular Friday keeps alerting until the 16:00 close
    assert _alerts(datetime(2026, 11, 20, 21, 30, tzinfo=UTC)) == ["XNYS-2026-11-20T16"]


def test_alert_hours_follow_new_york_dst_not_a_fixed_offset() -> None:
    # 10:05 EDT in summer is 14:05 UTC; in winter 10:05 EST is 15:05 UTC.
    assert _alerts(datetime(2026, 7, 7, 14, 5, tzinfo=UTC)) == ["XNYS-2026-07-07T10"]
    assert _alerts(datetime(2026, 12, 8, 15, 5, tzinfo=UTC)) == ["XNYS-2026-12-08T10"]


def test_nyse_calendar_sessions() -> None:
    assert CAL.session(date(2026, 11, 26)) is None
    half = CAL.session(date(2026, 11, 27))
    assert half is not None and half.early_close and half.close == time(13)
    regular = CAL.session(date(2026, 11, 30))
    assert regular is not None and regular.close == time(16)
    assert CAL.session(date(2026, 4, 3)) is None  # Good Friday


def test_next_run_is_the_earliest_upcoming_slot_over_zones() -> None:
    after = datetime(2026, 3, 9, 20, tzinfo=UTC)
    slot = next_run(
        NotificationKind.DIGEST, DIGEST, ["Australia/Sydney", "America/New_York"], after=after, calendar=CAL
    )
    assert slot is not None and slot.at == datetime(2026, 3, 9, 21, tzinfo=UTC)  # 08:00 Sydney
    alert = next_run(NotificationKind.ALERT, ALERTS, [], after=datetime(2026, 11, 25, 22, tzinfo=UTC), calendar=CAL)
    assert alert is not None and alert.period == "XNYS-2026-11-27T09"  # skips Thanksgiving


def test_alert_checks_wait_for_the_open() -> None:
    # Saturday 2026-12-05: the next check is Monday's 09:30 open (EST, 14:30 UTC), not 09:00.
    alert = next_run(NotificationKind.ALERT, ALERTS, [], after=datetime(2026, 12, 5, 12, tzinfo=UTC), calendar=CAL)
    assert alert is not None and alert.at == datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
    assert alert.period == "XNYS-2026-12-07T09"
    # From 09:00 to 09:29 nothing is planned; the hour's first check is at the open.
    assert plan_kind(
        NotificationKind.ALERT, ALERTS, [], start=datetime(2026, 12, 7, 14, tzinfo=UTC),
        now=datetime(2026, 12, 7, 14, 29, tzinfo=UTC), grace=timedelta(hours=1), calendar=CAL,
    ) == []


def test_the_next_slot_looked_for_a_day_first_is_the_one_of_the_whole_horizon() -> None:
    # next_slot looks over a day, then four, then its horizon (cheap where the next run is near): the slot found is
    # the first of the whole horizon's, over weekends, a holiday (Thanksgiving), DST changes and every zone kind
    from functools import partial

    from stack_cfo.core.notifications.planning import _SPANS, _alert_period, _digest_period, within_session
    from stack_cfo.core.notifications.schedules import next_slot, zone_slots

    cal = NyseCalendar()
    alert = CronSchedule.parse("0 * 9-16 * * 1-5")
    digest = CronSchedule.parse("0 8 * * *")
    cases = [
        (alert, cal.tz, partial(_alert_period, cal.exchange), _SPANS[NotificationKind.ALERT],
         partial(within_session, cal)),
        (digest, ZoneInfo("Asia/Kolkata"), _digest_period, _SPANS[NotificationKind.DIGEST], None),
        (digest, ZoneInfo("Europe/London"), _digest_period, _SPANS[NotificationKind.DIGEST], None),
    ]
    start = datetime(2026, 3, 5, tzinfo=UTC)
    horizon = timedelta(days=6)
    for hours in range(0, 24 * 40, 31):  # every 31 hours over 40 days (the US DST change, Good Friday)
        after = start + timedelta(hours=hours)
        for schedule, tz, period_of, span, accept in cases:
            whole = zone_slots(schedule, tz, after, after + horizon, period_of=period_of, period_span=span,
                               accept=accept)
            expected = next((s for s in whole if s.at > after), None)
            assert next_slot(schedule, tz, after, period_of=period_of, period_span=span, accept=accept,
                             horizon=horizon) == expected
    thanksgiving_eve = datetime(2026, 11, 25, 22, tzinfo=UTC)
    found = next_slot(alert, cal.tz, thanksgiving_eve, period_of=partial(_alert_period, cal.exchange),
                      period_span=_SPANS[NotificationKind.ALERT], accept=partial(within_session, cal))
    assert found is not None and found.local.date() == date(2026, 11, 27)  # the half day after the holiday
