"""A ledger of many distinct symbols (BatchCreateTransactions) on a real server.

* A ledger holds at most as many distinct symbols as SyncPortfolio takes positions (10,000): a write
  that would add one past it is INVALID_ARGUMENT TOO_MANY_SYMBOLS naming the row's symbol, and writes
  nothing; rows of symbols already held are still accepted; an update that moves a transaction to a
  new symbol is refused only when it adds to the count. The check runs under the ledger's write lock:
  concurrent batches cannot pass the limit together. The importer is held to it too.
* The summary of a 10,000-symbol ledger neither takes quadratic time (``Ledger.symbols`` was rebuilt
  once per symbol: ~6 s of CPU) nor holds the event loop (the ledger was derived on it: health
  checks waited seconds).
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.portfolio import ledger_service
from stack_cfo.core.portfolio.fx import FxTable
from stack_cfo.core.portfolio.inputs import MAX_POSITIONS
from stack_cfo.core.portfolio.ledger import derive_ledger, group_transactions
from stack_cfo.core.portfolio.ports import StoredPortfolio
from stack_cfo.core.portfolio.service import _inline, _Inputs
from stack_cfo.core.portfolio.settings import AnalyticsSettings
from stack_cfo.core.portfolio.transactions import CostBasisMethod, Transaction, TransactionInput, TransactionType
from stack_cfo.wiring.importer import import_transactions
from tests.integration.portfolio.support import error_details, name, new_user, pdate, stub
from tests.integration.portfolio.support import lock_waiters as _waiting
from tests.support.server import RunningServer, running_server, test_config

DAY = date(2024, 3, 4)
#: These tests are of scale, not of the per-user CPU budgets: 10,000 symbols' writes on a loaded CI machine used up
#: the write budget (RESOURCE_EXHAUSTED where a refusal of the 10,001st symbol was expected).
_UNMETERED = {"rate_limits": {"user": {"write_cpu": "unlimited", "read_cpu": "unlimited"}}}
CLOCK = FrozenClock(datetime(2024, 3, 8, 23, 0, tzinfo=UTC))
LIMIT = 10_000


def _symbol(i: int) -> str:
    return f"S{i:09d}" + "X" * 22  # 32 characters, as the tester's


def _buy(symbol: str, **kw: str) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, symbol=symbol,
                                     quantity=kw.pop("quantity", "123456789.123456789"), price="1.000001",
                                     currency="USD", trade_date=pdate(DAY), **kw)


def _tx(kind: str, **kw: Any) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=getattr(portfolio_pb2, f"TRANSACTION_TYPE_{kind}"), trade_date=pdate(DAY),
                                     currency="USD", **kw)


async def _batch(srv: RunningServer, user: str, rows: Sequence[portfolio_pb2.Transaction]
                 ) -> portfolio_pb2.BatchCreateTransactionsResponse:
    return await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
        parent=name(user), transactions=list(rows)), metadata=srv.auth(user), timeout=120)


async def _refused(call: Any) -> tuple[Any, list[tuple[str, str]]]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await call
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, ei.value
    return error_details(ei.value)


async def _count(srv: RunningServer, user: str, symbol: str = "") -> int:
    n, token = 0, ""
    while True:
        page = await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(
            parent=name(user), symbol=symbol, page_size=1000, page_token=token), metadata=srv.auth(user), timeout=30)
        n += len(page.transactions)
        token = page.next_page_token
        if not token:
            return n


def _ledger_portfolio(rows: Sequence[tuple[str, date]]) -> StoredPortfolio:
    """A ledger of a BUY of each (symbol, day)."""
    now = CLOCK.now()
    txs = [Transaction(str(i), i, TransactionInput(type=TransactionType.BUY, trade_date=day, symbol=symbol,
                                                   quantity=Decimal(1), price=Decimal(1), currency="USD",
                                                   fees=Decimal(0)), now, now)
           for i, (symbol, day) in enumerate(rows)]
    ledger = derive_ledger(group_transactions(txs), base="USD", method=CostBasisMethod.AVERAGE_COST,
                           fx=FxTable("USD", {}), as_of=now)
    return StoredPortfolio(user_id="u", base_currency="USD", snapshots=(), cash_flows=(), ledger=ledger)


def test_the_ledgers_symbols_are_not_rebuilt_per_symbol() -> None:
    """StoredPortfolio.symbol_currencies read Ledger.symbols (a new set of every book) once per book: ~6 s
    of the event loop for 10,000 symbols. The set is made once, with the ledger."""
    portfolio = _ledger_portfolio([(_symbol(i), DAY) for i in range(LIMIT)])
    assert portfolio.ledger is not None and portfolio.ledger.symbols is portfolio.ledger.symbols
    assert len(portfolio.symbol_currencies) == LIMIT


def test_a_ledger_with_a_long_timeline_is_not_computed_on_the_loop() -> None:
    """300 symbols (under the 500 positions computed on the loop) traded over 1,000 days, no price:
    300,000 timeline cells go to a thread; a small ledger stays on the loop."""
    settings = AnalyticsSettings()
    long = _ledger_portfolio([(f"L{j % 300}", date(2020, 1, 1) + timedelta(days=j)) for j in range(1000)])
    assert not _inline(_Inputs(long, {}, settings))
    small = _ledger_portfolio([(f"L{j % 30}", date(2020, 1, 1) + timedelta(days=j)) for j in range(300)])
    assert _inline(_Inputs(small, {}, settings))


async def test_a_10000_symbol_ledger_is_summarised_off_the_loop_and_holds_no_more(
    db_dsn: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MAX_POSITIONS == LIMIT
    threads: set[str] = set()
    real = ledger_service.derive_book

    def derive_book(*args: Any, **kw: Any) -> Any:
        threads.add(threading.current_thread().name)
        return real(*args, **kw)

    monkeypatch.setattr(ledger_service, "derive_book", derive_book)
    async with running_server(db_dsn, data_dir, _UNMETERED, clock=CLOCK) as srv:
        user = new_user()
        await _batch(srv, user, [_buy(_symbol(i), client_id=f"c{i}") for i in range(LIMIT)])

        s = await stub(srv).GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user)),
                                                metadata=srv.auth(user), timeout=120)
        assert len(s.ledger_positions) == LIMIT and len(s.positions) == LIMIT
        assert s.ByteSize() <= 4_177_920
        # was: ~6 s on the loop (Ledger.symbols per symbol) and ~1 s deriving the ledger on it
        # the ledger's 10,000 books were derived on the portfolio compute thread, not the loop's
        assert threads and all(t.startswith("portfolio-compute") for t in threads), threads

        # a new symbol past 10,000 is refused, naming its row; nothing of the batch is written
        info, violations = await _refused(_batch(srv, user, [_buy(_symbol(0), quantity="1"), _buy("NEW1")]))
        assert info.reason == "TOO_MANY_SYMBOLS"
        assert info.metadata["field"] == "transactions[1].symbol"
        assert (info.metadata["limit"], info.metadata["symbol_count"], info.metadata["stored_symbols"]) == (
            "10000", "10001", "10000")
        assert [f for f, _ in violations] == ["transactions[1].symbol"]
        assert await _count(srv, user, _symbol(0)) == 1 and await _count(srv, user, "NEW1") == 0
        # a dividend opens a symbol's book (its ledger position) too
        info, _ = await _refused(_batch(srv, user, [_tx("DIVIDEND", symbol="NEW2", amount="1")]))
        assert (info.reason, info.metadata["field"]) == ("TOO_MANY_SYMBOLS", "transactions[0].symbol")
        # the symbols held, and cash, are still welcome
        ok = await _batch(srv, user, [
            _tx("SELL", symbol=_symbol(0), quantity="1", price="2"), _tx("DEPOSIT", amount="100"),
            _tx("DIVIDEND", symbol=_symbol(2), amount="3"), _buy(_symbol(3), quantity="2")])
        assert ok.created_count == 4
        listed = await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(
            parent=name(user), symbol=_symbol(1)), metadata=srv.auth(user), timeout=10)
        only = listed.transactions[0]
        dividend = ok.transactions[2]
        mask = field_mask_pb2.FieldMask(paths=["symbol"])
        # moving the dividend of a symbol that keeps its BUY to a new symbol adds one: refused
        dividend.symbol = "NEW3"
        info, violations = await _refused(stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(
            transaction=dividend, update_mask=mask), metadata=srv.auth(user), timeout=30))
        assert (info.reason, info.metadata["field"], info.metadata["symbol_count"]) == (
            "TOO_MANY_SYMBOLS", "transaction.symbol", "10001")
        # moving the only transaction of a symbol to a new one keeps the count: accepted
        only.symbol = "RENAMED"
        moved = await stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(
            transaction=only, update_mask=mask), metadata=srv.auth(user), timeout=30)
        assert moved.symbol == "RENAMED"
        # a deletion frees a symbol, and the freed place can be taken
        await stub(srv).DeleteTransaction(portfolio_pb2.DeleteTransactionRequest(name=moved.name),
                                          metadata=srv.auth(user), timeout=30)
        assert (await _batch(srv, user, [_buy("NEW4")])).created_count == 1
        await _refused(_batch(srv, user, [_buy("NEW5")]))


async def test_concurrent_batches_cannot_pass_the_limit_together(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, _UNMETERED, clock=CLOCK) as srv:
        user = new_user()
        await _batch(srv, user, [_buy(_symbol(i)) for i in range(LIMIT - 10)])
        # Three batches of 5 new symbols each, while the test holds the portfolio row: each has passed
        # every check that needs no lock and waits for it; room is left for two of them.
        async with await psycopg.AsyncConnection.connect(db_dsn) as holder, \
                await psycopg.AsyncConnection.connect(db_dsn, autocommit=True) as watcher:
            await holder.execute("SELECT 1 FROM portfolios WHERE user_id = %s FOR UPDATE", (user,))
            calls = [asyncio.ensure_future(_batch(srv, user, [_buy(f"RACE{k}{j}") for j in range(5)]))
                     for k in range(3)]
            try:
                await _waiting(watcher, 3)
            finally:
                await holder.commit()
            outcomes: list[str] = []
            for c in calls:
                try:
                    await c
                    outcomes.append("OK")
                except grpc.aio.AioRpcError as err:
                    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT, err
                    outcomes.append(error_details(err)[0].reason)
        assert sorted(outcomes) == ["OK", "OK", "TOO_MANY_SYMBOLS"], outcomes
        assert await _count(srv, user) == LIMIT


async def test_the_importer_is_held_to_the_limit(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, _UNMETERED, clock=CLOCK) as srv:
        cfg = test_config(db_dsn, data_dir)
        user = new_user()
        await _batch(srv, user, [_buy(_symbol(i)) for i in range(LIMIT - 1)])
        csv = ("date,type,symbol,quantity,price,amount,currency,fees,split_ratio,id,note\n"
               f"{DAY},BUY,{_symbol(5)},1,1,,USD,,,a,\n{DAY},BUY,IMP1,1,1,,USD,,,b,\n{DAY},BUY,IMP2,1,1,,USD,,,c,\n")
        for dry_run in (True, False):
            out, err = io.StringIO(), io.StringIO()
            code = await import_transactions(cfg, user, csv, out=out, err=err, dry_run=dry_run)
            assert code == 1 and "TOO_MANY_SYMBOLS" in err.getvalue(), (dry_run, err.getvalue())
            assert "line 4" in err.getvalue(), err.getvalue()  # IMP2, the 10,001st symbol
        assert await _count(srv, user) == LIMIT - 1
        out, err = io.StringIO(), io.StringIO()
        code = await import_transactions(cfg, user, "\n".join(csv.splitlines()[:3]) + "\n", out=out, err=err)
        assert code == 0, err.getvalue()
        assert await _count(srv, user) == LIMIT + 1  # two more rows, one new symbol: the ledger is full

