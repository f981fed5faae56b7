"""Concurrent first writes to a portfolio's ledger (BatchCreateTransactions) are serialised like any others.

The race is made deterministic: the test itself plays the first writer, holding a transaction that has
created the portfolio row (and a BUY) but not committed, while several BatchCreateTransactions calls run.
Every call finds no portfolio row yet, so its own insert of the row waits for the test's transaction.
Once they all wait, the test commits. Each call must then lock the row the test created:

* two SELLs of 6 against the BUY of 10 cannot both pass the SELL_EXCEEDS_HOLDINGS check;
* a requested base_currency other than the row's is CURRENCY_MISMATCH, and a row without a currency is
  recorded in the row's base currency (not in the one the call guessed before the row existed);
* SyncPortfolio calls racing a first write check the created row the same way: another base is
  CURRENCY_MISMATCH, and a ledger-based portfolio (the first writer's BUY) is PORTFOLIO_LEDGER_BASED.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.store.users import ensure_user
from tests.integration.portfolio.support import error_details, holding, name, new_user, pdate, stub
from tests.integration.portfolio.support import lock_waiters as _waiting
from tests.support.server import RunningServer, running_server

DAY = date(2024, 3, 4)
CLOCK = FrozenClock(datetime(2024, 3, 8, 18, 0, tzinfo=UTC))
ROUNDS = 3

#: A user's heavy writes take turns (three at a time) before they reach the database; these tests race the
#: database's own row lock, so every call must get there at once.
_RACING = {"rate_limits": {"user": {"write_cpu": "unlimited"}}}


def _tx(kind: str, day: date, **kw: str) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=getattr(portfolio_pb2, f"TRANSACTION_TYPE_{kind}"),
                                     trade_date=pdate(day), **kw)


async def _first_writer_racing(
    db_dsn: str, srv: RunningServer, user: str, base: str, buy: bool,
    requests: Sequence[portfolio_pb2.BatchCreateTransactionsRequest | portfolio_pb2.SyncPortfolioRequest],
) -> list[Any]:
    """Create ``user``'s portfolio (in ``base``, with a BUY 10 of AAA when ``buy``) in a transaction
    held open while ``requests`` are sent at once; commit when they all wait; their outcomes."""
    async with await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as conn:
        await ensure_user(conn, user)  # the user exists (committed), as it does once its data key is made
    async with await psycopg.AsyncConnection.connect(db_dsn) as holder, \
            await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as watcher:
        await holder.execute(
            "INSERT INTO portfolios (user_id, base_currency, cash_balance, position_count, synced_at) "
            "VALUES (%s, %s, 0, 0, now())", (user, base))
        if buy:
            await holder.execute(
                "INSERT INTO portfolio_transactions (id, user_id, txn_type, trade_date, book, symbol, quantity, "
                "price, currency, fees, note) VALUES (%s, %s, 'BUY', %s, 'AAA', 'AAA', 10, 10, %s, 0, '')",
                (str(uuid.uuid4()), user, DAY, base))
        calls = [asyncio.ensure_future(
            (stub(srv).SyncPortfolio if isinstance(r, portfolio_pb2.SyncPortfolioRequest)
             else stub(srv).BatchCreateTransactions)(r, metadata=srv.auth(user), timeout=30)  # type: ignore[arg-type]
        ) for r in requests]
        try:
            await _waiting(watcher, len(requests))
        finally:
            await holder.commit()
        outcomes: list[Any] = []
        for c in calls:
            try:
                outcomes.append(await c)
            except grpc.aio.AioRpcError as err:
                outcomes.append(err)
        return outcomes


def _reason(outcome: object) -> str:
    if isinstance(outcome, grpc.aio.AioRpcError):
        assert outcome.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION), outcome
        return error_details(outcome)[0].reason
    return "OK"


async def test_concurrent_first_sells_cannot_oversell(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, _RACING, clock=CLOCK) as srv:
        for _ in range(ROUNDS):
            user = new_user()
            sells = [portfolio_pb2.BatchCreateTransactionsRequest(parent=name(user), transactions=[
                _tx("SELL", date(2024, 3, 5 + i), symbol="AAA", quantity="6", price="10")]) for i in range(3)]
            outcomes = await _first_writer_racing(db_dsn, srv, user, "USD", True, sells)
            reasons = sorted(_reason(o) for o in outcomes)
            assert reasons == ["OK", "SELL_EXCEEDS_HOLDINGS", "SELL_EXCEEDS_HOLDINGS"], reasons
            listed = await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(
                parent=name(user), symbol="AAA"), metadata=srv.auth(user), timeout=10)
            assert [t.type for t in listed.transactions].count(portfolio_pb2.TRANSACTION_TYPE_SELL) == 1
            # the ledger stays writable: the next sale within the 4 units left is accepted
            await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), transactions=[_tx("SELL", date(2024, 3, 8), symbol="AAA", quantity="4",
                                                     price="10")]), metadata=srv.auth(user), timeout=10)


@pytest.mark.parametrize("winner", ["EUR", "JPY"])
async def test_concurrent_first_writes_use_the_base_currency_of_the_created_portfolio(
    db_dsn: str, data_dir: Path, winner: str
) -> None:
    async with running_server(db_dsn, data_dir, _RACING, clock=CLOCK) as srv:
        for _ in range(ROUNDS):
            user = new_user()
            bases = ["USD", "", "GBP", "", winner]
            requests = [portfolio_pb2.BatchCreateTransactionsRequest(
                parent=name(user), base_currency=b,
                transactions=[_tx("DEPOSIT", DAY, amount="100", note=f"call{i}")]) for i, b in enumerate(bases)]
            outcomes = await _first_writer_racing(db_dsn, srv, user, winner, False, requests)
            reasons = [_reason(o) for o in outcomes]
            assert reasons == ["CURRENCY_MISMATCH", "OK", "CURRENCY_MISMATCH", "OK", "OK"], reasons
            for b, o in zip(bases, outcomes, strict=True):
                if isinstance(o, grpc.aio.AioRpcError):
                    info, violations = error_details(o)
                    assert info.metadata["base_currency"] == winner and info.metadata["requested"] == b
                    assert violations[0][0] == "base_currency"
                else:
                    assert [t.currency for t in o.transactions] == [winner]
            listed = await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(user)),
                                                      metadata=srv.auth(user), timeout=10)
            assert sorted((t.note, t.currency) for t in listed.transactions) == [
                ("call1", winner), ("call3", winner), ("call4", winner)]
            s = await stub(srv).GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(
                portfolio=name(user)), metadata=srv.auth(user), timeout=10)
            assert s.base_currency == winner


async def test_concurrent_first_syncs_check_the_created_portfolio(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, _RACING, clock=CLOCK) as srv:
        for buy in (False, True):
            user = new_user()
            syncs = [portfolio_pb2.SyncPortfolioRequest(
                portfolio=name(user), base_currency=b, cash_balance="100",
                positions=[holding("BBB", "5", "20", currency="EUR")]) for b in ("USD", "EUR", "GBP")]
            outcomes = await _first_writer_racing(db_dsn, srv, user, "EUR", buy, syncs)
            reasons = [_reason(o) for o in outcomes]
            if buy:  # the first writer's portfolio is ledger-based: no snapshot may land in it
                assert reasons == ["CURRENCY_MISMATCH", "PORTFOLIO_LEDGER_BASED", "CURRENCY_MISMATCH"], reasons
            else:
                assert reasons == ["CURRENCY_MISMATCH", "OK", "CURRENCY_MISMATCH"], reasons
            s = await stub(srv).GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(
                portfolio=name(user)), metadata=srv.auth(user), timeout=10)
            assert s.base_currency == "EUR"
            assert [p.symbol for p in s.positions] == (["AAA"] if buy else ["BBB"])
