"""Period changes (1d, 1w, 1m, ytd): boundaries, returns and contributions against hand-computed figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from stack_cfo.core.portfolio import AnalyticsSettings, Period, PortfolioInputs, compute_summary
from stack_cfo.core.portfolio.periods import month_back, period_boundary
from stack_cfo.core.portfolio.summary import summarize_holdings

from .factories import NY, after_close, holdings, position, series, snapshot

D = Decimal
AS_OF_DAY = date(2024, 5, 17)  # a Friday
# Closes on: the last trading day of 2023, a month ago, a week ago, yesterday, today.
DAYS = [date(2023, 12, 29), date(2024, 4, 17), date(2024, 5, 10), date(2024, 5, 16), AS_OF_DAY]
PRICES = {
    "NVDA": series("NVDA", DAYS, ["50", "80", "100", "95", "90"]),
    "AMD": series("AMD", DAYS, ["40", "55", "50", "52", "51"]),
    "XOM": series("XOM", DAYS, ["100", "100", "100", "100", "101"]),
    # Listed on 10 May: no close a month ago or at the end of last year.
    "PLTR": series("PLTR", DAYS[2:], ["20", "21", "22"]),
    "SPY": series("SPY", DAYS, ["400", "480", "500", "505", "510"]),
}
POSITIONS = [
    position("NVDA", 10, "60", sector="Technology", basket="Tech"),
    position("AMD", 20, "45", sector="Technology", basket="Tech"),
    position("PLTR", 10, "20", sector="Technology"),
    position("XOM", 5, "90", sector="Energy"),
]


def test_boundaries_are_calendar_dates_with_month_end_clamping() -> None:
    assert period_boundary(Period.DAY, AS_OF_DAY) is None  # the previous close
    assert period_boundary(Period.WEEK, AS_OF_DAY) == date(2024, 5, 10)
    assert period_boundary(Period.MONTH, AS_OF_DAY) == date(2024, 4, 17)
    assert period_boundary(Period.YEAR_TO_DATE, AS_OF_DAY) == date(2023, 12, 31)
    assert month_back(date(2024, 3, 31)) == date(2024, 2, 29)
    assert month_back(date(2023, 3, 31)) == date(2023, 2, 28)
    assert month_back(date(2024, 1, 15)) == date(2023, 12, 15)
    assert period_boundary(Period.YEAR_TO_DATE, date(2024, 1, 2)) == date(2023, 12, 31)


def _summary():  # type: ignore[no-untyped-def]
    inputs = PortfolioInputs(holdings=(snapshot(DAYS[0], POSITIONS, cash=1000),), prices=PRICES)
    return compute_summary(inputs, as_of=after_close(AS_OF_DAY), settings=AnalyticsSettings(min_history=0))


def test_position_returns_and_money_changes_over_each_period() -> None:
    s = _summary()
    by = {p.symbol: p for p in s.positions}
    nvda = by["NVDA"]
    # 10 NVDA at 90: previous close 95, a week ago 100, a month ago 80, end of 2023 50.
    assert [(c.period, c.change, c.priced) for c in nvda.periods] == [
        (Period.DAY, D(-50), 1), (Period.WEEK, D(-100), 1), (Period.MONTH, D(100), 1),
        (Period.YEAR_TO_DATE, D(400), 1),
    ]
    assert nvda.period(Period.DAY).period_return == pytest.approx(-5 / 95, rel=1e-15)  # type: ignore[union-attr]
    assert nvda.period(Period.WEEK).period_return == pytest.approx(-0.1, rel=1e-15)  # type: ignore[union-attr]
    assert nvda.period(Period.MONTH).period_return == pytest.approx(0.125, rel=1e-15)  # type: ignore[union-attr]
    assert nvda.period(Period.YEAR_TO_DATE).period_return == pytest.approx(0.8, rel=1e-15)  # type: ignore[union-attr]
    assert nvda.week_return == nvda.period(Period.WEEK).period_return  # type: ignore[union-attr]
    assert nvda.day_return == nvda.period(Period.DAY).period_return  # type: ignore[union-attr]
    # PLTR has no close on or before 17 April or 31 December: unknown, not zero.
    pltr = by["PLTR"]
    assert pltr.period(Period.WEEK).period_return == pytest.approx(0.1, rel=1e-15)  # type: ignore[union-attr]
    for period in (Period.MONTH, Period.YEAR_TO_DATE):
        c = pltr.period(period)
        assert c is not None and c.period_return is None and c.priced == 0 and c.change == 0


def test_basket_returns_and_contributions_add_up() -> None:
    s = _summary()
    tech = s.baskets[0]
    assert tech.name == "Tech" and tech.symbols == ("AMD", "NVDA")  # by value: 1020, 900
    day, week, month, ytd = tech.periods
    # 1d: NVDA 10 x (90-95) = -50, AMD 20 x (51-52) = -20, over 950 + 1040 = 1990.
    assert day.change == D(-70) and day.period_return == pytest.approx(-70 / 1990, rel=1e-15)
    assert [(c.symbol, c.change) for c in day.contributions] == [("NVDA", D(-50)), ("AMD", D(-20))]
    assert [c.contribution for c in day.contributions] == pytest.approx([-50 / 1990, -20 / 1990], rel=1e-15)
    # 1w: NVDA 1000 -> 900, AMD 1000 -> 1020: -80 / 2000 = -4 %; NVDA -5 points, AMD +1 point.
    assert week.change == D(-80) and week.period_return == pytest.approx(-0.04, rel=1e-15)
    assert [(c.symbol, c.contribution) for c in week.contributions] == [
        ("NVDA", pytest.approx(-0.05, rel=1e-15)), ("AMD", pytest.approx(0.01, rel=1e-15))]
    assert [c.period_return for c in week.contributions] == pytest.approx([-0.1, 0.02], rel=1e-15)
    assert tech.week_return == week.period_return
    assert [(c.symbol, c.contribution) for c in tech.week_contributors] == [
        (c.symbol, c.contribution) for c in week.contributions]
    # 1m: NVDA 800 -> 900 (+100), AMD 1100 -> 1020 (-80): +20 / 1900.
    assert month.change == D(20) and month.period_return == pytest.approx(20 / 1900, rel=1e-15)
    assert [(c.symbol, c.contribution) for c in month.contributions] == [
        ("AMD", pytest.approx(-80 / 1900, rel=1e-15)), ("NVDA", pytest.approx(100 / 1900, rel=1e-15))]
    # ytd: NVDA 500 -> 900, AMD 800 -> 1020: +620 / 1300.
    assert ytd.change == D(620) and ytd.period_return == pytest.approx(620 / 1300, rel=1e-15)
    for c in (day, week, month, ytd):
        assert sum(x.contribution for x in c.contributions) == pytest.approx(c.period_return, rel=1e-12)


def test_sector_leaves_out_members_without_a_start_price() -> None:
    s = _summary()
    tech = next(g for g in s.sectors if g.name == "Technology")
    month = tech.period(Period.MONTH)
    assert month is not None and month.priced == 2 and month.change == D(20)
    assert month.period_return == pytest.approx(20 / 1900, rel=1e-15)
    assert {c.symbol for c in month.contributions} == {"NVDA", "AMD"}
    week = tech.period(Period.WEEK)
    # With PLTR: 1000 + 1000 + 200 -> 900 + 1020 + 220: -60 / 2200.
    assert week is not None and week.priced == 3 and week.period_return == pytest.approx(-60 / 2200, rel=1e-15)


def test_portfolio_periods_include_cash_and_the_benchmark_covers_the_same_periods() -> None:
    s = _summary()
    day, week, month, ytd = s.periods
    # 1d: -50 - 20 + 10 x (22-21) + 5 x (101-100) = -55 over (2645 + 55) invested + 1000 cash = 3700.
    assert s.total_value == D(900 + 1020 + 220 + 505 + 1000)
    assert day.change == D(-55) and day.period_return == pytest.approx(-55 / 3700, rel=1e-15)
    assert day.period_return == pytest.approx(s.day_return, rel=1e-15)  # the summary's own day return
    # 1w: -100 + 20 + 20 + 5 = -55 over 1000 + 1000 + 200 + 500 + 1000.
    assert week.change == D(-55) and week.period_return == pytest.approx(-55 / 3700, rel=1e-15)
    assert s.week_return == pytest.approx(-55 / 2700, rel=1e-15)  # invested positions only
    # 1m without PLTR: +100 - 80 + 5 = 25 over 800 + 1100 + 500 + 1000; ytd: 400 + 220 + 5 over 500 + 800 + 500 + 1000.
    assert month.priced == 3 and month.period_return == pytest.approx(25 / 3400, rel=1e-15)
    assert ytd.change == D(625) and ytd.period_return == pytest.approx(625 / 2800, rel=1e-15)
    assert not any(c.contributions for c in s.periods)
    bench = {c.period: c.period_return for c in s.benchmark_periods}
    assert bench == {
        Period.DAY: pytest.approx(5 / 505, rel=1e-15), Period.WEEK: pytest.approx(0.02, rel=1e-15),
        Period.MONTH: pytest.approx(30 / 480, rel=1e-15), Period.YEAR_TO_DATE: pytest.approx(110 / 400, rel=1e-15),
    }
    assert s.benchmark_week_return == bench[Period.WEEK]


def test_a_stale_price_has_no_day_move_and_a_same_day_close_is_no_start() -> None:
    hs = summarize_holdings(
        holdings([position("OLD", 1, "10"), position("NEW", 2, "10")]),
        {
            "OLD": series("OLD", [date(2024, 5, 1), date(2024, 5, 3)], ["10", "12"]),
            "NEW": series("NEW", [AS_OF_DAY], ["11"]),
        },
        as_of=after_close(AS_OF_DAY),
        tz=NY,
        stale_after=timedelta(days=4),
    )
    old, new = (next(p for p in hs.positions if p.symbol == s) for s in ("OLD", "NEW"))
    assert old.stale and old.period(Period.DAY) is not None
    assert old.period(Period.DAY).period_return == 0.0 and old.period(Period.DAY).change == 0  # type: ignore[union-attr]
    # Its price is from 3 May; a week before 17 May is 10 May: the last close on or before it is
    # that same 3 May bar, so nothing moved since and the start is unknown.
    assert old.period(Period.WEEK).period_return is None  # type: ignore[union-attr]
    assert all(c.period_return is None for c in new.periods[1:])
