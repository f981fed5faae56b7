"""A SPLIT without a currency before its symbol's first trade: it takes the symbol's recorded prices'
currency (else a stand-in, the base currency), and the symbol's first trade gives its currency to
the SPLITs stored before it without a currency
(:func:`~stack_cfo.core.portfolio.ledger.splits_taking_a_trades_currency`). A SPLIT sent with a
currency keeps it, and one sent again without a currency under its client id is the same content
whatever currency it was given (:func:`~stack_cfo.core.portfolio.ledger.same_content`)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal as D

from stack_cfo.core.portfolio.ledger import by_client_id, same_content, splits_taking_a_trades_currency, with_currencies
from stack_cfo.core.portfolio.transactions import Transaction, TransactionInput
from stack_cfo.core.portfolio.transactions import TransactionType as T

NOW = datetime(2026, 6, 12, tzinfo=UTC)
D0, D1, D2, D3 = date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 10), date(2026, 6, 11)


def row(kind: T, day: date, currency: str = "", **kw: object) -> TransactionInput:
    return TransactionInput(type=kind, trade_date=day, currency=currency, **kw)  # type: ignore[arg-type]


def split(symbol: str = "NVDA", currency: str = "", day: date = D2, *, given: bool = True) -> TransactionInput:
    """``given=False``: recorded without a currency, ``currency`` the one the store gave it."""
    return row(T.SPLIT, day, currency, symbol=symbol, split_ratio=D(10), currency_given=given)


def stand_in(symbol: str = "NVDA", currency: str = "EUR", day: date = D2) -> TransactionInput:
    return split(symbol, currency, day, given=False)


def buy(currency: str, symbol: str = "NVDA", day: date = D1) -> TransactionInput:
    return row(T.BUY, day, currency, symbol=symbol, quantity=D(10), price=D(1200))


def stored(i: int, data: TransactionInput) -> Transaction:
    return Transaction(str(i), i, data, NOW, NOW, i)


def test_a_split_takes_the_currency_of_its_symbols_prices_before_the_base() -> None:
    out = with_currencies([split(), split("AAA")], [], "EUR", {"NVDA": "USD"})
    assert [r.currency for r in out] == ["USD", "EUR"]


def test_the_symbols_trades_come_before_its_prices_and_its_stored_splits() -> None:
    ledger = [stored(1, split(currency="EUR", day=D0)), stored(2, buy("USD"))]
    assert with_currencies([split(day=D3)], ledger, "EUR", {"NVDA": "GBP"})[0].currency == "USD"
    assert with_currencies([split(day=D3), buy("CHF")], [stored(1, split(currency="EUR"))], "EUR",
                           {"NVDA": "GBP"})[0].currency == "CHF"
    # a symbol with stored splits only: another split agrees with them (the ledger check compares them)
    assert with_currencies([split(day=D3)], [stored(1, split(currency="EUR"))], "EUR",
                           {"NVDA": "USD"})[0].currency == "EUR"


def test_the_first_trade_gives_its_currency_to_the_splits_stored_before_it() -> None:
    ledger = [stored(1, stand_in()), stored(2, stand_in(day=D3)),
              stored(3, stand_in("AAA")), stored(4, stand_in("BBB", "GBP")),
              stored(5, buy("GBP", symbol="BBB"))]
    written = [stored(10, buy("USD", day=D3)), stored(11, buy("CHF", day=D0)), stored(12, buy("JPY", symbol="BBB")),
               stored(13, split("AAA", currency="EUR")), stored(14, row(T.DEPOSIT, D0, "USD", amount=D(1)))]
    # NVDA's earliest trade is the CHF one; AAA gets no trade; BBB was traded already
    assert splits_taking_a_trades_currency(ledger, written) == {"1": "CHF", "2": "CHF"}
    assert splits_taking_a_trades_currency(ledger, [stored(10, buy("EUR"))]) == {}  # already in it


def test_a_split_given_its_currency_here_is_marked_so() -> None:
    out = with_currencies([split(), split("AAA", "GBP"), buy("", "ZZZ")], [], "EUR", {"NVDA": "USD"})
    assert [(r.currency, r.currency_given) for r in out] == [("USD", False), ("GBP", True), ("EUR", True)]


def test_a_split_sent_with_a_currency_keeps_it() -> None:
    """Only a SPLIT recorded without a currency takes its symbol's first trade's: one sent with a
    currency keeps it, and the ledger check refuses the trade (as it does in one batch)."""
    ledger = [stored(1, split(currency="GBP")), stored(2, split("AAA", currency="EUR"))]
    assert splits_taking_a_trades_currency(ledger, [stored(10, buy("USD")), stored(11, buy("USD", "AAA"))]) == {}
    # beside a stand-in of its symbol: only the stand-in is relabelled
    ledger = [stored(1, stand_in(currency="USD")), stored(2, split(currency="USD", day=D3))]
    assert splits_taking_a_trades_currency(ledger, [stored(10, buy("CHF"))]) == {"1": "CHF"}


def test_a_split_sent_again_without_a_currency_is_the_same_whatever_currency_it_was_given() -> None:
    recorded = dataclasses.replace(stand_in(currency="USD"), client_id="s1")  # a stand-in relabelled since
    again = dataclasses.replace(stand_in(currency="GBP"), client_id="s1")  # without a currency, given GBP now
    assert same_content(recorded, again)
    assert by_client_id([again], {"s1": stored(1, recorded)}) == [stored(1, recorded)]
    # sent with a currency: compared with the recorded one
    assert not same_content(recorded, dataclasses.replace(again, currency_given=True))
    assert same_content(recorded, dataclasses.replace(again, currency="USD", currency_given=True))
    # recorded with a currency: compared with it (the store gives a split sent without one its symbol's)
    assert not same_content(dataclasses.replace(recorded, currency_given=True), again)
    # other content is other content
    assert not same_content(recorded, dataclasses.replace(again, split_ratio=D(2)))
    assert not same_content(dataclasses.replace(buy("USD"), currency_given=False),
                            dataclasses.replace(buy("GBP"), currency_given=False))
