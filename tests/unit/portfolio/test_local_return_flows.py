"""Local returns on days with a foreign-currency flow: the flow counts at the previous valuation
day's rates, as the day's holdings do, so a currency move on the flow is currency effect, never
local return. Contract: ``PortfolioSummary.local_return`` (each day's return with that day's
exchange rates held at the previous valuation day's) and ``(1 + twr) = (1 + local)(1 + currency)``.

Every expectation is computed by hand in the comments.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D

import pytest

from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    CashFlow,
    HistoryRange,
    Holdings,
    HoldingsSnapshot,
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

from .factories import NY, after_close, series

ORACLE = AnalyticsSettings(min_history=0)
#: Monday 16 .. Wednesday 18 November 2026 (NYSE sessions); CHF->USD 1.0, 1.1, 1.2.
DAYS = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18)]
NOW = datetime(2026, 11, 1, tzinfo=NY)


def rates(ccy: str, values: list[str]) -> PriceSeries:
    return series(f"#FX:{ccy}/USD", DAYS, values)


def chf_cash(day: date, chf: str) -> HoldingsSnapshot:
    """USD-based holdings keeping ``chf`` in Swiss francs (as a ledger keeps foreign cash)."""
    return HoldingsSnapshot(day, Holdings(user="users/u1", base_currency="USD", cash=D(0), positions=(),
                                          as_of=after_close(day), foreign_cash={"CHF": D(chf)}))


def figures(inputs: PortfolioInputs) -> tuple[float, float, float]:
    s = compute_summary(inputs, as_of=after_close(DAYS[-1]), settings=ORACLE)
    twr, local, ccy = s.risk.cumulative_return.value, s.local_return.value, s.currency_effect.value
    assert twr is not None and local is not None and ccy is not None
    assert (1 + local) * (1 + ccy) == pytest.approx(1 + twr, rel=1e-12)
    return twr, local, ccy


def local_cumulative(inputs: PortfolioInputs) -> list[float | None]:
    h = compute_history(inputs, as_of=after_close(DAYS[-1]), range=HistoryRange.ALL)
    return [p.local_cumulative for p in h.points]


def test_a_foreign_cash_deposit_moves_no_local_return() -> None:
    # 1000 CHF on Monday, 1000 CHF more on Wednesday, nothing else: in CHF the portfolio only
    # changes by the deposits, so the local return is 0 and all the TWR is currency.
    # USD values 1000, 1100, 2400; Wednesday's flow 1000 x 1.2 = 1200:
    #   TWR = (1100 / 1000) x ((2400 - 1200) / 1100) - 1 = 0.20
    # Local: Tuesday 1000 CHF x 1.0 (Monday's rate) / 1000 = 1 -> 0; Wednesday 2000 CHF x 1.1
    # (Tuesday's rate) less the flow at Tuesday's rate 1000 x 1.1, over 1100: (2200 - 1100) / 1100
    # = 1 -> 0 (the old code took the flow at Wednesday's 1.2: (2200 - 1200) / 1100 - 1 = -9.09 %).
    inputs = PortfolioInputs(
        holdings=(chf_cash(DAYS[0], "1000"), chf_cash(DAYS[2], "2000")),
        prices={},
        cash_flows=(CashFlow(DAYS[0], D(1000), currency="CHF"), CashFlow(DAYS[2], D(1000), currency="CHF")),
        fx_rates={"CHF": rates("CHF", ["1.0", "1.1", "1.2"])},
    )
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.values.tolist() == pytest.approx([1000.0, 1100.0, 2400.0])
    assert s.flows.tolist() == pytest.approx([1000.0, 0.0, 1200.0])  # the TWR's flows are unchanged
    assert s.returns.tolist() == pytest.approx([0.1, 1200 / 1100 - 1])
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    twr, local, ccy = figures(inputs)
    assert twr == pytest.approx(0.20) and local == pytest.approx(0.0, abs=1e-15) and ccy == pytest.approx(0.20)
    assert local_cumulative(inputs) == pytest.approx([0.0, 0.0, 0.0], abs=1e-15)


def test_a_foreign_cash_withdrawal_moves_no_local_return() -> None:
    # 2000 CHF, 500 CHF withdrawn on Wednesday. USD values 2000, 2200, 1500 x 1.2 = 1800; flow
    # -500 x 1.2 = -600: TWR = 1.1 x (1800 + 600) / 2200 - 1 = 0.20. Local Wednesday: 1500 CHF x 1.1
    # = 1650 plus the withdrawal at 1.1 (550), over 2200: 0 (old code: (1650 + 600) / 2200 - 1 = +2.27 %).
    inputs = PortfolioInputs(
        holdings=(chf_cash(DAYS[0], "2000"), chf_cash(DAYS[2], "1500")),
        prices={},
        cash_flows=(CashFlow(DAYS[0], D(2000), currency="CHF"), CashFlow(DAYS[2], D(-500), currency="CHF")),
        fx_rates={"CHF": rates("CHF", ["1.0", "1.1", "1.2"])},
    )
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.values.tolist() == pytest.approx([2000.0, 2200.0, 1800.0])
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    twr, local, ccy = figures(inputs)
    assert twr == pytest.approx(0.20) and local == pytest.approx(0.0, abs=1e-15) and ccy == pytest.approx(0.20)
    assert local_cumulative(inputs) == pytest.approx([0.0, 0.0, 0.0], abs=1e-15)


def test_a_deposit_the_holdings_keep_in_the_base_currency_counts_at_its_booked_amount() -> None:
    # A sync's holdings have their cash in USD only: a 1000 CHF deposit arrives as 1200 USD cash on
    # Wednesday, which no exchange rate moves, so local and total are both 0 (the flow must stay at
    # its booked 1200 for the local return too, not 1000 x Tuesday's 1.1).
    def usd(day: date, cash: str) -> HoldingsSnapshot:
        return HoldingsSnapshot(day, Holdings(user="users/u1", base_currency="USD", cash=D(cash), positions=(),
                                              as_of=after_close(day)))

    inputs = PortfolioInputs(
        holdings=(usd(DAYS[0], "1000"), usd(DAYS[2], "2200")),
        prices={},
        cash_flows=(CashFlow(DAYS[0], D(1000)), CashFlow(DAYS[2], D(1000), currency="CHF")),
        fx_rates={"CHF": rates("CHF", ["1.0", "1.1", "1.2"])},
    )
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.flows.tolist() == pytest.approx([1000.0, 0.0, 1200.0])
    assert s.returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)


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


def test_a_transfer_in_of_a_foreign_position_is_valued_at_the_previous_rate_for_the_local_return() -> None:
    # 10 SAP (EUR) moved in on Monday and 10 more on Wednesday; SAP 100, 105, 110 EUR; EURUSD 1.0,
    # 1.1, 1.2. USD values 1000, 1155, 2640; Wednesday's inflow 10 x 110 x 1.2 = 1320:
    #   TWR = (1155 / 1000) x ((2640 - 1320) / 1155) - 1 = 1320 / 1000 - 1 = 0.32
    # Local: Tuesday 10 x 105 x 1.0 / 1000 - 1 = 0.05; Wednesday 20 x 110 x 1.1 = 2420 less the
    # inflow at Tuesday's rate 10 x 110 x 1.1 = 1210, over 1155: 1210 / 1155 - 1 = 110 / 105 - 1.
    # Chained: 1.05 x 110 / 105 - 1 = 0.10 (SAP's own return in EUR); currency 1.32 / 1.10 - 1 = 0.20.
    # (The old code took the inflow at 1.2: (2420 - 1320) / 1155 - 1 = -4.76 % on Wednesday.)
    sap = series("SAP", DAYS, ["100", "105", "110"])
    txs = [
        tx(1, T.TRANSFER_IN, DAYS[0], symbol="SAP", quantity=D(10), price=D(100), currency="EUR"),
        tx(2, T.TRANSFER_IN, DAYS[2], symbol="SAP", quantity=D(10), price=D(110), currency="EUR"),
    ]
    inputs = ledger_inputs(txs, {"SAP": sap}, {"EUR": rates("EUR", ["1.0", "1.1", "1.2"])})
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.values.tolist() == pytest.approx([1000.0, 1155.0, 2640.0])
    assert s.flows.tolist() == pytest.approx([1000.0, 0.0, 1320.0])
    assert s.local_returns.tolist() == pytest.approx([0.05, 110 / 105 - 1])
    twr, local, ccy = figures(inputs)
    assert twr == pytest.approx(0.32) and local == pytest.approx(0.10) and ccy == pytest.approx(0.20)
    assert local_cumulative(inputs) == pytest.approx([0.0, 0.05, 0.10])


def test_a_transfer_out_of_a_foreign_position_is_valued_at_the_previous_rate_for_the_local_return() -> None:
    # 20 SAP moved in on Monday, 10 moved out on Wednesday; same prices and rates. USD values 2000,
    # 2310, 10 x 110 x 1.2 = 1320; outflow -1320: TWR = (2310 / 2000) x ((1320 + 1320) / 2310) - 1 = 0.32.
    # Local Wednesday: 10 x 110 x 1.1 = 1210 plus the outflow at 1.1 (1210), over 2310: 110 / 105 - 1.
    sap = series("SAP", DAYS, ["100", "105", "110"])
    txs = [
        tx(1, T.TRANSFER_IN, DAYS[0], symbol="SAP", quantity=D(20), price=D(100), currency="EUR"),
        tx(2, T.TRANSFER_OUT, DAYS[2], symbol="SAP", quantity=D(10), price=D(110), currency="EUR"),
    ]
    inputs = ledger_inputs(txs, {"SAP": sap}, {"EUR": rates("EUR", ["1.0", "1.1", "1.2"])})
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.values.tolist() == pytest.approx([2000.0, 2310.0, 1320.0])
    assert s.local_returns.tolist() == pytest.approx([0.05, 110 / 105 - 1])
    twr, local, ccy = figures(inputs)
    assert twr == pytest.approx(0.32) and local == pytest.approx(0.10) and ccy == pytest.approx(0.20)


def test_a_transfer_in_of_a_foreign_position_without_a_close_yet_is_at_cost_at_the_previous_rate() -> None:
    # PRIV (EUR) has no close at all: valued at its cost, 100 EUR a unit. 10 in on Monday, 10 more on
    # Wednesday (the inflow is 10 x 100 x 1.2 = 1200 USD, at the transaction's price). USD values
    # 1000, 1100, 2400: TWR 0.20. Local Wednesday: 20 x 100 x 1.1 = 2200 less the inflow at 1.1
    # (1100), over 1100: 0. All the TWR is currency.
    txs = [
        tx(1, T.TRANSFER_IN, DAYS[0], symbol="PRIV", quantity=D(10), price=D(100), currency="EUR"),
        tx(2, T.TRANSFER_IN, DAYS[2], symbol="PRIV", quantity=D(10), price=D(100), currency="EUR"),
    ]
    inputs = ledger_inputs(txs, {}, {"EUR": rates("EUR", ["1.0", "1.1", "1.2"])})
    s = build_valuation(inputs, through=DAYS[-1], tz=NY)
    assert s.values.tolist() == pytest.approx([1000.0, 1100.0, 2400.0])
    assert s.local_returns.tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    twr, local, ccy = figures(inputs)
    assert twr == pytest.approx(0.20) and local == pytest.approx(0.0, abs=1e-15) and ccy == pytest.approx(0.20)


def test_a_ledger_foreign_deposit_moves_no_local_return() -> None:
    # The tester's repro, through the ledger: same figures as the first test.
    txs = [
        tx(1, T.DEPOSIT, DAYS[0], amount=D(1000), currency="CHF"),
        tx(2, T.DEPOSIT, DAYS[2], amount=D(1000), currency="CHF"),
    ]
    inputs = ledger_inputs(txs, {}, {"CHF": rates("CHF", ["1.0", "1.1", "1.2"])})
    twr, local, ccy = figures(inputs)
    assert twr == pytest.approx(0.20) and local == pytest.approx(0.0, abs=1e-15) and ccy == pytest.approx(0.20)
