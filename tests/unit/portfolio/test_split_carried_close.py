"""A close carried forward over a SPLIT is in the units held after it (the contract's
TRANSACTION_TYPE_SPLIT: "a close from before the split is divided by the ratio wherever it meets the
units after it"), in the daily history as in the summary.

The symbol AAA splits 10:1 on a day it has no close (the split day is still a valuation day: BBB has
a close). Its 10 units become 100, valued at the last close (100, recorded before the split) / 10 =
10 each, not 100: no +900 % day followed by a -90 % one in the returns, the risk figures or the
history, whichever currency the closes were recorded in and whatever the as-of day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from stack_cfo.core.portfolio import AnalyticsSettings, PortfolioInputs, PriceSeries, compute_summary
from stack_cfo.core.portfolio.fx import FxTable, convert_series
from stack_cfo.core.portfolio.history import history_points
from stack_cfo.core.portfolio.ledger import derive_ledger, group_transactions
from stack_cfo.core.portfolio.models import Holdings, HoldingsSnapshot, Position
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T
from stack_cfo.core.portfolio.valuation import build_valuation

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 3, 1, tzinfo=UTC)
ORACLE = AnalyticsSettings(min_history=0)

# Mon 8 .. Fri 12 January 2024; AAA splits 10:1 on Wednesday 10, when it has no close.
D0, D1, SPLIT_DAY, D3, D4 = (date(2024, 1, k) for k in (8, 9, 10, 11, 12))
DAYS = (D0, D1, SPLIT_DAY, D3, D4)


def tx(i: int, kind: T, day: date, **kw: object) -> Transaction:
    data = TransactionInput(type=kind, trade_date=day, currency=str(kw.pop("currency", "USD")), **kw)  # type: ignore[arg-type]
    return Transaction(str(i), i, data, NOW, NOW, i)


def series(symbol: str, closes: dict[date, str], currency: str = "USD") -> PriceSeries:
    days = sorted(closes)
    return PriceSeries(symbol, tuple(days), tuple(D(closes[d]) for d in days), currency=currency)


def aaa(currency: str = "USD", scale: str = "1") -> PriceSeries:
    """AAA: 100 before the split (none on the split day), 10 after (times ``scale``)."""
    k = D(scale)
    return series("AAA", {D0: str(100 * k), D1: str(100 * k), D3: str(10 * k), D4: str(11 * k)}, currency)


BBB = series("BBB", {d: "50" for d in DAYS})
SPY = series("SPY", {d: "400" for d in DAYS})


def ledger_inputs(txs: list[Transaction], prices: dict[str, PriceSeries], base: str = "USD",
                  fx: dict[str, PriceSeries] | None = None) -> PortfolioInputs:
    led = derive_ledger(group_transactions(txs), base=base, method=CostBasisMethod.AVERAGE_COST,
                        fx=FxTable(base, fx or {}))
    return PortfolioInputs(holdings=(), prices={**prices, "SPY": SPY}, cash_flows=led.flows, timeline=led.timeline,
                           ledger_figures=led.figures, fx_rates=fx or {})


def split_ledger(currency: str = "USD") -> list[Transaction]:
    return [
        tx(1, T.DEPOSIT, D0, amount=D("2000"), currency=currency),
        tx(2, T.BUY, D0, symbol="AAA", quantity=D(10), price=D(100), fees=D(0), currency=currency),
        tx(3, T.BUY, D0, symbol="BBB", quantity=D(10), price=D(50), fees=D(0), currency=currency),
        tx(4, T.SPLIT, SPLIT_DAY, symbol="AAA", split_ratio=D(10), currency=currency),
    ]


#: cash 2000 - 1000 - 500 = 500; AAA 10 x 100, then 100 x (100 / 10), 100 x 10, 100 x 11; BBB 10 x 50.
EXPECTED = [500 + 1000 + 500, 500 + 1000 + 500, 500 + 1000 + 500, 500 + 1000 + 500, 500 + 1100 + 500]


def test_the_split_day_without_a_close_values_the_units_after_it_at_the_close_before_it_divided() -> None:
    inputs = ledger_inputs(split_ledger(), {"AAA": aaa(), "BBB": BBB})
    s = build_valuation(inputs, through=D4, tz=NY)
    assert s.days == DAYS
    assert s.values.tolist() == pytest.approx(EXPECTED, rel=1e-12)
    assert s.returns.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.05], rel=1e-12, abs=1e-15)
    # the history's exact value, as the float one
    assert [s.exact_value(i) for i in range(len(s))] == [D(v) for v in EXPECTED]
    points = history_points(s, None, start=D0, end=D4)
    assert [p.value for p in points] == [D(v) for v in EXPECTED]
    assert [p.drawdown for p in points] == pytest.approx([0.0] * 5, abs=1e-15)


def test_the_risk_figures_see_no_jump_whatever_the_as_of_day() -> None:
    inputs = ledger_inputs(split_ledger(), {"AAA": aaa(), "BBB": BBB})
    on_split = compute_summary(inputs, as_of=datetime(2024, 1, 10, 23, tzinfo=NY), settings=ORACLE)
    assert on_split.total_value == D(2000)
    assert on_split.risk.cumulative_return.value == pytest.approx(0.0, abs=1e-15)
    assert on_split.risk.max_drawdown.value == pytest.approx(0.0, abs=1e-15)
    later = compute_summary(inputs, as_of=datetime(2024, 1, 12, 23, tzinfo=NY), settings=ORACLE)
    assert later.risk.cumulative_return.value == pytest.approx(0.05, rel=1e-12)
    assert later.risk.max_drawdown.value == pytest.approx(0.0, abs=1e-15)


def test_a_close_converted_from_another_currency_is_divided_too() -> None:
    """AAA held in USD in a EUR portfolio with its closes recorded in GBP (converted to USD at the
    GBP/USD cross of each day); the EUR value of the split day is the units after it at the
    converted close before it, divided by the ratio."""
    fx = {
        "USD": series("USD", {D0: "0.5"}, "EUR"),  # 1 USD = 0.5 EUR
        "GBP": series("GBP", {D0: "1"}, "EUR"),  # 1 GBP = 1 EUR: 1 GBP = 2 USD
    }
    converted = convert_series(aaa("GBP", scale="0.5"), "USD", FxTable("EUR", fx))
    assert converted.close_on_or_before(SPLIT_DAY) == D(100)  # 50 GBP
    inputs = ledger_inputs(split_ledger("USD"), {"AAA": converted, "BBB": BBB}, base="EUR", fx=fx)
    s = build_valuation(inputs, through=D4, tz=NY)
    assert s.values.tolist() == pytest.approx([v / 2 for v in EXPECTED], rel=1e-12)
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.05], rel=1e-12, abs=1e-15)
    assert [s.exact_value(i) for i in range(len(s))] == [D(v) / 2 for v in EXPECTED]


def test_units_transferred_in_after_a_split_are_valued_at_the_close_before_it_divided() -> None:
    """A TRANSFER_IN of 50 units on the split day (no close): an inflow of 50 x 100 / 10, as the
    day's value counts them, so the day's return stays 0."""
    txs = [*split_ledger(), tx(5, T.TRANSFER_IN, SPLIT_DAY, symbol="AAA", quantity=D(50), price=D(9))]
    inputs = ledger_inputs(txs, {"AAA": aaa(), "BBB": BBB})
    s = build_valuation(inputs, through=D4, tz=NY)
    assert s.values[2] == pytest.approx(2000 + 500, rel=1e-12)
    assert s.flows[2] == pytest.approx(500, rel=1e-12)
    assert s.returns.tolist() == pytest.approx([0.0, 0.0, 0.0, 150 / 2500], rel=1e-12, abs=1e-15)


def test_a_close_carried_over_later_days_stays_divided_and_other_days_are_untouched() -> None:
    """AAA has no close after the split at all (carried over three days): every one is divided.
    A symbol without a split carried forward is unchanged."""
    prices = {"AAA": series("AAA", {D0: "100", D1: "100"}), "BBB": BBB}
    s = build_valuation(ledger_inputs(split_ledger(), prices), through=D4, tz=NY)
    assert s.values.tolist() == pytest.approx([2000.0] * 5, rel=1e-12)
    no_split = ledger_inputs(split_ledger()[:3], prices)
    s2 = build_valuation(no_split, through=D4, tz=NY)
    assert s2.values.tolist() == pytest.approx([2000.0] * 5, rel=1e-12)


def test_a_snapshot_portfolio_without_splits_is_valued_as_before() -> None:
    h = Holdings(user="u", base_currency="USD", cash=D(0),
                 positions=(Position("AAA", D(10), D(100)), Position("BBB", D(10), D(50))), as_of=NOW)
    inputs = PortfolioInputs(holdings=(HoldingsSnapshot(D0, h),),
                             prices={"AAA": series("AAA", {D0: "100", D1: "100"}), "BBB": BBB})
    s = build_valuation(inputs, through=D4, tz=NY)
    assert np.allclose(s.values, 1500.0)
