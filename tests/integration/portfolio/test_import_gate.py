"""A user's ImportHoldingsHistory calls run at most two at once per server process: the write rate
counts an import of 200 snapshots as one write, and 25 of them at once held every pooled connection
(other users' calls failed with DATABASE_UNAVAILABLE). The third is RESOURCE_EXHAUSTED
(TOO_MANY_CONCURRENT_IMPORTS) with a RetryInfo; another user's import is not affected."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import grpc
import psycopg
import pytest
from google.rpc import error_details_pb2, status_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.heavy_writes import MAX_CONCURRENT_IMPORTS
from tests.integration.portfolio.support import error_details, holding, name, new_user, pdate, stub, sync
from tests.support.server import running_server


def _import(user: str, day: date) -> portfolio_pb2.ImportHoldingsHistoryRequest:
    return portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), base_currency="USD", snapshots=[
        portfolio_pb2.DatedHoldings(effective_date=pdate(day), cash_balance="100",
                                    positions=[holding("AAPL", "1", "100")])])


async def test_a_third_concurrent_import_of_one_user_is_refused_with_retry_info(db_dsn: str, data_dir: Path) -> None:
    assert MAX_CONCURRENT_IMPORTS == 2
    user, other = new_user(), new_user()
    async with running_server(db_dsn, data_dir) as srv:
        await sync(srv, user, [holding("AAPL", "1", "100")])
        md = srv.auth(user)
        # Another session holds the user's portfolio row: the user's imports wait inside their transaction.
        async with await psycopg.AsyncConnection.connect(db_dsn) as blocker:
            await blocker.execute("BEGIN")
            await blocker.execute("SELECT 1 FROM portfolios WHERE user_id = %s FOR UPDATE", (user,))
            async def one(day: date) -> portfolio_pb2.ImportHoldingsHistoryResponse:
                return await stub(srv).ImportHoldingsHistory(_import(user, day), metadata=md, timeout=30)

            held = [asyncio.create_task(one(date(2024, 1, 2 + i))) for i in range(MAX_CONCURRENT_IMPORTS)]
            for _ in range(100):  # both are waiting for the row lock
                cur = await blocker.execute("SELECT count(*) FROM pg_stat_activity "
                                            "WHERE wait_event_type = 'Lock' AND datname = current_database()")
                row = await cur.fetchone()
                if row is not None and row[0] >= MAX_CONCURRENT_IMPORTS:
                    break
                await asyncio.sleep(0.05)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub(srv).ImportHoldingsHistory(_import(user, date(2024, 1, 9)), metadata=md, timeout=10)
            # another user's import goes through meanwhile
            ok = await stub(srv).ImportHoldingsHistory(_import(other, date(2024, 1, 9)), metadata=srv.auth(other),
                                                       timeout=10)
            assert ok.snapshot_count == 1
            await blocker.execute("ROLLBACK")
        done = await asyncio.gather(*held)
        assert [r.snapshot_count for r in done] == [1] * MAX_CONCURRENT_IMPORTS
        # once they have finished, the user may import again
        again = await stub(srv).ImportHoldingsHistory(_import(user, date(2024, 1, 10)), metadata=md, timeout=10)
        assert again.snapshot_count == 1
    err = refused.value
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    info, _ = error_details(err)
    assert info.reason == "TOO_MANY_CONCURRENT_IMPORTS" and info.metadata["limit"] == "2"
    status = status_pb2.Status.FromString(dict(err.trailing_metadata())["grpc-status-details-bin"])
    retry = [d for d in status.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
    assert retry, status.details
