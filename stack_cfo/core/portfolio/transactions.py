"""The transactions ledger's inputs: transaction types, commands, limits and validation.

A transaction is one entry of a portfolio's ledger (the contract's ``Transaction``). Validation
here is per row and needs nothing stored: required fields per type, signs, ranges, dates (not in
the future, not before 1970), currencies (ISO 4217) and split ratios. Rules that need the whole
ledger (a sale beyond the units held, one currency per symbol, a client id reused with other
content) are :mod:`.ledger`'s and the store's. Every error names the request's field path with
the row (``transactions[17].quantity``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from stack_cfo.core.errors import InvalidArgument
from stack_cfo.core.portfolio.inputs import (
    MAX_AMOUNT,
    MAX_PRICE,
    MAX_QUANTITY,
    _bad,
    _bounded,
    check_currency,
    check_not_future,
    normalize_symbol,
)
from stack_cfo.core.wire import LARGEST_PART

#: Transactions per BatchCreateTransactions call (the importer writes larger files in one database
#: transaction through the same service method, without this per-call bound).
MAX_TRANSACTIONS_PER_BATCH = 10_000
MAX_CLIENT_ID_CHARS = 128
MAX_NOTE_CHARS = 500
#: Split ratios (new units per old unit) are below this.
MAX_SPLIT_RATIO = Decimal(10) ** 6
#: The ledger's calendar starts here: earlier trade dates are refused (OUT_OF_RANGE).
EARLIEST_TRADE_DATE = date(1970, 1, 1)


class TransactionType(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    DIVIDEND = "DIVIDEND"
    INTEREST = "INTEREST"
    FEE = "FEE"
    TAX = "TAX"
    SPLIT = "SPLIT"
    DEPOSIT = "DEPOSIT"
    WITHDRAWAL = "WITHDRAWAL"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"


#: Types that move units of a symbol at a price.
TRADES = frozenset({TransactionType.BUY, TransactionType.SELL, TransactionType.TRANSFER_IN,
                    TransactionType.TRANSFER_OUT})
#: Types carrying a cash amount.
CASH_TYPES = frozenset({TransactionType.DIVIDEND, TransactionType.INTEREST, TransactionType.FEE, TransactionType.TAX,
                        TransactionType.DEPOSIT, TransactionType.WITHDRAWAL})
#: Types that must name a symbol.
SYMBOL_TYPES = TRADES | {TransactionType.DIVIDEND, TransactionType.SPLIT}


class CostBasisMethod(StrEnum):
    AVERAGE_COST = "AVERAGE_COST"
    FIFO = "FIFO"


@dataclass(frozen=True, slots=True)
class TransactionInput:
    """A transaction as a caller sends it (``currency`` empty = the base currency, ``fees`` None = 0)."""

    type: TransactionType | None
    trade_date: date | None
    symbol: str = ""
    quantity: Decimal | None = None
    price: Decimal | None = None
    amount: Decimal | None = None
    currency: str = ""
    fees: Decimal | None = None
    split_ratio: Decimal | None = None
    client_id: str = ""
    note: str = ""
    #: False for a SPLIT recorded without a currency: its currency is the store's choice (its symbol's,
    #: or a stand-in until the symbol's first trade, which it then takes), so a later trade may relabel
    #: it, and the same SPLIT sent again without a currency is the same content whatever currency it
    #: was given. A SPLIT sent with a currency keeps it (another trade's is CURRENCY_MISMATCH). Not
    #: part of :meth:`content` nor of equality.
    currency_given: bool = field(default=True, compare=False)

    def content(self) -> tuple[object, ...]:
        """What makes two records of one client id the same transaction (Decimals compared by value)."""
        return (self.type, self.trade_date, self.symbol, self.quantity, self.price, self.amount, self.currency,
                self.fees or Decimal(0), self.split_ratio, self.note)


@dataclass(frozen=True, slots=True)
class Transaction:
    """A stored transaction: a validated input with its id, order of recording and times."""

    id: str
    seq: int
    data: TransactionInput
    created_at: datetime
    updated_at: datetime
    #: Changes on every write of this transaction (unique across the store): with the count, the
    #: signature that tells whether a group of transactions changed since it was derived.
    revision: int = 0

    @property
    def type(self) -> TransactionType:
        assert self.data.type is not None
        return self.data.type

    @property
    def trade_date(self) -> date:
        assert self.data.trade_date is not None
        return self.data.trade_date


@dataclass(frozen=True, slots=True)
class BatchCreateCommand:
    """``transactions``: one per row of the request. ``malformed``: the rows whose values did not parse
    (a decimal, a date, an enum number), by index, with their problem: refused and reported with every
    other problem of the batch; their entry of ``transactions`` holds anything (it is not looked at)."""

    user_id: str
    transactions: tuple[TransactionInput, ...]
    base_currency: str = ""
    malformed: Mapping[int, InvalidArgument] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchCreateResult:
    #: In request order, as stored.
    transactions: tuple[Transaction, ...]
    created: int
    existing: int


#: Fields UpdateTransaction may replace (the contract's names).
MUTABLE_FIELDS = ("type", "trade_date", "symbol", "quantity", "price", "amount", "currency", "fees", "split_ratio",
                  "note")


def _positive(value: Decimal | None, path: str, limit: Decimal, reason: str, *, zero_ok: bool = False) -> None:
    if value is None:
        raise _bad(path, "is required", "MISSING_FIELD")
    if not value.is_finite() or value < 0 or (value == 0 and not zero_ok):
        raise _bad(path, "must be greater than zero" if not zero_ok else "must not be negative", reason,
                   value=str(value))
    _bounded(value, limit, path)


def _unused(value: object, path: str, kind: TransactionType) -> None:
    if value is not None and value != "":
        raise _bad(path, f"must be empty for a {kind.value} transaction", "UNEXPECTED_FIELD")


def validate_transaction(t: TransactionInput, path: str, *, base_currency: str, now: datetime) -> TransactionInput:
    """One row, normalised (upper-case symbol, currency resolved, fees 0 when empty)."""
    if t.type is None:
        raise _bad(f"{path}.type", "is required", "MISSING_FIELD")
    kind = t.type
    if t.trade_date is None:
        raise _bad(f"{path}.trade_date", "is required", "MISSING_FIELD")
    if t.trade_date < EARLIEST_TRADE_DATE:
        raise _bad(f"{path}.trade_date", f"must be on or after {EARLIEST_TRADE_DATE.isoformat()}", "OUT_OF_RANGE",
                   value=t.trade_date.isoformat())
    check_not_future(t.trade_date, now, f"{path}.trade_date")
    symbol = ""
    if t.symbol:
        symbol = normalize_symbol(t.symbol, f"{path}.symbol")
    elif kind in SYMBOL_TYPES:
        raise _bad(f"{path}.symbol", f"is required for a {kind.value} transaction", "MISSING_FIELD")
    currency = check_currency(t.currency or base_currency, f"{path}.currency")
    fees = t.fees if t.fees is not None else Decimal(0)
    _positive(fees, f"{path}.fees", MAX_AMOUNT, "NEGATIVE_AMOUNT", zero_ok=True)
    if kind in TRADES:
        _positive(t.quantity, f"{path}.quantity", MAX_QUANTITY, "NEGATIVE_QUANTITY")
        _positive(t.price, f"{path}.price", MAX_PRICE, "NEGATIVE_PRICE", zero_ok=True)
        _unused(t.amount, f"{path}.amount", kind)
        _unused(t.split_ratio, f"{path}.split_ratio", kind)
        if fees and kind in (TransactionType.TRANSFER_IN, TransactionType.TRANSFER_OUT):
            # A transfer moves units, not cash ("cash is unchanged"): a fee would be ignored. A fee the
            # transfer cost is its own FEE transaction.
            raise _bad(f"{path}.fees", f"must be empty for a {kind.value} transaction (record a transfer's "
                       "fee as a FEE transaction)", "UNEXPECTED_FIELD")
    elif kind in CASH_TYPES:
        _positive(t.amount, f"{path}.amount", MAX_AMOUNT, "NEGATIVE_AMOUNT")
        _unused(t.quantity, f"{path}.quantity", kind)
        _unused(t.price, f"{path}.price", kind)
        _unused(t.split_ratio, f"{path}.split_ratio", kind)
    else:  # SPLIT
        r = t.split_ratio
        if r is None:
            raise _bad(f"{path}.split_ratio", "is required for a SPLIT", "MISSING_FIELD")
        if not r.is_finite() or r <= 0:
            raise _bad(f"{path}.split_ratio", "must be greater than zero (new units per old unit)",
                       "INVALID_SPLIT_RATIO", value=str(r)[:40])
        _bounded(r, MAX_SPLIT_RATIO, f"{path}.split_ratio")
        for name in ("quantity", "price", "amount"):
            _unused(getattr(t, name), f"{path}.{name}", kind)
        if fees:
            raise _bad(f"{path}.fees", "must be empty for a SPLIT transaction", "UNEXPECTED_FIELD")
    if len(t.client_id) > MAX_CLIENT_ID_CHARS:
        raise _bad(f"{path}.client_id", f"must be at most {MAX_CLIENT_ID_CHARS} characters", "TEXT_TOO_LONG",
                   max_chars=MAX_CLIENT_ID_CHARS)
    if len(t.note) > MAX_NOTE_CHARS:
        raise _bad(f"{path}.note", f"must be at most {MAX_NOTE_CHARS} characters", "TEXT_TOO_LONG",
                   max_chars=MAX_NOTE_CHARS)
    for name, text in (("client_id", t.client_id), ("note", t.note)):
        if "\x00" in text:  # as the API's decoding refuses it (PostgreSQL text cannot hold it)
            raise _bad(f"{path}.{name}", "must not contain the NUL character (U+0000)", "INVALID_TEXT")
    return dataclasses.replace(t, symbol=symbol, currency=currency, fees=fees)


#: What a stored transaction in BatchCreateTransactions' answer adds to its row of the request, at most:
#: its name (about 105 bytes), two timestamps, a filled-in currency and decimals written out in full
#: (137 bytes measured for a plain row).
RESPONSE_BYTES_PER_ROW = 200
#: The largest answer a batch may need: what a gRPC client receives by default, less room for the rest.
MAX_BATCH_RESPONSE_BYTES = LARGEST_PART


def batch_too_large(request_bytes: int, count: int) -> Exception | None:
    """A batch whose answer (every transaction as stored) could not fit a 4 MiB message: the answer
    comes after the write, so a batch that big is refused before anything is written (the write would
    succeed and its answer fail, or be unsendable past the server's 8 MiB)."""
    answer = request_bytes + RESPONSE_BYTES_PER_ROW * count
    if answer <= MAX_BATCH_RESPONSE_BYTES:
        return None
    return _bad("transactions", f"the answer to {count} transactions of {request_bytes} bytes would pass "
                f"{MAX_BATCH_RESPONSE_BYTES} bytes: send fewer per call", "BATCH_TOO_LARGE",
                max_bytes=MAX_BATCH_RESPONSE_BYTES, response_bytes=answer)


def too_many_transactions(count: int, limit: int = MAX_TRANSACTIONS_PER_BATCH) -> Exception:
    return _bad("transactions", f"at most {limit} transactions per call, got {count}", "TOO_MANY_TRANSACTIONS",
                limit=limit, count=count)


def client_id_reused(path: str, client_id: str, where: str) -> Exception:
    """``where``: the transaction that has the client id (its name), or the batch's row (``transactions[4]``),
    also in metadata ``recorded`` (the importer names that row's line of the file)."""
    return _bad(path, f"client_id {client_id[:64]!r} is already recorded ({where}) with different content",
                "CLIENT_ID_REUSED", client_id=client_id[:64], recorded=where)
