"""The ledger's figures against oracles written here from textbook formulas (and pyxirr, whose XIRR
uses the same actual/365 convention), never against the code's own output.

* TWR and XIRR of a ledger with deposits, a withdrawal, a dividend, a split and a sale.
* FIFO and average-cost realised P&L on a hand-computed example.
* A EUR position in a USD portfolio with a moving EURUSD: local return, currency effect, total.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import pyxirr

from stack_cfo.core.portfolio import AnalyticsSettings, PortfolioInputs, PriceSeries, compute_summary
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.ledger import derive_ledger, group_transactions
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T
from stack_cfo.core.portfolio.valuation import build_valuation
from stack_cfo.core.portfolio.xirr import portfolio_flows, xirr

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 3, 1, tzinfo=UTC)
ORACLE = AnalyticsSettings(min_history=0)


def tx(i: int, kind: T, day: date, **kw: object) -> Transaction:
    data = TransactionInput(type=kind, trade_date=day, currency=str(kw.pop("currency", "USD")), **kw)  # type: ignore[arg-type]
    return Transaction(str(i), i, data, NOW, NOW, i)


def ledger_inputs(txs: list[Transaction], prices: dict[str, PriceSeries], method: CostBasisMethod, base: str = "USD",
                  fx: dict[str, PriceSeries] | None = None) -> PortfolioInputs:
    led = derive_ledger(group_transactions(txs), base=base, method=method, fx=FxTable(base, fx or {}))
    return PortfolioInputs(holdings=(), prices=prices, cash_flows=led.flows, timeline=led.timeline,
                           ledger_figures=led.figures, fx_rates=fx or {})


def series(symbol: str, closes: dict[date, str]) -> PriceSeries:
    days = sorted(closes)
    return PriceSeries(symbol, tuple(days), tuple(D(closes[d]) for d in days))


# Days 1..6 (weekdays of one week and the next Monday).
d = [date(2024, 1, 1) + timedelta(days=k) for k in range(8) if (date(2024, 1, 1) + timedelta(days=k)).weekday() < 5]


def test_twr_and_xirr_with_deposits_withdrawals_dividend_split_and_sale() -> None:
    prices = series("AAA", {d[0]: "10", d[1]: "11", d[2]: "12", d[3]: "6.2", d[4]: "6.5", d[5]: "6.4"})
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("1000")),
        tx(2, T.BUY, d[0], symbol="AAA", quantity=D(50), price=D(10), fees=D(0)),
        tx(3, T.DEPOSIT, d[1], amount=D("200")),
        tx(4, T.DIVIDEND, d[2], symbol="AAA", amount=D("25"), fees=D(0)),
        tx(5, T.SPLIT, d[3], symbol="AAA", split_ratio=D(2)),
        tx(6, T.SELL, d[4], symbol="AAA", quantity=D(40), price=D("6.5"), fees=D(0)),
        tx(7, T.WITHDRAWAL, d[5], amount=D("300")),
    ]
    inputs = ledger_inputs(txs, {"AAA": prices}, CostBasisMethod.AVERAGE_COST)
    s = build_valuation(inputs, through=d[5], tz=NY)

    # Oracle: hand-kept holdings and cash, end-of-day flows, r_t = (V_t - F_t) / V_{t-1} - 1.
    shares = [50, 50, 50, 100, 60, 60]
    cash = [500, 700, 725, 725, 725 + 260, 725 + 260 - 300]
    closes = [10, 11, 12, 6.2, 6.5, 6.4]
    flows = [1000, 200, 0, 0, 0, -300]
    values = [sh * c + k for sh, c, k in zip(shares, closes, cash, strict=True)]
    assert s.values.tolist() == pytest.approx(values, rel=1e-12)
    r = [(values[t] - flows[t]) / values[t - 1] - 1 for t in range(1, 6)]
    assert s.returns.tolist() == pytest.approx(r, rel=1e-12)
    twr = 1.0
    for x in r:
        twr *= 1 + x
    summary = compute_summary(inputs, as_of=datetime(2024, 1, 8, 23, tzinfo=NY), settings=ORACLE)
    assert summary.risk.cumulative_return.value == pytest.approx(twr - 1, rel=1e-12)

    # XIRR: the investor pays V_0 (the first day's value: the initial deposit), then +200 in,
    # -300 out (received), and receives the final value; NPV at actual/365 is zero.
    cfs = [(d[0], -values[0]), (d[1], -200.0), (d[5], 300.0 + values[5])]
    assert portfolio_flows(s) == [(d[0], -values[0]), (d[1], -200.0), (d[5], 300.0), (d[5], values[5])]

    def npv(rate: float) -> float:
        return sum(c / (1 + rate) ** ((day - d[0]).days / 365) for day, c in cfs)

    lo, hi = -0.99, 1e6
    for _ in range(300):  # textbook bisection
        mid = (lo + hi) / 2
        if (npv(mid) > 0) == (npv(lo) > 0):
            lo = mid
        else:
            hi = mid
    assert summary.money_weighted_return.value == pytest.approx(lo, rel=1e-9)
    assert summary.money_weighted_return.value == pytest.approx(pyxirr.xirr([c[0] for c in cfs], [c[1] for c in cfs]),
                                                                rel=1e-9)
    assert xirr(cfs) == pytest.approx(lo, rel=1e-9)
    # Income and realised P&L: the split halves the average cost to 5; 40 sold at 6.5.
    assert summary.ledger is not None
    assert summary.ledger.income == D(25)
    assert summary.ledger.realized_pnl == D("60.0")



def test_a_split_day_compares_todays_close_with_the_previous_close_in_todays_units() -> None:
    """Closes recorded as traded: 100 units at 11.84 become 200 at 5.98 on the split day. The
    position (and so the portfolio) gained 200 x (5.98 - 11.84 / 2) = 12, it did not lose 1,172; its
    week return compares with the week's start close halved too, and the previous close shown is in
    today's units. A position without a split is unchanged."""
    prices = {
        "AAA": series("AAA", {d[0]: "12", d[4]: "11.84", d[5]: "5.98"}),
        "BBB": series("BBB", {d[0]: "20", d[4]: "20", d[5]: "21"}),
        "SPY": series("SPY", {d[0]: "100", d[4]: "100", d[5]: "100"}),
    }
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("5000")),
        tx(2, T.BUY, d[0], symbol="AAA", quantity=D(100), price=D(12), fees=D(0)),
        tx(3, T.BUY, d[0], symbol="BBB", quantity=D(10), price=D(20), fees=D(0)),
        tx(4, T.SPLIT, d[5], symbol="AAA", split_ratio=D(2)),
    ]
    inputs = ledger_inputs(txs, prices, CostBasisMethod.AVERAGE_COST)
    summary = compute_summary(inputs, as_of=datetime.combine(d[5], datetime.min.time(), NY) + timedelta(hours=20),
                              settings=ORACLE)
    aaa = next(p for p in summary.positions if p.symbol == "AAA")
    bbb = next(p for p in summary.positions if p.symbol == "BBB")
    assert aaa.quantity == 200 and aaa.previous_close == D("5.92")
    assert aaa.day_change == D("12.00") and aaa.day_return == pytest.approx(0.06 / 5.92)
    assert aaa.week_return == pytest.approx(5.98 / 6 - 1)  # the week's start (d[0], 12) in today's units
    assert bbb.week_return == pytest.approx(21 / 20 - 1)
    assert bbb.day_change == D(10) and bbb.previous_close == D(20)
    assert summary.day_change == D("22.00")
    assert not [i for i in summary.insights if "AAA" in i.message and "week" in i.message]


def test_a_split_recorded_before_its_first_post_split_close_values_the_units_at_the_close_halved() -> None:
    """The split is booked on d[5] in the morning, the latest close is d[4]'s (11.84, pre-split):
    200 units are worth 200 x 5.92, not 200 x 11.84, and d[4]'s day change is in today's units."""
    prices = {"AAA": series("AAA", {d[0]: "12", d[3]: "12", d[4]: "11.84"}),
              "SPY": series("SPY", {d[0]: "100", d[3]: "100", d[4]: "100"})}
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("2000")),
        tx(2, T.BUY, d[0], symbol="AAA", quantity=D(100), price=D(12), fees=D(0)),
        tx(3, T.SPLIT, d[5], symbol="AAA", split_ratio=D(2)),
    ]
    inputs = ledger_inputs(txs, prices, CostBasisMethod.AVERAGE_COST)
    summary = compute_summary(inputs, as_of=datetime.combine(d[5], datetime.min.time(), NY) + timedelta(hours=11),
                              settings=ORACLE)
    aaa = summary.positions[0]
    assert aaa.quantity == 200 and aaa.price == D("5.92") and aaa.market_value == D("1184.00")
    assert aaa.previous_close == D(6) and aaa.day_change == D("-16.00")
    assert summary.total_value == D("1984.00")

def test_fifo_and_average_cost_realised_pnl_by_hand() -> None:
    prices = series("AAA", {d[0]: "10", d[1]: "12", d[2]: "15"})
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("10000")),
        tx(2, T.BUY, d[0], symbol="AAA", quantity=D(100), price=D(10), fees=D(5)),  # lot 1: 1005
        tx(3, T.BUY, d[1], symbol="AAA", quantity=D(50), price=D(12), fees=D(0)),  # lot 2: 600
        tx(4, T.SELL, d[2], symbol="AAA", quantity=D(120), price=D(15), fees=D(3)),  # proceeds 1797
    ]
    # FIFO: 100 from lot 1 (1005) + 20 from lot 2 (20 x 12 = 240): 1797 - 1245 = 552.
    fifo = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.FIFO, fx=FxTable("USD"))
    assert fifo.figures(d[2]).realized_pnl == D(552)
    # Average: (1005 + 600) / 150 = 10.7 a unit; 120 x 10.7 = 1284: 1797 - 1284 = 513.
    avg = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"))
    assert avg.figures(d[2]).realized_pnl == D(513)
    # Remaining cost: FIFO 30 units of lot 2 (360); average 30 x 10.7 (321).
    assert fifo.timeline.holdings_at(2).positions[0].average_cost == D(12)
    assert avg.timeline.holdings_at(2).positions[0].average_cost == D("10.7")
    assert fifo.figures(d[2]).fees == avg.figures(d[2]).fees == D(8)
    _ = prices


def test_eur_position_in_usd_portfolio_local_return_currency_effect_and_total() -> None:
    sap = series("SAP", {d[0]: "100", d[1]: "102", d[2]: "99", d[3]: "105"})
    eurusd = series("#FX:EUR/USD", {d[0]: "1.10", d[1]: "1.12", d[2]: "1.08", d[3]: "1.15"})
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("1000"), currency="EUR"),
        tx(2, T.BUY, d[0], symbol="SAP", quantity=D(10), price=D(100), fees=D(0), currency="EUR"),
    ]
    inputs = ledger_inputs(txs, {"SAP": sap}, CostBasisMethod.AVERAGE_COST, fx={"EUR": eurusd})
    summary = compute_summary(inputs, as_of=datetime(2024, 1, 4, 23, tzinfo=NY), settings=ORACLE)
    # By hand: fully invested, so local return = 105/100 - 1, total = (105 x 1.15) / (100 x 1.10) - 1,
    # currency effect = 1.15 / 1.10 - 1, and (1 + total) = (1 + local)(1 + currency).
    local, fx_effect = 105 / 100 - 1, 1.15 / 1.10 - 1
    total = (105 * 1.15) / (100 * 1.10) - 1
    assert summary.risk.cumulative_return.value == pytest.approx(total, rel=1e-12)
    assert summary.local_return.value == pytest.approx(local, rel=1e-12)
    assert summary.currency_effect.value == pytest.approx(fx_effect, rel=1e-12)
    assert (1 + summary.local_return.value) * (1 + summary.currency_effect.value) == pytest.approx(1 + total)
    p = summary.positions[0]
    assert p.market_value == D(10) * D(105) * D("1.15")
    assert p.cost_basis == D(1000) * D("1.10")  # the purchase's rate, not today's
    assert p.local_return == pytest.approx(local)
    assert p.currency_effect == pytest.approx(fx_effect)
    assert summary.missing_currencies == ()
    # The day change in USD is the value now against the value at the previous close, each at its own
    # day's rate: 10 x (105 x 1.15 - 99 x 1.08), not 10 x (105 - 99) x 1.15 (a currency move is a change).
    assert p.day_change == D(10) * (D(105) * D("1.15") - D(99) * D("1.08"))
    assert p.day_return == pytest.approx(105 / 99 - 1)  # the price's own move, as documented
    assert summary.day_change == p.day_change


def test_a_missing_rate_is_a_reason_never_one() -> None:
    sap = series("SAP", {d[0]: "100", d[1]: "102"})
    txs = [tx(1, T.BUY, d[0], symbol="SAP", quantity=D(10), price=D(100), fees=D(0), currency="EUR"),
           tx(2, T.DEPOSIT, d[0], amount=D("5000"))]
    inputs = ledger_inputs(txs, {"SAP": sap}, CostBasisMethod.AVERAGE_COST)
    summary = compute_summary(inputs, as_of=datetime(2024, 1, 2, 23, tzinfo=NY), settings=ORACLE)
    assert summary.missing_currencies == ("EUR",)
    assert summary.positions[0].market_value is None  # not valued at 1
    # The USD cash counts; the EUR position and the EUR cash that paid for it are left out.
    assert summary.total_value == D(5000)
    reason = summary.currency_effect.reason
    assert reason is not None and reason.value == "MISSING_EXCHANGE_RATE"
    assert any(i.code == "MISSING_EXCHANGE_RATE" for i in summary.insights)
    # a rate recorded later values the position; its purchase day had none: its cost converts at the
    # currency's first rate (recorded after it), as the valuation lets what was held enter at that rate
    fx = {"EUR": series("#FX:EUR/USD", {d[1]: "1.1", d[2]: "1.2"})}
    later = compute_summary(ledger_inputs(txs, {"SAP": sap}, CostBasisMethod.AVERAGE_COST, fx=fx),
                            as_of=datetime(2024, 1, 3, 23, tzinfo=NY), settings=ORACLE)
    assert later.positions[0].market_value == D("1224.0")  # 10 x 102 x 1.2
    assert later.positions[0].cost_basis == D("1100.0")  # 10 x 100 at the first rate, 1.1, not today's


def test_ledger_figures_are_facts_the_grounding_check_knows() -> None:
    from stack_cfo.core.chat.data_block import context_document
    from stack_cfo.core.chat.portfolio_context import context_from_view
    from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
    from stack_cfo.core.portfolio.narrative import summary_document
    from stack_cfo.core.portfolio.ports import StoredPortfolio
    from stack_cfo.core.portfolio.views import build_view

    prices = series("AAA", {d[0]: "10", d[1]: "12", d[2]: "15"})
    txs = [tx(1, T.DEPOSIT, d[0], amount=D("10000")),
           tx(2, T.BUY, d[0], symbol="AAA", quantity=D(100), price=D(10), fees=D(5)),
           tx(3, T.DIVIDEND, d[1], symbol="AAA", amount=D("40"), fees=D(0)),
           tx(4, T.SELL, d[2], symbol="AAA", quantity=D(50), price=D(15), fees=D(3))]
    inputs = ledger_inputs(txs, {"AAA": prices}, CostBasisMethod.AVERAGE_COST)
    summary = compute_summary(inputs, as_of=datetime(2024, 1, 3, 23, tzinfo=NY), settings=ORACLE)
    assert summary.ledger is not None
    # Realised: 50 x 15 - 3 - 50 x 10.05 = 244.5; income 40; fees 8.
    assert (summary.ledger.realized_pnl, summary.ledger.income, summary.ledger.fees) == (D("244.5"), D(40), D(8))
    doc = summary_document(summary)
    text = "You realised $244.50 and received $40.00 of income; fees came to $8.00."
    assert check(text, facts_from_data(doc)).status is GroundingStatus.GROUNDED
    assert check("You realised $250.00.", facts_from_data(doc)).status is GroundingStatus.UNGROUNDED
    view = build_view("u", summary, StoredPortfolio("u", "USD", (), ()))
    block = context_document(context_from_view(view), NOW)
    assert block["ledger"]["realized_pnl"] == "244.50"
    assert check(text, facts_from_data(block)).status is GroundingStatus.GROUNDED


def test_transfer_in_is_an_inflow_of_the_units_market_value_not_of_their_cost() -> None:
    # 20 units bought at 50; 10 more moved in from another broker at their old cost of 40 while the
    # market price is 55: the inflow is 550, so moving them is no gain (a client test saw +25 %)
    prices = series("AAA", {d[0]: "50", d[1]: "50", d[2]: "55", d[3]: "55", d[4]: "55"})
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("1000")),
        tx(2, T.BUY, d[0], symbol="AAA", quantity=D(20), price=D(50), fees=D(0)),
        tx(3, T.TRANSFER_IN, d[3], symbol="AAA", quantity=D(10), price=D(40)),
    ]
    inputs = ledger_inputs(txs, {"AAA": prices}, CostBasisMethod.AVERAGE_COST)
    s = build_valuation(inputs, through=d[4], tz=NY)
    assert s.flows_exact[3] == D(550) and s.values[3] == 30 * 55
    assert s.returns.tolist() == [0.0, pytest.approx(0.10), 0.0, 0.0]
    summary = compute_summary(inputs, as_of=datetime(2024, 1, 8, 22, tzinfo=UTC), settings=ORACLE)
    assert summary.risk.cumulative_return.value == pytest.approx(0.10)
    assert summary.positions[0].average_cost is not None
    # a symbol without any close is valued at its cost, so its transfer is an inflow at cost
    unpriced = build_valuation(ledger_inputs(txs, {}, CostBasisMethod.AVERAGE_COST), through=d[4], tz=NY)
    assert unpriced.flows_exact[unpriced.days.index(d[3])] == D(400)


def test_transfer_out_is_an_outflow_of_the_units_market_value_whatever_its_price() -> None:
    # 20 units at 50 rising to 55; 5 moved out to another broker on a flat day at a nominal price of 1
    # (a client test: the outflow was 5, the value fell by 275, and TWR showed -26 % that day)
    prices = series("AAA", {d[0]: "50", d[1]: "50", d[2]: "55", d[3]: "55", d[4]: "55"})
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("1000")),
        tx(2, T.BUY, d[0], symbol="AAA", quantity=D(20), price=D(50), fees=D(0)),
        tx(3, T.TRANSFER_OUT, d[3], symbol="AAA", quantity=D(5), price=D(1)),
    ]
    inputs = ledger_inputs(txs, {"AAA": prices}, CostBasisMethod.AVERAGE_COST)
    s = build_valuation(inputs, through=d[4], tz=NY)
    assert s.flows_exact[3] == D(-275) and s.values[3] == 15 * 55
    assert s.returns.tolist() == [0.0, pytest.approx(0.10), 0.0, 0.0]
    summary = compute_summary(inputs, as_of=datetime(2024, 1, 8, 22, tzinfo=UTC), settings=ORACLE)
    assert summary.risk.cumulative_return.value == pytest.approx(0.10)
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"))
    assert led.figures(d[4]).realized_pnl == 0  # the cost basis leaves with the units: nothing realised
    # a symbol without any close is valued at its cost: its transfer is then an outflow of its cost
    unpriced = build_valuation(ledger_inputs(txs, {}, CostBasisMethod.AVERAGE_COST), through=d[4], tz=NY)
    assert unpriced.flows_exact[unpriced.days.index(d[3])] == D(-250)
    assert set(unpriced.returns.tolist()) == {0.0}


def test_a_transfer_before_the_first_close_is_an_inflow_at_cost_and_zero_fees_need_no_rate() -> None:
    prices = series("AAA", {d[3]: "55", d[4]: "55"})  # closes only from the fourth day
    txs = [
        tx(1, T.DEPOSIT, d[0], amount=D("500"), currency="EUR"),  # no EUR rate at all, no fee
        tx(2, T.TRANSFER_IN, d[1], symbol="AAA", quantity=D(10), price=D(40)),
        tx(3, T.FEE, d[2], amount=D("15")),
    ]
    inputs = ledger_inputs(txs, {"AAA": prices}, CostBasisMethod.AVERAGE_COST)
    s = build_valuation(inputs, through=d[4], tz=NY)
    # the day's value counts the units at cost (no close yet): so does the inflow, never a later close
    assert s.flows_exact[s.days.index(d[1])] == D(400)
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"))
    assert led.figures(d[4]).fees == D(15)  # the fee-less EUR deposit does not make fees unknown


def test_money_at_the_documented_bounds_stays_exact() -> None:
    """Quantities and prices just under 10^12 with 9 fractional digits (inside the documented bounds):
    cash, value, realised P&L and history are exact to the cent and beyond, as common.proto promises
    (a 28-digit context rounded the 32-digit cash to -...789001.0000)."""
    q, p, fee = D("999999999999"), D("999999999999.123456789"), D("0.12345678")
    sell_q, sell_p = D("333333333333"), D("1.000000001")
    prices = series("AAA", {d[0]: "999999999999.5", d[1]: "1"})
    txs = [
        tx(1, T.BUY, d[0], symbol="AAA", quantity=q, price=p, fees=fee),
        tx(2, T.SELL, d[1], symbol="AAA", quantity=sell_q, price=sell_p, fees=D(0)),
    ]
    from decimal import localcontext

    with localcontext() as ctx:  # the oracle's own arithmetic, exact (the default context has 28 digits)
        ctx.prec = 60
        cash_after_buy = -(q * p + fee)
        cash_after_sell = cash_after_buy + sell_q * sell_p
        realized = sell_q * sell_p - sell_q * ((q * p + fee) / q)
        value_day1 = cash_after_sell + (q - sell_q) * D(1)
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST, fx=FxTable("USD"))
    assert led.timeline.holdings_at(0).cash == cash_after_buy
    assert led.timeline.holdings_at(1).cash == cash_after_sell
    assert abs(led.figures(d[1]).realized_pnl - realized) < D("1e-8")
    s = compute_summary(ledger_inputs(txs, {"AAA": prices}, CostBasisMethod.AVERAGE_COST),
                        as_of=datetime.combine(d[1], datetime.min.time(), NY).replace(hour=17), settings=ORACLE)
    assert s.cash == cash_after_sell
    assert abs(s.total_value - value_day1) < D("1e-8")
