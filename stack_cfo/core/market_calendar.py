"""Market calendars: which days the exchange trades and when it closes.

Used by the scheduler (alert hours, digests on trading days) and by the portfolio core (a price
is stale when it is more than one trading day old; a day change compares with the previous
session's close).

The default is NYSE from the ``holidays`` package (financial calendar ``NYSE``): full
holidays close the market, ``HALF_DAY`` dates close it at 13:00 New York time.
``exchange_calendars`` could sit behind the same Protocol but brings pandas and numpy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

import holidays
from holidays.constants import HALF_DAY, PUBLIC


@dataclass(frozen=True, slots=True)
class Session:
    """One trading day, in exchange-local wall time."""

    day: date
    open: time
    close: time
    early_close: bool
    note: str = ""


class MarketCalendar(Protocol):
    @property
    def exchange(self) -> str:
        """MIC code used in alert periods (``XNYS``)."""
        ...

    @property
    def tz(self) -> ZoneInfo: ...

    def session(self, day: date) -> Session | None:
        """The session on ``day`` (exchange-local), or ``None`` on weekends and holidays."""
        ...


class NyseCalendar:
    """NYSE: weekdays, minus exchange holidays, 09:30-16:00 or 09:30-13:00 on half days."""

    exchange = "XNYS"
    tz = ZoneInfo("America/New_York")
    regular_open = time(9, 30)
    regular_close = time(16, 0)
    early_close = time(13, 0)

    def __init__(self) -> None:
        self._years: set[int] = set()
        self._closed: dict[date, str] = {}
        self._half: dict[date, str] = {}
        #: Each day's session once worked out (summaries ask for the same few days thousands of times).
        self._sessions: dict[date, Session | None] = {}
        self._lock = threading.Lock()

    def _load(self, year: int) -> None:
        """The year's holidays, once. The event loop and the compute pool's threads share the calendar: a
        year is marked loaded only once its holidays are in (a reader meanwhile waits for them), so no
        session is worked out, and kept, from a year half loaded."""
        if year in self._years:
            return
        with self._lock:
            if year in self._years:
                return
            closed = holidays.financial_holidays("NYSE", years=year, categories=(PUBLIC,))
            half = holidays.financial_holidays("NYSE", years=year, categories=(HALF_DAY,))
            self._closed.update(closed)
            self._half.update(half)
            self._years.add(year)

    def session(self, day: date) -> Session | None:
        try:
            return self._sessions[day]
        except KeyError:
            pass
        found: Session | None = None
        if day.weekday() < 5:
            self._load(day.year)
            if day in self._half:
                found = Session(day, self.regular_open, self.early_close, True, self._half[day])
            elif day not in self._closed:
                found = Session(day, self.regular_open, self.regular_close, False)
        self._sessions[day] = found
        return found

    def holiday_name(self, day: date) -> str | None:
        self._load(day.year)
        return self._closed.get(day)


class WeekdayCalendar:
    """Every weekday, 09:30-16:00: the fallback for a market time zone without a holiday list."""

    exchange = "XXXX"
    regular_open = time(9, 30)
    regular_close = time(16, 0)

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def session(self, day: date) -> Session | None:
        if day.weekday() >= 5:
            return None
        return Session(day, self.regular_open, self.regular_close, False)


#: How far back the session searches look before giving up (a year covers any closure).
_MAX_GAP = 370


def previous_session_day(calendar: MarketCalendar, day: date) -> date | None:
    """The latest trading day strictly before ``day``."""
    d = day
    for _ in range(_MAX_GAP):
        d -= timedelta(days=1)
        if calendar.session(d) is not None:
            return d
    return None


def last_closed_session_day(calendar: MarketCalendar, at: datetime) -> date | None:
    """The latest trading day whose session had closed at ``at`` (an aware instant)."""
    local = at.astimezone(calendar.tz)
    session = calendar.session(local.date())
    if session is not None and local.time() >= session.close:
        return local.date()
    return previous_session_day(calendar, local.date())


def calendar_for(tz_name: str) -> MarketCalendar:
    """NYSE for America/New_York (the default market), weekdays elsewhere."""
    if tz_name == "America/New_York":
        return _NYSE
    return WeekdayCalendar(ZoneInfo(tz_name))


def calendar_of(tz: tzinfo) -> MarketCalendar:
    """:func:`calendar_for` the time zone of a market (a ``ZoneInfo``; other tzinfos: New York)."""
    return calendar_for(getattr(tz, "key", "America/New_York"))


def within_session(calendar: MarketCalendar, wall: datetime) -> bool:
    """True when exchange-local ``wall`` is on a trading day, from that day's open to its close.

    The seed's alert hours are 9-16; the session bounds them: nothing before the 09:30 open
    (no trade has moved a price yet), nothing after the close (13:00 on half days). The 16:00
    slot on a regular day (and 13:00 on a half day) reports the closing move.
    """
    session = calendar.session(wall.date())
    return session is not None and session.open <= wall.time() <= session.close


_NYSE = NyseCalendar()


def preload(today: date) -> None:
    """Load NYSE's holidays for this year and the last now, at a process's start: the first use
    imports the ``holidays`` package's financial markets (about 85 ms of CPU), which would otherwise
    hold the event loop inside the first call that needs a session (a chat answer's check of
    "yesterday", a summary's market day)."""
    for y in (today.year - 1, today.year):
        _NYSE.holiday_name(date(y, 1, 1))  # (loads the year on any weekday; session() skips weekends)
