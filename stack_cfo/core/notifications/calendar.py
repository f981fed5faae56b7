"""Market calendars: which days the exchange trades and when it closes.

The default is NYSE from the ``holidays`` package (financial calendar ``NYSE``): full
holidays close the market, ``HALF_DAY`` dates close it at 13:00 New York time.
``exchange_calendars`` could sit behind the same Protocol but brings pandas and numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
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

    def _load(self, year: int) -> None:
        if year in self._years:
            return
        self._years.add(year)
        for d, name in holidays.financial_holidays("NYSE", years=year, categories=(PUBLIC,)).items():
            self._closed[d] = name
        for d, name in holidays.financial_holidays("NYSE", years=year, categories=(HALF_DAY,)).items():
            self._half[d] = name

    def session(self, day: date) -> Session | None:
        if day.weekday() >= 5:
            return None
        self._load(day.year)
        if day in self._closed:
            return None
        if day in self._half:
            return Session(day, self.regular_open, self.early_close, True, self._half[day])
        return Session(day, self.regular_open, self.regular_close, False)

    def holiday_name(self, day: date) -> str | None:
        self._load(day.year)
        return self._closed.get(day)


def within_session(calendar: MarketCalendar, wall: datetime) -> bool:
    """True when exchange-local ``wall`` is on a trading day and not after that day's close.

    The seed's alert hours are 9-16; the close bounds them (13:00 on half days). The 16:00
    slot on a regular day (and 13:00 on a half day) reports the closing move.
    """
    session = calendar.session(wall.date())
    return session is not None and wall.time() <= session.close
