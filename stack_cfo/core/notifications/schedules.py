"""Cron schedules evaluated in a local time zone, and the slots they produce.

Cron expressions are read by croniter. Five fields are standard cron; six fields follow
the seed's (Go ``robfig/cron``) form with **seconds first** (``0 * 9-16 * * 1-5``), which
croniter reads only with ``second_at_beginning=True`` (its own six-field default puts
seconds last). Schedules may fire at most once a minute: the seconds field must be a
single value.

Fire times are computed on *naive local wall-clock* times and only then placed in the
zone with :mod:`zoneinfo` (``fold=0``): a wall time inside a spring-forward gap moves
forward (02:30 -> 03:30 EDT), an ambiguous fall-back time is its first occurrence. Each
*period* (local date, ISO week, exchange hour) keeps only its first fire, so a DST
change can neither skip nor double a period.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from croniter import croniter

from stack_cfo.core.errors import InvalidArgument

_DST_MARGIN = timedelta(hours=3)


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A validated cron expression (five fields, or six with seconds first)."""

    expression: str
    seconds_first: bool

    @classmethod
    def parse(cls, expression: str, *, key: str = "cron") -> CronSchedule:
        """Validate ``expression``; errors raise :class:`InvalidArgument` naming ``key``."""
        expr = " ".join(str(expression).split())
        fields = expr.split(" ") if expr else []
        if len(fields) not in (5, 6):
            raise InvalidArgument.field(
                key,
                f"cron expression {expression!r} must have 5 fields (min hour dom month dow) or 6 with seconds first",
                reason="INVALID_CRON",
            )
        six = len(fields) == 6
        if six and not fields[0].isdigit():
            raise InvalidArgument.field(
                key,
                f"cron expression {expression!r}: the seconds field must be a single number "
                "(schedules fire at most once a minute)",
                reason="INVALID_CRON",
            )
        if not croniter.is_valid(expr, second_at_beginning=six):
            raise InvalidArgument.field(key, f"invalid cron expression {expression!r}", reason="INVALID_CRON")
        schedule = cls(expr, six)
        try:  # is_valid accepts some never-firing expressions (30 Feb); make sure it fires
            next(schedule.fire_times(datetime(2026, 1, 1), datetime(2031, 1, 1)))
        except StopIteration:
            raise InvalidArgument.field(
                key, f"cron expression {expression!r} never fires", reason="INVALID_CRON"
            ) from None
        except Exception as exc:  # croniter raises its own errors on odd input
            raise InvalidArgument.field(
                key, f"invalid cron expression {expression!r}: {exc}", reason="INVALID_CRON"
            ) from None
        return schedule

    def fire_times(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Naive wall-clock fire times ``t`` with ``start <= t <= end`` (naive inputs)."""
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("fire_times works on naive local wall-clock times")
        it = croniter(
            self.expression,
            start - timedelta(seconds=1),
            second_at_beginning=self.seconds_first,
            max_years_between_matches=6,
        )
        while True:
            t: datetime = it.get_next(datetime)
            if t > end:
                return
            if t >= start:
                yield t

    def __str__(self) -> str:
        return self.expression


def to_utc(wall: datetime, tz: tzinfo) -> datetime:
    """A naive local wall time in ``tz`` as a UTC instant (gap -> forward, ambiguous -> first)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def wall_time(instant: datetime, tz: tzinfo) -> datetime:
    """The naive local wall-clock reading of an aware instant in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class Slot:
    """The first fire of one period: its local label, nominal wall time and UTC instant."""

    period: str
    local: datetime
    at: datetime


def zone_slots(
    schedule: CronSchedule,
    tz: tzinfo,
    start: datetime,
    end: datetime,
    *,
    period_of: Callable[[datetime], str],
    period_span: timedelta,
    accept: Callable[[datetime], bool] | None = None,
) -> list[Slot]:
    """Slots whose UTC instant lies in ``[start, end]`` (aware), oldest first.

    ``period_span`` is the longest a period lasts (1 day, 7 days, 1 hour): fires that far
    before ``start`` are looked at so that each period is represented by its *first* fire.
    ``accept`` filters wall times (market sessions).
    """
    local_from = wall_time(start, tz) - period_span - _DST_MARGIN
    local_to = wall_time(end, tz) + _DST_MARGIN
    firsts: dict[str, Slot] = {}
    for wall in schedule.fire_times(local_from, local_to):
        if accept is not None and not accept(wall):
            continue
        at = to_utc(wall, tz)
        period = period_of(wall)
        current = firsts.get(period)
        if current is None or at < current.at:
            firsts[period] = Slot(period, wall, at)
    return sorted((s for s in firsts.values() if start <= s.at <= end), key=lambda s: s.at)


def next_slot(
    schedule: CronSchedule,
    tz: tzinfo,
    after: datetime,
    *,
    period_of: Callable[[datetime], str],
    period_span: timedelta,
    accept: Callable[[datetime], bool] | None = None,
    horizon: timedelta = timedelta(days=15),
) -> Slot | None:
    """The first slot strictly after ``after`` within ``horizon``.

    Looked for over a day first, then four, then the whole horizon: the slots of a window are the same whatever its
    end (a period's first fire is found from before ``after``), and a schedule that fires every minute of the session
    costs croniter some 5,500 steps over 15 days (0.5 s of CPU) where the next session is usually within a day."""
    for span in (_FIRST_LOOK, _SECOND_LOOK, horizon):
        end = after + min(span, horizon)
        slots = zone_slots(schedule, tz, after, end, period_of=period_of, period_span=period_span, accept=accept)
        found = next((s for s in slots if s.at > after), None)
        if found is not None or span >= horizon:
            return found
    return None


_FIRST_LOOK = timedelta(days=1)
_SECOND_LOOK = timedelta(days=4)


def zones(names: Iterable[str]) -> dict[str, ZoneInfo]:
    """Distinct zone names -> ZoneInfo (names were validated when preferences were saved)."""
    return {n: ZoneInfo(n) for n in sorted(set(names))}
