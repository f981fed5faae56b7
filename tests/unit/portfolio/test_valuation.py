"""Valuation history and time-weighted returns: deposits and withdrawals are never performance."""

from __future__ import annotations

import dataclasses
import itertools
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    DateRange,
    HistoryRange,
    PortfolioInputs,
    build_valuation,
    compute_history,
    compute_summary,
)
from stack_cfo.core.portfolio.results import UnavailableReason
from stack_cfo.core.portfolio.risk import compute_risk
from stack_cfo.core.portfolio.settings import RiskParameters
from stack_cfo.core.portfolio.valuation import time_weighted_returns
from stack_cfo.core.portfolio.xirr import portfolio_flows

from .factories import NY, after_close, position, series, snapshot, weekdays

D = Decimal
DAYS = weekdays(date(2024, 3, 4), 10)  # Mon 4 Mar .. Fri 15 Mar 2024


def value_by_day(inputs: PortfolioInputs, through: date = DAYS[-1]) -> dict[date, float]:
    s = build_valuation(inputs, through=through, tz=NY)
    return dict(zip(s.days, s.values.tolist(), strict=True))


def test_deposit_on_a_flat_day_is_a_zero_return() -> None:
    closes = ["100"] * 4
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", 10, "100")], cash=0),
            # The deposit of 5,000 arrives on day 2 and is in the holdings synced that day.
            snapshot(DAYS[2], [position("AAA", 10, "100")], cash=5000),
        ),
        prices={"AAA": series("AAA", DAYS[:4], closes)},
        cash_flows=(CashFlow(DAYS[2], D(5000)),),
    )
    s = build_valuation(inputs, through=DAYS[3], tz=NY)
    assert s.values.tolist() == [1000.0, 1000.0, 6000.0, 6000.0]
    assert s.returns.tolist() == [0.0, 0.0, 0.0]
    assert s.wealth[-1] == 1.0


def test_deposit_and_withdrawal_returns_are_price_returns_only() -> None:
    """Price +10 % on a deposit day and -5 % on a withdrawal day: the TWR sees only those."""
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", 10, "100")], cash=0),
            snapshot(DAYS[1], [position("AAA", 10, "100")], cash=1000),  # +1,000 deposit
            snapshot(DAYS[2], [position("AAA", 10, "100")], cash=400),  # -600 withdrawal
        ),
        prices={"AAA": series("AAA", DAYS[:3], ["100", "110", "104.5"])},
        cash_flows=(CashFlow(DAYS[1], D(1000)), CashFlow(DAYS[2], D(-600))),
    )
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.values.tolist() == [1000.0, 2100.0, 1445.0]
    # day 1: (2100 - 1000) / 1000 - 1 = +10 %; day 2: (1445 + 600) / 2100 - 1 = -2.619 % (cash is 1/2.1 of it)
    assert s.returns[0] == pytest.approx(0.10, rel=1e-15)
    assert s.returns[1] == pytest.approx(2045 / 2100 - 1, rel=1e-15)
    # Total TWR is the product of the sub-period returns, unlike the raw value change (+44.5 %).
    assert s.wealth[-1] - 1 == pytest.approx((1.10) * (2045 / 2100) - 1, rel=1e-15)


def test_buying_with_a_deposit_keeps_the_twr_equal_to_the_asset_return() -> None:
    closes = ["50", "55", "52.25", "60", "66"]
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", 20, "50")]),
            # Deposit 5,500 on day 1 and buy 100 more at the close (55).
            snapshot(DAYS[1], [position("AAA", 120, "54.17")]),
            # Withdraw 3,000 on day 3 after selling 50 at 60.
            snapshot(DAYS[3], [position("AAA", 70, "54.17")]),
        ),
        prices={"AAA": series("AAA", DAYS[:5], closes)},
        cash_flows=(CashFlow(DAYS[1], D(5500)), CashFlow(DAYS[3], D(-3000))),
    )
    s = build_valuation(inputs, through=DAYS[4], tz=NY)
    asset = [float(D(b) / D(a) - 1) for a, b in itertools.pairwise(closes)]
    np.testing.assert_allclose(s.returns, asset, rtol=1e-14)
    assert s.wealth[-1] == pytest.approx(66 / 50, rel=1e-14)


def test_flow_dated_between_syncs_is_booked_when_holdings_first_show_it() -> None:
    """A Tuesday deposit first seen in Thursday's sync must not look like a Tuesday loss + Thursday gain."""
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", 10, "100")], cash=0),
            snapshot(DAYS[3], [position("AAA", 10, "100")], cash=1000),
        ),
        prices={"AAA": series("AAA", DAYS[:5], ["100"] * 5)},
        cash_flows=(CashFlow(DAYS[1], D(1000)),),
    )
    s = build_valuation(inputs, through=DAYS[4], tz=NY)
    assert s.flows.tolist() == [0.0, 0.0, 0.0, 1000.0, 0.0]
    assert s.returns.tolist() == [0.0] * 4


def test_flow_not_yet_in_any_snapshot_is_ignored() -> None:
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "100")], cash=0),),
        prices={"AAA": series("AAA", DAYS[:3], ["100", "101", "102"])},
        cash_flows=(CashFlow(DAYS[1], D(500)),),
    )
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.flows.tolist() == [0.0, 0.0, 0.0]
    np.testing.assert_allclose(s.returns, [0.01, 102 / 101 - 1], rtol=1e-15)


def test_flow_instant_is_dated_in_the_market_time_zone() -> None:
    # 02:00 UTC on Wed 6 Mar is 21:00 on Tue 5 Mar in New York: Tuesday's sync reflects it.
    late_tuesday = datetime(2024, 3, 6, 2, 0, tzinfo=UTC)
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", 10, "100")], cash=0),
            snapshot(DAYS[1], [position("AAA", 10, "100")], cash=500),
            snapshot(DAYS[2], [position("AAA", 10, "100")], cash=500),
        ),
        prices={"AAA": series("AAA", DAYS[:3], ["100", "100", "100"])},
        cash_flows=(CashFlow(late_tuesday, D(500)),),
    )
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.flows.tolist() == [0.0, 500.0, 0.0]
    assert s.returns.tolist() == [0.0, 0.0]
    utc = build_valuation(inputs, through=DAYS[2], tz=ZoneInfo("Asia/Tokyo"))
    assert utc.flows.tolist() == [0.0, 0.0, 500.0]  # in Tokyo it is already Wednesday


def test_missing_days_carry_the_last_close_and_days_without_bars_are_skipped() -> None:
    a_days = [DAYS[0], DAYS[1], DAYS[3]]  # AAA has no bar on day 2
    b_days = [DAYS[0], DAYS[2], DAYS[3]]  # BBB has no bar on day 1
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 1, "10"), position("BBB", 2, "10")], cash=5),),
        prices={
            "AAA": series("AAA", a_days, ["10", "11", "12"]),
            "BBB": series("BBB", b_days, ["20", "21", "22"]),
        },
    )
    values = value_by_day(inputs, through=DAYS[4])  # day 4 has no bar for anything: not a valuation day
    assert values == {
        DAYS[0]: 10 + 40 + 5,
        DAYS[1]: 11 + 40 + 5,  # BBB carried at 20
        DAYS[2]: 11 + 42 + 5,  # AAA carried at 11
        DAYS[3]: 12 + 44 + 5,
    }


def test_valuation_uses_the_latest_snapshot_effective_on_or_before_each_day() -> None:
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[2], [position("AAA", 3, "10")]),  # given out of order on purpose
            snapshot(DAYS[0], [position("AAA", 1, "10")]),
        ),
        prices={"AAA": series("AAA", DAYS[:4], ["10", "10", "10", "10"])},
    )
    assert list(value_by_day(inputs).values()) == [10.0, 10.0, 30.0, 30.0]


def test_weekend_snapshot_applies_from_the_next_trading_day() -> None:
    saturday = date(2024, 3, 9)
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", 1, "10")]),
            snapshot(saturday, [position("AAA", 2, "10")], cash=0),
        ),
        prices={"AAA": series("AAA", DAYS[:7], ["10"] * 7)},
        cash_flows=(CashFlow(saturday, D(10)),),  # deposit used to buy the second share
    )
    s = build_valuation(inputs, through=DAYS[6], tz=NY)
    assert s.values.tolist() == [10.0] * 5 + [20.0] * 2
    assert s.flows[5] == 10.0  # booked on Monday, the first day valued with Saturday's holdings
    assert s.returns.tolist() == [0.0] * 6


def test_twr_skips_days_after_a_zero_value() -> None:
    values = np.array([100.0, 0.0, 0.0, 50.0, 55.0])
    flows = np.array([0.0, -100.0, 0.0, 50.0, 0.0])
    returns, index, wealth = time_weighted_returns(values, flows)
    assert returns.tolist() == [0.0, pytest.approx(0.1)]
    assert index.tolist() == [1, 4]
    assert wealth.tolist() == [1.0, 1.0, 1.0, 1.0, pytest.approx(1.1)]


def test_a_return_below_minus_100_percent_is_kept_and_makes_the_chained_figures_undefined() -> None:
    # margin debt larger than the positions: the value turns negative, a -150 % day
    values = np.array([100.0, 110.0, -55.0, -60.0])
    returns, index, wealth = time_weighted_returns(values, np.zeros(4))
    assert returns.tolist() == [pytest.approx(0.1), pytest.approx(-1.5)]  # not clamped to -1
    assert index.tolist() == [1, 2]
    assert wealth.tolist() == [1.0, pytest.approx(1.1), 0.0, 0.0]  # the chart's index stops at -100 %
    risk = compute_risk(np.array([0.01, -0.02, 0.1, -1.5, 0.05]), params=RiskParameters(min_history=0))
    undefined = UnavailableReason.UNDEFINED
    for metric in (risk.cumulative_return, risk.max_drawdown, risk.current_drawdown, risk.cagr, risk.calmar):
        assert metric.value is None and metric.reason is undefined
    assert risk.volatility.value is not None and risk.var_95.value == pytest.approx(-1.5 + 0.2 * 1.48)
    clamped = compute_risk(np.array([0.01, -0.02, 0.1, -1.0, 0.05]), params=RiskParameters(min_history=0))
    assert clamped.cumulative_return.value == pytest.approx(-1.0)  # exactly -100 % is a value


def test_a_cash_only_stretch_is_valued_on_the_market_sessions() -> None:
    # 2024-03-29 is Good Friday (NYSE closed); cash only until the stock is bought on 2 April
    inputs = PortfolioInputs(
        holdings=(snapshot(date(2024, 3, 27), [], cash=1000),
                  snapshot(date(2024, 4, 2), [position("AAA", 10, "50")], cash=700)),
        prices={"AAA": series("AAA", [date(2024, 4, 2), date(2024, 4, 3)], ["50", "55"])},
        cash_flows=(CashFlow(date(2024, 3, 28), D(200)),),
    )
    s = build_valuation(inputs, through=date(2024, 4, 3), tz=NY)
    assert s.days == (date(2024, 3, 27), date(2024, 3, 28), date(2024, 4, 1), date(2024, 4, 2), date(2024, 4, 3))
    assert s.values.tolist() == [1000.0, 1000.0, 1000.0, 1200.0, 1250.0]
    # the deposit is booked on the first day valued with a snapshot that reflects it (2 April): no return
    assert s.returns.tolist() == [0.0, 0.0, 0.0, pytest.approx(50 / 1200)]
    assert s.flows.tolist() == [0.0, 0.0, 0.0, 200.0, 0.0]
    cash_only = build_valuation(PortfolioInputs(holdings=(snapshot(date(2024, 3, 27), [], cash=1000),), prices={}),
                                through=date(2024, 4, 3), tz=NY)
    assert len(cash_only) == 5 and set(cash_only.values.tolist()) == {1000.0} and set(cash_only.returns) == {0.0}


def test_a_snapshot_after_the_last_bar_is_valued_on_its_first_session_with_its_flow() -> None:
    # closes stop on Friday 8 March; an import's last snapshot (effective Monday 11) doubles the holding
    # with a deposit: it used to be dropped from the history with the deposit
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "100")]),
                  snapshot(date(2024, 3, 11), [position("AAA", 20, "100")])),
        prices={"AAA": series("AAA", DAYS[:5], ["100"] * 5)},
        cash_flows=(CashFlow(date(2024, 3, 11), D(1000)),),
    )
    s = build_valuation(inputs, through=date(2024, 3, 13), tz=NY)
    assert s.days[-1] == date(2024, 3, 11) and s.values[-1] == 2000.0 and s.flows[-1] == 1000.0
    assert s.returns[-1] == 0.0 and len(s) == 6


def test_a_snapshot_switching_to_a_symbol_without_recent_closes_is_still_valued() -> None:
    # AAA has closes every day but is sold on Monday 11; BBB, bought with a deposit, stopped on Friday 8:
    # AAA's bars must not make the new snapshot look valued (its days were all dropped, with the deposit)
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "100")]),
                  snapshot(date(2024, 3, 11), [position("BBB", 10, "100")], cash=1000)),
        prices={"AAA": series("AAA", DAYS, ["100"] * 10), "BBB": series("BBB", DAYS[:5], ["100"] * 5)},
        cash_flows=(CashFlow(date(2024, 3, 11), D(1000)),),
    )
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.days[-1] == date(2024, 3, 11) and s.values[-1] == 2000.0 and s.flows[-1] == 1000.0
    assert s.returns[-1] == 0.0


def test_a_foreign_flow_before_its_currencys_first_rate_uses_that_rate_not_none() -> None:
    # a GBP deposit on Tuesday, GBP rates only from Wednesday, the snapshot with the cash on Thursday:
    # dropping the flow made the deposit a +100 % gain
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "100")]),
                  snapshot(DAYS[3], [position("AAA", 10, "100")], cash=1250)),
        prices={"AAA": series("AAA", DAYS[:5], ["100"] * 5)},
        cash_flows=(CashFlow(DAYS[1], D(1000), currency="GBP"),),
        fx_rates={"GBP": series("#FX:GBP/USD", DAYS[2:5], ["1.25", "1.26", "1.27"])},
    )
    s = build_valuation(inputs, through=DAYS[4], tz=NY)
    assert s.flows_exact[3] == D("1250.00") and s.returns.tolist() == [0.0] * 4
    assert s.fx.missing == set()  # converted: nothing is missing
    none = build_valuation(dataclasses.replace(inputs, fx_rates={}), through=DAYS[4], tz=NY)
    assert none.fx.missing == {"GBP"}  # still named when no rate exists at all


def test_days_before_the_first_close_of_everything_held_are_valued_on_the_sessions() -> None:
    # bought on Monday 4 March with a deposit; its closes were only recorded from Thursday 7: the
    # history starts on Monday (at cost), with the deposit there, not on Thursday
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 1, "100")], cash=900),),
        prices={"AAA": series("AAA", DAYS[3:5], ["114", "137"])},
        cash_flows=(CashFlow(DAYS[0], D(1000)),),
    )
    s = build_valuation(inputs, through=DAYS[4], tz=NY)
    assert s.days == tuple(DAYS[:5])
    assert s.values.tolist() == [1000.0, 1000.0, 1000.0, 1014.0, 1037.0]
    assert s.flows_exact[0] == D(1000)  # the initial deposit, on its own day
    # Thursday re-marks the unit from its cost to its first close: no return; Friday +23
    assert s.returns.tolist() == [0.0, 0.0, 0.0, pytest.approx(23 / 1014)]


def test_unpriced_position_is_valued_at_cost_and_adds_no_return() -> None:
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 1, "10"), position("PRIVATE", 4, "25")]),),
        prices={"AAA": series("AAA", DAYS[:2], ["10", "11"])},
    )
    s = build_valuation(inputs, through=DAYS[1], tz=NY)
    assert s.values.tolist() == [110.0, 111.0]
    assert s.exact_value(1) == D("111")


def test_foreign_position_uses_spot_fx_and_missing_rate_fails() -> None:
    eur = position("SAP", 10, "100", currency="EUR")
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [eur]),),
        prices={"SAP": series("SAP", DAYS[:2], ["100", "102"])},
        fx_rates={"EUR": series("#FX:EUR/USD", DAYS[:2], ["1.10", "1.10"])},
    )
    s = build_valuation(inputs, through=DAYS[1], tz=NY)
    assert s.exact_value(1) == D("1122.000")
    assert math.isclose(s.returns[0], 0.02, rel_tol=1e-14)
    # Without any rate the position cannot be valued: it is left out of every day (never converted
    # at 1), the days are still there, there is no return, and the currency is named as missing.
    bare = build_valuation(PortfolioInputs(holdings=inputs.holdings, prices=inputs.prices), through=DAYS[1], tz=NY)
    assert len(bare) == 2 and bare.values.tolist() == [0.0, 0.0] and len(bare.returns) == 0
    assert bare.fx.missing == {"EUR"} and bare.fx_complete is not None and not bare.fx_complete.any()


def test_a_currency_without_a_rate_leaves_out_its_amount_not_the_day_and_its_first_rate_is_no_gain() -> None:
    usd, eur = position("AAA", 10, "10"), position("SAP", 10, "100", currency="EUR")
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [usd, eur]),),
        prices={"AAA": series("AAA", DAYS[:4], ["10", "11", "11", "12.1"]),
                "SAP": series("SAP", DAYS[:4], ["100", "100", "100", "100"])},
        fx_rates={"EUR": series("#FX:EUR/USD", DAYS[2:4], ["1.10", "1.10"])},  # EUR rates from day 2
    )
    s = build_valuation(inputs, through=DAYS[3], tz=NY)
    assert s.days == tuple(DAYS[:4])  # no day is dropped for the missing rate
    assert s.values.tolist() == [100.0, 110.0, pytest.approx(1210.0), pytest.approx(1221.0)]
    # day 2: AAA flat and SAP enters at 1100 like a transfer in: 0 %, not +1000 %
    assert s.returns.tolist() == [pytest.approx(0.1), pytest.approx(0.0, abs=1e-15), pytest.approx(11 / 1210)]
    assert s.fx.missing == {"EUR"} and s.fx_complete is not None
    assert s.fx_complete.tolist() == [False, False, True, True]
    assert s.flows.tolist() == [0.0] * 4  # the entering value is not an external flow
    # ... but the money-weighted return treats it as the TWR does: a transfer in, not a gain
    assert portfolio_flows(s)[1] == (DAYS[2], pytest.approx(-1100.0))
    h = compute_history(inputs, as_of=after_close(DAYS[3]), range=HistoryRange.ALL)
    assert [p.local_cumulative is None for p in h.points] == [True] * 4  # the chain spans days without EUR
    later = compute_history(inputs, as_of=after_close(DAYS[3]), range=DateRange(DAYS[2], DAYS[3]))
    assert [p.local_cumulative is None for p in later.points] == [False, False]
    assert [p.net_flow for p in h.points] == [D(0)] * 4


def test_exact_value_matches_float_value_and_history_sums_flows() -> None:
    inputs = PortfolioInputs(
        holdings=(
            snapshot(DAYS[0], [position("AAA", "3", "1"), position("BBB", "0.1", "1")], cash="0.01"),
            snapshot(DAYS[1], [position("AAA", "3", "1"), position("BBB", "0.1", "1")], cash="100.01"),
        ),
        prices={
            "AAA": series("AAA", DAYS[:2], ["33.333", "33.334"]),
            "BBB": series("BBB", DAYS[:2], ["0.15", "0.16"]),
        },
        cash_flows=(CashFlow(DAYS[1], D(100)),),
    )
    s = build_valuation(inputs, through=DAYS[1], tz=NY)
    assert s.exact_value(0) == D("100.024")
    assert s.exact_value(1) == D("200.028")
    assert s.flows_exact == (D(0), D(100))
    assert [float(s.exact_value(i)) for i in range(2)] == pytest.approx(s.values.tolist(), rel=1e-15)


def test_summary_risk_ignores_a_big_deposit() -> None:
    """End to end: a 10x deposit on a flat day leaves the cumulative TWR at the price return."""
    days = DAYS[:6]
    closes = ["100", "101", "101", "101", "102", "103"]
    inputs = PortfolioInputs(
        holdings=(
            snapshot(days[0], [position("AAA", 10, "100")]),
            snapshot(days[2], [position("AAA", 100, "100.9")]),  # 9,090 deposited and invested at 101
        ),
        prices={"AAA": series("AAA", days, closes)},
        cash_flows=(CashFlow(days[2], D(9090)),),
    )
    summary = compute_summary(inputs, as_of=after_close(days[-1]), settings=AnalyticsSettings(min_history=0))
    assert summary.risk.cumulative_return.value == pytest.approx(0.03, rel=1e-13)
    assert summary.risk.observations == 5


def test_a_sync_every_day_values_each_day_with_its_own_snapshot() -> None:
    """More than 16 snapshots takes the gathered-matrix path; it must agree with the per-run loop."""
    days = weekdays(date(2024, 1, 1), 30)
    closes = [D(100) + i for i in range(30)]
    # Every day the user deposits the price of one more share and buys it at the close.
    snaps = tuple(snapshot(d, [position("AAA", k + 1, "100"), position("BBB", 2, "5")]) for k, d in enumerate(days))
    flows = tuple(CashFlow(d, closes[k]) for k, d in enumerate(days) if k)
    bbb_days = days[::3]  # BBB trades on fewer days: carried forward in between
    inputs = PortfolioInputs(
        holdings=snaps,
        prices={"AAA": series("AAA", days, closes), "BBB": series("BBB", bbb_days, ["5"] * len(bbb_days))},
        cash_flows=flows,
    )
    s = build_valuation(inputs, through=days[-1], tz=NY)
    assert s.values.tolist() == [float((k + 1) * closes[k] + 10) for k in range(30)]
    # Each day's return is the price move on the shares held the day before, diluted by BBB.
    expected = [float(k * 1 / (k * closes[k - 1] + 10)) for k in range(1, 30)]
    np.testing.assert_allclose(s.returns, expected, rtol=1e-13)
    assert [s.exact_value(i) for i in (0, 29)] == [D(110), 30 * closes[29] + 10]


def test_before_its_first_close_a_symbol_is_at_cost_and_its_first_close_is_no_return() -> None:
    # BBB is held from the start but its first close comes on day 2: it was valued at that later close
    # from day 0 (a look-ahead the summary as of day 0 does not make); now at its cost until then
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [position("AAA", 10, "10"), position("BBB", 4, "10")]),),
        prices={"AAA": series("AAA", DAYS[:4], ["10", "11", "11", "12.1"]),
                "BBB": series("BBB", DAYS[2:4], ["12", "13"])},
    )
    s = build_valuation(inputs, through=DAYS[3], tz=NY)
    assert s.values.tolist() == [140.0, 150.0, pytest.approx(158.0), pytest.approx(173.0)]
    assert [s.exact_value(i) for i in range(4)] == [D(140), D(150), D(158), D("173.0")]
    # day 2: AAA flat, BBB re-marked from 40 to 48: not a return; day 3: 173 / 158 - 1
    assert s.returns.tolist() == [pytest.approx(10 / 140), pytest.approx(0.0, abs=1e-15), pytest.approx(15 / 158)]
    summary = compute_summary(inputs, as_of=after_close(DAYS[0]), settings=AnalyticsSettings(min_history=0))
    assert summary.total_value == s.exact_value(0)  # the history's first point is the summary of that day
