"""Bad input, round 9, on a real server: every problem of a request in ONE INVALID_ARGUMENT.

* SyncPortfolio: a value that does not parse (a decimal, a date) refuses its own field or item only;
  the domain's rules (unknown currency, duplicate symbol, negative flow, future date) run on the rest
  and come in the same error (a malformed quantity hid a duplicate symbol and an unknown currency).
* The message counts the field violations listed after the one it names, once (a request's parts,
  each combining several items, said "1 more item" with four violations listed).
* BatchCreateTransactions: a row with U+0000 in a text field is refused like a row whose value does
  not parse, with every other row's problem (the whole request was refused naming only the NUL).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import error_details, evening, flow, holding, name, new_user, stub
from tests.integration.portfolio.support import transaction as _tx
from tests.support.server import running_server

DAY = date(2024, 3, 1)


def _details(err: grpc.aio.AioRpcError) -> tuple[error_details_pb2.ErrorInfo, list[tuple[str, str]]]:
    """The ErrorInfo and every (field, reason) of the BadRequest."""
    return error_details(err, reasons=True)


async def _sync_refused(srv: object, req: portfolio_pb2.SyncPortfolioRequest, user: str
                        ) -> tuple[str, error_details_pb2.ErrorInfo, list[tuple[str, str]]]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await stub(srv).SyncPortfolio(req, metadata=srv.auth(user), timeout=10)  # type: ignore[arg-type,attr-defined]
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, ei.value.details()
    info, violations = _details(ei.value)
    return ei.value.details() or "", info, violations


async def test_sync_reports_parse_and_domain_problems_together(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAY))) as srv:
        user = new_user()
        req = portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), base_currency="ABC",
            positions=[holding("AAA", "abc"),                      # 0 does not parse
                       holding("BBB", "1"),
                       holding("bbb", "2"),                        # 2 duplicate of 1
                       holding("CCC", "1", currency="XYZ"),        # 3 unknown currency
                       holding("DDD", "1")],                       # fine (the bad base is reported once)
            cash_flows=[flow("deposit", "-1", DAY), flow("deposit", "1e2", DAY)])
        message, info, violations = await _sync_refused(srv, req, user)
        assert violations == [
            ("base_currency", "UNKNOWN_CURRENCY"),
            ("positions[0].quantity", "INVALID_DECIMAL"),
            ("positions[2].symbol", "DUPLICATE_SYMBOL"),
            ("positions[3].currency", "UNKNOWN_CURRENCY"),
            ("cash_flows[0].amount", "NEGATIVE_AMOUNT"),
            ("cash_flows[1].amount", "INVALID_DECIMAL"),
        ]
        assert (info.reason, info.metadata["field"], info.metadata["violation_count"]) == (
            "UNKNOWN_CURRENCY", "base_currency", "6")
        assert message.count("more item") == 1 and "(5 more items with problems" in message, message

        # a malformed cash balance and effective date with a future flow and a negative position
        req = portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), cash_balance="12,5", positions=[holding("AAA", "-1"), holding("BBB", "1", "x")],
            cash_flows=[flow("deposit", "5", date(2024, 3, 4))],
            effective_date=common_pb2.Date(year=2024, month=2, day=30))
        _, info, violations = await _sync_refused(srv, req, user)
        assert violations == [
            ("cash_balance", "INVALID_DECIMAL"),
            ("positions[0].quantity", "NEGATIVE_QUANTITY"),
            ("positions[1].average_cost", "INVALID_DECIMAL"),
            ("cash_flows[0].occur_date", "FUTURE_DATE"),
            ("effective_date", "INVALID_DATE"),
        ]
        # a future effective date (a domain rule) with a malformed position
        req = portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), positions=[holding("AAA", "1e3")],
            effective_date=common_pb2.Date(year=2024, month=3, day=5))
        _, _, violations = await _sync_refused(srv, req, user)
        assert violations == [("positions[0].quantity", "INVALID_DECIMAL"), ("effective_date", "FUTURE_DATE")]

        # the same request without its problems goes in
        ok = await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), positions=[holding("BBB", "1"), holding("ddd", "1")], cash_balance="12.5",
            cash_flows=[flow("deposit", "1", DAY)]), metadata=srv.auth(user), timeout=10)
        assert ok.position_count == 2


async def test_sync_message_counts_the_violations_once(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAY))) as srv:
        user = new_user()
        req = portfolio_pb2.SyncPortfolioRequest(
            portfolio=name(user), cash_balance="x",
            positions=[holding("AAA", "abc"), holding("BBB", "x"), holding("CCC", "y")])
        message, info, violations = await _sync_refused(srv, req, user)
        assert [f for f, _ in violations] == [
            "cash_balance", "positions[0].quantity", "positions[1].quantity", "positions[2].quantity"]
        assert info.metadata["violation_count"] == "4"
        # it said "(1 more item with problems: ...)": the parts (cash, positions), not the violations
        assert message.startswith("cash_balance: ") and message.count("more item") == 1, message
        assert message.endswith("(3 more items with problems: see the field violations)"), message


async def test_a_nul_in_one_row_does_not_hide_the_other_rows(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAY))) as srv:
        user = new_user()
        rows = [_tx("DEPOSIT", DAY, amount="1", note="a\x00b"),                            # 0 NUL
                _tx("DEPOSIT", DAY, amount="1"),                                           # fine
                _tx("BUY", DAY, symbol="AAA", quantity="-1", price="1"),                   # 2 negative
                _tx("BUY", DAY, symbol="B\x00", quantity="1", price="1", client_id="\x00"),  # 3 two NULs
                _tx("BUY", DAY, symbol="CCC", quantity="1,5", price="1")]                  # 4 does not parse
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), transactions=rows), metadata=srv.auth(user), timeout=10)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = _details(ei.value)
        assert violations == [("transactions[0].note", "INVALID_TEXT"),
                              ("transactions[2].quantity", "NEGATIVE_QUANTITY"),
                              ("transactions[3].symbol", "INVALID_TEXT"),
                              ("transactions[3].client_id", "INVALID_TEXT"),
                              ("transactions[4].quantity", "INVALID_DECIMAL")]
        assert (info.reason, info.metadata["field"], info.metadata["violation_count"]) == (
            "INVALID_TEXT", "transactions[0].note", "5")
        assert "(4 more items with problems" in (ei.value.details() or "")
        # U+0000 in the request's own fields: refused at once, naming them
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), base_currency="US\x00", transactions=rows[1:2]),
                metadata=srv.auth(user), timeout=10)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _details(ei.value)[1] == [("base_currency", "INVALID_TEXT")]
        # nothing was written; the good row alone goes in
        ok = await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
            parent=name(user), transactions=rows[1:2]), metadata=srv.auth(user), timeout=10)
        assert ok.created_count == 1


async def test_a_nul_in_another_rpc_is_still_refused_before_the_servicer(db_dsn: str, data_dir: Path) -> None:
    """Only a servicer marked refuses_nul_per_field sees U+0000: any other request holding one is
    refused whole, naming the fields (PostgreSQL text cannot store it)."""
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(DAY))) as srv:
        user = new_user()
        req = portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), positions=[holding("AAA", "1", sector="a\x00")])
        _, info, violations = await _sync_refused(srv, req, user)
        assert violations == [("positions[0].sector", "INVALID_TEXT")]
        assert info.reason == "INVALID_TEXT"
