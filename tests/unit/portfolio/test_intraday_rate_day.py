"""A summary converts foreign money at the rates of the day whose closes it uses: at an as-of time
before the day's close (11:00 New York) the previous session's closes and that session's rates, so it
equals the history point of that close; on a day without a session, the rates of the last closes (Friday's
on a Saturday, a US holiday's own when a close was recorded abroad that day); after the close and in the live
summary, the as-of day's rates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    DateRange,
    PortfolioInputs,
    PriceSeries,
    compute_history,
    compute_summary,
)
from stack_cfo.core.portfolio.models import Holdings, HoldingsSnapshot, Position

NY = ZoneInfo("America/New_York")
SETTINGS = AnalyticsSettings(min_history=0)

# Mon 26 .. Fri 30 October 2026, Sat 31, Mon 2 November.
MON, TUE, WED, THU, FRI = (date(2026, 10, d) for d in (26, 27, 28, 29, 30))
SAT, NEXT_MON = date(2026, 10, 31), date(2026, 11, 2)
DAYS = (MON, TUE, WED, THU, FRI)
EUX_CLOSES = ("100", "101", "102", "103", "104")
# EUR rates that differ every day, one recorded on Saturday too.
RATES = {MON: "1.10", TUE: "1.11", WED: "1.12", THU: "1.13", FRI: "1.17", SAT: "1.19"}


def inputs() -> PortfolioInputs:
    eur = PriceSeries("EUR", tuple(sorted(RATES)), tuple(D(RATES[d]) for d in sorted(RATES)))
    eux = PriceSeries("EUX", DAYS, tuple(D(c) for c in EUX_CLOSES), currency="EUR")
    usx = PriceSeries("USX", DAYS, tuple(D(c) for c in ("50", "51", "50", "52", "53")))
    holdings = Holdings(
        user="users/u1",
        base_currency="USD",
        cash=D("1000"),
        foreign_cash={"EUR": D("500")},
        positions=(
            Position(symbol="EUX", quantity=D(100), average_cost=D("90"), currency="EUR"),
            Position(symbol="USX", quantity=D(40), average_cost=D("45")),
        ),
        as_of=datetime(2026, 10, 26, 21, tzinfo=UTC),
    )
    return PortfolioInputs(holdings=(HoldingsSnapshot(MON, holdings),), prices={"EUX": eux, "USX": usx},
                           fx_rates={"EUR": eur})


def point_value(day: date, as_of: datetime) -> D:
    history = compute_history(inputs(), as_of=as_of, range=DateRange(MON, day), settings=SETTINGS)
    point = history.points[-1]
    assert point.date == day
    return point.value


def expected(day: date) -> D:
    i = DAYS.index(day)
    rate = D(RATES[day])
    usx = ("50", "51", "50", "52", "53")[i]
    return 100 * D(EUX_CLOSES[i]) * rate + 40 * D(usx) + D(1000) + 500 * rate


def test_an_intraday_summary_uses_the_previous_closes_rates_and_equals_its_history_point() -> None:
    as_of = datetime(2026, 10, 30, 15, tzinfo=UTC)  # 11:00 New York, Friday: Thursday's closes
    s = compute_summary(inputs(), as_of=as_of, settings=SETTINGS)
    eux = next(p for p in s.positions if p.symbol == "EUX")
    assert eux.price == D("103")
    assert eux.fx_rate == D("1.13")  # Thursday's, not Friday's 1.17
    assert eux.market_value == 100 * D("103") * D("1.13")
    assert s.cash == D(1000) + 500 * D("1.13")
    assert s.total_value == expected(THU) == point_value(THU, as_of)
    assert s.risk.end == THU  # the returns end on the same close
    # day change: Thursday's close at Thursday's rate against Wednesday's at Wednesday's
    assert eux.day_change == 100 * (D("103") * D("1.13") - D("102") * D("1.12"))


def test_after_the_close_the_as_of_days_rates_as_before() -> None:
    as_of = datetime(2026, 10, 30, 17, tzinfo=NY)
    s = compute_summary(inputs(), as_of=as_of, settings=SETTINGS)
    eux = next(p for p in s.positions if p.symbol == "EUX")
    assert eux.fx_rate == D("1.17")
    assert s.total_value == expected(FRI) == point_value(FRI, as_of)


def test_the_live_summary_uses_todays_rate() -> None:
    as_of = datetime(2026, 10, 30, 11, tzinfo=NY)
    s = compute_summary(inputs(), as_of=as_of, settings=SETTINGS, closes_at_session_end=False)
    eux = next(p for p in s.positions if p.symbol == "EUX")
    assert (eux.price, eux.fx_rate) == (D("104"), D("1.17"))


def test_a_day_without_a_session_uses_the_rates_of_the_closes_it_uses() -> None:
    # Saturday: Friday's closes at Friday's rate (not Saturday's recorded 1.19), morning and evening: the
    # summary equals Friday's history point (a tester found 1.19 used, matching no point)
    for hour in (3, 11, 17):
        as_of = datetime(2026, 10, 31, hour, tzinfo=NY)
        s = compute_summary(inputs(), as_of=as_of, settings=SETTINGS)
        eux = next(p for p in s.positions if p.symbol == "EUX")
        assert (eux.price, eux.fx_rate) == (D("104"), D("1.17"))
        assert s.cash == D(1000) + 500 * D("1.17")
        assert s.total_value == expected(FRI) == point_value(FRI, as_of)


def test_the_live_summary_on_a_day_without_a_session_uses_that_days_rate() -> None:
    s = compute_summary(inputs(), as_of=datetime(2026, 10, 31, 11, tzinfo=NY), settings=SETTINGS,
                        closes_at_session_end=False)
    eux = next(p for p in s.positions if p.symbol == "EUX")
    assert (eux.price, eux.fx_rate) == (D("104"), D("1.19"))


def test_a_us_holiday_with_a_close_recorded_abroad_converts_at_that_days_rate() -> None:
    # Thanksgiving (Thu 26 Nov 2026): NYSE closed, the EUR stock traded and has a close that day
    wed, thu, fri = date(2026, 11, 25), date(2026, 11, 26), date(2026, 11, 27)
    rates = {wed: "1.19", thu: "1.20", fri: "1.21"}
    eur = PriceSeries("EUR", tuple(rates), tuple(D(r) for r in rates.values()))
    eux = PriceSeries("EUX", (wed, thu, fri), (D("113"), D("114"), D("115")), currency="EUR")
    usx = PriceSeries("USX", (wed, fri), (D("50"), D("51")))
    holdings = Holdings(
        user="users/u1", base_currency="USD", cash=D("0"),
        positions=(Position(symbol="EUX", quantity=D(10), average_cost=D("90"), currency="EUR"),
                   Position(symbol="USX", quantity=D(1), average_cost=D("45"))),
        as_of=datetime(2026, 11, 25, 22, tzinfo=UTC),
    )
    data = PortfolioInputs(holdings=(HoldingsSnapshot(wed, holdings),), prices={"EUX": eux, "USX": usx},
                           fx_rates={"EUR": eur})

    def point(day: date, as_of: datetime) -> D:
        history = compute_history(data, as_of=as_of, range=DateRange(wed, day), settings=SETTINGS)
        assert history.points[-1].date == day
        return history.points[-1].value

    # Thursday noon: Wednesday's closes (the EUR close of Thursday is dated at its session's end), Wednesday's rate
    noon_thu = datetime(2026, 11, 26, 12, tzinfo=NY)
    s = compute_summary(data, as_of=noon_thu, settings=SETTINGS)
    assert s.total_value == 10 * D("113") * D("1.19") + 50 == point(wed, noon_thu)
    # Friday 03:00: Thursday's EUR close, at Thursday's rate (was Wednesday's: no NYSE session on Thursday)
    early_fri = datetime(2026, 11, 27, 3, tzinfo=NY)
    s = compute_summary(data, as_of=early_fri, settings=SETTINGS)
    assert s.total_value == 10 * D("114") * D("1.20") + 50 == point(thu, early_fri)


def test_monday_morning_uses_fridays_closes_and_fridays_rates() -> None:
    as_of = datetime(2026, 11, 2, 11, tzinfo=NY)
    s = compute_summary(inputs(), as_of=as_of, settings=SETTINGS)
    eux = next(p for p in s.positions if p.symbol == "EUX")
    assert (eux.price, eux.fx_rate) == (D("104"), D("1.17"))
    assert s.total_value == expected(FRI) == point_value(FRI, as_of)
