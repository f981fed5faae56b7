"""Insight rules firing and not firing, through compute_summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    Insight,
    InsightThresholds,
    PortfolioInputs,
    PortfolioSummary,
    Severity,
    compute_summary,
)

from .factories import after_close, position, series, snapshot, weekdays

DAYS = weekdays(date(2024, 5, 6), 10)  # Mon 6 May .. Fri 17 May 2024
WEEK_AGO = DAYS[4]  # Fri 10 May
SETTINGS = AnalyticsSettings(min_history=0)


def flat_then(last_week: str, now: str) -> list[str]:
    return [last_week] * 9 + [now]


def tech_basket_inputs(*, nvda_now: str = "90", spy_now: str = "404", cash: str = "500") -> PortfolioInputs:
    prices = {
        "NVDA": series("NVDA", DAYS, flat_then("100", nvda_now)),
        "AMD": series("AMD", DAYS, flat_then("50", "51")),
        "AAPL": series("AAPL", DAYS, flat_then("100", "100.5")),
        "XOM": series("XOM", DAYS, flat_then("100", "101")),
        "JNJ": series("JNJ", DAYS, flat_then("100", "100")),
        "SPY": series("SPY", DAYS, flat_then("400", spy_now)),
    }
    positions = [
        position("NVDA", 10, "80", sector="Technology", basket="tech"),
        position("AMD", 20, "40", sector="Technology", basket="tech"),
        position("AAPL", 10, "90", sector="Technology", basket="tech"),
        position("XOM", 10, "95", sector="Energy"),
        position("JNJ", 10, "100", sector="Health Care"),
    ]
    return PortfolioInputs(holdings=(snapshot(DAYS[0], positions, cash=cash),), prices=prices)


def summary_of(inputs: PortfolioInputs, settings: AnalyticsSettings = SETTINGS) -> PortfolioSummary:
    return compute_summary(inputs, as_of=after_close(DAYS[-1]), settings=settings)


def codes(s: PortfolioSummary) -> list[str]:
    return [i.code for i in s.insights]


def only(s: PortfolioSummary, code: str, subject: str | None = None) -> Insight:
    found = [i for i in s.insights if i.code == code and (subject is None or i.subject == subject)]
    assert len(found) == 1, (code, subject, codes(s))
    return found[0]


def test_why_is_my_tech_basket_underperforming_this_week() -> None:
    s = summary_of(tech_basket_inputs())
    # Week: tech starts at 1000 + 1000 + 1000 = 3000 and ends at 900 + 1020 + 1005 = 2925: -2.5 %; SPY +1 %.
    tech = next(g for g in s.baskets if g.name == "tech")
    assert tech.week_return == pytest.approx(-0.025, rel=1e-12)
    assert s.benchmark_week_return == pytest.approx(0.01, rel=1e-12)
    lag = only(s, "BASKET_LAGGING_BENCHMARK", "tech")
    assert lag.severity is Severity.INFO
    assert lag.numbers["week_return"] == "-0.025000"
    assert lag.numbers["benchmark_week_return"] == "0.010000"
    assert lag.numbers["difference"] == "-0.035000"
    assert lag.numbers["worst_1_symbol"] == "NVDA"
    assert lag.numbers["worst_1_contribution"] == "-0.033333"
    assert "worst_2_symbol" not in lag.numbers  # AMD and AAPL rose: they are not drags
    assert "tech basket is -2.5% this week vs SPY +1.0% (3.5 points behind)" in lag.message
    assert "NVDA (-10.0%, -3.3 points)" in lag.message
    # NVDA also lags on its own (weight 900/3525 > 2 %, -10 % vs +1 %).
    assert only(s, "POSITION_LAGGING_BENCHMARK", "NVDA").numbers["difference"] == "-0.110000"


def test_basket_keeping_up_with_the_benchmark_raises_nothing() -> None:
    s = summary_of(tech_basket_inputs(nvda_now="103"))
    assert "BASKET_LAGGING_BENCHMARK" not in codes(s)
    assert "POSITION_LAGGING_BENCHMARK" not in codes(s)


def test_no_benchmark_means_no_lagging_insights() -> None:
    inputs = tech_basket_inputs()
    prices = {k: v for k, v in inputs.prices.items() if k != "SPY"}
    s = summary_of(replace(inputs, prices=prices))
    assert s.benchmark_week_return is None
    assert not {"BASKET_LAGGING_BENCHMARK", "POSITION_LAGGING_BENCHMARK"} & set(codes(s))


def test_position_and_sector_concentration() -> None:
    s = summary_of(tech_basket_inputs())
    # Invested 900 + 1020 + 1005 + 1010 + 1000 = 4935; each position is about 20 % (> 10 %, < 25 %).
    amd = only(s, "POSITION_CONCENTRATION", "AMD")
    assert amd.severity is Severity.WARNING
    assert Decimal(amd.numbers["weight"]) == Decimal("0.206687")
    tech = only(s, "SECTOR_CONCENTRATION", "Technology")
    assert Decimal(tech.numbers["weight"]) == Decimal("0.592705")
    assert "Energy" not in [i.subject for i in s.insights if i.code == "SECTOR_CONCENTRATION"]
    loose = replace(SETTINGS, thresholds=InsightThresholds(position_weight=0.5, sector_weight=0.6))
    relaxed = summary_of(tech_basket_inputs(), loose)
    assert "POSITION_CONCENTRATION" not in codes(relaxed) and "SECTOR_CONCENTRATION" not in codes(relaxed)


def test_single_dominant_position_is_critical() -> None:
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 90, "1"), position("BBB", 10, "1")]),),
        prices={"AAA": series("AAA", DAYS, ["1"] * 10), "BBB": series("BBB", DAYS, ["1"] * 10)},
    )
    s = summary_of(inputs)
    assert only(s, "POSITION_CONCENTRATION", "AAA").severity is Severity.CRITICAL
    assert s.insights[0].severity is Severity.CRITICAL  # most severe first


@pytest.mark.parametrize(
    ("trough", "expected"),
    [("105", None), ("95", Severity.WARNING), ("85", Severity.CRITICAL)],
)
def test_drawdown_thresholds(trough: str, expected: Severity | None) -> None:
    closes = ["100", "110", "105", trough, trough, trough, trough, trough, trough, trough]
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "100")]),),
        prices={"AAA": series("AAA", DAYS, closes)},
    )
    s = summary_of(inputs)
    if expected is None:
        assert "DRAWDOWN" not in codes(s)
    else:
        dd = only(s, "DRAWDOWN")
        assert dd.severity is expected
        assert Decimal(dd.numbers["current_drawdown"]) == (Decimal(trough) / Decimal(110) - 1).quantize(
            Decimal("0.000001")
        )


def test_stale_missing_price_missing_cost_and_idle_cash() -> None:
    old = DAYS[:3]
    inputs = PortfolioInputs(
        holdings=(
            snapshot(
                DAYS[0],
                [
                    position("FRESH", 10, "10"),
                    position("OLD", 10, "10"),
                    position("NOCOST", 1),
                    position("PRIVATE", 1, "500"),
                    position("WATCHED", 0),  # a zero-quantity row raises nothing
                ],
                cash=5000,
            ),
        ),
        prices={
            "FRESH": series("FRESH", DAYS, ["10"] * 10),
            "OLD": series("OLD", old, ["10"] * 3),
            "NOCOST": series("NOCOST", DAYS, ["10"] * 10),
        },
    )
    s = summary_of(inputs)
    stale = only(s, "STALE_PRICES")
    assert stale.numbers["symbols"] == "OLD" and stale.severity is Severity.WARNING
    assert float(stale.numbers["oldest_age_days"]) > 4
    assert only(s, "MISSING_PRICE").numbers["symbols"] == "PRIVATE"
    assert only(s, "MISSING_COST_BASIS").numbers["symbols"] == "NOCOST"
    assert only(s, "MISSING_COST_BASIS").message == "No cost basis for NOCOST, so total return leaves it out."
    cash = only(s, "IDLE_CASH")
    assert cash.numbers["cash"] == "5000.00" and cash.severity is Severity.INFO


def test_margin_debt_is_not_idle_cash() -> None:
    # debt larger than the positions: cash / total is a positive ratio of two negatives
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "10")], cash=-500),),
        prices={"AAA": series("AAA", DAYS, ["10"] * 10)},
    )
    s = summary_of(inputs)
    assert s.total_value == Decimal(-400)
    assert "IDLE_CASH" not in codes(s)


def test_clean_portfolio_raises_nothing() -> None:
    symbols = [f"S{i:02d}" for i in range(12)]
    inputs = PortfolioInputs(
        holdings=(
            snapshot(
                DAYS[0], [position(sym, 10, "10", sector=f"Sector{i % 4}") for i, sym in enumerate(symbols)], cash=10
            ),
        ),
        prices={sym: series(sym, DAYS, ["10"] * 10) for sym in symbols},
    )
    assert summary_of(inputs).insights == ()


def test_insights_are_deterministic() -> None:
    a = summary_of(tech_basket_inputs()).insights
    b = summary_of(tech_basket_inputs()).insights
    assert a == b
    ranks = [i.severity.rank for i in a]
    assert ranks == sorted(ranks, reverse=True)


@pytest.mark.parametrize(("tag", "one", "two"), [
    ("de", "bleibt die Position", "bleiben sie"),
    ("es", "queda fuera", "quedan fuera"),
    ("fr", "l’exclut", "les exclut"),
])
def test_a_missing_cost_for_one_symbol_is_said_in_the_singular(tag: str, one: str, two: str) -> None:
    """"No cost basis for AAPL, so total return leaves them out": a plural pronoun for one symbol (an i18n tester)."""
    from stack_cfo.core.i18n import localizer
    from stack_cfo.core.portfolio.insight_texts import insight_text
    from stack_cfo.core.portfolio.results import Insight

    def text(symbols: list[str]) -> str:
        insight = Insight(code="MISSING_COST_BASIS", severity=Severity.INFO, message="(English)",
                          numbers={"count": str(len(symbols)), "symbols": ",".join(symbols)})
        return insight_text(insight, localizer(tag))

    assert one in text(["AAPL"]) and two in text(["AAPL", "MSFT"])
