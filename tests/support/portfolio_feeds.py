"""What in-process PortfolioService tests need besides a database: a change feed the test drives,
and the NYSE sessions between two dates (to record closes on)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from stack_cfo.core.market_calendar import calendar_for
from stack_cfo.core.portfolio.ports import ChangeEvent


class TestFeed:
    """A change feed that delivers nothing by itself: ``healthy`` False makes the service cache
    nothing (no notifications would tell it what changed); True lets watches run, the test calling
    ``on_change`` with the events it wants."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, healthy: bool = False) -> None:
        self._healthy = healthy
        self.on_change: Callable[[ChangeEvent], None] | None = None

    @property
    def healthy(self) -> bool:
        return self._healthy

    @property
    def epoch(self) -> int:
        return 1 if self._healthy else 0

    async def start(self, on_change: Callable[[ChangeEvent], None]) -> None:
        self.on_change = on_change

    async def stop(self) -> None:
        return None


def nyse_sessions(first: date, last: date) -> list[date]:
    """The NYSE trading days from ``first`` to ``last``, both included."""
    cal = calendar_for("America/New_York")
    days, d = [], first
    while d <= last:
        if cal.session(d) is not None:
            days.append(d)
        d += timedelta(days=1)
    return days
