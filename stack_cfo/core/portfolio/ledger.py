"""From a transactions ledger to daily holdings, cash, cost basis, realised P&L and income.

**Books.** Transactions are grouped by symbol (BUY, SELL, TRANSFER_IN/OUT, DIVIDEND, SPLIT); the
others (DEPOSIT, WITHDRAWAL, INTEREST, FEE, TAX) form the cash book (group ``""``). Each group is
replayed on its own in trade-date order (ties in recording order) into a :class:`Book`: the state
after each trade date. A symbol's book is in the symbol's currency, its trades' (else its SPLITs'):
a DIVIDEND moves cash in its own, which may be another (a foreign stock's dividend paid in the base
currency), converted as any cash. Groups are independent, so a correction re-derives only the groups it
touches (:func:`derive_ledger` reuses the books it is given): the incremental path.

**Per transaction** (money in the transaction's currency; base-currency figures at the latest
exchange rate on or before the trade date, see *Exchange rates* below):

* BUY q at p, fees f: units += q; cost += q p + f; cash -= q p + f; fees += f.
* SELL q at p, fees f: units -= q (beyond the units held: :class:`Oversold`); proceeds q p - f;
  cash += proceeds; the cost removed is, with **average cost**, cost x q / units, with **FIFO**
  the oldest lots' cost; realised P&L += proceeds (base, at the sale's rate) - cost removed (base,
  at the purchases' rates); fees += f.
* TRANSFER_IN q at p: units += q, cost += q p (a lot); cash unchanged; the external flow is
  the units' market value that day (q x the valuation's close, see :mod:`.valuation`), q p
  only for a symbol without any close.
* TRANSFER_OUT q at p: units -= q, cost removed as a sale's but nothing realised; the external
  outflow is the units' market value that day (as TRANSFER_IN's inflow), their cost removed for a
  symbol without any close (as the day's value counts them): the units leaving are not a loss,
  whatever ``p`` says.
* DIVIDEND a, fees f and INTEREST a, fees f: cash += a - f; income += a - f.
* FEE a and TAX a (fees f): cash -= a + f; fees += a + f.
* DEPOSIT a (fees f): cash += a - f, flow + a; WITHDRAWAL a: cash -= a + f, flow - a; fees += f.
* SPLIT r: units (and every FIFO lot) x r; costs unchanged.

**Exchange rates** (:func:`book_rate`). Every base-currency figure of a transaction (a purchase's
cost and fees, a sale's proceeds, a dividend, a fee) converts at the latest rate on or before its
trade date. A transaction dated before its currency's first rate converts at that **first rate**
(the earliest recorded, after the trade date), as the valuation lets an amount held before a
currency's first rate enter at that rate (:mod:`.valuation`): a purchase made before the first rate
has a known cost basis, and a later sale (at its own day's rate) a known realised P&L. The first
rate is the first recorded, whatever the as-of day: a summary as of a day before it uses it too
(the position itself is not valued until that day). Only a currency without any rate leaves a
figure unknown (``None``; from then on for its book, whose totals it is part of), and the currency
is reported missing: never converted at 1. :meth:`Ledger.figures` sums the known figures: an
unknown one is left out of the portfolio's totals and its currency named.

**Timeline.** The union of all groups' trade dates gives the segments of a
:class:`~.models.HoldingsTimeline`: units and cost per symbol, cash per currency, as arrays the
valuation multiplies by prices and rates (:mod:`.valuation`), and exact holdings per segment on
demand. External flows are converted at their day's rate.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext

import numpy as np

from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.models import (
    EXACT_DIGITS,
    CashFlow,
    FloatArray,
    Holdings,
    HoldingsTimeline,
    LedgerFigures,
    Position,
    SymbolLedger,
)
from stack_cfo.core.portfolio.transactions import (
    TRADES,
    CostBasisMethod,
    Transaction,
    TransactionInput,
    TransactionType,
)

_ZERO = Decimal(0)
_PRECISION = EXACT_DIGITS
CASH_BOOK = ""

T = TransactionType


class Oversold(Exception):
    """A SELL or TRANSFER_OUT beyond the units held on its trade date."""

    def __init__(self, transaction: Transaction, held: Decimal) -> None:
        super().__init__(f"{transaction.data.symbol}: sells {transaction.data.quantity} on "
                         f"{transaction.trade_date.isoformat()} with {held} held")
        self.transaction = transaction
        self.held = held


def group_of(t: Transaction) -> str:
    """The book a transaction belongs to: its symbol for trades, dividends and splits, else cash."""
    kind = t.type
    if kind in (T.DEPOSIT, T.WITHDRAWAL, T.INTEREST, T.FEE, T.TAX):
        return CASH_BOOK
    return t.data.symbol


def shares_symbol_currency(t: Transaction) -> bool:
    """Whether ``t`` is in its symbol's currency: a trade (BUY, SELL, TRANSFER_IN/OUT) or a SPLIT. A
    DIVIDEND (as a cash row naming a symbol for reference) moves cash in its own currency, which a
    broker may choose (a foreign stock's dividend paid in the base currency): it neither says the
    symbol's currency nor has to be in it."""
    return t.type in TRADES or t.type is T.SPLIT


def trading_currency(rows: Sequence[Transaction]) -> str | None:
    """The currency of a symbol's book (``rows`` in trade-date order): its first trade's, else its
    first SPLIT's, else ``None`` (dividends only)."""
    first = next((t for t in rows if t.type in TRADES), None) or next((t for t in rows if t.type is T.SPLIT), None)
    return first.data.currency if first is not None else None


def group_transactions(transactions: Iterable[Transaction]) -> dict[str, list[Transaction]]:
    out: dict[str, list[Transaction]] = {}
    for t in transactions:
        out.setdefault(group_of(t), []).append(t)
    for rows in out.values():
        rows.sort(key=lambda t: (t.trade_date, t.seq))
    return out


@dataclass(slots=True)
class Book:
    """One group's state after each of its trade dates (parallel lists, one entry per date)."""

    group: str
    #: The symbol's currency (:func:`trading_currency`); ``None`` for the cash book, and for a symbol
    #: with only dividends (each moves cash in its own currency: none says the symbol's).
    currency: str | None
    ordinals: list[int] = field(default_factory=list)
    quantity: list[Decimal] = field(default_factory=list)
    cost: list[Decimal] = field(default_factory=list)
    cost_base: list[Decimal | None] = field(default_factory=list)
    realized: list[Decimal | None] = field(default_factory=list)
    income: list[Decimal | None] = field(default_factory=list)
    fees: list[Decimal | None] = field(default_factory=list)
    #: (ordinal, currency, signed cash change) per transaction.
    cash: list[tuple[int, str, Decimal]] = field(default_factory=list)
    #: (ordinal, currency, signed external flow) per flow.
    flows: list[tuple[int, str, Decimal]] = field(default_factory=list)
    #: (index in ``flows``, signed quantity) of each TRANSFER_IN (+) and TRANSFER_OUT (-): valued at
    #: market by the valuation.
    transfers: list[tuple[int, Decimal]] = field(default_factory=list)
    #: (ordinal, ratio) of each SPLIT, in date order.
    splits: list[tuple[int, Decimal]] = field(default_factory=list)
    #: Currencies a base-currency figure of this book could not be converted from.
    missing: set[str] = field(default_factory=set)
    # Built once by freeze(): arrays for the timeline, running cash per currency.
    ords_array: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    quantity_f: FloatArray = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    cost_f: FloatArray = field(default_factory=lambda: np.empty(0, dtype=np.float64))
    #: currency -> (ordinals, float changes, exact running balance within this book)
    cash_by_ccy: dict[str, tuple[np.ndarray, FloatArray, list[Decimal]]] = field(default_factory=dict)

    def at(self, ordinal: int) -> int:
        """Index of the state in force on ``ordinal``; -1 before the first trade date."""
        return bisect_right(self.ordinals, ordinal) - 1

    def freeze(self) -> Book:
        self.ords_array = np.asarray(self.ordinals, dtype=np.int64)
        self.quantity_f = np.fromiter((float(x) for x in self.quantity), dtype=np.float64, count=len(self.quantity))
        self.cost_f = np.fromiter((float(x) for x in self.cost), dtype=np.float64, count=len(self.cost))
        per: dict[str, list[tuple[int, Decimal]]] = {}
        for o, ccy, delta in self.cash:
            per.setdefault(ccy, []).append((o, delta))
        for ccy, events in per.items():  # already in trade-date order
            running: list[Decimal] = []
            total = _ZERO
            with localcontext() as ctx:
                ctx.prec = _PRECISION  # exact: 10^12 units x 10^12 is 24 digits before the 8 after the point
                for _, delta in events:
                    total += delta
                    running.append(total)
            self.cash_by_ccy[ccy] = (
                np.fromiter((e[0] for e in events), dtype=np.int64, count=len(events)),
                np.fromiter((float(e[1]) for e in events), dtype=np.float64, count=len(events)),
                running,
            )
        return self

    def cash_at(self, ccy: str, ordinal: int) -> Decimal:
        entry = self.cash_by_ccy.get(ccy)
        if entry is None:
            return _ZERO
        i = int(entry[0].searchsorted(ordinal, side="right")) - 1
        return entry[2][i] if i >= 0 else _ZERO


def _plus(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else a + b


def _times(a: Decimal, rate: Decimal | None) -> Decimal | None:
    """``a`` in base currency; unknown without a rate, except nothing, which needs none (a deposit
    without fees in a currency not yet rated made every later fee total unknown)."""
    if not a:
        return _ZERO
    return None if rate is None else a * rate


def book_rate(fx: FxTable, currency: str, day: date) -> Decimal | None:
    """The rate a book converts an amount dated ``day`` at: the latest on or before ``day``, else the
    currency's first rate (recorded after ``day``); ``None``, and the currency noted missing in
    ``fx``, only when the currency has no rate at all. Exactly 1 for the base currency."""
    rate = fx.rate_if_any(currency, day)
    if rate is None:
        rate = fx.first_rate_on_or_after(currency, day)
    if rate is None:
        fx.missing.add(currency)
    return rate


def derive_book(group: str, rows: Sequence[Transaction], *, base: str, method: CostBasisMethod, fx: FxTable) -> Book:
    """Replay one group (sorted by trade date, then recording order). Raises :class:`Oversold`."""
    book = Book(group, trading_currency(rows) if group != CASH_BOOK else None)
    units = _ZERO
    cost = _ZERO
    cost_base: Decimal | None = _ZERO
    realized: Decimal | None = _ZERO
    income: Decimal | None = _ZERO
    fees: Decimal | None = _ZERO
    lots: deque[list[Decimal | None]] = deque()  # [units, cost, cost_base] oldest first (FIFO)
    fifo = method is CostBasisMethod.FIFO
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for t in rows:
            d = t.data
            kind = t.type
            day = t.trade_date
            o = day.toordinal()
            ccy = d.currency
            rate = book_rate(fx, ccy, day) if ccy != base else Decimal(1)
            if rate is None:
                book.missing.add(ccy)
            f = d.fees or _ZERO
            if kind in (T.BUY, T.TRANSFER_IN):
                q, p = d.quantity, d.price
                assert q is not None and p is not None
                add = q * p + (f if kind is T.BUY else _ZERO)
                units += q
                cost += add
                add_base = _times(add, rate)
                cost_base = _plus(cost_base, add_base)
                if fifo:
                    lots.append([q, add, add_base])
                if kind is T.BUY:
                    book.cash.append((o, ccy, -add))
                    fees = _plus(fees, _times(f, rate))
                else:
                    book.flows.append((o, ccy, q * p))
                    book.transfers.append((len(book.flows) - 1, q))
            elif kind in (T.SELL, T.TRANSFER_OUT):
                q, p = d.quantity, d.price
                assert q is not None and p is not None
                if q > units:
                    raise Oversold(t, units)
                if fifo:
                    removed, removed_base = _consume(lots, q)
                else:
                    removed = cost * q / units
                    removed_base = cost_base * q / units if cost_base is not None else None
                units -= q
                cost -= removed
                cost_base = cost_base - removed_base if cost_base is not None and removed_base is not None else None
                if units == 0:  # no rounding residue on a closed position
                    cost, cost_base = _ZERO, (_ZERO if cost_base is not None else None)
                if kind is T.SELL:
                    proceeds = q * p - f
                    book.cash.append((o, ccy, proceeds))
                    gain = _times(proceeds, rate)
                    realized = realized + gain - removed_base if (
                        realized is not None and gain is not None and removed_base is not None) else None
                    fees = _plus(fees, _times(f, rate))
                else:  # an outflow of the units' market value, as a TRANSFER_IN is an inflow of it
                    # (of their cost, as the day's value counts them, while the symbol has no close)
                    book.flows.append((o, ccy, -removed))
                    book.transfers.append((len(book.flows) - 1, -q))
            elif kind in (T.DIVIDEND, T.INTEREST):
                assert d.amount is not None
                net = d.amount - f
                book.cash.append((o, ccy, net))
                income = _plus(income, _times(net, rate))
            elif kind in (T.FEE, T.TAX):
                assert d.amount is not None
                paid = d.amount + f
                book.cash.append((o, ccy, -paid))
                fees = _plus(fees, _times(paid, rate))
            elif kind is T.DEPOSIT:
                assert d.amount is not None
                book.cash.append((o, ccy, d.amount - f))
                book.flows.append((o, ccy, d.amount))
                fees = _plus(fees, _times(f, rate))
            elif kind is T.WITHDRAWAL:
                assert d.amount is not None
                book.cash.append((o, ccy, -(d.amount + f)))
                book.flows.append((o, ccy, -d.amount))
                fees = _plus(fees, _times(f, rate))
            elif kind is T.SPLIT:
                assert d.split_ratio is not None
                units *= d.split_ratio
                book.splits.append((o, d.split_ratio))
                for lot in lots:
                    assert lot[0] is not None
                    lot[0] *= d.split_ratio
            if book.ordinals and book.ordinals[-1] == o:
                book.quantity[-1], book.cost[-1], book.cost_base[-1] = units, cost, cost_base
                book.realized[-1], book.income[-1], book.fees[-1] = realized, income, fees
            else:
                book.ordinals.append(o)
                book.quantity.append(units)
                book.cost.append(cost)
                book.cost_base.append(cost_base)
                book.realized.append(realized)
                book.income.append(income)
                book.fees.append(fees)
    return book.freeze()


def _consume(lots: deque[list[Decimal | None]], q: Decimal) -> tuple[Decimal, Decimal | None]:
    """Take ``q`` units from the oldest lots: (cost removed, base cost removed or None)."""
    removed = _ZERO
    removed_base: Decimal | None = _ZERO
    left = q
    while left > 0 and lots:
        lot = lots[0]
        lot_units, lot_cost, lot_base = lot
        assert lot_units is not None and lot_cost is not None
        take = min(left, lot_units)
        if take == lot_units:
            part, part_base = lot_cost, lot_base
            lots.popleft()
        else:
            part = lot_cost * take / lot_units
            part_base = lot_base * take / lot_units if lot_base is not None else None
            lot[0], lot[1] = lot_units - take, lot_cost - part
            lot[2] = lot_base - part_base if lot_base is not None and part_base is not None else None
        removed += part
        removed_base = _plus(removed_base, part_base)
        left -= take
    return removed, removed_base


@dataclass(frozen=True, slots=True)
class Ledger:
    """A derived ledger: its books, the holdings timeline and the external flows in base currency."""

    base_currency: str
    method: CostBasisMethod
    books: Mapping[str, Book]
    timeline: HoldingsTimeline
    flows: tuple[CashFlow, ...]
    missing: frozenset[str]
    #: The symbols' books, computed once (:attr:`symbols` is read per symbol by callers).
    _symbols: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_symbols", frozenset(g for g in self.books if g != CASH_BOOK))

    @property
    def symbols(self) -> frozenset[str]:
        return self._symbols

    def current_symbols(self) -> frozenset[str]:
        return frozenset(g for g, b in self.books.items() if g != CASH_BOOK and b.quantity and b.quantity[-1] != 0)

    def figures(self, day: date) -> LedgerFigures:
        """Realised P&L, income and fees up to and including ``day``: the portfolio's totals are the
        sums of the books' known figures (each symbol's, as reported per symbol, and the cash
        book's); a figure unknown for want of any rate of its currency is left out of them and its
        currency named in ``missing_currencies``."""
        o = day.toordinal()
        realized = income = fees = _ZERO
        missing = set()
        per_symbol = []
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            for g in sorted(self.books):
                b = self.books[g]
                i = b.at(o)
                if i < 0:
                    continue
                r, inc, fee = b.realized[i], b.income[i], b.fees[i]
                if b.currency is not None and b.currency in b.missing:
                    # The symbol's currency has no rate at all: its figures are unknown, even an
                    # amount that would be 0 in any currency (no sale yet), as the contract has it.
                    r = inc = None
                for value in (r, inc, fee):
                    if value is None:
                        missing |= b.missing
                realized += r or _ZERO
                income += inc or _ZERO
                fees += fee or _ZERO
                if g != CASH_BOOK:
                    per_symbol.append(SymbolLedger(g, b.currency or self.base_currency, b.quantity[i], r, inc))
        return LedgerFigures(self.method.value, realized, income, fees, tuple(per_symbol), frozenset(missing))


def derive_ledger(
    groups: Mapping[str, Sequence[Transaction]],
    *,
    base: str,
    method: CostBasisMethod,
    fx: FxTable,
    books: Mapping[str, Book] | None = None,
    as_of: datetime | None = None,
) -> Ledger:
    """The ledger of ``groups`` (see :func:`group_transactions`). ``books`` are reused as they are
    for the groups they cover (the caller knows those groups did not change): a correction
    re-derives only the groups it touched. Raises :class:`Oversold`."""
    reuse = books or {}
    derived: dict[str, Book] = {}
    for g in sorted(set(groups) | set(reuse)):
        b = reuse.get(g)
        rows = groups.get(g) or ()
        if b is None and rows:
            b = derive_book(g, rows, base=base, method=method, fx=fx)
        if b is not None:
            derived[g] = b
    timeline, missing_cash = _timeline(derived, base, as_of or datetime.now(UTC))
    flows, missing_flows = _flows(derived, base, fx)
    missing = frozenset(missing_cash | missing_flows | {c for b in derived.values() for c in b.missing})
    return Ledger(base, method, derived, timeline, flows, missing)


def _flows(books: Mapping[str, Book], base: str, fx: FxTable) -> tuple[tuple[CashFlow, ...], set[str]]:
    out: list[CashFlow] = []
    missing: set[str] = set()
    for g, b in books.items():
        moved = dict(b.transfers)
        for i, (o, ccy, amount) in enumerate(b.flows):
            day = date.fromordinal(o)
            rate = fx.rate(ccy, day) if ccy != base else Decimal(1)
            if rate is None:
                missing.add(ccy)
                continue
            units = (g, moved[i], ccy) if i in moved else None
            if units is None and ccy != base:
                # cash kept in its currency: the valuation converts it (at the day's rate for the
                # return, at the previous valuation day's for the local return)
                out.append(CashFlow(day, amount, currency=ccy))
            else:
                out.append(CashFlow(day, amount * rate, units=units))
    return tuple(out), missing


def _timeline(books: Mapping[str, Book], base: str, as_of: datetime) -> tuple[HoldingsTimeline, set[str]]:
    symbol_books = [books[g] for g in sorted(books) if g != CASH_BOOK]
    ords = [b.ords_array for b in books.values()]
    effective = np.unique(np.concatenate(ords)) if ords else np.empty(0, dtype=np.int64)
    n = len(effective)
    quantities = np.zeros((len(symbol_books), n), dtype=np.float64)
    zero = np.zeros(1, dtype=np.float64)
    for j, b in enumerate(symbol_books):
        idx = b.ords_array.searchsorted(effective, side="right")  # 0 before the first trade date
        np.take(np.concatenate((zero, b.quantity_f)), idx, out=quantities[j])

    def cost_row(j: int) -> FloatArray:
        b = symbol_books[j]
        idx = b.ords_array.searchsorted(effective, side="right")
        return np.concatenate((zero, b.cost_f))[idx]
    # Cash per currency: the running sum of every book's cash changes, on each segment.
    parts: dict[str, list[tuple[np.ndarray, FloatArray]]] = {}
    for b in books.values():
        for ccy, (o, delta, _) in b.cash_by_ccy.items():
            parts.setdefault(ccy, []).append((o, delta))
    cash: dict[str, np.ndarray] = {base: np.zeros(n, dtype=np.float64)}
    for ccy, chunks in parts.items():
        e_ords = np.concatenate([c[0] for c in chunks])
        deltas = np.concatenate([c[1] for c in chunks])
        order = np.argsort(e_ords, kind="stable")
        e_ords, running = e_ords[order], np.cumsum(deltas[order])
        idx = e_ords.searchsorted(effective, side="right") - 1
        cash[ccy] = np.where(idx >= 0, running[np.maximum(idx, 0)], 0.0)
    currencies = sorted(parts)
    cache: dict[int, Holdings] = {}

    def holdings_at(k: int) -> Holdings:
        hit = cache.get(k)
        if hit is not None:
            return hit
        o = int(effective[k])
        positions = []
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            for b in symbol_books:
                i = b.at(o)
                if i < 0 or b.quantity[i] == 0:
                    continue
                q = b.quantity[i]
                positions.append(Position(symbol=b.group, quantity=q, average_cost=b.cost[i] / q,
                                          currency=b.currency or base, cost_basis_base=b.cost_base[i],
                                          from_ledger=True,
                                          splits=tuple((date.fromordinal(so), r) for so, r in b.splits if so <= o)))
            balances = {c: sum((b.cash_at(c, o) for b in books.values()), _ZERO) for c in currencies}
        h = Holdings(user="", base_currency=base, cash=balances.get(base, _ZERO), positions=tuple(positions),
                     as_of=as_of, foreign_cash={c: v for c, v in balances.items() if c != base and v})
        cache[k] = h
        return h

    timeline = HoldingsTimeline(
        base_currency=base,
        effective=effective,
        symbols=tuple(b.group for b in symbol_books),
        symbol_currency=tuple(b.currency or base for b in symbol_books),
        quantities=quantities,
        cost_row=cost_row,
        cash=cash,
        holdings_at=holdings_at,
        split_symbols=frozenset(b.group for b in symbol_books if b.splits),
    )
    return timeline, set()


def oversells(groups: Mapping[str, Sequence[Transaction]], *, skip: Collection[str] = frozenset()) -> list[Oversold]:
    """Every SELL/TRANSFER_OUT beyond the units held, per symbol in trade-date order, leaving out
    the transactions in ``skip`` (refused by another rule) and each oversell found (as if refused:
    the units held stay as they were), so the ones after it are judged on the rows that would
    remain. Quantities and splits only: cheap."""
    found: list[Oversold] = []
    for g, rows in groups.items():
        if g == CASH_BOOK:
            continue
        units = _ZERO
        with localcontext() as ctx:
            ctx.prec = _PRECISION
            for t in rows:
                if t.id in skip:
                    continue
                kind, q = t.type, t.data.quantity
                if kind in (T.BUY, T.TRANSFER_IN):
                    assert q is not None
                    units += q
                elif kind in (T.SELL, T.TRANSFER_OUT):
                    assert q is not None
                    if q > units:
                        found.append(Oversold(t, units))
                        continue
                    units -= q
                elif kind is T.SPLIT:
                    assert t.data.split_ratio is not None
                    units *= t.data.split_ratio
    return found


def by_client_id(rows: Sequence[TransactionInput], stored: Mapping[str, Transaction]) -> list[Transaction | int | None]:
    """Per row of a batch, what its client id makes it: the stored transaction it repeats (same
    content), the index of an earlier row of the batch it repeats (no stored one), or None: a new
    row. A row whose client id is recorded with other content is new here: the ledger check refuses
    it (CLIENT_ID_REUSED) with every other problem of the batch. The write and the importer's dry run
    follow this one rule (:func:`same_content`)."""
    out: list[Transaction | int | None] = []
    first: dict[str, int] = {}
    for i, r in enumerate(rows):
        old = stored.get(r.client_id) if r.client_id else None
        if old is not None:
            out.append(old if same_content(old.data, r) else None)
        elif r.client_id and r.client_id in first:
            out.append(first[r.client_id])
        else:
            if r.client_id:
                first[r.client_id] = i
            out.append(None)
    return out


def same_content(stored: TransactionInput, sent: TransactionInput) -> bool:
    """Whether ``sent`` repeats ``stored`` (one client id): the same :meth:`~.TransactionInput.content`,
    but for a SPLIT recorded without a currency and sent again without one, whatever currency each was
    given (a stand-in, or the symbol's, which its first trade may have changed since)."""
    if stored.content() == sent.content():
        return True
    unsent = stored.type is T.SPLIT and sent.type is T.SPLIT and not stored.currency_given and not sent.currency_given
    return unsent and dataclasses.replace(stored, currency=sent.currency).content() == sent.content()


def oversold_message(o: Oversold) -> str:
    return (f"{o.transaction.type.value} of {o.transaction.data.quantity} {o.transaction.data.symbol} on "
            f"{o.transaction.trade_date.isoformat()} exceeds the {o.held.normalize():f} units held that day")


def with_currencies(
    rows: Sequence[TransactionInput], stored: Iterable[Transaction], base: str,
    price_currency: Mapping[str, str] | None = None,
) -> list[TransactionInput]:
    """``rows`` (validated) each with a currency: a row sent without one is in the base currency,
    except a SPLIT, which uses none (the contract: it needs only ``symbol`` and ``split_ratio``) and
    takes its symbol's: the currency of the symbol's earliest ``stored`` trade, else of its earliest
    trade here (trade date, then request order; a DIVIDEND's currency is its cash's, not the
    symbol's), else of its earliest stored SPLIT (which the ledger check compares it with), else of its
    recorded prices (``price_currency``), else the base currency. A SPLIT sent with a currency keeps it
    (the ledger check refuses one other than its symbol's). A SPLIT given its currency here is marked
    so (``currency_given`` False): recorded before its symbol's first trade, it takes that trade's
    currency when the trade comes (:func:`splits_taking_a_trades_currency`), so a stand-in never blocks
    a trade."""
    if all(r.currency for r in rows):
        return list(rows)
    out = [r if r.currency or r.type is T.SPLIT else dataclasses.replace(r, currency=base) for r in rows]
    traded: dict[str, str] = {}
    split_only: dict[str, str] = {}
    for t in sorted(stored, key=lambda t: (t.trade_date, t.seq)):
        if t.type is T.SPLIT or t.type in TRADES:
            (split_only if t.type is T.SPLIT else traded).setdefault(t.data.symbol, t.data.currency)
    for i in sorted(range(len(out)), key=lambda i: (out[i].trade_date or date.min, i)):
        r = out[i]
        if r.currency and r.type in TRADES and r.symbol:
            traded.setdefault(r.symbol, r.currency)
    prices = price_currency or {}

    def symbol_currency(symbol: str) -> str:
        return traded.get(symbol) or split_only.get(symbol) or prices.get(symbol) or base

    return [r if r.currency else dataclasses.replace(r, currency=symbol_currency(r.symbol), currency_given=False)
            for r in out]


def splits_taking_a_trades_currency(stored: Iterable[Transaction], written: Iterable[Transaction]) -> dict[str, str]:
    """The stored SPLITs that take the currency of their symbol's first trade, ``{id: currency}``: a
    symbol without a stored trade (its SPLITs recorded before any trade of it; a DIVIDEND is no
    trade) gives the currency of its earliest ``written`` trade (trade date, then recording order)
    to those of its SPLITs recorded without a currency (``currency_given`` False: their
    currency the prices', or the base currency as a stand-in) that are in another one. A split moves
    no money: its currency only says which symbol's it is, and the symbol's is its trades'. A SPLIT
    sent with a currency keeps it: a trade in another one is CURRENCY_MISMATCH, as in one batch."""
    books = group_transactions(stored)
    first: dict[str, str] = {}
    for t in sorted(written, key=lambda t: (t.trade_date, t.seq)):
        if t.type in TRADES:
            first.setdefault(t.data.symbol, t.data.currency)
    out: dict[str, str] = {}
    for symbol, ccy in first.items():
        rows = books.get(symbol, [])
        if not any(t.type in TRADES for t in rows):
            out.update((t.id, ccy) for t in rows
                       if t.type is T.SPLIT and not t.data.currency_given and t.data.currency != ccy)
    return out


def relabel_splits(transactions: list[Transaction], currencies: Mapping[str, str]) -> list[Transaction]:
    """``transactions`` with those of ``currencies`` (``{id: currency}``, as
    :func:`splits_taking_a_trades_currency` gives them) in their new currency."""
    if not currencies:
        return transactions
    return [t if t.id not in currencies else
            dataclasses.replace(t, data=dataclasses.replace(t.data, currency=currencies[t.id]))
            for t in transactions]


def ledger_symbols(transactions: Iterable[Transaction]) -> frozenset[str]:
    return frozenset(t.data.symbol for t in transactions if t.data.symbol)


__all__ = [
    "CASH_BOOK",
    "Book",
    "FloatArray",
    "Ledger",
    "Oversold",
    "book_rate",
    "by_client_id",
    "derive_book",
    "derive_ledger",
    "group_of",
    "group_transactions",
    "oversells",
    "oversold_message",
    "same_content",
    "shares_symbol_currency",
    "splits_taking_a_trades_currency",
    "trading_currency",
    "with_currencies",
]
