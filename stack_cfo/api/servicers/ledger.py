"""The ledger, exchange-rate, settings and history-import RPCs of ``PortfolioSummaryService``:
proto <-> domain only (mixed into :class:`~.portfolio.PortfolioServicer`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import grpc

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.auth import Principal, current_principal, require_service
from stack_cfo.api.decoding import refuses_nul_per_field
from stack_cfo.api.heavy_writes import IMPORTS
from stack_cfo.api.resources import authorize, canonical_uuid
from stack_cfo.api.servicers.portfolio_requests import (
    _UNPARSED_FLOW,
    _UNPARSED_POSITION,
    _flow,
    _holding,
    _parsed,
    raised_here,
)
from stack_cfo.api.validation import (
    PageTokens,
    fill_date,
    format_decimal,
    from_date,
    invalid,
    page_size,
    parse_decimal,
    set_timestamp,
)
from stack_cfo.core.errors import FieldViolation, InvalidArgument, NotFound, each_checked
from stack_cfo.core.idempotency import Idempotency, request_key
from stack_cfo.core.portfolio import PortfolioService, portfolio_not_found
from stack_cfo.core.portfolio.cpu_meter import in_thread
from stack_cfo.core.portfolio.inputs import (
    DatedHoldingsInput,
    ImportHistoryCommand,
    check_import_items,
    check_import_size,
)
from stack_cfo.core.portfolio.ledger_service import MAX_RATES
from stack_cfo.core.portfolio.ports import RateInput
from stack_cfo.core.portfolio.service import INLINE_POSITIONS
from stack_cfo.core.portfolio.transactions import (
    MAX_TRANSACTIONS_PER_BATCH,
    BatchCreateCommand,
    CostBasisMethod,
    Transaction,
    TransactionInput,
    TransactionType,
    batch_too_large,
    too_many_transactions,
)
from stack_cfo.core.portfolio.user_settings import CONTRACT_NAMES, UserSettings

_TYPES = {getattr(portfolio_pb2, f"TRANSACTION_TYPE_{t.value}"): t for t in TransactionType}
_TYPE_VALUES = {t: v for v, t in _TYPES.items()}
_METHODS = {portfolio_pb2.COST_BASIS_METHOD_AVERAGE_COST: CostBasisMethod.AVERAGE_COST,
            portfolio_pb2.COST_BASIS_METHOD_FIFO: CostBasisMethod.FIFO}
_METHOD_VALUES = {m: v for v, m in _METHODS.items()}
#: What stands in a command for an item whose values did not parse (the command's ``malformed_*`` /
#: ``malformed`` carry its problem; the domain does not look at the item).
_UNPARSED_ROW = TransactionInput(type=None, trade_date=None)


def _dec(value: str, field: str) -> Decimal | None:
    return parse_decimal(value, field, required=False, allow_negative=True)


def _large_import(request: portfolio_pb2.ImportHoldingsHistoryRequest) -> bool:
    """Too many items to parse on the event loop."""
    return sum(len(s.positions) for s in request.snapshots) + len(request.cash_flows) > INLINE_POSITIONS


def _import_command(user_id: str, request: portfolio_pb2.ImportHoldingsHistoryRequest) -> ImportHistoryCommand:
    """The request parsed. A value that does not parse refuses its item only: the domain reports it
    with every problem of the other items (validate_import), in one error."""
    bad_snapshots: dict[int, InvalidArgument] = {}
    bad_positions: dict[tuple[int, int], InvalidArgument] = {}

    def snapshot(s: portfolio_pb2.DatedHoldings, i: int) -> DatedHoldingsInput:
        path = f"snapshots[{i}]"
        prefix = f"{path}.positions"
        # its positions are parsed (and checked) even when its own fields do not parse: every bad
        # position is reported with the snapshot's problem
        positions, bad = _parsed(s.positions, lambda h, j: _holding(h, j, prefix=prefix), _UNPARSED_POSITION)
        bad_positions.update(((i, j), exc) for j, exc in bad.items())
        # its date, then its cash (field order): the first that does not parse is its problem; a date that
        # parsed is kept, so the domain still checks it (and the rules before the cash) when the cash did not
        day = cash = None
        problem: InvalidArgument | None = None
        try:
            day = from_date(s.effective_date, f"{path}.effective_date")
        except InvalidArgument as exc:
            problem = exc
        try:
            cash = _dec(s.cash_balance, f"{path}.cash_balance")
        except InvalidArgument as exc:
            problem = problem or exc
        if problem is not None:
            bad_snapshots[i] = problem.detached()  # (kept: see InvalidArgument.detached)
        return DatedHoldingsInput(effective_date=day, positions=tuple(positions),
                                  cash_balance=cash if cash is not None else Decimal(0))

    snaps = tuple(snapshot(s, i) for i, s in enumerate(request.snapshots))
    flows, bad_flows = _parsed(request.cash_flows, _flow, _UNPARSED_FLOW)
    return ImportHistoryCommand(user_id, snaps, request.base_currency, tuple(flows),
                                malformed_snapshots=bad_snapshots, malformed_positions=bad_positions,
                                malformed_flows=bad_flows)


_NUL_PROBLEM = "must not contain the NUL character (U+0000)"
#: A transaction's text fields: none may hold U+0000 (PostgreSQL text cannot store it).
_TEXT_FIELDS = ("name", "symbol", "currency", "client_id", "note")


def _text_with_nul(fields: list[str]) -> InvalidArgument:
    """INVALID_TEXT naming ``fields`` (strings holding U+0000), one violation each, the first in the message."""
    return InvalidArgument(f"{fields[0]}: {_NUL_PROBLEM}", reason="INVALID_TEXT", metadata={"field": fields[0]},
                           violations=[FieldViolation(f, _NUL_PROBLEM, "INVALID_TEXT") for f in fields])


def _refuse_nul(message: Any, fields: Sequence[str], prefix: str = "") -> None:
    bad = [f"{prefix}{f}" for f in fields if "\x00" in getattr(message, f)]
    if bad:
        raise _text_with_nul(bad)


def transaction_input(t: portfolio_pb2.Transaction, path: str) -> TransactionInput:
    # a text field holding U+0000 refuses the row (every such field of it named), as a value that does not parse
    _refuse_nul(t, _TEXT_FIELDS, f"{path}.")
    if t.type != 0 and t.type not in _TYPES:
        raise invalid(f"{path}.type", f"unknown transaction type {t.type}", reason="INVALID_ENUM")
    return TransactionInput(
        type=_TYPES.get(t.type),
        trade_date=from_date(t.trade_date, f"{path}.trade_date") if t.HasField("trade_date") else None,
        symbol=t.symbol,
        quantity=_dec(t.quantity, f"{path}.quantity"),
        price=_dec(t.price, f"{path}.price"),
        amount=_dec(t.amount, f"{path}.amount"),
        currency=t.currency,
        fees=_dec(t.fees, f"{path}.fees"),
        split_ratio=_dec(t.split_ratio, f"{path}.split_ratio"),
        client_id=t.client_id,
        note=t.note,
    )


def transaction_to_proto(user_id: str, t: Transaction) -> portfolio_pb2.Transaction:
    d = t.data
    out = portfolio_pb2.Transaction(
        name=f"users/{user_id}/portfolio/transactions/{t.id}",
        type=_TYPE_VALUES[t.type],  # type: ignore[arg-type]
        symbol=d.symbol,
        quantity=format_decimal(d.quantity),
        price=format_decimal(d.price),
        amount=format_decimal(d.amount),
        currency=d.currency,
        fees=format_decimal(d.fees) if d.fees else "",
        split_ratio=format_decimal(d.split_ratio),
        client_id=d.client_id,
        note=d.note,
    )
    fill_date(out.trade_date, t.trade_date)
    set_timestamp(out.create_time, t.created_at)
    set_timestamp(out.update_time, t.updated_at)
    return out


def _owner(name: str, field: str, *, writable: bool = False) -> str:
    """``users/{user}/portfolio`` the caller may use -> user id (others' look missing)."""
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != "users" or parts[2] != "portfolio":
        raise invalid(field, f"{name[:200]!r} is not users/{{user}}/portfolio", reason="INVALID_RESOURCE_NAME",
                      value=name, expected="users/{user}/portfolio")
    return _user(parts[1], name, field, writable)


def _user(raw: str, name: str, field: str, writable: bool) -> str:
    user_id = canonical_uuid(raw)
    if user_id is None:
        raise invalid(field, f"{name[:200]!r} has no valid user id", reason="INVALID_RESOURCE_NAME",
                      value=name)
    try:
        authorize(user_id, name)
    except NotFound:
        if "/transactions/" in name:
            raise  # another user's transaction: TRANSACTION_NOT_FOUND, as a missing one
        # as the owner's own missing portfolio (reads) or unknown user (writes) answers
        raise (NotFound.resource("user", f"users/{user_id}") if writable else portfolio_not_found(user_id)) from None
    return user_id


def _transaction_name(name: str, field: str) -> tuple[str, str]:
    parts = name.split("/")
    if len(parts) != 5 or parts[0] != "users" or parts[2:4] != ["portfolio", "transactions"] or not parts[4]:
        raise invalid(field, f"{name[:200]!r} is not users/{{user}}/portfolio/transactions/{{transaction}}",
                      reason="INVALID_RESOURCE_NAME", value=name,
                      expected="users/{user}/portfolio/transactions/{transaction}")
    user_id = _user(parts[1], name, field, False)
    transaction_id = canonical_uuid(parts[4])
    if transaction_id is None:  # {transaction} is a UUID the server assigned: anything else is no name
        raise invalid(field, f"{name[:200]!r}: the transaction id is not a UUID", reason="INVALID_RESOURCE_NAME",
                      value=name, expected="users/{user}/portfolio/transactions/{transaction}")
    return user_id, transaction_id


def _settings_name(name: str, field: str) -> str:
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "users" or parts[2:] != ["portfolio", "settings"]:
        raise invalid(field, f"{name[:200]!r} is not users/{{user}}/portfolio/settings",
                      reason="INVALID_RESOURCE_NAME", value=name, expected="users/{user}/portfolio/settings")
    return _user(parts[1], name, field, True)


def settings_to_proto(user_id: str, s: UserSettings) -> portfolio_pb2.PortfolioSettings:
    out = portfolio_pb2.PortfolioSettings(name=f"users/{user_id}/portfolio/settings")
    if s.benchmark_symbol is not None:
        out.benchmark_symbol = s.benchmark_symbol
    out.cost_basis_method = _METHOD_VALUES[s.method]  # type: ignore[assignment]
    for contract, ours in CONTRACT_NAMES.items():
        if contract in ("benchmark_symbol", "cost_basis_method"):
            continue
        value = getattr(s, ours)
        if value is not None:
            setattr(out, contract, value)
    set_timestamp(out.update_time, s.updated_at)
    return out


class LedgerRpcs:
    service: PortfolioService
    page_tokens: PageTokens

    @staticmethod
    def _idem(method: str, principal: Principal, request: Any) -> Idempotency | None:
        return request_key(method, principal.key, request)

    async def ImportHoldingsHistory(
        self, request: portfolio_pb2.ImportHoldingsHistoryRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.ImportHoldingsHistoryResponse:
        user_id = _owner(request.portfolio, "portfolio", writable=True)
        # The size limits first, on the request's counts: a refused import parses nothing (250,000
        # positions took seconds to parse, on the event loop, before being refused) and holds no slot.
        check_import_size(request.base_currency, request.snapshots)
        check_import_items(request.snapshots, request.cash_flows)
        async with IMPORTS.hold(user_id):  # a user's imports hold pooled connections: a few at once
            return await self._import_history(user_id, request)

    async def _import_history(
        self, user_id: str, request: portfolio_pb2.ImportHoldingsHistoryRequest
    ) -> portfolio_pb2.ImportHoldingsHistoryResponse:
        principal = current_principal()

        def parse() -> tuple[Idempotency | None, ImportHistoryCommand]:
            return self._idem("ImportHoldingsHistory", principal, request), _import_command(user_id, request)

        # thousands of positions: parsed in a thread (as SyncPortfolio's), so other callers, the health
        # port's probes among them, are not held meanwhile
        idem, cmd = await in_thread(_large_import(request), parse)
        # (validated in a thread when large: see raised_here)
        result = await raised_here(self.service.import_history(cmd, idempotency=idem))
        out = portfolio_pb2.ImportHoldingsHistoryResponse(
            portfolio=f"users/{user_id}/portfolio", snapshot_count=result.snapshot_count,
            recorded_flow_count=result.recorded_flow_count, ignored_flow_count=result.ignored_flow_count)
        fill_date(out.dates.start_date, result.first)
        fill_date(out.dates.end_date, result.last)
        return out

    @refuses_nul_per_field
    async def BatchCreateTransactions(
        self, request: portfolio_pb2.BatchCreateTransactionsRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.BatchCreateTransactionsResponse:
        # U+0000: in the request's own fields, refused at once; in a row's, that row (transaction_input)
        _refuse_nul(request, ("parent", "base_currency", "request_id"))
        user_id = _owner(request.parent, "parent", writable=True)
        if len(request.transactions) > MAX_TRANSACTIONS_PER_BATCH:
            raise too_many_transactions(len(request.transactions))
        if (too_large := batch_too_large(request.ByteSize(), len(request.transactions))) is not None:
            raise too_large
        principal = current_principal()
        large = len(request.transactions) > INLINE_POSITIONS

        def parse() -> tuple[Idempotency | None, BatchCreateCommand]:
            # A value that does not parse refuses its row only: the domain reports it with every problem
            # of the other rows (check_rows, the ledger's rules), in one error.
            rows, malformed = _parsed(request.transactions,
                                      lambda t, i: transaction_input(t, f"transactions[{i}]"), _UNPARSED_ROW)
            cmd = BatchCreateCommand(user_id, tuple(rows), request.base_currency, malformed=malformed)
            return self._idem("BatchCreateTransactions", principal, request), cmd

        # thousands of rows: parsed (and answered) in a thread, so other callers are not held meanwhile
        idem, cmd = await in_thread(large, parse)
        # (the ledger derived on the compute pool when large: see raised_here)
        result = await raised_here(self.service.create_transactions(cmd, idempotency=idem))

        def answer() -> portfolio_pb2.BatchCreateTransactionsResponse:
            return portfolio_pb2.BatchCreateTransactionsResponse(
                transactions=[transaction_to_proto(user_id, t) for t in result.transactions],
                created_count=result.created, existing_count=result.existing)

        return await in_thread(large, answer)

    async def ListTransactions(
        self, request: portfolio_pb2.ListTransactionsRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.ListTransactionsResponse:
        user_id = _owner(request.parent, "parent")
        size = page_size(request.page_size, default=100, maximum=1000)
        start = from_date(request.start_date, "start_date") if request.HasField("start_date") else None
        end = from_date(request.end_date, "end_date") if request.HasField("end_date") else None
        scope = f"ListTransactions:{user_id}:{start}:{end}:{request.symbol}"
        token = self.page_tokens.decode(request.page_token, scope=scope)
        after: tuple[date, int] | None = None
        if token is not None:
            try:
                after = (date.fromisoformat(str(token["d"])), int(token["s"]))
            except (KeyError, ValueError, TypeError):
                raise invalid("page_token", "is malformed", reason="INVALID_PAGE_TOKEN") from None
        rows = await self.service.list_transactions(user_id, start=start, end=end, symbol=request.symbol or None,
                                                    after=after, limit=size + 1)
        out = portfolio_pb2.ListTransactionsResponse(
            transactions=[transaction_to_proto(user_id, t) for t in rows[:size]])
        if len(rows) > size:
            last = rows[size - 1]
            out.next_page_token = self.page_tokens.encode({"d": last.trade_date.isoformat(), "s": last.seq},
                                                          scope=scope)
        return out

    async def GetTransaction(
        self, request: portfolio_pb2.GetTransactionRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.Transaction:
        user_id, tid = _transaction_name(request.name, "name")
        return transaction_to_proto(user_id, await self.service.get_transaction(user_id, tid))

    async def UpdateTransaction(
        self, request: portfolio_pb2.UpdateTransactionRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.Transaction:
        user_id, tid = _transaction_name(request.transaction.name, "transaction.name")
        patch = transaction_input(request.transaction, "transaction")
        updated = await self.service.update_transaction(user_id, tid, patch, list(request.update_mask.paths))
        return transaction_to_proto(user_id, updated)

    async def DeleteTransaction(
        self, request: portfolio_pb2.DeleteTransactionRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.DeleteTransactionResponse:
        user_id, tid = _transaction_name(request.name, "name")
        await self.service.delete_transaction(user_id, tid)
        return portfolio_pb2.DeleteTransactionResponse(name=request.name)

    async def RecordExchangeRates(
        self, request: portfolio_pb2.RecordExchangeRatesRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.RecordExchangeRatesResponse:
        principal = current_principal()
        require_service(principal, operation="RecordExchangeRates")
        if len(request.rates) > MAX_RATES:
            raise invalid("rates", f"at most {MAX_RATES} rates per call, got {len(request.rates)}",
                          reason="TOO_MANY_RATES", limit=MAX_RATES, count=len(request.rates))
        idem = self._idem("RecordExchangeRates", principal, request)

        def rate_input(r: portfolio_pb2.ExchangeRate, i: int) -> RateInput:
            path = f"rates[{i}]"
            day = from_date(r.date, f"{path}.date", required=True)
            rate = parse_decimal(r.rate, f"{path}.rate", allow_negative=True)
            assert day is not None and rate is not None
            return RateInput(r.base_currency, r.quote_currency, day, rate)

        # thousands of rates: parsed in a thread, as a sync's items
        rates = await raised_here(in_thread(len(request.rates) > INLINE_POSITIONS, each_checked, request.rates,
                                            rate_input, prefix="rates"))
        result = await self.service.record_exchange_rates(rates, idempotency=idem)
        return portfolio_pb2.RecordExchangeRatesResponse(
            inserted_count=result.inserted, updated_count=result.updated, unchanged_count=result.unchanged)

    async def GetPortfolioSettings(
        self, request: portfolio_pb2.GetPortfolioSettingsRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.PortfolioSettings:
        user_id = _settings_name(request.name, "name")
        return settings_to_proto(user_id, await self.service.get_settings(user_id))

    async def UpdatePortfolioSettings(
        self, request: portfolio_pb2.UpdatePortfolioSettingsRequest, context: grpc.aio.ServicerContext
    ) -> portfolio_pb2.PortfolioSettings:
        s = request.settings
        user_id = _settings_name(s.name, "settings.name")
        values: dict[str, object] = {}
        present = []
        for contract in CONTRACT_NAMES:
            if contract == "cost_basis_method":
                if s.cost_basis_method not in (0, *_METHODS):
                    raise invalid("settings.cost_basis_method", f"unknown method {s.cost_basis_method}",
                                  reason="INVALID_ENUM")
                values[contract] = _METHODS.get(s.cost_basis_method)
                if s.cost_basis_method:
                    present.append(contract)
            elif s.HasField(contract):
                values[contract] = getattr(s, contract)
                present.append(contract)
        paths = list(request.update_mask.paths) or present
        updated = await self.service.update_settings(user_id, values, paths)
        return settings_to_proto(user_id, updated)
