"""RecordPrices and the currency a symbol is traded in.

A symbol's trades and positions share the currency of its prices (Transaction.currency, Holding.currency).
While a symbol has no close yet, trades and positions are recorded in any currency; the first prices
then used to be accepted in another one, valued as if the rate were 1 (a EUR position priced with USD
closes), and every later trade of the symbol failed whatever its currency. RecordPrices now reads the
currency the symbol is traded in (every user's ledger, through row-level security: the system scope)
and held in (snapshot positions) and refuses a point in another one, naming it
(`points[i].currency`, CURRENCY_MISMATCH), storing nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from google.rpc import error_details_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    error_details,
    evening,
    holding,
    name,
    new_user,
    pdate,
    record,
    stub,
    summary,
    sync,
)
from tests.support.server import RunningServer, running_server

TODAY = date(2024, 5, 15)  # a Wednesday
TRADED = TODAY - timedelta(days=2)


def _rows(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def _point(symbol: str, close: str, currency: str, day: date = TODAY - timedelta(days=1)) -> portfolio_pb2.PricePoint:
    return portfolio_pb2.PricePoint(symbol=symbol, date=pdate(day), close=close, currency=currency)


def _buy(symbol: str, currency: str, day: date = TRADED) -> portfolio_pb2.Transaction:
    return portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_BUY, trade_date=pdate(day), symbol=symbol,
                                     quantity="10", price="10", currency=currency)


async def _batch(srv: RunningServer, user: str, *txs: portfolio_pb2.Transaction
                 ) -> portfolio_pb2.BatchCreateTransactionsResponse:
    return await stub(srv).BatchCreateTransactions(portfolio_pb2.BatchCreateTransactionsRequest(
        parent=name(user), transactions=list(txs), base_currency="USD"), metadata=srv.auth(user), timeout=10)


async def _refused(srv: RunningServer, points: list[portfolio_pb2.PricePoint], request_id: str = ""
                   ) -> tuple[error_details_pb2.ErrorInfo, list[str]]:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await record(srv, points, request_id=request_id)
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, violations = error_details(ei.value)
    return info, [v[0] for v in violations]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(evening(TODAY))


async def test_first_prices_in_another_currency_than_the_trades_are_refused(
    db_dsn: str, data_dir: Path, clock: FrozenClock
) -> None:
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _batch(srv, user, _buy("XCCY", "EUR"))
        info, fields = await _refused(srv, [_point("AAA", "5", "USD"), _point("XCCY", "11", "USD")])
        assert (info.reason, fields) == ("CURRENCY_MISMATCH", ["points[1].currency"])
        assert info.metadata["symbol"] == "XCCY" and info.metadata["traded_currencies"] == "EUR"
        assert _rows(db_dsn, "SELECT count(*) FROM prices") == [(0,)]  # all or nothing
        # with a request id (the idempotent path) as well
        info, fields = await _refused(srv, [_point("XCCY", "11", "USD")],
                                      request_id="5f0c6a52-3f8e-4f4e-9a53-0d7a1b2c3d4e")
        assert (info.reason, fields) == ("CURRENCY_MISMATCH", ["points[0].currency"])
        # In the symbol's currency it is stored; the symbol is valued in EUR and trades on.
        resp = await record(srv, [_point("AAA", "5", "USD"), _point("XCCY", "11", "EUR")])
        assert resp.inserted_count == 2
        s = await summary(srv, user)
        [pos] = [p for p in s.positions if p.symbol == "XCCY"]
        assert pos.currency == "EUR"
        assert (await _batch(srv, user, _buy("XCCY", "EUR", TODAY))).created_count == 1


async def test_once_closes_exist_they_decide(db_dsn: str, data_dir: Path, clock: FrozenClock) -> None:
    user = new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _batch(srv, user, _buy("XCCY", "EUR"))
        await record(srv, [_point("XCCY", "11", "EUR", TODAY - timedelta(days=2))])
        assert (await record(srv, [_point("XCCY", "12", "EUR")])).inserted_count == 1
        info, fields = await _refused(srv, [_point("XCCY", "12", "USD", TODAY)])
        assert (info.reason, fields, info.metadata["price_currency"]) == (
            "CURRENCY_MISMATCH", ["points[0].currency"], "EUR")


async def test_snapshot_positions_count_as_well(db_dsn: str, data_dir: Path, clock: FrozenClock) -> None:
    held, gone_ledger = new_user(), new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await sync(srv, held, [holding("YCCY", "3", "20", currency="EUR")])
        info, fields = await _refused(srv, [_point("YCCY", "21", "USD")])
        assert (info.reason, fields, info.metadata["traded_currencies"]) == (
            "CURRENCY_MISMATCH", ["points[0].currency"], "EUR")
        # A ledger-based portfolio's old snapshot is not used: it does not decide a currency.
        await sync(srv, gone_ledger, [holding("WCCY", "3", "20", currency="EUR")])
        dep = portfolio_pb2.Transaction(type=portfolio_pb2.TRANSACTION_TYPE_DEPOSIT, trade_date=pdate(TRADED),
                                        amount="100")
        await _batch(srv, gone_ledger, dep)
        assert (await record(srv, [_point("WCCY", "21", "USD"), _point("YCCY", "21", "EUR")])).inserted_count == 2


async def test_portfolios_that_disagree_block_every_currency(
    db_dsn: str, data_dir: Path, clock: FrozenClock
) -> None:
    """Two users traded the symbol in two currencies before it had prices (each ledger on its own is
    consistent). Whatever currency the prices came in, one of them would be valued at a rate of 1:
    both are refused, naming both currencies, until the ledgers agree."""
    eur, usd = new_user(), new_user()
    async with running_server(db_dsn, data_dir, clock=clock) as srv:
        await _batch(srv, eur, _buy("ZCCY", "EUR"))
        await _batch(srv, usd, _buy("ZCCY", "USD"))
        for ccy in ("EUR", "USD"):
            info, fields = await _refused(srv, [_point("ZCCY", "11", ccy)])
            assert (info.reason, fields, info.metadata["traded_currencies"]) == (
                "CURRENCY_MISMATCH", ["points[0].currency"], "EUR,USD")
        # the EUR trader corrects the currency: USD prices go in
        [t] = (await stub(srv).ListTransactions(portfolio_pb2.ListTransactionsRequest(parent=name(eur)),
                                                metadata=srv.auth(eur), timeout=10)).transactions
        t.currency = "USD"
        await stub(srv).UpdateTransaction(portfolio_pb2.UpdateTransactionRequest(transaction=t),
                                          metadata=srv.auth(eur), timeout=10)
        assert (await record(srv, [_point("ZCCY", "11", "USD")])).inserted_count == 1
