"""Position arithmetic, exact to the cent; prices, day change, staleness; basket and sector aggregates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    GroupKind,
    PortfolioInputs,
    PriceSource,
    compute_summary,
    to_cents,
)
from stack_cfo.core.portfolio.summary import summarize_holdings

from .factories import NY, after_close, holdings, position, quote, series, snapshot, weekdays

D = Decimal
DAYS = weekdays(date(2024, 5, 6), 10)  # Mon 6 May .. Fri 17 May 2024
SETTINGS = AnalyticsSettings(min_history=0)


def summarize(positions: list, prices: dict, *, cash: str = "0", as_of: datetime | None = None):  # type: ignore[no-untyped-def, type-arg]
    return summarize_holdings(
        holdings(positions, cash),
        prices,
        as_of=as_of or after_close(DAYS[-1]),
        tz=NY,
        stale_after=timedelta(days=4),
    )


def test_position_arithmetic_is_exact_and_rounded_once_at_presentation() -> None:
    prices = {
        "AAA": series("AAA", DAYS[-2:], ["33.000", "33.333"]),
        "BBB": series("BBB", DAYS[-2:], ["0.14", "0.15"]),
        "CCC": series("CCC", DAYS[-2:], ["14", "14.285714"]),
    }
    hs = summarize(
        [position("AAA", 3, "30.10"), position("BBB", "0.1", "0.125"), position("CCC", 7, "14.2857145")],
        prices,
        cash="0.005",
    )
    by = {p.symbol: p for p in hs.positions}
    assert by["AAA"].market_value == D("99.999")
    assert by["BBB"].market_value == D("0.015")
    assert by["CCC"].market_value == D("99.999998")
    assert hs.invested_value == D("200.013998")
    assert hs.total_value == D("200.018998")
    # Rounded once: 200.02, not the sum of rounded parts (100.00 + 0.02 + 100.00 + 0.00 = 200.02 here,
    # but the invested value shows the difference: 200.01 vs 200.02).
    assert to_cents(hs.invested_value) == D("200.01")
    assert sum(to_cents(p.market_value) for p in hs.positions if p.market_value) == D("200.02")
    # Cost basis and P&L, exact.
    assert by["AAA"].cost_basis == D("90.30")
    assert by["AAA"].unrealized_pnl == D("9.699")
    assert by["CCC"].cost_basis == D("100.0000015")
    assert by["CCC"].unrealized_pnl == D("99.999998") - D("100.0000015")
    assert hs.cost_basis == D("90.30") + D("0.0125") + D("100.0000015")
    assert hs.total_gain == sum((p.unrealized_pnl for p in hs.positions if p.unrealized_pnl is not None), D(0))
    assert hs.total_return == pytest.approx(float(hs.total_gain / hs.cost_basis), rel=1e-15)
    # Day change: 3 x 0.333 + 0.1 x 0.01 + 7 x 0.285714
    assert by["AAA"].day_change == D("0.999")
    assert hs.day_change == D("0.999") + D("0.001") + D("1.999998")
    assert to_cents(hs.day_change) == D("3.00")


def test_round_half_even_at_two_places() -> None:
    assert to_cents(D("0.125")) == D("0.12")
    assert to_cents(D("0.135")) == D("0.14")
    assert to_cents(D("-2.675")) == D("-2.68")
    assert to_cents(D("1e-9")) == D("0.00")


def test_weights_are_over_invested_value_and_cash_is_separate() -> None:
    prices = {"AAA": series("AAA", DAYS[-1:], ["10"]), "BBB": series("BBB", DAYS[-1:], ["30"])}
    hs = summarize([position("AAA", 10), position("BBB", 10)], prices, cash="600")
    by = {p.symbol: p for p in hs.positions}
    assert by["AAA"].weight == 0.25 and by["BBB"].weight == 0.75
    assert hs.cash_weight == 0.6
    assert [p.symbol for p in hs.positions] == ["BBB", "AAA"]  # largest first


def test_total_return_uses_only_positions_with_known_cost() -> None:
    prices = {"AAA": series("AAA", DAYS[-1:], ["120"]), "BBB": series("BBB", DAYS[-1:], ["50"])}
    hs = summarize([position("AAA", 1, "100"), position("BBB", 10)], prices)
    assert hs.cost_basis == D(100)
    assert hs.total_gain == D(20)
    assert hs.total_return == pytest.approx(0.2)
    assert hs.positions_missing_cost == 1
    assert hs.invested_value == D(620)


def test_quote_newer_than_last_bar_is_used_with_its_previous_close() -> None:
    intraday = datetime(2024, 5, 20, 15, 0, tzinfo=UTC)  # Monday 11:00 New York
    s = series("AAA", DAYS[-2:], ["99", "100"], quote=quote("AAA", intraday, "103", "100.50"))
    hs = summarize([position("AAA", 2, "90")], {"AAA": s}, as_of=intraday + timedelta(minutes=5))
    p = hs.positions[0]
    assert p.price_source is PriceSource.QUOTE and p.price == D("103")
    assert p.day_change == D("5.00")
    assert p.day_return == pytest.approx(2.5 / 100.5)
    assert p.market_value == D(206)
    assert not p.stale


def test_quote_without_previous_close_uses_the_last_close_before_its_day() -> None:
    intraday = datetime(2024, 5, 20, 15, 0, tzinfo=UTC)
    s = series("AAA", DAYS[-2:], ["99", "100"], quote=quote("AAA", intraday, "101"))
    p = summarize([position("AAA", 1)], {"AAA": s}, as_of=intraday).positions[0]
    assert p.previous_close == D(100) and p.day_change == D(1)


def test_official_close_wins_over_a_quote_of_the_same_day_and_future_quotes_are_ignored() -> None:
    same_day = after_close(DAYS[-1], 15)
    s = series("AAA", DAYS[-2:], ["99", "100"], quote=quote("AAA", same_day, "100.7"))
    p = summarize([position("AAA", 1)], {"AAA": s}).positions[0]
    assert p.price_source is PriceSource.CLOSE and p.price == D(100) and p.day_change == D(1)
    future = series("AAA", DAYS[-2:], ["99", "100"], quote=quote("AAA", after_close(DAYS[-1]) + timedelta(days=3), "1"))
    p2 = summarize([position("AAA", 1)], {"AAA": future}).positions[0]
    assert p2.price == D(100)


def test_reported_previous_close_on_a_bar_beats_the_preceding_bar() -> None:
    # A gap in our data: the preceding bar we hold is two sessions old.
    s = series("AAA", [DAYS[-3], DAYS[-1]], ["90", "100"], previous_closes=(None, D("98")))
    p = summarize([position("AAA", 1)], {"AAA": s}).positions[0]
    assert p.previous_close == D(98) and p.day_change == D(2)


def test_stale_price_is_flagged_and_contributes_no_day_change() -> None:
    s = series("AAA", DAYS[:2], ["10", "11"])  # last bar Tuesday 7 May; as of Friday 17 May
    p = summarize([position("AAA", 1)], {"AAA": s}).positions[0]
    assert p.stale and p.day_change == D(0) and p.day_return == 0.0
    assert p.price == D(11)


def test_weekend_and_holiday_gap_is_not_stale() -> None:
    s = series("AAA", [DAYS[-2], DAYS[-1]], ["10", "11"])  # Friday's close
    tuesday_morning = datetime(2024, 5, 21, 14, 0, tzinfo=UTC)  # after a Monday holiday
    p = summarize([position("AAA", 1)], {"AAA": s}, as_of=tuesday_morning).positions[0]
    assert not p.stale


def _by_default_rule(positions: list, prices: dict, as_of: datetime):  # type: ignore[no-untyped-def, type-arg]
    """The shipped rule: no fixed age, stale when more than one trading day old (NYSE)."""
    return summarize_holdings(holdings(positions), prices, as_of=as_of, tz=NY)


def test_stale_means_more_than_one_trading_day_old() -> None:
    wed, thu, fri = date(2024, 5, 15), date(2024, 5, 16), date(2024, 5, 17)
    saturday = datetime(2024, 5, 18, 15, 0, tzinfo=UTC)
    assert _by_default_rule([position("A", 1)], {"A": series("A", [wed], ["10"])}, saturday).positions[0].stale
    assert not _by_default_rule([position("A", 1)], {"A": series("A", [thu], ["10"])}, saturday).positions[0].stale
    monday_morning = datetime(2024, 5, 20, 14, 0, tzinfo=UTC)  # Friday's session is the last closed one
    assert not _by_default_rule([position("A", 1)], {"A": series("A", [thu], ["10"])},
                                monday_morning).positions[0].stale
    assert not _by_default_rule([position("A", 1)], {"A": series("A", [fri], ["10"])},
                                monday_morning).positions[0].stale
    # Thanksgiving (Thursday 27 Nov 2025) is no session: Wednesday's close is fresh on Monday morning
    after_thanksgiving = datetime(2025, 12, 1, 14, 0, tzinfo=UTC)
    p = _by_default_rule([position("A", 1)], {"A": series("A", [date(2025, 11, 26)], ["10"])},
                         after_thanksgiving).positions[0]
    assert not p.stale


def test_a_close_is_not_used_before_its_session_closes() -> None:
    s = series("AAA", [DAYS[-2], DAYS[-1]], ["99", "100"])
    morning = datetime.combine(DAYS[-1], datetime.min.time(), tzinfo=NY).replace(hour=11)
    p = _by_default_rule([position("AAA", 1)], {"AAA": s}, morning.astimezone(UTC)).positions[0]
    assert p.price == D(99) and p.price_at == datetime.combine(DAYS[-2], datetime.min.time(), tzinfo=NY).replace(
        hour=16).astimezone(UTC)
    p = _by_default_rule([position("AAA", 1)], {"AAA": s}, after_close(DAYS[-1])).positions[0]
    assert p.price == D(100)
    live = summarize_holdings(holdings([position("AAA", 1)]), {"AAA": s}, as_of=morning.astimezone(UTC), tz=NY,
                              closes_at_session_end=False)  # the live summary: the caller posted it already
    assert live.positions[0].price == D(100)


def test_a_past_as_of_before_the_close_leaves_that_days_bar_out_of_the_returns_too() -> None:
    inputs = PortfolioInputs(holdings=(snapshot(DAYS[0], [position("AAA", 1, "10")]),),
                             prices={"AAA": series("AAA", DAYS[:5], ["10", "11", "12", "13", "14"])})
    morning = datetime.combine(DAYS[4], datetime.min.time(), tzinfo=NY).replace(hour=11).astimezone(UTC)
    s = compute_summary(inputs, as_of=morning, settings=SETTINGS)
    assert s.total_value == D(13) and s.risk.end == DAYS[3]
    assert s.risk.cumulative_return.value == pytest.approx(0.3)
    live = compute_summary(inputs, as_of=morning, settings=SETTINGS, closes_at_session_end=False)
    assert live.total_value == D(14) and live.risk.end == DAYS[4]


def test_day_change_needs_the_previous_sessions_close_not_an_older_one() -> None:
    # no bar for Wednesday: Thursday's day change is unknown, not Tuesday-to-Thursday
    s = series("AAA", [DAYS[-4], DAYS[-2]], ["90", "100"])
    p = _by_default_rule([position("AAA", 1)], {"AAA": s}, after_close(DAYS[-2])).positions[0]
    assert p.previous_close is None and p.day_change is None and p.day_return is None
    quoted = series("AAA", [DAYS[-4]], ["90"], quote=quote("AAA", datetime(2024, 5, 16, 15, 0, tzinfo=UTC), "95"))
    p = _by_default_rule([position("AAA", 1)], {"AAA": quoted}, datetime(2024, 5, 16, 16, 0, tzinfo=UTC)).positions[0]
    assert p.price == D(95) and p.day_change is None  # the quote's day is Thursday; Tuesday is two sessions back


def test_position_without_any_price_is_valued_at_cost_or_left_out() -> None:
    hs = summarize([position("PRIV", 2, "50"), position("GHOST", 3)], {})
    by = {p.symbol: p for p in hs.positions}
    assert by["PRIV"].price_source is PriceSource.COST_BASIS and by["PRIV"].market_value == D(100)
    assert by["PRIV"].unrealized_pnl is None  # no market price: no P&L, not in total return
    assert by["PRIV"].day_change is None and by["PRIV"].day_return is None  # no price, no day change
    assert hs.cost_basis == D(0) and hs.total_return is None
    assert by["GHOST"].price_source is PriceSource.NONE and by["GHOST"].market_value is None
    assert by["GHOST"].weight is None
    assert hs.invested_value == D(100)


def test_basket_and_sector_aggregates_and_week_contributions() -> None:
    week_ago = DAYS[-6]  # Friday 10 May = as-of Friday 17 May minus 7 days
    d = [week_ago, DAYS[-1]]
    prices = {
        "NVDA": series("NVDA", d, ["100", "90"]),  # -10 %
        "AMD": series("AMD", d, ["50", "51"]),  # +2 %
        "XOM": series("XOM", d, ["100", "100"]),
    }
    hs = summarize(
        [
            position("NVDA", 10, "80", sector="Technology", basket="tech"),
            position("AMD", 20, "40", sector="Technology", basket="tech"),
            position("XOM", 5, sector="Energy"),
        ],
        prices,
    )
    tech = hs.baskets[0]
    assert tech.kind is GroupKind.BASKET and tech.name == "tech" and len(hs.baskets) == 1
    assert tech.market_value == D(900 + 1020)
    assert tech.cost_basis == D(800 + 800)
    assert tech.unrealized_pnl == D(320)
    # Week: start 1000 + 1000 = 2000, end 1920 -> -4 %; NVDA contributes -5 %, AMD +1 %.
    assert tech.week_return == pytest.approx(-0.04, rel=1e-15)
    assert [(c.symbol, round(c.contribution, 12)) for c in tech.week_contributors] == [("NVDA", -0.05), ("AMD", 0.01)]
    assert sum(c.contribution for c in tech.week_contributors) == pytest.approx(tech.week_return, rel=1e-12)
    sectors = {g.name: g for g in hs.sectors}
    assert set(sectors) == {"Technology", "Energy"}
    assert sectors["Energy"].cost_basis == D(0)  # XOM has no cost: not in cost or P&L
    assert sectors["Technology"].weight == pytest.approx(1920 / 2420)


def test_compute_summary_end_to_end_totals() -> None:
    prices = {"AAA": series("AAA", DAYS, [str(100 + i) for i in range(10)])}
    inputs = PortfolioInputs(holdings=(snapshot(DAYS[0], [position("AAA", 5, "100")], cash=250),), prices=prices)
    s = compute_summary(inputs, as_of=after_close(DAYS[-1]), settings=SETTINGS)
    assert s.total_value == D(5 * 109 + 250)
    assert s.day_change == D(5)
    assert s.day_return == pytest.approx(5 / (795 - 5))
    assert s.user == "users/u1" and s.base_currency == "USD"
    assert s.market_date == DAYS[-1]
    assert s.history_start == DAYS[0] and s.history_end == DAYS[-1]
    assert s.prices_as_of == datetime(2024, 5, 17, 20, 0, tzinfo=UTC)  # the 16:00 New York close
