"""Which transaction types may carry `fees`, and what they do.

* TRANSFER_IN / TRANSFER_OUT move units, not cash ("Cash is unchanged"): a fee on them used to be
  accepted and silently ignored (no cash, no fees_amount). It is now UNEXPECTED_FIELD, like on a
  SPLIT; a transfer's fee is its own FEE transaction. A "0" fee stays accepted (as empty).
* DEPOSIT / WITHDRAWAL fees (a wire fee) are kept: the money leaving the cash is amount -/+ fees,
  the external flow is the amount, and the fee counts in fees_amount.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.ledger import CASH_BOOK, derive_ledger, group_transactions
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput, validate_transaction
from stack_cfo.core.portfolio.transactions import TransactionType as T

NOW = datetime(2024, 3, 1, tzinfo=UTC)
DAY = date(2024, 2, 1)


def _validate(kind: T, **kw: object) -> TransactionInput:
    t = TransactionInput(type=kind, trade_date=DAY, **kw)  # type: ignore[arg-type]
    return validate_transaction(t, "transactions[3]", base_currency="USD", now=NOW)


@pytest.mark.parametrize("kind", [T.TRANSFER_IN, T.TRANSFER_OUT])
def test_transfer_fees_are_unexpected(kind: T) -> None:
    with pytest.raises(InvalidArgument) as err:
        _validate(kind, symbol="AAA", quantity=D(10), price=D(5), fees=D(2))
    assert err.value.reason == "UNEXPECTED_FIELD"
    assert [v.field for v in err.value.violations] == ["transactions[3].fees"]
    assert err.value.metadata["field"] == "transactions[3].fees"


@pytest.mark.parametrize("kind", [T.TRANSFER_IN, T.TRANSFER_OUT])
@pytest.mark.parametrize("fees", [None, D(0), D("0.00")])
def test_transfer_without_fees_is_accepted(kind: T, fees: D | None) -> None:
    row = _validate(kind, symbol="AAA", quantity=D(10), price=D(5), fees=fees)
    assert row.fees == 0


@pytest.mark.parametrize("kind", [T.BUY, T.SELL])
def test_trade_fees_still_accepted(kind: T) -> None:
    assert _validate(kind, symbol="AAA", quantity=D(10), price=D(5), fees=D(2)).fees == D(2)


@pytest.mark.parametrize("kind", [T.DEPOSIT, T.WITHDRAWAL])
def test_deposit_and_withdrawal_fees_are_accepted(kind: T) -> None:
    assert _validate(kind, amount=D(100), fees=D(5)).fees == D(5)


def _tx(i: int, data: TransactionInput) -> Transaction:
    return Transaction(str(i), i, data, NOW, NOW, i)


def test_deposit_and_withdrawal_fees_effects() -> None:
    """The kept behaviour, pinned: cash moves by amount -/+ fees, the flow is the amount, fees count."""
    rows = [
        _tx(1, _validate(T.DEPOSIT, amount=D(1000), fees=D(10))),
        _tx(2, _validate(T.WITHDRAWAL, amount=D(100), fees=D(5))),
    ]
    led = derive_ledger(group_transactions(rows), base="USD", method=CostBasisMethod.AVERAGE_COST,
                        fx=FxTable("USD", {}))
    book = led.books[CASH_BOOK]
    assert [c for _, _, c in book.cash] == [D(990), D(-105)]
    assert [f for _, _, f in book.flows] == [D(1000), D(-100)]
    assert led.figures(DAY).fees == D(15)
