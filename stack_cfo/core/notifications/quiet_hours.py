"""Quiet hours: ``[start, end)`` in the user's current zone; ``start > end`` spans midnight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.notifications.schedules import to_utc, wall_time


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    @property
    def enabled(self) -> bool:
        return self.start != self.end

    def contains(self, local: time) -> bool:
        """Is local wall time ``local`` inside the window?"""
        if not self.enabled:
            return False
        t = local.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end

    def is_quiet(self, instant: datetime, tz: tzinfo) -> bool:
        return self.contains(wall_time(instant, tz).time())

    def ends_after(self, instant: datetime, tz: tzinfo) -> datetime:
        """The UTC instant of the next local ``end`` after ``instant`` (gap -> moved forward).

        An ``end`` inside a repeated hour (clocks going back) happens twice: during the hour's
        second pass the next end is its second occurrence, not the first one, which is already
        past (a deferral to the past would be claimed again at once, all hour long)."""
        day = wall_time(instant, tz).date()
        for offset in (0, 1, 2):
            wall = datetime.combine(day + timedelta(days=offset), self.end)
            for fold in (0, 1):
                at = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
                if at > instant:
                    return at
        return to_utc(datetime.combine(day + timedelta(days=1), self.end), tz)  # unreachable: a day passed

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_clock_time(value: str | time, field: str) -> time:
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise InvalidArgument.field(field, "must be a local wall time without a zone", reason="INVALID_QUIET_HOURS")
        return value.replace(second=0, microsecond=0)
    text = str(value).strip()
    try:
        hh, mm = text.split(":")
        if len(hh) != 2 or len(mm) != 2:
            raise ValueError
        return time(int(hh), int(mm))
    except ValueError:
        raise InvalidArgument.field(
            field, f"must be a 24-hour local time HH:MM, got {text!r}", reason="INVALID_QUIET_HOURS"
        ) from None
