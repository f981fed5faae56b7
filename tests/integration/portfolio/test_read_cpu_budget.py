"""The CPU of uncached reads is budgeted per principal (``rate_limits.user.read_cpu``): the rates
count calls, not their cost, and one user asking for a 10,000-position summary at one new
``as_of_time`` after another (each a new computation of ~1 s of CPU) slowed every other user of the
process. Here the budget is tiny (1 ms of CPU, refilled at 1 ms an hour) so a small portfolio
spends it: the user's next new computation (a summary at a new instant, a history, a watch or a
stream whose summary is not cached) is RESOURCE_EXHAUSTED (READ_CPU_BUDGET_EXHAUSTED) with a
RetryInfo; what is already computed (cached) still answers; another user and a service principal
are not affected."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.cpu_budget import REASON
from tests.integration.portfolio.support import error_details, holding, name, new_user, pdate, retry_delay, stub
from tests.support.server import RunningServer, running_server
from tests.support.throttles import throttled

_OVERRIDES = {"rate_limits": {"user": {"read_cpu": "1ms/1h", "read_cpu_burst": "1ms"}}}
_HOLDINGS = [holding(f"S{i}", "2", "10") for i in range(20)]


async def _sync(srv: RunningServer, user: str) -> None:
    # held since long ago, so every instant asked for below has holdings
    await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
        portfolio=name(user), positions=_HOLDINGS, cash_balance="5", effective_date=pdate(date(2024, 1, 2))),
        metadata=srv.auth(user), timeout=10)


async def _summary(srv: RunningServer, user: str, at: datetime | None = None, *,
                   service: str | None = None) -> portfolio_pb2.PortfolioSummary:
    req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user))
    if at is not None:
        req.as_of_time.FromDatetime(at)
    md = srv.auth(service=service) if service else srv.auth(user)
    return await stub(srv).GetPortfolioSummary(req, metadata=md, timeout=10)


async def _history(srv: RunningServer, user: str) -> portfolio_pb2.GetPerformanceHistoryResponse:
    req = portfolio_pb2.GetPerformanceHistoryRequest(portfolio=name(user),
                                                     range=portfolio_pb2.PERFORMANCE_RANGE_ONE_MONTH)
    return await stub(srv).GetPerformanceHistory(req, metadata=srv.auth(user), timeout=10)


def _refused_for_cpu(err: grpc.aio.AioRpcError) -> None:
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
    info, _ = error_details(err)
    assert info.reason == REASON, info
    assert info.metadata["limit"] == "1ms/1h" and info.metadata["principal_kind"] == "user"
    assert retry_delay(err) > 0


def _throttled() -> float:
    return throttled(REASON, "reads")


async def test_a_user_whose_computations_spent_the_budget_is_refused_new_ones_but_not_cached_answers(
    db_dsn: str, data_dir: Path
) -> None:
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        heavy, other = new_user(), new_user()
        await _sync(srv, heavy)
        await _sync(srv, other)
        before = _throttled()

        now_summary = await _summary(srv, heavy)  # a computation: admitted with the bucket full
        assert len(now_summary.positions) == 20
        # New instants, each a new computation, until the budget is spent (each costs some CPU: a
        # handful at most spend 1 ms; the bound only keeps a broken budget from looping for long).
        start = datetime.now(UTC) - timedelta(hours=1)
        answered: list[datetime] = []
        refused: grpc.aio.AioRpcError | None = None
        for i in range(500):
            at = start + timedelta(seconds=i)
            try:
                await _summary(srv, heavy, at)
            except grpc.aio.AioRpcError as err:
                refused = err
                break
            answered.append(at)
        assert refused is not None, "500 new computations and the user's CPU budget never refused one"
        _refused_for_cpu(refused)
        assert _throttled() == before + 1

        # What is already computed still answers: the summary as of now, the last instant computed
        # (the cache keeps a user's 8 latest), and a watch opened on the cached summary.
        assert (await _summary(srv, heavy)).SerializeToString() == now_summary.SerializeToString()
        if answered:
            assert len((await _summary(srv, heavy, answered[-1])).positions) == 20
        watch = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name(heavy)),
                                         metadata=srv.auth(heavy))
        first = await asyncio.wait_for(watch.read(), 10)
        assert isinstance(first, portfolio_pb2.WatchPortfolioResponse) and len(first.summary.positions) == 20
        watch.cancel()

        # New computations are refused: another instant, a history (never cached).
        with pytest.raises(grpc.aio.AioRpcError) as again:
            await _summary(srv, heavy, start - timedelta(minutes=5))
        _refused_for_cpu(again.value)
        with pytest.raises(grpc.aio.AioRpcError) as history:
            await _history(srv, heavy)
        _refused_for_cpu(history.value)

        # Another user's new computation is admitted meanwhile (their own budget is whole), and a
        # service principal reading the heavy user's portfolio is served new ones (services are
        # unlimited by default).
        assert len((await _history(srv, other)).points) > 0
        for minutes in (7, 8, 9):
            at = start - timedelta(minutes=minutes)
            assert len((await _summary(srv, heavy, at, service="backend")).positions) == 20

        # Once the user's holdings change, the summary as of now is a new computation too: a watch
        # or a StreamPortfolioSummary opened now is refused before its first event.
        await _sync(srv, heavy)
        watch = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name(heavy)),
                                         metadata=srv.auth(heavy))
        with pytest.raises(grpc.aio.AioRpcError) as watch_refused:
            await asyncio.wait_for(watch.read(), 10)
        _refused_for_cpu(watch_refused.value)
        stream = stub(srv).StreamPortfolioSummary(portfolio_pb2.StreamPortfolioSummaryRequest(portfolio=name(heavy)),
                                                  metadata=srv.auth(heavy))
        with pytest.raises(grpc.aio.AioRpcError) as stream_refused:
            await asyncio.wait_for(stream.read(), 10)
        _refused_for_cpu(stream_refused.value)


async def test_concurrent_new_computations_of_one_user_are_admitted_one_at_a_time_against_the_budget(
    db_dsn: str, data_dir: Path
) -> None:
    """The bucket was asked before a computation started and charged when it ended, so calls made at
    once were all admitted on a full bucket (32 summaries at new instants of a 5,000-position
    portfolio took ~24 s of CPU on a 5 s burst, and another user's waited behind them). A user's new
    computations now run one at a time, each admitted only once the one before is charged: with a 1 ms
    burst refilled at 1 ms an hour, exactly one of many concurrent summaries is computed (it costs
    more than 1 ms: 300 positions) and the others are refused; another user is not affected."""
    holdings = [holding(f"C{i}", "3", "7") for i in range(300)]
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        heavy, other = new_user(), new_user()
        for user in (heavy, other):
            await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
                portfolio=name(user), positions=holdings, cash_balance="5", effective_date=pdate(date(2024, 1, 2))),
                metadata=srv.auth(user), timeout=10)
        before = _throttled()

        start = datetime.now(UTC) - timedelta(hours=2)
        calls = 12
        results = await asyncio.gather(
            *(_summary(srv, heavy, start + timedelta(seconds=i)) for i in range(calls)), return_exceptions=True
        )
        answered = [r for r in results if isinstance(r, portfolio_pb2.PortfolioSummary)]
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(answered) + len(refused) == calls, results
        assert len(answered) == 1, f"{len(answered)} of {calls} concurrent new computations admitted on a 1 ms burst"
        assert len(answered[0].positions) == 300
        for err in refused:
            _refused_for_cpu(err)
        assert _throttled() == before + calls - 1

        # Another user's new computation is admitted (their budget and turn are their own), and what
        # the heavy user has computed still answers.
        assert len((await _summary(srv, other, start)).positions) == 300
        computed = next(i for i, r in enumerate(results) if isinstance(r, portfolio_pb2.PortfolioSummary))
        assert len((await _summary(srv, heavy, start + timedelta(seconds=computed))).positions) == 300
