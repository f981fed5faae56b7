"""The ledger's use cases (``BatchCreateTransactions``, ``List/Get/Update/DeleteTransaction``),
exchange rates, per-user settings and how a ledger portfolio is loaded for analytics; mixed into
:class:`~.service.PortfolioService`.

**Write rules.** Rows are validated one by one (:mod:`.transactions`); then, inside the store's
write transaction, :func:`check_ledger` looks at the whole ledger as it would be after the write:
a SELL or TRANSFER_OUT beyond the units held on its date (SELL_EXCEEDS_HOLDINGS), a symbol traded
in two currencies or in another currency than its recorded prices (CURRENCY_MISMATCH). Any error
names the request's field (``transactions[17].quantity``) and the store writes nothing.

**Loading, incrementally.** Transactions are grouped in books (:mod:`.ledger`). The store reports a
signature per book (count, sum and max of the revisions, which every write bumps); a derived book
is cached under its signature, the cost basis method and the exchange-rate generation, so after a
correction only the books it touched are read and re-derived.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from stack_cfo.core.errors import FieldViolation, InvalidArgument, NotFound, each_checked
from stack_cfo.core.idempotency import Idempotency
from stack_cfo.core.portfolio.cache import TaggedCache
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.inputs import (
    _bad,
    base_currency_changed,
    check_currency,
    check_day,
    normalize_symbol,
)
from stack_cfo.core.portfolio.ledger import (
    Book,
    Ledger,
    Oversold,
    currency_conflict,
    derive_book,
    derive_ledger,
    every_symbols_oversell,
    group_transactions,
    oversold_message,
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
    repeats_by_client_id,
    validate_batch,
    validate_transaction,
)
from stack_cfo.core.portfolio.user_settings import UserSettings, check_threshold_order, validate_update

if TYPE_CHECKING:
    from stack_cfo.core.clock import Clock
    from stack_cfo.core.portfolio.settings import AnalyticsSettings

MAX_RATES = 10_000
MAX_RATE = 10**12


def check_ledger(everything: list[Transaction], price_currency: dict[str, str], paths: dict[str, str]) -> None:
    """The whole-ledger rules, raising InvalidArgument naming the written row (see the module doc)."""
    groups = group_transactions(everything)
    conflict = currency_conflict(groups)
    if conflict is not None:
        t, expected = conflict
        first = next(x for x in groups[t.data.symbol] if x.data.currency == expected)
        blamed = t if t.id in paths or first.id not in paths else first
        other = expected if blamed is t else t.data.currency
        path = f"{paths.get(blamed.id, 'transaction')}.currency"
        raise InvalidArgument(
            f"{path}: {blamed.data.symbol} is traded in {other} elsewhere in the ledger",
            violations=[FieldViolation(path, f"must be {other}: a symbol is traded in one currency")],
            reason="CURRENCY_MISMATCH",
            metadata={"field": path, "symbol": blamed.data.symbol, "currency": blamed.data.currency,
                      "expected": other},
        )
    for t in everything:
        own = paths.get(t.id)
        ccy = price_currency.get(t.data.symbol)
        if own is not None and t.type in TRADES and ccy is not None and ccy != t.data.currency:
            raise _bad(f"{own}.currency", f"{t.data.symbol} is priced in {ccy}, not {t.data.currency}",
                       "CURRENCY_MISMATCH", symbol=t.data.symbol, price_currency=ccy)
    overs = every_symbols_oversell(groups)
    if overs and not paths:  # a deletion: one error, naming `name`
        raise oversold_error(overs[0], paths)
    if overs:  # every symbol's first oversell, in the batch's order (one alone is raised as it is)
        order = {tid: i for i, tid in enumerate(paths)}
        overs.sort(key=lambda o: order.get(o.transaction.id, len(order)))
        raise InvalidArgument.combine([oversold_error(o, paths) for o in overs])


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


def portfolio_not_found(user_id: str) -> NotFound:
    """The one answer for "no portfolio here", also given for other users' portfolios (no leak)."""
    return NotFound.resource("portfolio", f"users/{user_id}/portfolio",
                             detail=" (no holdings synced or transactions recorded yet)")

class LedgerUseCases:
    """Ledger, rates and settings use cases of :class:`~.service.PortfolioService`."""

    _store: PortfolioStore
    _clock: Clock
    settings: AnalyticsSettings
    _books: TaggedCache
    _fx_generation: int

    def _invalidate(self, event: HoldingsChanged | PricesChanged) -> None:  # pragma: no cover - the service's
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
        rows = validate_batch(command.transactions, base_currency=stored_base or base or "USD", now=now,
                              limit=None if not limited else 10_000)
        rows = [r if given.currency else dataclasses.replace(r, currency="")
                for given, r in zip(command.transactions, rows, strict=True)]
        result = await self._store.create_transactions(
            command.user_id, rows, base_currency=base, now=now, check=check_ledger, idempotency=idempotency
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
        them)."""
        now = self._clock.now()
        requested = command.base_currency
        if requested:
            check_currency(requested, "base_currency")
        rows = validate_batch(command.transactions, base_currency=stored_base or requested or "USD", now=now,
                              limit=None)
        if requested and stored_base is not None and requested != stored_base:  # as the store's write refuses it
            raise base_currency_changed(stored_base, requested)
        stored = {t.data.client_id: t for t in existing if t.data.client_id}
        repeats = repeats_by_client_id(rows, stored, command.user_id)
        new = [(i, r) for i, (r, k) in enumerate(zip(rows, repeats, strict=True)) if k is None]
        fresh = [Transaction(f"new-{i}", 2**62 + i, r, now, now) for i, r in new]
        prices = await price_currencies({r.symbol for _, r in new if r.symbol}) if new else {}
        check_ledger(existing + fresh, prices,
                     {t.id: f"transactions[{i}]" for (i, _), t in zip(new, fresh, strict=True)})
        return [r for _, r in new], len(rows) - len(new)

    async def transactions_of(self, user_id: str) -> list[Transaction]:
        """Every transaction of a user's ledger (trade date order)."""
        return await self._store.load_transactions(user_id)

    async def base_currency_of(self, user_id: str) -> str | None:
        return await self._store.portfolio_base_currency(user_id)

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

        def change(old: Transaction) -> TransactionInput:
            merged = dataclasses.replace(old.data, **{f: getattr(patch, f) for f in fields})
            return validate_transaction(merged, "transaction", base_currency=base, now=now)

        try:
            updated = await self._store.update_transaction(user_id, transaction_id, change, now=now,
                                                           check=check_ledger)
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
            self._invalidate(PricesChanged(result.changed_symbols))
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
        signatures = await self._store.ledger_signatures(user_id)
        if not signatures:
            return None
        gen = self._fx_generation
        keys: dict[str, Hashable] = {b: ("book", user_id, b, sig, method.value, gen) for b, sig in signatures.items()}
        cached: dict[str, Book] = {}
        if epoch is not None:
            for b, key in keys.items():
                hit = self._books.get(key, epoch)
                if hit is not None:
                    cached[b] = hit
        missing = [b for b in signatures if b not in cached]
        fresh = group_transactions(await self._store.load_transactions(user_id, missing)) if missing else {}
        currencies = {bk.currency for bk in cached.values() if bk.currency} | {
            t.data.currency for rows in fresh.values() for t in rows}
        await load_fx(currencies)  # type: ignore[operator]
        fx = FxTable(base, fx_series)
        books: dict[str, Book] = dict(cached)
        for b, rows in fresh.items():
            try:
                books[b] = derive_book(b, rows, base=base, method=method, fx=fx)
            except Oversold:  # stored before the rule existed: keep the figures honest, skip the book
                continue
            if epoch is not None:
                self._books.put(keys[b], books[b], user_id=None, symbols=frozenset(), epoch=epoch)
        # Every book is given: derive_ledger only assembles them.
        return derive_ledger({}, base=base, method=method, fx=fx, books=books, as_of=self._clock.now())
