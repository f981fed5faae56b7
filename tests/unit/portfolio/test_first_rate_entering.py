"""A currency's first exchange rate arriving on a valuation day: only what was already held in that
currency, unconverted, at the previous day's close enters the valuation like a transfer in (it was out
of the value before). An amount that came in on the day itself through a deposit, a transfer or a
trade is counted by the flows already: counting it as entering too made a fake loss in the TWR, a
phantom inflow in the money-weighted return and a wrong currency effect. On that day there is no
previous rate, so the local return holds the currency at the day's own (the day's gain on a new
foreign position is local return, not left out of it).

Contract: ``RiskMetrics`` ("an amount entering the valuation when its currency's first exchange rate
arrives") and ``PortfolioSummary.local_return`` / ``currency_effect``. Expectations by hand in the
comments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    HistoryRange,
    PortfolioInputs,
    PriceSeries,
    build_valuation,
    compute_history,
    compute_summary,
)
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.ledger import derive_ledger, group_transactions
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T
from stack_cfo.core.portfolio.xirr import portfolio_flows, xirr

from .factories import NY, after_close, position, series, snapshot

ORACLE = AnalyticsSettings(min_history=0)
#: Monday 12 .. Thursday 15 February 2024 (NYSE sessions).
DAYS = [date(2024, 2, 12), date(2024, 2, 13), date(2024, 2, 14), date(2024, 2, 15)]
NOW = datetime(2024, 2, 1, tzinfo=NY)


def tx(i: int, kind: T, day: date, **kw: object) -> Transaction:
    data = TransactionInput(type=kind, trade_date=day, currency=str(kw.pop("currency", "USD")), **kw)  # type: ignore[arg-type]
    return Transaction(str(i), i, data, NOW, NOW, i)


def ledger_inputs(
    txs: list[Transaction], prices: dict[str, PriceSeries], fx: dict[str, PriceSeries]
) -> PortfolioInputs:
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST,
                        fx=FxTable("USD", fx))
    return PortfolioInputs(holdings=(), prices=prices, cash_flows=led.flows, timeline=led.timeline,
                           ledger_figures=led.figures, fx_rates=fx)


def figures(inputs: PortfolioInputs, through: date) -> tuple[float, float | None, float, float]:
    """(twr, mwr, local, currency) from the summary; the three TWR-side ones chain."""
    s = compute_summary(inputs, as_of=after_close(through), settings=ORACLE)
    twr, mwr = s.risk.cumulative_return.value, s.money_weighted_return.value
    local, ccy = s.local_return.value, s.currency_effect.value
    assert twr is not None and local is not None and ccy is not None
    assert (1 + local) * (1 + ccy) == pytest.approx(1 + twr, rel=1e-12)
    return twr, mwr, local, ccy


def jpy_deposit_ledger() -> PortfolioInputs:
    # The tester's repro: 10,000 USD in and 10 AAA at 100 on Monday; 100,000 JPY deposited on
    # Tuesday, the day JPY's first rate (0.0067) arrives; AAA flat at 100.
    txs = [
        tx(1, T.DEPOSIT, DAYS[0], amount=D(10000)),
        tx(2, T.BUY, DAYS[0], symbol="AAA", quantity=D(10), price=D(100)),
        tx(3, T.DEPOSIT, DAYS[1], amount=D(100000), currency="JPY"),
    ]
    return ledger_inputs(txs, {"AAA": series("AAA", DAYS[:3], ["100"] * 3)},
                         {"JPY": series("#FX:JPY/USD", DAYS[1:3], ["0.0067"] * 2)})


def test_a_foreign_deposit_on_its_currencys_first_rate_day_is_counted_once() -> None:
    # Values 10,000, 10,670, 10,670; Tuesday's flow 100,000 x 0.0067 = 670 and nothing entering
    # (no JPY was held on Monday): TWR (10,670 - 670) / 10,000 - 1 = 0. The old code also took the
    # 670 as entering: (10,670 - 670 - 670) / 10,000 - 1 = -6.7 %, and XIRR saw 1,340 put in.
    inputs = jpy_deposit_ledger()
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.values.tolist() == pytest.approx([10000.0, 10670.0, 10670.0])
    assert s.flows.tolist() == pytest.approx([10000.0, 670.0, 0.0])
    assert s.entering is None
    assert s.returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert portfolio_flows(s) == [(DAYS[0], -10000.0), (DAYS[1], pytest.approx(-670.0)),
                                  (DAYS[2], pytest.approx(10670.0))]
    assert xirr(portfolio_flows(s)) == pytest.approx(0.0, abs=1e-9)
    twr, mwr, local, ccy = figures(inputs, DAYS[2])
    assert twr == pytest.approx(0.0, abs=1e-15) and local == pytest.approx(0.0, abs=1e-15)
    assert ccy == pytest.approx(0.0, abs=1e-15) and mwr == pytest.approx(0.0, abs=1e-9)
    h = compute_history(inputs, as_of=after_close(DAYS[2]), range=HistoryRange.ALL, settings=ORACLE)
    assert [p.cumulative_twr for p in h.points] == pytest.approx([0.0] * 3, abs=1e-15)
    assert [p.local_cumulative for p in h.points] == pytest.approx([0.0] * 3, abs=1e-15)
    assert [p.net_flow for p in h.points] == [D(10000), D("670.0000"), D(0)]


def test_a_snapshot_adding_a_foreign_position_on_its_first_rate_and_close_day_is_counted_once() -> None:
    # The snapshot path: Tuesday's snapshot adds 100 TOY (JPY, first close 1,000 and first JPY rate
    # 0.0067 both on Tuesday) bought with a 670 USD deposit. Values 10,000, 10,670, 10,670: TWR 0
    # (old: -6.7 %), and local 0 too: TOY is held at Tuesday's rate, there being none before (old:
    # TOY left out of the local value, the deposit not: -6.7 %).
    aaa = position("AAA", 10, "100")
    toy = position("TOY", 100, "1000", currency="JPY")
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [aaa], cash=9000), snapshot(DAYS[1], [aaa, toy], cash=9000)),
        prices={"AAA": series("AAA", DAYS[:3], ["100"] * 3), "TOY": series("TOY", DAYS[1:3], ["1000"] * 2)},
        cash_flows=(CashFlow(DAYS[0], D(10000)), CashFlow(DAYS[1], D(670))),
        fx_rates={"JPY": series("#FX:JPY/USD", DAYS[1:3], ["0.0067"] * 2)},
    )
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.values.tolist() == pytest.approx([10000.0, 10670.0, 10670.0])
    assert s.entering is None
    assert s.returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    twr, mwr, local, ccy = figures(inputs, DAYS[2])
    assert (twr, mwr, local, ccy) == pytest.approx((0.0, 0.0, 0.0, 0.0), abs=1e-9)


def test_a_foreign_buy_on_its_currencys_first_rate_day_has_its_gain_in_the_local_return() -> None:
    # The tester's LOW finding: 1,000 USD on Monday; on Tuesday (EUR's first rate, 1.10) 1,200 EUR
    # deposited and 20 SAP bought at 55 + 5 fees; SAP closes 55.62. EUR held: 95 cash + 1,112.40.
    # V = 1,000 + 1,207.40 x 1.1 = 2,328.14, flow 1,320: TWR (2,328.14 - 1,320) / 1,000 - 1 = 0.00814
    # (old: the 1,328.14 taken as entering too, -31.2 %). No EUR rate before Tuesday: Tuesday is all
    # local, so local 0.00814 too (old: 0, SAP's day left out) and currency 0. Wednesday EUR 1.21,
    # SAP flat: V = 1,000 + 1,207.40 x 1.21 = 2,460.954, all of Wednesday's return is currency.
    txs = [
        tx(1, T.DEPOSIT, DAYS[0], amount=D(1000)),
        tx(2, T.DEPOSIT, DAYS[1], amount=D(1200), currency="EUR"),
        tx(3, T.BUY, DAYS[1], symbol="SAP", quantity=D(20), price=D(55), fees=D(5), currency="EUR"),
    ]
    inputs = ledger_inputs(txs, {"SAP": series("SAP", DAYS[1:3], ["55.62", "55.62"])},
                           {"EUR": series("#FX:EUR/USD", DAYS[1:3], ["1.10", "1.21"])})
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.values.tolist() == pytest.approx([1000.0, 2328.14, 2460.954])
    assert s.flows.tolist() == pytest.approx([1000.0, 1320.0, 0.0])
    day1 = 1008.14 / 1000 - 1
    day2 = 2460.954 / 2328.14 - 1  # SAP and the cash flat in EUR: all of it is the rate
    assert s.returns.tolist() == pytest.approx([day1, day2])
    assert s.local_returns.tolist() == pytest.approx([day1, 0.0], abs=1e-12)
    twr, _, local, ccy = figures(inputs, DAYS[2])
    assert twr == pytest.approx((1 + day1) * (1 + day2) - 1)
    assert local == pytest.approx(day1) and ccy == pytest.approx(day2)


def test_an_amount_held_before_the_first_rate_still_enters_but_not_the_days_deposit() -> None:
    # 100,000 JPY held from Monday without a JPY rate (left out of the value, the currency named);
    # on Tuesday the first rate (0.0067) arrives and 50,000 JPY more is deposited. Entering: the
    # 100,000 held on Monday, 670; flow: 50,000 x 0.0067 = 335. AAA flat: TWR 0 (old: the 1,005 of
    # all the JPY entered as well as the 335 flow, -3.35 %).
    txs = [
        tx(1, T.DEPOSIT, DAYS[0], amount=D(10000)),
        tx(2, T.BUY, DAYS[0], symbol="AAA", quantity=D(10), price=D(100)),
        tx(3, T.DEPOSIT, DAYS[0], amount=D(100000), currency="JPY"),
        tx(4, T.DEPOSIT, DAYS[1], amount=D(50000), currency="JPY"),
    ]
    inputs = ledger_inputs(txs, {"AAA": series("AAA", DAYS[:3], ["100"] * 3)},
                           {"JPY": series("#FX:JPY/USD", DAYS[1:3], ["0.0067", "0.0067"])})
    s = build_valuation(inputs, through=DAYS[2], tz=NY)
    assert s.values.tolist() == pytest.approx([10000.0, 11005.0, 11005.0])
    assert s.flows.tolist() == pytest.approx([10000.0, 335.0, 0.0])
    assert s.entering is not None and s.entering.tolist() == pytest.approx([0.0, 670.0, 0.0])
    assert s.returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert xirr(portfolio_flows(s)) == pytest.approx(0.0, abs=1e-9)
    assert s.fx.missing == {"JPY"}


def test_a_position_held_at_cost_before_its_first_close_and_rate_enters_once_at_its_close() -> None:
    # 10 TOY (JPY, cost 1,000) held from Monday with no close and no JPY rate until Wednesday, when
    # it closes at 1,100 and JPY is 0.0067: it enters at 10 x 1,100 x 0.0067 = 73.70, the re-mark
    # from cost (1,000 JPY) being part of it (old: re-mark counted again, 6.70 more out). AAA is flat.
    aaa, toy = position("AAA", 10, "100"), position("TOY", 10, "1000", currency="JPY")
    inputs = PortfolioInputs(
        holdings=(snapshot(DAYS[0], [aaa, toy]),),
        prices={"AAA": series("AAA", DAYS, ["100"] * 4), "TOY": series("TOY", DAYS[2:], ["1100", "1210"])},
        fx_rates={"JPY": series("#FX:JPY/USD", DAYS[2:], ["0.0067", "0.0067"])},
    )
    s = build_valuation(inputs, through=DAYS[3], tz=NY)
    assert s.values.tolist() == pytest.approx([1000.0, 1000.0, 1073.7, 1081.07])
    assert s.entering is not None and s.entering.tolist() == pytest.approx([0.0, 0.0, 73.7, 0.0])
    # Thursday: TOY +10 % on 73.70 of 1,073.70
    assert s.returns.tolist() == pytest.approx([0.0, 0.0, 7.37 / 1073.7], abs=1e-15)
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0, 7.37 / 1073.7], abs=1e-15)


def test_a_rate_recorded_days_before_the_deposit_is_the_control() -> None:
    # The tester's control: the same deposit in a currency whose rates start days earlier: 0 / 0.
    txs = [
        tx(1, T.DEPOSIT, DAYS[0], amount=D(10000)),
        tx(2, T.BUY, DAYS[0], symbol="AAA", quantity=D(10), price=D(100)),
        tx(3, T.DEPOSIT, DAYS[1], amount=D(500), currency="GBP"),
    ]
    inputs = ledger_inputs(txs, {"AAA": series("AAA", DAYS[:3], ["100"] * 3)},
                           {"GBP": series("#FX:GBP/USD", DAYS[:3], ["1.34"] * 3)})
    twr, mwr, local, ccy = figures(inputs, DAYS[2])
    assert (twr, mwr, local, ccy) == pytest.approx((0.0, 0.0, 0.0, 0.0), abs=1e-9)

