"""The summary cache's market day (PortfolioService._today) is market_date, converted once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from stack_cfo.core.clock import SystemClock
from stack_cfo.core.portfolio.service import PortfolioService
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.valuation import market_date


class _Feed:
    healthy = True
    epoch = 1


def _service(tz: str) -> PortfolioService:
    settings = AnalyticsSettings(market_timezone=tz)
    return PortfolioService(None, _Feed(), clock=SystemClock(), settings=settings)  # type: ignore[arg-type]


def test_every_quarter_hour_across_midnights_and_both_dst_changes_in_order_and_out_of_order() -> None:
    for tz in ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata"):
        svc = _service(tz)
        zone = svc.settings.tz
        instants = []
        for start in (datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 10, 24, tzinfo=UTC),
                      datetime(2026, 4, 4, tzinfo=UTC), datetime(2026, 12, 31, 20, tzinfo=UTC)):
            instants += [start + timedelta(minutes=15 * i) for i in range(4 * 24 * 3)]
        for at in [*instants, *reversed(instants), *instants[::7]]:
            assert svc._today(at) == market_date(at, zone), (tz, at)
        # the instant a market day starts, and the one just before it
        midnight = datetime(2026, 3, 9, tzinfo=zone).astimezone(UTC)
        assert svc._today(midnight) == market_date(midnight, zone)
        before = midnight - timedelta(microseconds=1)
        assert svc._today(before) == market_date(before, zone)


def test_another_time_zone_on_the_instant_is_converted_again() -> None:
    svc = _service("America/New_York")
    at = datetime(2026, 6, 1, 3, 30, tzinfo=UTC)  # 23:30 on May 31 in New York
    assert svc._today(at).isoformat() == "2026-05-31"
    tokyo = at.astimezone(ZoneInfo("Asia/Tokyo"))  # the same instant, another tzinfo
    assert svc._today(tokyo).isoformat() == "2026-05-31"
    assert svc._today(at + timedelta(hours=1)).isoformat() == "2026-06-01"
