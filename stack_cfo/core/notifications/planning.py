"""Which slots a planner tick must write, per distinct time zone (pure, no SQL).

The planner asks this module for the slots of one kind whose instant lies in its window;
the store then inserts one outbox row per (user, slot, channel, target) in a single
set-based statement. Status is decided here from the grace window: ``pending`` when the
slot is at most ``grace`` old, ``missed`` when older (an audit record, never sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from stack_cfo.core.market_calendar import MarketCalendar, within_session
from stack_cfo.core.notifications.keys import alert_period, digest_period, weekly_period
from stack_cfo.core.notifications.kinds import NotificationKind, OutboxStatus
from stack_cfo.core.notifications.preferences import zone
from stack_cfo.core.notifications.schedules import CronSchedule, Slot, next_slot, zone_slots

_SPANS = {
    NotificationKind.DIGEST: timedelta(days=1),
    NotificationKind.WEEKLY: timedelta(days=7),
    NotificationKind.ALERT: timedelta(hours=1),
}


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    """One slot for every user in ``tz`` (``None``: every user, for exchange-time alerts)."""

    tz: str | None
    period: str
    scheduled_for: datetime
    deadline: datetime
    status: OutboxStatus


def _digest_period(wall: datetime) -> str:
    return digest_period(wall.date())


def _weekly_period(wall: datetime) -> str:
    return weekly_period(wall.date())


def _alert_period(exchange: str, wall: datetime) -> str:
    return alert_period(wall, exchange)


def plan_kind(
    kind: NotificationKind,
    schedule: CronSchedule,
    time_zones: Iterable[str],
    *,
    start: datetime,
    now: datetime,
    grace: timedelta,
    calendar: MarketCalendar,
) -> list[PlannedSlot]:
    """Slots of ``kind`` in ``[start, now]``.

    Digest and weekly slots are computed per user time zone; alerts once, in exchange
    time, on trading days up to the close, keeping only the latest slot (coalesced) and
    only if it is within ``grace``.
    """
    if kind is NotificationKind.ALERT:
        slots = zone_slots(
            schedule,
            calendar.tz,
            max(start, now - grace),
            now,
            period_of=partial(_alert_period, calendar.exchange),
            period_span=_SPANS[kind],
            accept=partial(within_session, calendar),
        )
        if not slots:
            return []
        last = slots[-1]
        return [PlannedSlot(None, last.period, last.at, last.at + grace, OutboxStatus.PENDING)]
    period_of = _digest_period if kind is NotificationKind.DIGEST else _weekly_period
    out: list[PlannedSlot] = []
    for name in sorted(set(time_zones)):
        for slot in zone_slots(schedule, zone(name), start, now, period_of=period_of, period_span=_SPANS[kind]):
            status = OutboxStatus.PENDING if slot.at >= now - grace else OutboxStatus.MISSED
            out.append(PlannedSlot(name, slot.period, slot.at, slot.at + grace, status))
    return out


def next_run(
    kind: NotificationKind,
    schedule: CronSchedule,
    time_zones: Iterable[str],
    *,
    after: datetime,
    calendar: MarketCalendar,
) -> Slot | None:
    """The earliest upcoming slot of ``kind`` over the given zones (for status pages)."""
    if kind is NotificationKind.ALERT:
        return next_slot(
            schedule,
            calendar.tz,
            after,
            period_of=partial(_alert_period, calendar.exchange),
            period_span=_SPANS[kind],
            accept=partial(within_session, calendar),
        )
    period_of = _digest_period if kind is NotificationKind.DIGEST else _weekly_period
    best: Slot | None = None
    for name in sorted(set(time_zones)) or ["UTC"]:
        s = next_slot(schedule, zone(name), after, period_of=period_of, period_span=_SPANS[kind])
        if s is not None and (best is None or s.at < best.at):
            best = s
    return best


def local_period_for(kind: NotificationKind, instant: datetime, tz_name: str, calendar: MarketCalendar) -> str:
    """The period label ``instant`` falls in for a user in ``tz_name`` (manual runs, previews)."""
    if kind is NotificationKind.ALERT:
        return alert_period(instant.astimezone(calendar.tz).replace(tzinfo=None), calendar.exchange)
    local = instant.astimezone(zone(tz_name))
    return digest_period(local.date()) if kind is NotificationKind.DIGEST else weekly_period(local.date())
