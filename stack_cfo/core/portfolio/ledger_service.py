"""The ledger's use cases (``BatchCreateTransactions``, ``List/Get/Update/DeleteTransaction``),
exchange rates, per-user settings and how a ledger portfolio is loaded for analytics; mixed into
:class:`~.service.PortfolioService`.

**Write rules.** Rows are validated one by one (:func:`check_rows`, the rules of
:mod:`.transactions`; a row whose value did not parse is refused with its problem); then, inside
the store's write transaction, :func:`ledger_problems` looks at the whole ledger as it would be
after the write, without the rows refused so far: a client id recorded with other content
(CLIENT_ID_REUSED), a symbol traded in two currencies or in another currency than its recorded
prices (CURRENCY_MISMATCH; a symbol's trades and SPLITs, not its dividends, which move cash in their
own currency), a SELL or TRANSFER_OUT beyond the units held on its date
(SELL_EXCEEDS_HOLDINGS), a new symbol past :data:`MAX_LEDGER_SYMBOLS` distinct ones (TOO_MANY_SYMBOLS:
a ledger holds no more symbols than SyncPortfolio takes positions). Every problem of a batch comes in
one error (:func:`batch_error`: request order, each violation with its own reason, at most
:data:`~stack_cfo.core.errors.MAX_REPORTED_ITEMS`), each naming the request's field
(``transactions[17].quantity``), and the store writes nothing.

**Loading, incrementally.** Transactions are grouped in books (:mod:`.ledger`). The store reports a
signature per book (count, sum and max of the revisions, which every write bumps); a derived book
is cached under its signature and the cost basis method, tagged with the exchange-rate series it
was converted with (its transactions' currencies against the base), so after a correction only the
books it touched are read and re-derived, and a new rate drops only the books converted with that
pair. A book derived while any rate was recorded is not cached (it may have read the old rate).
A large ledger (more than :data:`DERIVE_INLINE_ROWS` transactions to replay and books to assemble) is
derived on the portfolio compute thread (:mod:`.compute_pool`), not on the event loop: 10,000 symbols
take about a second of CPU, which held every other call (health checks too).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Collection, Hashable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from stack_cfo.core.errors import MAX_REPORTED_ITEMS, FieldViolation, InvalidArgument, NotFound, each_checked
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio import compute_pool, cpu_meter
from stack_cfo.core.portfolio.cache import TaggedCache
from stack_cfo.core.portfolio.fx import FxTable, fx_key
from stack_cfo.core.portfolio.inputs import (
    MAX_POSITIONS,
    _bad,
    base_currency_changed,
    check_currency,
    check_day,
    normalize_symbol,
    with_reasons,
)
from stack_cfo.core.portfolio.ledger import (
    CASH_BOOK,
    Book,
    Ledger,
    Oversold,
    by_client_id,
    derive_book,
    derive_ledger,
    group_of,
    group_transactions,
    oversells,
    oversold_message,
    relabel_splits,
    shares_symbol_currency,
    splits_taking_a_trades_currency,
    with_currencies,
)
from stack_cfo.core.portfolio.models import PriceSeries
from stack_cfo.core.portfolio.ports import HoldingsChanged, PortfolioStore, PricesChanged, RateInput, RecordResult
from stack_cfo.core.portfolio.transactions import (
    MUTABLE_FIELDS,
    TRADES,
    BatchCreateCommand,
    BatchCreateResult,
    CostBasisMethod,
    Transaction,
    TransactionInput,
    TransactionType,
    client_id_reused,
    too_many_transactions,
    validate_transaction,
)
from stack_cfo.core.portfolio.user_settings import UserSettings, check_threshold_order, validate_update

if TYPE_CHECKING:
    from stack_cfo.core.clock import Clock
    from stack_cfo.core.portfolio.settings import AnalyticsSettings

MAX_RATES = 10_000
MAX_RATE = 10**12
#: Distinct symbols (books other than cash) a ledger may hold: as many as SyncPortfolio takes
#: positions. A write that would add a symbol past it is refused (TOO_MANY_SYMBOLS); a ledger stored
#: with more before the rule stays readable and writable for the symbols it has.
MAX_LEDGER_SYMBOLS = MAX_POSITIONS
#: Transactions to replay plus books to assemble up to which a ledger is derived on the event loop.
DERIVE_INLINE_ROWS = 500


#: A problem of a batch: (sort key: the row's index in the request, or after every row for a stored
#: transaction; the row the problem is reported on; the error).
Problem = tuple[int, int, InvalidArgument]


def batch_error(problems: Sequence[Problem], *, unchecked_from: int | None = None) -> InvalidArgument:
    """One error for a batch's problems, in request order, each violation with its own reason; the
    problems of at most :data:`MAX_REPORTED_ITEMS` rows (``unchecked_from`` names the row the report
    stops at, as :func:`~stack_cfo.core.errors.each_checked` does)."""
    ordered = sorted(problems, key=lambda p: p[0])
    if len(ordered) > MAX_REPORTED_ITEMS:
        unchecked_from = ordered[MAX_REPORTED_ITEMS][1]
        ordered = ordered[:MAX_REPORTED_ITEMS]
    errors = [with_reasons(e) for _, _, e in ordered]
    return InvalidArgument.combine(
        errors, unchecked_from=f"transactions[{unchecked_from}]" if unchecked_from is not None else None)


def check_rows(
    rows: Sequence[TransactionInput], *, base_currency: str, now: datetime, limit: int | None,
    malformed: Mapping[int, InvalidArgument] | None = None,
) -> tuple[dict[int, TransactionInput], list[Problem]]:
    """The per-row rules of a batch (:func:`~.transactions.validate_transaction`; a client id repeated
    in the batch with other content is CLIENT_ID_REUSED): (the valid rows, normalised, by index; the
    others' problems, one per row). A row of ``malformed`` (a value that did not parse) is refused with
    its problem, in its place among the others. Past :data:`MAX_REPORTED_ITEMS` bad rows it stops and
    raises."""
    if not rows:
        raise _bad("transactions", "at least one transaction is required", "MISSING_FIELD")
    if limit is not None and len(rows) > limit:
        raise too_many_transactions(len(rows), limit)
    seen: dict[str, tuple[int, TransactionInput]] = {}
    valid: dict[int, TransactionInput] = {}
    problems: list[Problem] = []
    for i, t in enumerate(rows):
        if len(problems) >= MAX_REPORTED_ITEMS:
            raise batch_error(problems, unchecked_from=i)
        unparsed = malformed.get(i) if malformed else None
        if unparsed is not None:
            problems.append((i, i, unparsed))
            continue
        path = f"transactions[{i}]"
        try:
            v = validate_transaction(t, path, base_currency=base_currency, now=now)
            if v.client_id:
                first = seen.setdefault(v.client_id, (i, v))
                if first[1].content() != v.content():
                    raise client_id_reused(f"{path}.client_id", v.client_id, f"transactions[{first[0]}]")
        except InvalidArgument as exc:
            problems.append((i, i, exc))
        else:
            valid[i] = v
    return valid, problems


def ledger_problems(
    everything: list[Transaction], price_currency: dict[str, str], paths: dict[str, str], *,
    index: Mapping[str, int] | None = None, user_id: str = "", holdings_after_refusals: bool = True,
    replaced: Transaction | None = None,
) -> list[Problem]:
    """The whole-ledger rules on the ledger as it would be after a write (``paths``: the written
    transactions' request paths, in request order; the others are stored), every problem at once:

    1. CLIENT_ID_REUSED: a written row whose client id is recorded with other content;
    2. CURRENCY_MISMATCH: a written trade or SPLIT in another currency than its symbol's stored ones
       (the earliest one's), or, without any, than the symbol's earliest one of the write; else a
       trade, or a SPLIT sent with a currency (``currency_given``) of a symbol without trades, in
       another currency than the symbol's recorded closes. A DIVIDEND moves cash in its own currency:
       it neither sets the symbol's nor is checked against it (:func:`~.ledger.shares_symbol_currency`);
    3. SELL_EXCEEDS_HOLDINGS: holdings replayed over the stored ledger and the written rows no rule
       above refused, each SELL/TRANSFER_OUT beyond the units held left out in turn (so every one of
       a symbol is found); a stored transaction that the write would oversell is reported on the first
       written row, once per symbol (``holdings_after_refusals`` False: no replay once a row is
       refused, for a single row's update);
    4. TOO_MANY_SYMBOLS: the written rows no rule above refused that bring a symbol the stored ledger
       (``replaced``: an update's transaction as it was, counted as stored) does not have, past
       :data:`MAX_LEDGER_SYMBOLS` distinct ones; reported once, on the first such row in request order.
    ``index``: each written transaction's position in the request (default: its place in ``paths``).
    """
    if index is None:
        index = {tid: i for i, tid in enumerate(paths)}
    problems: list[Problem] = []
    refused: set[str] = set()

    def refuse(t: Transaction, exc: InvalidArgument) -> None:
        refused.add(t.id)
        problems.append((index[t.id], index[t.id], exc))

    by_client = {t.data.client_id: t for t in everything if t.data.client_id and t.id not in paths}
    for t in everything:
        own = paths.get(t.id)
        old = by_client.get(t.data.client_id) if own is not None and t.data.client_id else None
        if own is not None and old is not None:
            where = f"users/{user_id}/portfolio/transactions/{old.id}" if user_id else f"transaction {old.id}"
            exc = client_id_reused(f"{own}.client_id", t.data.client_id, where)
            assert isinstance(exc, InvalidArgument)
            refuse(t, exc)
    groups = group_transactions(t for t in everything if t.id not in refused)
    for g, rows in groups.items():
        if g == CASH_BOOK:
            continue
        bound_rows = [t for t in rows if shares_symbol_currency(t)]
        written = [t for t in bound_rows if t.id in paths]
        if not written:
            continue
        expected = next((t for t in bound_rows if t.id not in paths), bound_rows[0]).data.currency
        traded = any(t.type in TRADES for t in bound_rows)
        for t in written:
            path = f"{paths[t.id]}.currency"
            symbol, ccy = t.data.symbol, t.data.currency
            if ccy != expected:
                refuse(t, InvalidArgument(
                    f"{path}: {symbol} is traded in {expected} elsewhere in the ledger",
                    violations=[FieldViolation(path, f"must be {expected}: a symbol is traded in one currency")],
                    reason="CURRENCY_MISMATCH",
                    metadata={"field": path, "symbol": symbol, "currency": ccy, "expected": expected},
                ))
                continue
            priced = price_currency.get(symbol)
            # a SPLIT's currency before the symbol's first trade is its prices' (a stand-in follows them)
            bound = t.type in TRADES or (not traded and t.data.currency_given)
            if bound and priced is not None and priced != ccy:
                refuse(t, _bad(path, f"{symbol} is priced in {priced}, not {ccy}", "CURRENCY_MISMATCH",
                               symbol=symbol, price_currency=priced))
    if paths:
        past = too_many_symbols(everything, paths, index, refused, replaced)
        if past is not None:
            refuse(*past)
    if refused and not holdings_after_refusals:
        return problems
    overs = oversells(group_transactions(everything), skip=refused)
    if not paths:  # a deletion: its first oversell, naming `name`
        return [(0, 0, oversold_error(overs[0], paths))] if overs else []
    after = max(index.values(), default=0) + 1
    named = index[next(iter(paths))]  # the row a stored transaction's oversell is reported on
    stored_once: set[str] = set()
    for o in overs:
        pos = index.get(o.transaction.id)
        if pos is None:
            if o.transaction.data.symbol in stored_once:
                continue
            stored_once.add(o.transaction.data.symbol)
        problems.append((pos if pos is not None else after, pos if pos is not None else named,
                         oversold_error(o, paths)))
    return problems


def too_many_symbols(
    everything: Sequence[Transaction], paths: Mapping[str, str], index: Mapping[str, int],
    refused: Collection[str] = frozenset(), replaced: Transaction | None = None,
) -> tuple[Transaction, InvalidArgument] | None:
    """The first written row (request order) whose symbol, new to the stored ledger, takes the
    ledger past :data:`MAX_LEDGER_SYMBOLS` distinct symbols, with its error; ``None`` when the write
    keeps within it or does not add to the count (an update moving a transaction to a new symbol
    from one it alone had; rows of the symbols already held, even in a ledger stored with more
    before the rule). Counted by book: a cash row naming a symbol adds none. ``replaced``: an
    update's transaction as stored before it (its symbol counts as stored)."""
    stored = {group_of(t) for t in everything if t.id not in paths}
    before = stored | {group_of(replaced)} if replaced is not None else set(stored)
    written = sorted((t for t in everything if t.id in paths and t.id not in refused), key=lambda t: index[t.id])
    after = stored | {group_of(t) for t in written}
    before.discard(CASH_BOOK)
    after.discard(CASH_BOOK)
    new = after - before
    if not new or len(after) <= MAX_LEDGER_SYMBOLS or len(after) <= len(before):
        return None
    held = len(after) - len(new)
    seen: set[str] = set()
    for t in written:
        g = group_of(t)
        if g not in new or g in seen:
            continue
        seen.add(g)
        if held + len(seen) > MAX_LEDGER_SYMBOLS:
            path = f"{paths[t.id]}.symbol"
            return t, _bad(path, f"{g} would be the ledger's symbol number {held + len(seen)}: a ledger holds at "
                           f"most {MAX_LEDGER_SYMBOLS} distinct symbols ({len(after)} after this write)",
                           "TOO_MANY_SYMBOLS", limit=MAX_LEDGER_SYMBOLS, symbol_count=len(after),
                           stored_symbols=len(before), symbol=g)
    return None  # pragma: no cover - len(after) > the limit: some new symbol passes it


def check_ledger(
    everything: list[Transaction], price_currency: dict[str, str], paths: dict[str, str], *,
    replaced: Transaction | None = None,
) -> None:
    """The whole-ledger rules for a change of one transaction (an update, a deletion): its problems
    (:func:`ledger_problems`) raised as one InvalidArgument naming the field (see the module doc).
    ``replaced``: an update's transaction as stored before it."""
    problems = ledger_problems(everything, price_currency, paths, holdings_after_refusals=False, replaced=replaced)
    if problems:
        raise batch_error(problems)


def oversold_error(over: Oversold, paths: dict[str, str]) -> InvalidArgument:
    own = paths.get(over.transaction.id)
    if own is not None:
        path = f"{own}.quantity"
    elif paths:
        path = f"{next(iter(paths.values()))}.quantity"
    else:
        path = "name"
    # A stored transaction that the change would oversell is named by its id; one of the request's
    # own rows is named by its field (its id would name a transaction that was never stored).
    stored = {} if own is not None else {"transaction": over.transaction.id}
    return _bad(path, oversold_message(over), "SELL_EXCEEDS_HOLDINGS", symbol=over.transaction.data.symbol,
                trade_date=over.transaction.trade_date.isoformat(), held=f"{over.held.normalize():f}", **stored)


#: The fields whose change can make a SELL exceed the units held, the likeliest culprit first.
_HOLDING_FIELDS = ("quantity", "trade_date", "symbol", "split_ratio", "type")


def _naming_the_change(exc: InvalidArgument, fields: Sequence[str]) -> InvalidArgument:
    """An update's SELL_EXCEEDS_HOLDINGS names the field the update changed (``transaction.trade_date``
    for a BUY moved after the SELL that needs it), not always ``transaction.quantity``."""
    if exc.reason != "SELL_EXCEEDS_HOLDINGS":
        return exc
    changed = next((f for f in _HOLDING_FIELDS if f in fields), None)
    if changed is None or changed == "quantity":
        return exc
    return _bad(f"transaction.{changed}", exc.violations[0].description, exc.reason,
                **{k: v for k, v in exc.metadata.items() if k != "field"})


def validate_rates(rates: Sequence[RateInput], now: datetime) -> list[RateInput]:
    if not rates:
        raise _bad("rates", "at least one rate is required", "MISSING_FIELD")
    if len(rates) > MAX_RATES:
        raise _bad("rates", f"at most {MAX_RATES} rates per call, got {len(rates)}", "TOO_MANY_RATES",
                   limit=MAX_RATES, count=len(rates))
    seen: dict[tuple[str, str, date], int] = {}

    def check(r: RateInput, i: int) -> RateInput:
        path = f"rates[{i}]"
        for name in ("base_currency", "quote_currency"):
            value = getattr(r, name)
            if not value:
                raise _bad(f"{path}.{name}", "is required", "MISSING_FIELD")
            check_currency(value, f"{path}.{name}")
        if r.base_currency == r.quote_currency:
            raise _bad(f"{path}.quote_currency", "must differ from base_currency", "SAME_CURRENCY")
        check_day(r.day, now, f"{path}.date")
        if not r.rate.is_finite() or r.rate <= 0:
            raise _bad(f"{path}.rate", "must be greater than zero", "INVALID_RATE", value=str(r.rate))
        if r.rate.copy_abs() >= MAX_RATE:
            raise _bad(f"{path}.rate", f"must be less than {MAX_RATE}", "OUT_OF_RANGE", value=str(r.rate),
                       limit=f"{MAX_RATE}")
        key = (r.base_currency, r.quote_currency, r.day)
        if key in seen:
            raise _bad(f"{path}.date", f"also appears at rates[{seen[key]}]", "DUPLICATE_RATE")
        inverse = (r.quote_currency, r.base_currency, r.day)
        if inverse in seen:  # one pair, one day, both ways: which one converts is anyone's guess
            raise _bad(f"{path}.date", f"the same pair and day also appears inverted at rates[{seen[inverse]}]",
                       "DUPLICATE_RATE")
        seen[key] = i
        return r

    # every bad rate reported at once, one violation each (as prices and positions are)
    return each_checked(rates, check, prefix="rates")


def book_currencies(book: Book) -> set[str]:
    """The currencies a derived book's transactions are in (its own, and its cash's and flows')."""
    out = set(book.cash_by_ccy) | {c for _, c, _ in book.flows}
    if book.currency:
        out.add(book.currency)
    return out


def portfolio_not_found(user_id: str) -> NotFound:
    """The one answer for "no portfolio here", also given for other users' portfolios (no leak)."""
    return NotFound.resource("portfolio", f"users/{user_id}/portfolio",
                             detail=" (no holdings synced or transactions recorded yet)")


class _BatchCheck:
    """The ledger check of a batch whose valid rows (``indices``: their positions in the request) go
    to the store, which names them by their position among those (``transactions[k]``): every
    problem of the batch, the rows refused before (``refused``) and the ledger's, in one error. The
    store runs it before writing anything, so a refusal writes nothing."""

    def __init__(self, user_id: str, indices: Sequence[int], refused: Sequence[Problem]) -> None:
        self._user_id = user_id
        self._row = {f"transactions[{k}]": i for k, i in enumerate(indices)}
        self._refused = refused

    def __call__(self, everything: list[Transaction], price_currency: dict[str, str], paths: dict[str, str]) -> None:
        index = {tid: self._row[p] for tid, p in paths.items()}
        own = {tid: f"transactions[{i}]" for tid, i in index.items()}
        problems = [*self._refused, *ledger_problems(everything, price_currency, own, index=index,
                                                     user_id=self._user_id)]
        if problems:
            raise batch_error(problems)


class LedgerUseCases:
    """Ledger, rates and settings use cases of :class:`~.service.PortfolioService`."""

    _store: PortfolioStore
    _clock: Clock
    settings: AnalyticsSettings
    _books: TaggedCache
    _fx_generation: int

    def _invalidate(self, event: HoldingsChanged | PricesChanged) -> None:  # pragma: no cover - the service's
        raise NotImplementedError

    def _invalidate_change(self, symbols: frozenset[str], change_id: str) -> None:  # pragma: no cover - the service's
        raise NotImplementedError

    # -- transactions ----------------------------------------------------------------------

    async def create_transactions(
        self, command: BatchCreateCommand, *, idempotency: Idempotency | None = None, limited: bool = True
    ) -> BatchCreateResult:
        """Record a batch (all or nothing). ``limited`` applies the per-call bound of the RPC; the
        importer writes a whole file through here in one database transaction."""
        now = self._clock.now()
        base = command.base_currency or None
        if base is not None:
            check_currency(base, "base_currency")
        # The base currency read here (outside the write) only validates; a concurrent first write may
        # create the portfolio in another one before this write locks it. So a row without a currency
        # goes to the store without one: the store records it in the base currency of the portfolio row
        # it locks (and a requested base_currency other than that one is CURRENCY_MISMATCH there).
        stored_base = await self._store.portfolio_base_currency(command.user_id)
        valid, refused = check_rows(command.transactions, base_currency=stored_base or base or "USD", now=now,
                                    limit=None if not limited else 10_000, malformed=command.malformed)
        if not valid:  # nothing left to check against the ledger
            raise batch_error(refused)
        indices = sorted(valid)
        rows = [valid[i] if command.transactions[i].currency else dataclasses.replace(valid[i], currency="")
                for i in indices]
        result = await self._store.create_transactions(
            command.user_id, rows, base_currency=base, now=now, idempotency=idempotency,
            check=_BatchCheck(command.user_id, indices, refused),
        )
        if result.created:
            self._invalidate(HoldingsChanged(command.user_id))
        return result

    async def dry_run(
        self, command: BatchCreateCommand, existing: list[Transaction], stored_base: str | None,
        price_currencies: Callable[[set[str]], Awaitable[dict[str, str]]],
    ) -> tuple[list[TransactionInput], int]:
        """Validate a batch against an existing ledger without writing (the importer's --dry-run):
        (the rows it would record, how many it would find already recorded), by the rules the write
        follows: the requested base currency (known, and the portfolio's when it exists); a client id
        already recorded with the same content, or repeated earlier in the batch, is not recorded again
        (with other content: CLIENT_ID_REUSED); only the new rows join the ledger check, with the
        currency of each traded symbol's closes (``price_currencies(symbols)``, as the store reads
        them); every problem reported at once, as the write reports them."""
        now = self._clock.now()
        requested = command.base_currency
        if requested:
            check_currency(requested, "base_currency")
        valid, refused = check_rows(command.transactions, base_currency=stored_base or requested or "USD", now=now,
                                    limit=None, malformed=command.malformed)
        if not valid:
            raise batch_error(refused)
        if requested and stored_base is not None and requested != stored_base:  # as the store's write refuses it
            raise base_currency_changed(stored_base, requested)
        indices = sorted(valid)
        # as the store records them: without a currency, the base currency's, a SPLIT its symbol's
        sent = [valid[i] if command.transactions[i].currency else dataclasses.replace(valid[i], currency="")
                for i in indices]
        unset = {r.symbol for r in sent if r.type is TransactionType.SPLIT and not r.currency}
        rows = with_currencies(sent, existing, stored_base or requested or "USD",
                               await price_currencies(unset) if unset else None)
        stored = {t.data.client_id: t for t in existing if t.data.client_id}
        new = [(k, r) for k, (r, repeat) in enumerate(zip(rows, by_client_id(rows, stored), strict=True))
               if repeat is None]
        fresh = [Transaction(f"new-{k}", 2**62 + k, r, now, now) for k, r in new]
        # SPLITs recorded without a currency before their symbol's first trade take its currency, as the
        # write relabels them
        existing = relabel_splits(existing, splits_taking_a_trades_currency(existing, fresh))
        prices = await price_currencies({r.symbol for _, r in new if r.symbol}) if new else {}
        # as the store's write: with nothing new, the check sees no transactions
        _BatchCheck(command.user_id, indices, refused)(
            existing + fresh if new else [], prices,
            {t.id: f"transactions[{k}]" for (k, _), t in zip(new, fresh, strict=True)})
        return [r for _, r in new], len(rows) - len(new)

    async def transactions_of(self, user_id: str) -> list[Transaction]:
        """Every transaction of a user's ledger (trade date order)."""
        return await self._store.load_transactions(user_id)

    async def base_currency_of(self, user_id: str) -> str | None:
        return await self._store.portfolio_base_currency(user_id)

    async def recorded_client_ids_of(self, user_id: str, client_ids: Collection[str]) -> set[str]:
        """Those of ``client_ids`` the user's ledger holds."""
        return await self._store.recorded_client_ids(user_id, client_ids)

    async def price_currencies_of(self, symbols: set[str]) -> dict[str, str]:
        """The currency of each symbol's latest close (what the write's check uses)."""
        return await self._store.price_currencies(symbols)

    async def get_transaction(self, user_id: str, transaction_id: str) -> Transaction:
        return await self._store.get_transaction(user_id, transaction_id)

    async def list_transactions(
        self, user_id: str, *, start: date | None, end: date | None, symbol: str | None,
        after: tuple[date, int] | None, limit: int,
    ) -> list[Transaction]:
        if start is not None and end is not None and start > end:
            raise _bad("end_date", "must not be before start_date", "INVALID_DATE_RANGE")
        if symbol:
            symbol = normalize_symbol(symbol, "symbol")
        rows = await self._store.list_transactions(user_id, start=start, end=end, symbol=symbol or None,
                                                   after=after, limit=limit)
        if not rows and after is None and await self._store.portfolio_base_currency(user_id) is None:
            # as GetPortfolioSummary: a portfolio never created is not an empty one
            raise portfolio_not_found(user_id)
        return rows

    async def update_transaction(
        self, user_id: str, transaction_id: str, patch: TransactionInput, paths: Sequence[str]
    ) -> Transaction:
        now = self._clock.now()
        fields = list(paths) or list(MUTABLE_FIELDS)
        for p in fields:
            if p not in MUTABLE_FIELDS:
                raise _bad("update_mask", f"{p[:64]!r} cannot be updated", "INVALID_FIELD_MASK", path=p[:64])
        base = await self._store.portfolio_base_currency(user_id) or "USD"
        replaced: list[Transaction] = []  # the transaction as stored, under the write's lock

        def change(old: Transaction) -> TransactionInput:
            replaced.append(old)
            merged = dataclasses.replace(old.data, **{f: getattr(patch, f) for f in fields})
            if "currency" in fields and patch.currency:  # sent: a SPLIT keeps it (no trade relabels it)
                merged = dataclasses.replace(merged, currency_given=True)
            v = validate_transaction(merged, "transaction", base_currency=base, now=now)
            if not merged.currency:  # a SPLIT takes its symbol's (the one it had, for the same symbol)
                v = with_currencies([dataclasses.replace(v, currency="")], [old], base)[0]
            return v

        def check(everything: list[Transaction], prices: dict[str, str], paths: dict[str, str]) -> None:
            check_ledger(everything, prices, paths, replaced=replaced[-1] if replaced else None)

        try:
            updated = await self._store.update_transaction(user_id, transaction_id, change, now=now, check=check)
        except InvalidArgument as exc:
            raise _naming_the_change(exc, fields) from None
        self._invalidate(HoldingsChanged(user_id))
        return updated

    async def delete_transaction(self, user_id: str, transaction_id: str) -> Transaction:
        deleted = await self._store.delete_transaction(user_id, transaction_id, check=check_ledger)
        self._invalidate(HoldingsChanged(user_id))
        return deleted

    # -- exchange rates --------------------------------------------------------------------

    async def record_exchange_rates(
        self, rates: Sequence[RateInput], *, idempotency: Idempotency | None = None
    ) -> RecordResult:
        valid = validate_rates(rates, self._clock.now())
        result = await self._store.record_exchange_rates(valid, idempotency=idempotency)
        if result.changed_symbols:
            # Once per write: its notification, coming back with the same id, does nothing more here
            # (or this does nothing, when the notification came first).
            self._invalidate_change(result.changed_symbols, result.change_id)
        return result

    # -- settings --------------------------------------------------------------------------

    async def get_settings(self, user_id: str) -> UserSettings:
        return (await self._store.get_settings(user_id)).effective(self.settings)

    async def update_settings(self, user_id: str, values: dict[str, object], paths: Sequence[str]) -> UserSettings:
        columns = validate_update(values, list(paths))
        base = self.settings
        stored = await self._store.update_settings(
            user_id, columns, lambda result: check_threshold_order(result.effective(base), columns)
        )
        self._invalidate(HoldingsChanged(user_id))
        return stored.effective(self.settings)

    # -- loading ---------------------------------------------------------------------------

    async def load_ledger(
        self, user_id: str, base: str, method: CostBasisMethod, fx_series: dict[str, PriceSeries],
        load_fx: object, epoch: int | None,
    ) -> Ledger | None:
        """The user's derived ledger, re-deriving only books whose signature changed; ``None``
        when the user has no transactions. ``load_fx(currencies)`` adds rate series to ``fx_series``."""
        gen = self._fx_generation  # before anything is read: a rate recorded from here on is not missed
        signatures = await self._store.ledger_signatures(user_id)
        if not signatures:
            return None
        keys: dict[str, Hashable] = {b: ("book", user_id, b, sig, method.value, base) for b, sig in signatures.items()}
        cached: dict[str, Book] = {}
        if epoch is not None:
            for b, key in keys.items():
                hit = self._books.get(key, epoch)
                if hit is not None:
                    cached[b] = hit
        missing = [b for b in signatures if b not in cached]
        loaded = await self._store.load_transactions(user_id, missing) if missing else []
        # Every currency the ledger converts: a reused book's too (a cash book has no currency of its
        # own, and its deposits in another one still need that rate).
        currencies = {c for bk in cached.values() for c in book_currencies(bk)} | {t.data.currency for t in loaded}
        await load_fx(currencies)  # type: ignore[operator]
        fx = FxTable(base, fx_series)
        as_of = self._clock.now()

        def derive() -> tuple[Ledger, dict[str, frozenset[str]]]:
            """The ledger, and the books derived here with their cache tags (their rates' keys)."""
            books: dict[str, Book] = dict(cached)
            derived: dict[str, frozenset[str]] = {}
            for b, rows in group_transactions(loaded).items():
                try:
                    books[b] = derive_book(b, rows, base=base, method=method, fx=fx)
                except Oversold:  # stored before the rule existed: keep the figures honest, skip the book
                    continue
                derived[b] = frozenset(fx_key(c, base) for c in {t.data.currency for t in rows} if c and c != base)
            # Every book is given: derive_ledger only assembles them.
            return derive_ledger({}, base=base, method=method, fx=fx, books=books, as_of=as_of), derived

        if len(loaded) + len(signatures) > DERIVE_INLINE_ROWS:
            ledger, derived = await compute_pool.run(functools.partial(cpu_meter.metered_call, derive))
        else:
            ledger, derived = derive()
        if epoch is not None and self._fx_generation == gen:
            for b, tags in derived.items():
                self._books.put(keys[b], ledger.books[b], user_id=None, symbols=tags, epoch=epoch)
        return ledger
