""":func:`~stack_cfo.core.portfolio.ledger.with_currencies`: a row sent without a currency is in the
base currency, except a SPLIT, which uses none and takes its symbol's (the ledger's, else the
batch's, else the base); a SPLIT sent with one keeps it (the ledger check judges it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

from stack_cfo.core.portfolio.ledger import with_currencies
from stack_cfo.core.portfolio.transactions import Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T

NOW = datetime(2026, 6, 12, tzinfo=UTC)
D0, D1, D2 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10)


def row(kind: T, day: date, currency: str = "", **kw: object) -> TransactionInput:
    return TransactionInput(type=kind, trade_date=day, currency=currency, **kw)  # type: ignore[arg-type]


def split(symbol: str = "NVDA", currency: str = "") -> TransactionInput:
    return row(T.SPLIT, D2, currency, symbol=symbol, split_ratio=D(10))


def stored(i: int, data: TransactionInput) -> Transaction:
    return Transaction(str(i), i, data, NOW, NOW, i)


BUY_USD = row(T.BUY, D1, "USD", symbol="NVDA", quantity=D(10), price=D(1200))


def test_a_split_without_a_currency_takes_its_symbols_from_the_ledger() -> None:
    ledger = [stored(1, row(T.DEPOSIT, D0, "EUR", amount=D(5))), stored(2, BUY_USD),
              stored(3, row(T.BUY, D0, "CHF", symbol="NESN", quantity=D(1), price=D(90)))]
    out = with_currencies([split(), split("NESN"), row(T.DEPOSIT, D2, amount=D(1))], ledger, "EUR")
    assert [r.currency for r in out] == ["USD", "CHF", "EUR"]


def test_else_from_the_batchs_earliest_row_of_the_symbol_else_the_base() -> None:
    later_gbp = row(T.BUY, D2, "GBP", symbol="NVDA", quantity=D(1), price=D(1))
    out = with_currencies([split(), later_gbp, BUY_USD, split("AAA")], [], "EUR")
    assert [r.currency for r in out] == ["USD", "GBP", "USD", "EUR"]
    # a trade without a currency is in the base currency, and so is the symbol then
    out = with_currencies([split(), row(T.BUY, D1, symbol="NVDA", quantity=D(1), price=D(1))], [], "EUR")
    assert [r.currency for r in out] == ["EUR", "EUR"]


def test_a_currency_sent_is_kept() -> None:
    out = with_currencies([split(currency="GBP"), BUY_USD], [stored(1, BUY_USD)], "EUR")
    assert [r.currency for r in out] == ["GBP", "USD"]
