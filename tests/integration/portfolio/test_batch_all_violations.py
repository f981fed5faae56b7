"""A batch with bad items gets every bad item in ONE INVALID_ARGUMENT (docs/api.md, *Errors*), on a
real server: the per-row rules, CLIENT_ID_REUSED (inside the batch and against the stored ledger),
CURRENCY_MISMATCH (one currency per symbol, and the closes' currency) and SELL_EXCEEDS_HOLDINGS
together, each violation naming its field and carrying its own reason (``FieldViolation.reason``),
the ``ErrorInfo`` the first one's; holdings replayed over the rows no other rule refused; at most 50
problems in one error; nothing written.

It took five calls to learn the problems of one 13-row batch: malformed values, then the per-row
rules, then CLIENT_ID_REUSED alone, then CURRENCY_MISMATCH alone, then SELL_EXCEEDS_HOLDINGS."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    evening,
    flow,
    holding,
    name,
    new_user,
    pdate,
    price_points,
    record,
    stub,
)
from tests.integration.portfolio.support import transaction as _tx
from tests.support.server import running_server

DAY = date(2024, 3, 1)
LATER = date(2024, 3, 4)


def _details(err: grpc.aio.AioRpcError) -> tuple[error_details_pb2.ErrorInfo, list[tuple[str, str, str]]]:
    """The ErrorInfo and every (field, reason, description) of the BadRequest."""
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None
    info = error_details_pb2.ErrorInfo()
    out: list[tuple[str, str, str]] = []
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            d.Unpack(info)
        elif d.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            br = error_details_pb2.BadRequest()
            d.Unpack(br)
            out.extend((v.field, v.reason, v.description) for v in br.field_violations)
    return info, out


async def _batch(srv: object, user: str, rows: list[portfolio_pb2.Transaction]
                 ) -> portfolio_pb2.BatchCreateTransactionsResponse:
    return await stub(srv).BatchCreateTransactions(  # type: ignore[arg-type]
        portfolio_pb2.BatchCreateTransactionsRequest(parent=name(user), transactions=rows),
        metadata=srv.auth(user), timeout=30)  # type: ignore[attr-defined]


async def _refused(srv: object, user: str, rows: list[portfolio_pb2.Transaction]
                   ) -> tuple[error_details_pb2.ErrorInfo, list[tuple[str, str, str]]]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await _batch(srv, user, rows)
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, ei.value.details()
    return _details(ei.value)


async def _count(srv: object, user: str) -> int:
    resp = await stub(srv).ListTransactions(  # type: ignore[arg-type]
        portfolio_pb2.ListTransactionsRequest(parent=name(user), page_size=1000),
        metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]
    return len(resp.transactions)


async def test_every_problem_of_a_batch_in_one_error(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        await record(srv, price_points({"AAA": [(DAY, "10")]}))
        await record(srv, price_points({"GBX": [(DAY, "5")]}, currency="GBP"))
        user = new_user()
        stored = [_tx("DEPOSIT", DAY, amount="1000", client_id="d0"),
                  _tx("BUY", DAY, symbol="AAA", quantity="10", price="10", client_id="b0"),
                  _tx("BUY", DAY, symbol="SAP", quantity="5", price="50", currency="EUR", client_id="s0")]
        await _batch(srv, user, stored)
        rows = [
            _tx("DEPOSIT", DAY, amount="100", client_id="ok1"),                                     # 0 fine
            _tx("BUY", DAY, symbol="AAA", quantity="1.5", price="10", client_id="b0"),            # 1 reused (stored)
            _tx("BUY", date(2027, 1, 4), symbol="AAA", quantity="1", price="10"),                 # 2 future
            _tx("SELL", DAY, symbol="CCC", quantity="3", price="10"),                             # 3 oversell
            _tx("DIVIDEND", DAY, symbol="AAA", amount="1", currency="XXY"),                       # 4 currency code
            _tx("BUY", date(1969, 12, 31), symbol="DDD", quantity="5", price="10"),               # 5 before 1970
            _tx("SPLIT", DAY, symbol="AAA", split_ratio="0"),                                     # 6 split ratio
            _tx("TRANSFER_IN", DAY, symbol="AAA", quantity="1", price="1", fees="1"),             # 7 fee on transfer
            _tx("BUY", DAY, symbol="SAP", quantity="1", price="1", currency="USD"),               # 8 ledger currency
            _tx("BUY", DAY, quantity="1", price="1"),                                             # 9 no symbol
            _tx("BUY", DAY, symbol="AAA", quantity="1", price="1"),                               # 10 fine
            _tx("SELL", LATER, symbol="AAA", quantity="11", price="1"),                           # 11 fine: 10 + 1
            _tx("SELL", LATER, symbol="DDD", quantity="5", price="1"),                            # 12 its BUY refused
            _tx("BUY", DAY, symbol="GBX", quantity="1", price="1", currency="USD"),               # 13 closes in GBP
            _tx("DEPOSIT", DAY, amount="200", client_id="ok1"),                                   # 14 reused (batch)
            _tx("SELL", LATER, symbol="AAA", quantity="1", price="1"),                            # 15 oversell
        ]
        info, violations = await _refused(srv, user, rows)
        assert [(f, r) for f, r, _ in violations] == [
            ("transactions[1].client_id", "CLIENT_ID_REUSED"),
            ("transactions[2].trade_date", "FUTURE_DATE"),
            ("transactions[3].quantity", "SELL_EXCEEDS_HOLDINGS"),
            ("transactions[4].currency", "UNKNOWN_CURRENCY"),
            ("transactions[5].trade_date", "OUT_OF_RANGE"),
            ("transactions[6].split_ratio", "INVALID_SPLIT_RATIO"),
            ("transactions[7].fees", "UNEXPECTED_FIELD"),
            ("transactions[8].currency", "CURRENCY_MISMATCH"),
            ("transactions[9].symbol", "MISSING_FIELD"),
            ("transactions[12].quantity", "SELL_EXCEEDS_HOLDINGS"),
            ("transactions[13].currency", "CURRENCY_MISMATCH"),
            ("transactions[14].client_id", "CLIENT_ID_REUSED"),
            ("transactions[15].quantity", "SELL_EXCEEDS_HOLDINGS"),
        ]
        # the ErrorInfo: the first problem's reason and field, and how many there are
        assert (info.reason, info.metadata["field"], info.metadata["violation_count"]) == (
            "CLIENT_ID_REUSED", "transactions[1].client_id", "13")
        assert "unchecked_from" not in info.metadata
        descriptions = {f: d for f, _, d in violations}
        assert f"users/{user}/portfolio/transactions/" in descriptions["transactions[1].client_id"]
        assert "must be EUR" in descriptions["transactions[8].currency"]
        assert "priced in GBP" in descriptions["transactions[13].currency"]
        assert "0 units held" in descriptions["transactions[12].quantity"]
        assert await _count(srv, user) == 3  # all or nothing: none of the batch was written
        # Without the refused rows the rest goes in as it is, in one call.
        bad = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15}
        ok = await _batch(srv, user, [r for i, r in enumerate(rows) if i not in bad])
        assert ok.created_count == 3 and await _count(srv, user) == 6


async def test_every_oversell_of_one_symbol_and_malformed_values_among_them(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        rows = [_tx("BUY", DAY, symbol="AAA", quantity="2", price="1"),
                _tx("SELL", DAY, symbol="AAA", quantity="5", price="1"),
                _tx("SELL", LATER, symbol="AAA", quantity="1", price="1"),  # fine: the 2 are still held
                _tx("SELL", LATER, symbol="AAA", quantity="3", price="1"),
                _tx("BUY", DAY, symbol="AAA", quantity="1", price="1", client_id="x")]
        _, violations = await _refused(srv, user, rows)
        assert [(f, r) for f, r, _ in violations] == [("transactions[1].quantity", "SELL_EXCEEDS_HOLDINGS"),
                                                      ("transactions[3].quantity", "SELL_EXCEEDS_HOLDINGS")]
        # A malformed value refuses its row, reported in its place with the others' problems (it used to
        # hide them): the BUY of row 0 gone, both SELLs oversell the 1 unit of row 4.
        rows[0].quantity, rows[2].trade_date.month = "1e3", 13
        info, violations = await _refused(srv, user, rows)
        assert [(f, r) for f, r, _ in violations] == [("transactions[0].quantity", "INVALID_DECIMAL"),
                                                      ("transactions[1].quantity", "SELL_EXCEEDS_HOLDINGS"),
                                                      ("transactions[2].trade_date", "INVALID_DATE"),
                                                      ("transactions[3].quantity", "SELL_EXCEEDS_HOLDINGS")]
        assert info.reason == "INVALID_DECIMAL" and info.metadata["violation_count"] == "4"


async def test_at_most_fifty_problems_in_one_error(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        # 30 rows refused by the per-row rules, then 30 oversells: 60 problems, 50 reported
        rows = ([_tx("DEPOSIT", date(1969, 1, 1), amount="1")] * 30
                + [_tx("SELL", DAY, symbol=f"S{i}", quantity="1", price="1") for i in range(30)])
        info, violations = await _refused(srv, user, rows)
        assert len(violations) == 50 and info.metadata["violation_count"] == "50"
        assert [r for _, r, _ in violations] == ["OUT_OF_RANGE"] * 30 + ["SELL_EXCEEDS_HOLDINGS"] * 20
        assert info.metadata["unchecked_from"] == "transactions[50]"
        # past 50 rows refused by the per-row rules, the rest is not checked at all (as before)
        rows = [_tx("DEPOSIT", date(1969, 1, 1), amount="1")] * 60
        info, violations = await _refused(srv, user, rows)
        assert len(violations) == 50 and info.metadata["unchecked_from"] == "transactions[50]"


async def test_import_history_reports_bad_snapshots_and_bad_flows_together(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        req = portfolio_pb2.ImportHoldingsHistoryRequest(
            portfolio=name(user),
            snapshots=[portfolio_pb2.DatedHoldings(effective_date=pdate(DAY),
                                                   positions=[holding("AAA", "1,5")], cash_balance="10")],
            cash_flows=[flow("deposit", "5e2", DAY)])
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).ImportHoldingsHistory(req, metadata=srv.auth(user), timeout=10)
        info, violations = _details(ei.value)
        assert [(f, r) for f, r, _ in violations] == [("snapshots[0].positions[0].quantity", "INVALID_DECIMAL"),
                                                      ("cash_flows[0].amount", "INVALID_DECIMAL")]
        assert info.metadata["violation_count"] == "2"


async def test_import_history_reports_a_negative_flow_with_bad_snapshots(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        req = portfolio_pb2.ImportHoldingsHistoryRequest(
            portfolio=name(user),
            snapshots=[portfolio_pb2.DatedHoldings(effective_date=pdate(DAY), positions=[holding("AAA", "-1")])],
            cash_flows=[flow("deposit", "-5", DAY)])
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).ImportHoldingsHistory(req, metadata=srv.auth(user), timeout=10)
        _, violations = _details(ei.value)
        assert [f for f, _, _ in violations] == ["snapshots[0].positions[0].quantity", "cash_flows[0].amount"]


async def test_malformed_values_do_not_hide_the_other_rules(db_dsn: str, data_dir: Path) -> None:
    """A value that does not parse (a decimal, a date, an enum number) refuses its row only: every other
    rule runs on the well-formed rows, in the same error, in request order."""
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        await _batch(srv, user, [_tx("DEPOSIT", DAY, amount="1000"),
                                 _tx("BUY", DAY, symbol="AAA", quantity="10", price="1", client_id="b1"),
                                 _tx("BUY", DAY, symbol="SAP", quantity="5", price="1", currency="EUR")])
        rows = [
            _tx("BUY", DAY, symbol="MSFT", quantity="abc", price="100"),                  # 0 malformed
            _tx("SELL", LATER, symbol="MSFT", quantity="1", price="1"),                   # 1 its BUY is refused
            _tx("BUY", DAY, symbol="AAA", quantity="1", price="1", client_id="b1"),       # 2 reused (stored)
            _tx("BUY", DAY, symbol="SAP", quantity="1", price="1", currency="USD"),       # 3 ledger currency
            _tx("SELL", LATER, symbol="AAA", quantity="11", price="1"),                   # 4 oversell
            _tx("BUY", DAY, symbol="X2", quantity="1", price="1"),                        # 5 malformed date
            _tx("BUY", DAY, symbol="X1", quantity="1", price="1", client_id="dup"),       # 6 fine
            _tx("BUY", DAY, symbol="X1", quantity="2", price="1", client_id="dup"),       # 7 reused (batch)
            _tx("BUY", DAY, symbol="MSFT", quantity="1", price="x1"),                     # 8 malformed
            _tx("BUY", DAY, symbol="MSFT", quantity="1", price="1"),                      # 9 fine
        ]
        rows[5].trade_date.day = 0  # 2024-03-00
        rows.append(portfolio_pb2.Transaction(type=99, trade_date=pdate(DAY), amount="1"))  # 10 unknown enum
        rows.append(_tx("BUY", date(2099, 1, 1), symbol="X2", quantity="1", price="1"))     # 11 future
        info, violations = await _refused(srv, user, rows)
        assert [(f, r) for f, r, _ in violations] == [
            ("transactions[0].quantity", "INVALID_DECIMAL"),
            ("transactions[2].client_id", "CLIENT_ID_REUSED"),
            ("transactions[3].currency", "CURRENCY_MISMATCH"),
            ("transactions[4].quantity", "SELL_EXCEEDS_HOLDINGS"),
            ("transactions[5].trade_date", "INVALID_DATE"),
            ("transactions[7].client_id", "CLIENT_ID_REUSED"),
            ("transactions[8].price", "INVALID_DECIMAL"),
            ("transactions[10].type", "INVALID_ENUM"),
            ("transactions[11].trade_date", "FUTURE_DATE"),
        ]
        assert (info.reason, info.metadata["field"], info.metadata["violation_count"]) == (
            "INVALID_DECIMAL", "transactions[0].quantity", "9")
        # row 1 sells what row 9 buys (the same day as row 0's, which is refused): fine
        assert await _count(srv, user) == 3
        # the rows left once the refused ones are fixed or dropped go in, in one call
        ok = await _batch(srv, user, [r for i, r in enumerate(rows) if i in (1, 6, 9)])
        assert ok.created_count == 3


async def test_malformed_rows_count_toward_the_fifty(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        # 30 malformed rows, then 30 oversells: 60 problems, 50 reported, in request order
        rows = ([_tx("BUY", DAY, symbol="AAA", quantity="1", price="x")] * 30
                + [_tx("SELL", DAY, symbol=f"S{i}", quantity="1", price="1") for i in range(30)])
        info, violations = await _refused(srv, user, rows)
        assert [r for _, r, _ in violations] == ["INVALID_DECIMAL"] * 30 + ["SELL_EXCEEDS_HOLDINGS"] * 20
        assert (info.metadata["violation_count"], info.metadata["unchecked_from"]) == ("50", "transactions[50]")
        # malformed rows mixed with rows refused by the per-row rules: the report stops at the 51st
        rows = [_tx("BUY", DAY, symbol="AAA", quantity="-1" if i % 2 else "x", price="1") for i in range(60)]
        info, violations = await _refused(srv, user, rows)
        assert [r for _, r, _ in violations] == ["INVALID_DECIMAL", "NEGATIVE_QUANTITY"] * 25
        assert info.metadata["unchecked_from"] == "transactions[50]"


def _import(user: str, snapshots: list[portfolio_pb2.DatedHoldings], flows: list[portfolio_pb2.CashFlow]
            ) -> portfolio_pb2.ImportHoldingsHistoryRequest:
    return portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), snapshots=snapshots, cash_flows=flows)


async def _import_refused(srv: object, req: portfolio_pb2.ImportHoldingsHistoryRequest, user: str
                          ) -> tuple[str, error_details_pb2.ErrorInfo, list[tuple[str, str, str]]]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await stub(srv).ImportHoldingsHistory(req, metadata=srv.auth(user), timeout=10)  # type: ignore[attr-defined]
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, ei.value.details()
    info, violations = _details(ei.value)
    return ei.value.details() or "", info, violations


async def test_import_history_every_violation_has_its_reason_and_the_message_counts_once(
        db_dsn: str, data_dir: Path) -> None:
    """Two bad snapshots and a bad flow: three violations, each with its reason (the flow's was empty),
    and the message says "2 more items" once (it said "1 more item" twice)."""
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        req = _import(user, [portfolio_pb2.DatedHoldings(effective_date=pdate(date(1969, 12, 31)), cash_balance="5"),
                             portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 27)), cash_balance="1"),
                             portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 28)),
                                                         positions=[holding("A", "-1", "1"), holding("B", "1", "1")])],
                      [flow("deposit", "-10", DAY, "f1"), flow("deposit", "5", DAY, "f2")])
        message, info, violations = await _import_refused(srv, req, user)
        assert [(f, r) for f, r, _ in violations] == [("snapshots[0].effective_date", "OUT_OF_RANGE"),
                                                      ("snapshots[2].positions[0].quantity", "NEGATIVE_QUANTITY"),
                                                      ("cash_flows[0].amount", "NEGATIVE_AMOUNT")]
        assert all(r for _, r, _ in violations)
        assert info.metadata["violation_count"] == "3"
        assert message.endswith("(2 more items with problems: see the field violations)"), message
        assert message.count("more item") == 1, message
        # several bad positions of one snapshot: each one an item, each with its reason
        req = _import(user, [portfolio_pb2.DatedHoldings(effective_date=pdate(DAY),
                                                         positions=[holding("A", "-1"), holding("B", "1", "-2"),
                                                                    holding("C", "1")])],
                      [flow("deposit", "-10", DAY)])
        message, info, violations = await _import_refused(srv, req, user)
        assert [(f, r) for f, r, _ in violations] == [("snapshots[0].positions[0].quantity", "NEGATIVE_QUANTITY"),
                                                      ("snapshots[0].positions[1].average_cost", "NEGATIVE_PRICE"),
                                                      ("cash_flows[0].amount", "NEGATIVE_AMOUNT")]
        assert message.count("more item") == 1 and "2 more items" in message, message


async def test_import_history_malformed_values_do_not_hide_the_other_rules(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, clock=FrozenClock(evening(LATER))) as srv:
        user = new_user()
        req = _import(user, [
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 26)),
                                        positions=[holding("AAA", "1,5"), holding("BBB", "-1"), holding("CCC", "1")]),
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2099, 1, 1))),                  # future
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 27)), cash_balance="x"),
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 28)), cash_balance="1"),  # fine
        ], [flow("deposit", "5e2", DAY), flow("deposit", "-5", DAY), flow("deposit", "5", DAY)])
        req.cash_flows.append(portfolio_pb2.CashFlow(type=7, amount="1", occur_date=pdate(DAY)))
        message, info, violations = await _import_refused(srv, req, user)
        assert [(f, r) for f, r, _ in violations] == [
            ("snapshots[0].positions[0].quantity", "INVALID_DECIMAL"),
            ("snapshots[0].positions[1].quantity", "NEGATIVE_QUANTITY"),
            ("snapshots[1].effective_date", "FUTURE_DATE"),
            ("snapshots[2].cash_balance", "INVALID_DECIMAL"),
            ("cash_flows[0].amount", "INVALID_DECIMAL"),
            ("cash_flows[1].amount", "NEGATIVE_AMOUNT"),
            ("cash_flows[3].type", "INVALID_ENUM"),
        ]
        assert (info.reason, info.metadata["violation_count"]) == ("INVALID_DECIMAL", "7")
        assert message.count("more item") == 1 and "6 more items" in message, message
        # at most 50, in request order, the first item not checked named
        req = _import(user, [portfolio_pb2.DatedHoldings(effective_date=pdate(DAY),
                                                         positions=[holding(f"S{i}", "x" if i % 2 else "-1")
                                                                    for i in range(40)])],
                      [flow("deposit", "-1", DAY)] * 20)
        _, info, violations = await _import_refused(srv, req, user)
        assert len(violations) == 50 and [r for _, r, _ in violations[38:42]] == [
            "NEGATIVE_QUANTITY", "INVALID_DECIMAL", "NEGATIVE_AMOUNT", "NEGATIVE_AMOUNT"]
        assert (info.metadata["violation_count"], info.metadata["unchecked_from"]) == ("50", "cash_flows[10]")
        req = _import(user, [portfolio_pb2.DatedHoldings(effective_date=pdate(DAY), cash_balance="y")] * 60, [])
        _, info, violations = await _import_refused(srv, req, user)
        assert len(violations) == 50 and info.metadata["unchecked_from"] == "snapshots[50]"
        # a snapshot whose own fields are refused (its cash does not parse, its date is out of range) still has
        # each of its bad positions reported with it, as SyncPortfolio reports them
        req = _import(user, [
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 26)), cash_balance="zz",
                                        positions=[holding("X", "-1"), holding("Y", "1,5"), holding("Z", "1")]),
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(1969, 12, 31)), positions=[holding("W", "-2")]),
        ], [])
        _, info, violations = await _import_refused(srv, req, user)
        assert [(f, r) for f, r, _ in violations] == [
            ("snapshots[0].cash_balance", "INVALID_DECIMAL"),
            ("snapshots[0].positions[0].quantity", "NEGATIVE_QUANTITY"),
            ("snapshots[0].positions[1].quantity", "INVALID_DECIMAL"),
            ("snapshots[1].effective_date", "OUT_OF_RANGE"),
            ("snapshots[1].positions[0].quantity", "NEGATIVE_QUANTITY"),
        ]
        # a snapshot whose cash does not parse still has its date checked, in field order, before its cash: a later
        # snapshot of the same date is DUPLICATE_DATE, and a date and cash that both do not parse report the date
        req = _import(user, [
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 26)), cash_balance="zz"),
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2024, 2, 26))),
            portfolio_pb2.DatedHoldings(effective_date=common_pb2.Date(year=2024, month=2, day=30), cash_balance="y"),
            portfolio_pb2.DatedHoldings(effective_date=pdate(date(2099, 1, 1)), cash_balance="x"),
        ], [])
        _, info, violations = await _import_refused(srv, req, user)
        assert [(f, r) for f, r, _ in violations] == [
            ("snapshots[0].cash_balance", "INVALID_DECIMAL"),
            ("snapshots[1].effective_date", "DUPLICATE_DATE"),
            ("snapshots[2].effective_date", "INVALID_DATE"),
            ("snapshots[3].effective_date", "FUTURE_DATE"),
        ]
