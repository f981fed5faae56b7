"""A ledger's trades dated before their currency's first exchange rate convert at that first rate
(the earliest recorded, after the trade date), as the valuation lets an amount held before the first
rate enter at it: a purchase made before it has a known cost basis, and a later sale a known
realised P&L. Only a currency without any rate leaves a figure unknown (and is named missing). The
expected figures are computed by hand here, never from the code's own output.

(The old rule made every base-currency figure of the symbol unknown from its first trade on: a JPY
purchase two weeks before the first JPY rate gave its position no cost basis and every later sale a
realised P&L of "", summed as 0 in the portfolio's total.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from stack_cfo.core.portfolio import AnalyticsSettings, PortfolioInputs, PriceSeries, compute_summary
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.ledger import derive_ledger, group_transactions
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 3, 1, tzinfo=UTC)
ORACLE = AnalyticsSettings(min_history=0)

# Trade days (January 2024): the first JPY rate is on the 10th.
BUY_DAY, DIV_DAY, EARLY_SELL, FIRST_RATE, SECOND_RATE, LATE_SELL, LAST = (
    date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 5), date(2024, 1, 10), date(2024, 1, 11), date(2024, 1, 12),
    date(2024, 1, 16))
JPY = PriceSeries("#FX:JPY/USD", (FIRST_RATE, SECOND_RATE, LAST), (D("0.0068"), D("0.0070"), D("0.0065")))


def tx(i: int, kind: T, day: date, **kw: object) -> Transaction:
    data = TransactionInput(type=kind, trade_date=day, currency=str(kw.pop("currency", "USD")), **kw)  # type: ignore[arg-type]
    return Transaction(str(i), i, data, NOW, NOW, i)


def series(symbol: str, closes: dict[date, str]) -> PriceSeries:
    days = sorted(closes)
    return PriceSeries(symbol, tuple(days), tuple(D(closes[d]) for d in days))


def _ledger() -> list[Transaction]:
    return [
        tx(1, T.DEPOSIT, BUY_DAY, amount=D("5000")),
        tx(2, T.BUY, BUY_DAY, symbol="AAA", quantity=D(10), price=D(100), fees=D(0)),
        tx(3, T.DEPOSIT, BUY_DAY, amount=D("1000000"), currency="JPY"),
        # 100 x 3000 + 1000 = 301,000 JPY, at the first rate 0.0068: 2046.8 USD (fees 6.8)
        tx(4, T.BUY, BUY_DAY, symbol="JPX", quantity=D(100), price=D(3000), fees=D(1000), currency="JPY"),
        # 5000 - 500 = 4500 JPY at 0.0068: 30.6 USD
        tx(5, T.DIVIDEND, DIV_DAY, symbol="JPX", amount=D(5000), fees=D(500), currency="JPY"),
        # before any rate too: 62,000 JPY at 0.0068 = 421.6, cost 20/100 x 2046.8 = 409.36: +12.24
        tx(6, T.SELL, EARLY_SELL, symbol="JPX", quantity=D(20), price=D(3100), fees=D(0), currency="JPY"),
        # at its own day's rate (11 Jan, 0.0070): (96,000 - 200) x 0.0070 = 670.6, cost 30 x 20.468 = 614.04:
        # +56.56 (fees 200 x 0.0070 = 1.4)
        tx(7, T.SELL, LATE_SELL, symbol="JPX", quantity=D(30), price=D(3200), fees=D(200), currency="JPY"),
    ]


def _inputs(txs: list[Transaction], method: CostBasisMethod, fx: dict[str, PriceSeries]) -> PortfolioInputs:
    led = derive_ledger(group_transactions(txs), base="USD", method=method, fx=FxTable("USD", fx))
    prices = {
        "AAA": series("AAA", {BUY_DAY: "100", LAST: "110"}),
        "JPX": PriceSeries("JPX", (BUY_DAY, LAST), (D(3000), D(3300)), currency="JPY"),
    }
    return PortfolioInputs(holdings=(), prices=prices, cash_flows=led.flows, timeline=led.timeline,
                           ledger_figures=led.figures, fx_rates=fx)


def test_first_rate_on_or_after() -> None:
    fx = FxTable("USD", {"JPY": JPY})
    assert fx.first_rate_on_or_after("JPY", BUY_DAY) == D("0.0068")  # before the first: the first
    assert fx.first_rate_on_or_after("JPY", FIRST_RATE) == D("0.0068")
    assert fx.first_rate_on_or_after("JPY", LATE_SELL) == D("0.0065")  # the next one after the 12th
    assert fx.first_rate_on_or_after("JPY", date(2024, 1, 17)) is None
    assert fx.first_rate_on_or_after("EUR", BUY_DAY) is None
    assert fx.first_rate_on_or_after("USD", BUY_DAY) == 1
    assert fx.missing == set()  # a look-up, nothing noted


@pytest.mark.parametrize("method", [CostBasisMethod.AVERAGE_COST, CostBasisMethod.FIFO])
def test_a_purchase_before_the_first_rate_costs_its_amount_at_the_first_rate(method: CostBasisMethod) -> None:
    s = compute_summary(_inputs(_ledger(), method, {"JPY": JPY}), as_of=datetime(2024, 1, 16, 23, tzinfo=NY),
                        settings=ORACLE)
    led = s.ledger
    assert led is not None
    per = {x.symbol: x for x in led.symbols}
    assert per["JPX"].realized_pnl == D("12.24") + D("56.56")
    assert per["JPX"].income == D("30.6")
    assert per["AAA"].realized_pnl == 0
    # the portfolio's totals are the symbols' (and the cash book's) figures
    assert led.realized_pnl == D("68.8")
    assert led.income == D("30.6")
    assert led.fees == D("6.8") + D("1.4")
    assert led.missing_currencies == frozenset()
    jpx = next(p for p in s.positions if p.symbol == "JPX")
    # 50 units left of 2046.8 USD for 100: 1023.4; valued 50 x 3300 x 0.0065 = 1072.5
    assert jpx.cost_basis == D("1023.4")
    assert jpx.market_value == D("1072.5")
    assert jpx.unrealized_pnl == D("49.1")
    assert s.cost_basis == D("1000") + D("1023.4")  # AAA's and JPX's
    assert s.total_gain == D("100") + D("49.1")
    # the valuation still could not value the JPY held before the 10th: named, as documented
    assert s.missing_currencies == ("JPY",)


def test_a_summary_before_the_first_rate_reports_the_sale_at_the_first_rate() -> None:
    """As of the 8th (no JPY rate yet), the early sale's P&L is known (the first rate, recorded later, is
    an input like any other); the position itself is not valued that day, so it has no cost basis."""
    s = compute_summary(_inputs(_ledger(), CostBasisMethod.AVERAGE_COST, {"JPY": JPY}),
                        as_of=datetime(2024, 1, 8, 23, tzinfo=NY), settings=ORACLE)
    assert s.ledger is not None
    assert s.ledger.realized_pnl == D("12.24")
    jpx = next(p for p in s.positions if p.symbol == "JPX")
    assert jpx.market_value is None and jpx.cost_basis is None
    assert s.cost_basis == D(1000)


def test_a_transfer_in_before_the_first_rate_costs_its_amount_at_the_first_rate() -> None:
    txs = [tx(1, T.TRANSFER_IN, BUY_DAY, symbol="JPX", quantity=D(10), price=D(2000), currency="JPY")]
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST,
                        fx=FxTable("USD", {"JPY": JPY}))
    k = led.timeline.segment_on_or_before(LAST)
    assert led.timeline.holdings_at(k).positions[0].cost_basis_base == D(20000) * D("0.0068")


def test_a_currency_without_any_rate_stays_unknown_and_is_left_out_of_the_totals() -> None:
    txs = [
        *_ledger(),
        tx(8, T.BUY, BUY_DAY, symbol="EUX", quantity=D(10), price=D(50), fees=D(0), currency="EUR"),
        tx(9, T.SELL, LATE_SELL, symbol="EUX", quantity=D(5), price=D(60), fees=D(0), currency="EUR"),
    ]
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST,
                        fx=FxTable("USD", {"JPY": JPY}))
    f = led.figures(LAST)
    per = {x.symbol: x for x in f.symbols}
    assert per["EUX"].realized_pnl is None  # never converted at 1
    assert f.realized_pnl == D("68.8")  # the known figures: EUX's left out ...
    assert f.missing_currencies == frozenset({"EUR"})  # ... and its currency named


def test_a_symbol_whose_currency_has_no_rate_has_no_realised_pnl_or_income_even_before_a_sale() -> None:
    """portfolio.proto, PositionSummary.realized_pnl_amount and income_amount: "Empty ... when the
    symbol's currency has no exchange rate at all": a symbol bought and never sold (or never paid a
    dividend) is no exception (its realised P&L and income came out as 0, found by a contract tester)."""
    txs = [
        *_ledger(),
        tx(8, T.DEPOSIT, BUY_DAY, amount=D("300"), currency="CHF"),
        tx(9, T.BUY, BUY_DAY, symbol="CHX", quantity=D(5), price=D(50), fees=D(0), currency="CHF"),
    ]
    led = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST,
                        fx=FxTable("USD", {"JPY": JPY}))
    f = led.figures(LAST)
    per = {x.symbol: x for x in f.symbols}
    assert per["CHX"].realized_pnl is None and per["CHX"].income is None
    assert per["CHX"].quantity == 5
    assert per["JPX"].realized_pnl == D("12.24") + D("56.56")  # a currency with a rate is unaffected
    assert f.realized_pnl == D("68.8") and f.income == D("30.6")
    assert f.missing_currencies == frozenset({"CHF"})
