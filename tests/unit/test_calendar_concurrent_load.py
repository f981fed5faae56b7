"""A year's holidays loaded by one thread while another asks for a session of that year: the reader never
sees (nor keeps, in the per-day session cache) a year marked loaded before its holidays are in."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from stack_cfo.core import market_calendar as mc


def test_a_reader_during_a_years_load_waits_for_its_holidays(monkeypatch: pytest.MonkeyPatch) -> None:
    real = mc.holidays.financial_holidays
    loading, release = threading.Event(), threading.Event()

    def slow(*args: Any, **kwargs: Any) -> Any:
        loading.set()
        assert release.wait(10)  # held until the reader below has asked
        return real(*args, **kwargs)

    monkeypatch.setattr(mc.holidays, "financial_holidays", slow)
    cal = mc.NyseCalendar()
    christmas = date(2031, 12, 25)  # a Thursday: closed
    loader = threading.Thread(target=cal.session, args=(date(2031, 3, 3),))
    loader.start()
    assert loading.wait(10)
    seen: list[mc.Session | None] = []
    reader = threading.Thread(target=lambda: seen.append(cal.session(christmas)))
    reader.start()
    reader.join(0.2)  # it waits for the load (before: answered at once, a regular session, and kept it)
    release.set()
    loader.join(10)
    reader.join(10)
    assert seen == [None]
    assert cal.session(christmas) is None and cal.holiday_name(christmas) == "Christmas Day"
