"""Bounds that hold downstream: out-of-range numbers are refused naming the field and nothing is
stored; values stored before the bounds existed give a reason code, never INTERNAL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import grpc
import psycopg
import pytest
from google.protobuf.duration_pb2 import Duration

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2
from tests.integration.portfolio.support import (
    error_details,
    holding,
    name,
    new_user,
    price_points,
    record,
    stub,
    summary,
    sync,
    trading_days,
)
from tests.support.server import RunningServer, running_server

HUGE = "1" + "0" * 26  # 27 integer digits: accepted before, broke every later read


async def _prices(srv: RunningServer) -> None:
    days = trading_days(date.today() - timedelta(days=20), 10)
    await record(srv, price_points({"AAPL": [(d, "100.5") for d in days], "SPY": [(d, "400") for d in days]}))


async def _all_reads(srv: RunningServer, user: str) -> None:
    """Summary, watch, narrative stream and history all answer for ``user``."""
    await summary(srv, user)
    call = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name(user)), metadata=srv.auth(user))
    first = await call.read()
    assert first.trigger == portfolio_pb2.WATCH_TRIGGER_INITIAL
    call.cancel()
    events = [e async for e in stub(srv).StreamPortfolioSummary(
        portfolio_pb2.StreamPortfolioSummaryRequest(portfolio=name(user)), metadata=srv.auth(user), timeout=30)]
    assert events[-1].HasField("narrative_completed")
    await stub(srv).GetPerformanceHistory(
        portfolio_pb2.GetPerformanceHistoryRequest(portfolio=name(user), range=portfolio_pb2.PERFORMANCE_RANGE_ALL),
        metadata=srv.auth(user), timeout=10)


@pytest.mark.parametrize(
    ("field", "positions", "cash"),
    [
        ("cash_balance", [holding("AAPL", "2")], HUGE),
        ("cash_balance", [holding("AAPL", "2")], "-" + HUGE),
        ("cash_balance", [holding("AAPL", "2")], "1000000000000000"),
        ("positions[0].quantity", [holding("AAPL", "1000000000000")], "5"),
        ("positions[0].average_cost", [holding("AAPL", "1", "1000000000000")], "5"),
    ],
)
async def test_out_of_range_sync_is_refused_and_stores_nothing(
    db_dsn: str, data_dir: Path, field: str, positions: list[portfolio_pb2.Holding], cash: str
) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        await _prices(srv)
        user = new_user()
        await sync(srv, user, [holding("AAPL", "3", "90")], cash="250.00")
        before = await summary(srv, user)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await sync(srv, user, positions, cash=cash)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(ei.value)
        assert info.reason == "OUT_OF_RANGE"
        assert [f for f, _ in violations] == [field]
        after = await summary(srv, user)
        assert after.cash_balance == before.cash_balance == "250.00"
        assert [p.quantity for p in after.positions] == ["3"]
        await _all_reads(srv, user)


async def test_prices_beyond_the_bound_are_refused(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        d = date.today() - timedelta(days=3)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await record(srv, price_points({"AAPL": [(d, "1000000000000")]}))
        info, violations = error_details(ei.value)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT and info.reason == "OUT_OF_RANGE"
        assert violations[0][0] == "points[0].close"


async def test_the_largest_accepted_values_compute_everywhere(db_dsn: str, data_dir: Path) -> None:
    """Values just inside every bound: summary, watch, narrative and history all answer."""
    async with running_server(db_dsn, data_dir) as srv:
        days = trading_days(date.today() - timedelta(days=20), 10)
        top_price = "999999999999.999999999999999999"
        await record(srv, price_points({"AAPL": [(d, top_price) for d in days], "SPY": [(d, "400") for d in days]}))
        user = new_user()
        await sync(srv, user, [holding("AAPL", "999999999999.999999999999999999", top_price)],
                   cash="-999999999999999.999999999999999999")
        await _all_reads(srv, user)


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(2**63 - 1, 0), (-(2**63), 0), (315_576_000_001, 0), (1, -5), (0, 1_000_000_000), (-1, 0)],
)
async def test_watch_with_an_invalid_interval_is_refused(db_dsn: str, data_dir: Path, seconds: int, nanos: int) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        req = portfolio_pb2.WatchPortfolioRequest(portfolio=name(user), min_interval=Duration(seconds=seconds,
                                                                                              nanos=nanos))
        call = stub(srv).WatchPortfolio(req, metadata=srv.auth(user))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await call.read()
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        info, violations = error_details(ei.value)
        assert info.reason == "INVALID_DURATION" and violations[0][0] == "min_interval"
        await _all_reads(srv, user)


async def test_a_long_valid_interval_is_clamped(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        req = portfolio_pb2.WatchPortfolioRequest(portfolio=name(user), min_interval=Duration(seconds=315_576_000_000))
        call = stub(srv).WatchPortfolio(req, metadata=srv.auth(user))
        assert (await call.read()).trigger == portfolio_pb2.WATCH_TRIGGER_INITIAL
        call.cancel()


async def test_dates_outside_the_supported_years_are_refused(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        req = portfolio_pb2.GetPerformanceHistoryRequest(
            portfolio=name(user),
            dates=common_pb2.DateRange(start_date=common_pb2.Date(year=1, month=1, day=1),
                                       end_date=common_pb2.Date(year=2020, month=1, day=1)),
        )
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub(srv).GetPerformanceHistory(req, metadata=srv.auth(user), timeout=10)
        info, violations = error_details(ei.value)
        assert info.reason == "OUT_OF_RANGE" and violations[0][0] == "dates.start_date"


async def test_values_stored_before_the_bounds_give_a_reason_not_internal(db_dsn: str, data_dir: Path) -> None:
    """Data written by an earlier version or by hand (here straight into the table) that the arithmetic
    cannot hold: FAILED_PRECONDITION STORED_VALUES_OUT_OF_RANGE on every read; a new sync fixes it."""
    async with running_server(db_dsn, data_dir) as srv:
        await _prices(srv)
        user = new_user()
        await sync(srv, user, [holding("AAPL", "2")], cash="10")
        with psycopg.connect(db_dsn, autocommit=True) as conn:
            # (as an earlier version stored it: in the clear, not sealed)
            conn.execute("UPDATE portfolios SET cash_balance = %s, sealed_cash = NULL WHERE user_id = %s",
                         ("9" * 90, user))
            conn.execute("UPDATE cash_balance_history SET cash_balance = %s, sealed_cash = NULL WHERE user_id = %s",
                         ("9" * 90, user))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await summary(srv, user)
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_details(ei.value)[0].reason == "STORED_VALUES_OUT_OF_RANGE"
        watch = portfolio_pb2.WatchPortfolioRequest(portfolio=name(user))
        call = stub(srv).WatchPortfolio(watch, metadata=srv.auth(user))
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await call.read()
        assert ei.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        await sync(srv, user, [holding("AAPL", "2")], cash="10")
        await _all_reads(srv, user)
