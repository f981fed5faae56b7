"""Performance history for charts: ranges, weekly sampling, rebasing, drawdown, benchmark, flows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stack_cfo.core.errors import InvalidArgument, NotFound
from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    DateRange,
    HistoryRange,
    Interval,
    PortfolioInputs,
    compute_history,
)
from stack_cfo.core.portfolio.history import months_before, range_bounds

from .factories import after_close, position, series, snapshot, weekdays

D = Decimal
GOOD_FRIDAY = date(2024, 3, 29)
DAYS = [d for d in weekdays(date(2023, 12, 18), 80) if d not in (date(2023, 12, 25), date(2024, 1, 1), GOOD_FRIDAY)]
CLOSES = [D(100) + D(i) / 4 for i in range(len(DAYS))]  # rises 0.25 a day
SETTINGS = AnalyticsSettings(min_history=0)


def inputs(**kw: object) -> PortfolioInputs:
    base: dict[str, object] = {
        "holdings": (snapshot(DAYS[0], [position("AAA", 10, "100")], cash=100),),
        "prices": {
            "AAA": series("AAA", DAYS, CLOSES),
            "SPY": series("SPY", DAYS, [D(400) + i for i in range(len(DAYS))]),
        },
    }
    base.update(kw)
    return PortfolioInputs(**base)  # type: ignore[arg-type]


def value_on(d: date) -> Decimal:
    return 10 * CLOSES[DAYS.index(d)] + 100


def test_months_before_clamps_to_month_end() -> None:
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)
    assert months_before(date(2024, 1, 15), 1) == date(2023, 12, 15)


def test_range_bounds() -> None:
    d = date(2024, 4, 3)
    assert range_bounds(HistoryRange.ONE_WEEK, d) == (date(2024, 3, 27), d)
    assert range_bounds(HistoryRange.YEAR_TO_DATE, d) == (date(2023, 12, 31), d)
    assert range_bounds(HistoryRange.ALL, d) == (None, d)
    assert range_bounds(DateRange(date(2024, 1, 2), date(2030, 1, 1)), d) == (date(2024, 1, 2), d)
    # rolling ranges count back from the last valuation day (a Saturday's month is the month to Friday)
    saturday, friday = date(2024, 4, 6), date(2024, 4, 5)
    assert range_bounds(HistoryRange.ONE_MONTH, saturday, last_valuation=friday) == (date(2024, 3, 5), saturday)
    assert range_bounds(HistoryRange.ONE_WEEK, saturday, last_valuation=friday) == (date(2024, 3, 29), saturday)
    stale = date(2024, 2, 9)  # prices stopped two months ago: still a year of points before it
    assert range_bounds(HistoryRange.ONE_YEAR, saturday, last_valuation=stale) == (date(2023, 2, 9), saturday)
    assert range_bounds(HistoryRange.YEAR_TO_DATE, saturday, last_valuation=stale) == (date(2023, 12, 31), saturday)
    assert range_bounds(HistoryRange.ALL, saturday, last_valuation=stale) == (None, saturday)
    with pytest.raises(InvalidArgument):
        DateRange(date(2024, 2, 1), date(2024, 1, 1))


def test_ytd_is_anchored_on_the_last_close_of_the_previous_year() -> None:
    as_of = date(2024, 3, 15)
    h = compute_history(inputs(), as_of=after_close(as_of), range=HistoryRange.YEAR_TO_DATE, settings=SETTINGS)
    first, last = h.points[0], h.points[-1]
    assert first.date == date(2023, 12, 29)
    assert first.cumulative_twr == 0.0 and first.drawdown == 0.0 and first.benchmark_cumulative == 0.0
    assert last.date == as_of
    assert last.value == value_on(as_of)
    assert last.cumulative_twr == pytest.approx(float(value_on(as_of) / value_on(first.date) - 1), rel=1e-12)
    spy = inputs().prices["SPY"]
    expected_bench = spy.close_on_or_before(as_of) / spy.close_on_or_before(first.date) - 1  # type: ignore[operator]
    assert last.benchmark_cumulative == pytest.approx(float(expected_bench), rel=1e-12)
    assert [p.date for p in h.points] == [d for d in DAYS if first.date <= d <= as_of]


def test_one_week_and_one_month() -> None:
    as_of = date(2024, 3, 15)  # Friday
    week = compute_history(inputs(), as_of=after_close(as_of), range=HistoryRange.ONE_WEEK, settings=SETTINGS)
    assert [p.date.day for p in week.points] == [8, 11, 12, 13, 14, 15]
    month = compute_history(inputs(), as_of=after_close(as_of), range=HistoryRange.ONE_MONTH, settings=SETTINGS)
    assert month.points[0].date == date(2024, 2, 15)


def test_all_starts_at_the_first_valuation_day_and_range_before_history_is_clipped() -> None:
    as_of = date(2024, 2, 2)
    all_ = compute_history(inputs(), as_of=after_close(as_of), range=HistoryRange.ALL, settings=SETTINGS)
    assert all_.points[0].date == DAYS[0]
    year = compute_history(inputs(), as_of=after_close(as_of), range=HistoryRange.ONE_YEAR, settings=SETTINGS)
    assert year.points == all_.points


def test_weekly_points_are_the_last_trading_day_of_each_iso_week() -> None:
    h = compute_history(
        inputs(),
        as_of=after_close(date(2024, 4, 3)),  # Wednesday
        range=DateRange(date(2024, 3, 8), date(2024, 4, 3)),
        interval=Interval.WEEKLY,
        settings=SETTINGS,
    )
    assert [p.date for p in h.points] == [
        date(2024, 3, 8),  # the anchor (a Friday)
        date(2024, 3, 15),
        date(2024, 3, 22),
        date(2024, 3, 28),  # Good Friday is a holiday: Thursday closes the week
        date(2024, 4, 3),  # the current, partial week
    ]


def test_weekly_gives_one_point_per_iso_week_when_the_base_point_is_mid_week() -> None:
    h = compute_history(
        inputs(),
        as_of=after_close(date(2024, 4, 3)),
        range=DateRange(date(2024, 3, 13), date(2024, 4, 3)),  # a Wednesday
        interval=Interval.WEEKLY,
        settings=SETTINGS,
    )
    dates = [p.date for p in h.points]
    assert dates == [date(2024, 3, 13), date(2024, 3, 22), date(2024, 3, 28), date(2024, 4, 3)]
    assert len({d.isocalendar()[:2] for d in dates}) == len(dates)


def test_weekly_drawdown_keeps_a_mid_week_peak() -> None:
    days = weekdays(date(2024, 3, 4), 10)  # two weeks, Mon-Fri
    closes = ["100", "100", "100", "100", "100", "100", "105", "120", "115", "110"]
    ins = PortfolioInputs(
        holdings=(snapshot(days[0], [position("AAA", 1, "100")]),),
        prices={"AAA": series("AAA", days, closes)},
    )
    h = compute_history(ins, as_of=after_close(days[-1]), range=HistoryRange.ALL, interval=Interval.WEEKLY)
    assert [p.date for p in h.points] == [days[0], days[9]]  # the base point stands for its week
    assert h.points[-1].drawdown == pytest.approx(110 / 120 - 1, rel=1e-12)
    assert h.points[-1].cumulative_twr == pytest.approx(0.10, rel=1e-12)


def test_flows_do_not_move_the_twr_and_are_summed_between_points() -> None:
    days = weekdays(date(2024, 3, 4), 10)
    closes = ["100"] * 10
    ins = PortfolioInputs(
        holdings=(
            snapshot(days[0], [position("AAA", 10, "100")], cash=0),
            snapshot(days[2], [position("AAA", 10, "100")], cash=500),
            snapshot(days[3], [position("AAA", 10, "100")], cash=800),
        ),
        prices={"AAA": series("AAA", days, closes)},
        cash_flows=(CashFlow(days[2], D(500)), CashFlow(days[3], D(300))),
    )
    h = compute_history(ins, as_of=after_close(days[-1]), range=HistoryRange.ALL, interval=Interval.WEEKLY)
    assert [(p.date, p.value, p.net_flow) for p in h.points] == [
        (days[0], D(1000), D(0)),
        (days[9], D(1800), D(800)),  # the flows of the base point's week land on the next point
    ]
    assert all(p.cumulative_twr == 0.0 and p.drawdown == 0.0 for p in h.points)
    assert h.benchmark_symbol is None and all(p.benchmark_cumulative is None for p in h.points)


def test_history_without_holdings_is_not_found() -> None:
    with pytest.raises(NotFound):
        compute_history(PortfolioInputs(holdings=(), prices={}), as_of=after_close(DAYS[-1]))


def test_the_benchmark_is_absent_where_it_has_no_close_on_the_day_or_the_base_day() -> None:
    days = weekdays(date(2024, 3, 4), 5)
    spy = series("SPY", [days[0], days[2], days[3], days[4]], ["100", "102", "104", "105"])  # no close on days[1]
    ins = PortfolioInputs(holdings=(snapshot(days[0], [position("AAA", 1, "10")]),),
                          prices={"AAA": series("AAA", days, ["10"] * 5)}, benchmark=spy)
    h = compute_history(ins, as_of=after_close(days[-1]), range=HistoryRange.ALL)
    assert [p.benchmark_cumulative for p in h.points] == [0.0, None, pytest.approx(0.02), pytest.approx(0.04),
                                                           pytest.approx(0.05)]
    window = compute_history(ins, as_of=after_close(days[-1]), range=DateRange(days[1], days[4]))
    assert [p.benchmark_cumulative for p in window.points] == [None] * 4  # the base day has no close


def test_a_window_after_a_wipe_out_starts_afresh_and_nothing_is_nan() -> None:
    days = weekdays(date(2024, 3, 4), 7)
    # 20 units on 1,000 of margin debt: the value goes to -200 and back to 1,000
    ins = PortfolioInputs(holdings=(snapshot(days[0], [position("AAA", 20, "100")], cash=-1000),),
                          prices={"AAA": series("AAA", days, ["100", "100", "40", "40", "100", "100", "100"])})
    h = compute_history(ins, as_of=after_close(days[-1]), range=HistoryRange.ALL)
    assert [p.cumulative_twr for p in h.points] == [0.0, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0]
    assert [p.drawdown for p in h.points] == [0.0, 0.0, -1.0, -1.0, -1.0, -1.0, -1.0]
    later = compute_history(ins, as_of=after_close(days[-1]), range=DateRange(days[4], days[6]))
    assert [(p.value, p.cumulative_twr, p.drawdown) for p in later.points] == [(Decimal(1000), 0.0, 0.0)] * 3
