"""A refused write of many bad items leaves nothing to the cycle collector. Each item whose values did not
parse was kept as the exception raised for it, with its traceback: the traceback holds the frame that
caught it, whose locals hold the dict the exception is kept in, a reference cycle per call taking every
item's frames (and the request) with it; a single problem raised from the list it was collected in did the
same. Only a full collection frees such cycles, and a serving process runs one rarely (``GC_THRESHOLDS``):
a tester's refused syncs of 500,000 empty items took the server from 184 MB to 4.6 GB, and inside the
limits, 100 syncs of 10,000 empty cash flows then 100 of 10,000 empty positions from 194 MB to 882 MB
(a plateau at ~210 MB now).

Not timed, not measured: the collector is off during the calls, then a collection lists what it found
unreachable (which reference counting alone would have left)."""

from __future__ import annotations

import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.servicers.portfolio_requests import _UNPARSED_FLOW, _UNPARSED_POSITION, _flow, _holding, _parsed
from stack_cfo.core.errors import InvalidArgument
from tests.integration.portfolio.support import name, new_user, pdate, stub
from tests.support.gc_garbage import unreachable_now
from tests.support.server import running_server

_OVERRIDES = {"rate_limits": {"user": {"write_cpu": "1000s/1s", "write_cpu_burst": "100000s"}}}
#: Where a refused write's frames come from.
_OURS = ("/api/servicers/", "/core/portfolio/inputs.py", "/core/errors.py", "/api/interceptors.py",
         "/api/cpu_budget.py")


def test_the_problems_of_items_that_did_not_parse_are_kept_without_their_tracebacks() -> None:
    request = portfolio_pb2.SyncPortfolioRequest(
        positions=[portfolio_pb2.Holding(symbol="A", quantity="x")] * 3 + [portfolio_pb2.Holding()] * 2,
        cash_flows=[portfolio_pb2.CashFlow(amount="1e999999999")] * 3 + [portfolio_pb2.CashFlow()] * 2,
    )
    _, bad_positions = _parsed(request.positions, _holding, _UNPARSED_POSITION)
    _, bad_flows = _parsed(request.cash_flows, _flow, _UNPARSED_FLOW)
    problems: list[InvalidArgument] = [*bad_positions.values(), *bad_flows.values()]
    assert len(problems) == 10
    for problem in problems:
        assert problem.__traceback__ is None, problem
        assert problem.__context__ is None and problem.__cause__ is None, problem


def _ours(o: object) -> str | None:
    if isinstance(o, InvalidArgument):
        return f"{type(o).__name__} {o}"
    if isinstance(o, types.FrameType) and any(part in o.f_code.co_filename for part in _OURS):
        return f"frame {o.f_code.co_qualname} ({o.f_code.co_filename}:{o.f_lineno})"
    return None


def _cyclic_garbage() -> list[str]:
    """What a full collection finds unreachable now, of refused writes: their errors and frames."""
    return unreachable_now(_ours)


def _syncs(user: str) -> list[portfolio_pb2.SyncPortfolioRequest]:
    """Refused syncs: many bad items, one, too many."""
    return [
        portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), cash_flows=[portfolio_pb2.CashFlow()] * 10_000),
        portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), positions=[portfolio_pb2.Holding()] * 10_000),
        portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), positions=[portfolio_pb2.Holding(symbol="A")]),
        portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), cash_flows=[portfolio_pb2.CashFlow()] * 10_001),
    ]


def _imports(user: str) -> list[portfolio_pb2.ImportHoldingsHistoryRequest]:
    day = pdate(datetime.now(UTC).date() - timedelta(days=3))
    return [
        portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), snapshots=[
            portfolio_pb2.DatedHoldings(effective_date=day, positions=[portfolio_pb2.Holding()] * 5_000)],
            cash_flows=[portfolio_pb2.CashFlow()] * 5_000),
        portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), snapshots=[
            portfolio_pb2.DatedHoldings(effective_date=day, cash_balance="x")]),
    ]


async def test_refused_writes_of_bad_items_leave_no_reference_cycle(
    db_dsn: str, data_dir: Path, no_automatic_gc: None
) -> None:
    user = new_user()
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        _cyclic_garbage()  # (the server's start)
        reasons = []
        for sync in _syncs(user):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub(srv).SyncPortfolio(sync, metadata=srv.auth(user), timeout=60)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value
            reasons.append(refused.value.details().split(":")[0])
        for history in _imports(user):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub(srv).ImportHoldingsHistory(history, metadata=srv.auth(user), timeout=60)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, refused.value
            reasons.append(refused.value.details().split(":")[0])
        # a service's market data, checked in a thread when large
        feed = srv.auth(service="market-data")
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub(srv).RecordPrices(portfolio_pb2.RecordPricesRequest(
                points=[portfolio_pb2.PricePoint()] * 1_000), metadata=feed, timeout=60)
        reasons.append(refused.value.details().split(":")[0])
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub(srv).RecordExchangeRates(portfolio_pb2.RecordExchangeRatesRequest(
                rates=[portfolio_pb2.ExchangeRate()] * 1_000), metadata=feed, timeout=60)
        reasons.append(refused.value.details().split(":")[0])
        del refused
        found = _cyclic_garbage()
    assert reasons == ["cash_flows[0].amount", "positions[0].quantity", "positions[0].quantity", "cash_flows",
                       "snapshots[0].positions[0].quantity", "snapshots[0].cash_balance", "points[0].close",
                       "rates[0].date"]
    assert found == [], "\n".join(found[:20])
