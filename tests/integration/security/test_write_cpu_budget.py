"""The CPU of the heavy writes is budgeted per principal (``rate_limits.user.write_cpu``): the rate of
writes counts calls, not their size, and one user sending SyncPortfolio requests of thousands of
positions with long sector and basket names (megabytes each, within the message limit) kept a
process busy decoding and checking them (~150 ms of CPU each for 7 MB, refused or not): another
user's GetPortfolioSummary went from 2 ms to seconds. Here the budget is small (0.2 s at once,
refilled at 0.05 s every 1,000 s: so slowly that the debt a refusal reports is still owed when the
next write comes, however slow the machine): the user's big syncs are RESOURCE_EXHAUSTED
(WRITE_CPU_BUDGET_EXHAUSTED, with a RetryInfo) once it is spent, before their bodies are read,
concurrent ones included (they take turns); another user's writes, the user's cached
reads and a service principal (unlimited by default) are not affected."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api.cpu_budget import WRITE_REASON
from tests.integration.portfolio.support import error_details, holding, name, new_user, retry_delay, stub
from tests.support.server import RunningServer, running_server
from tests.support.throttles import throttled

_OVERRIDES = {"rate_limits": {"user": {"write_cpu": "0.05s/1000s", "write_cpu_burst": "0.2s"}}}
_BIG = 3_000
"""Positions of a big sync (with 200-character sector and basket names: ~2 MB, some tens of ms of CPU to
decode and check, and refused, PORTFOLIO_TOO_LARGE: its summary would not fit in a message)."""


def _big_request(user: str) -> portfolio_pb2.SyncPortfolioRequest:
    return portfolio_pb2.SyncPortfolioRequest(portfolio=name(user), cash_balance="5", positions=[
        holding(f"S{i:05d}", "2", "10", sector=f"{i:05d}" + "s" * 195, basket=f"{i:05d}" + "b" * 195)
        for i in range(_BIG)
    ])


_SMALL = [holding(f"T{i}", "1", "10") for i in range(5)]


async def _small_sync(srv: RunningServer, user: str, *, service: str | None = None) -> None:
    md = srv.auth(service=service) if service else srv.auth(user)
    await stub(srv).SyncPortfolio(portfolio_pb2.SyncPortfolioRequest(
        portfolio=name(user), positions=_SMALL, cash_balance="5"), metadata=md, timeout=30)


async def _big_sync(srv: RunningServer, user: str, *, service: str | None = None) -> None:
    """A big sync, refused for its size (the CPU it took is charged all the same)."""
    md = srv.auth(service=service) if service else srv.auth(user)
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub(srv).SyncPortfolio(_big_request(user), metadata=md, timeout=60)
    assert error_details(refused.value)[0].reason == "PORTFOLIO_TOO_LARGE", refused.value


def _refused_for_cpu(err: grpc.aio.AioRpcError) -> None:
    assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
    info, _ = error_details(err)
    assert info.reason == WRITE_REASON, info
    assert dict(info.metadata).keys() == {"class", "limit", "burst", "principal_kind", "retry_after_seconds"}
    assert info.metadata["class"] == "writes" and info.metadata["limit"] == "0.05s/1000s"
    assert info.metadata["principal_kind"] == "user"
    assert float(info.metadata["retry_after_seconds"]) > 0
    assert retry_delay(err) > 0


def _throttled() -> float:
    return throttled(WRITE_REASON, "writes")


async def test_a_users_big_syncs_are_refused_once_their_cpu_is_spent_and_no_one_else_is(
    db_dsn: str, data_dir: Path
) -> None:
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        heavy, other = new_user(), new_user()
        await _small_sync(srv, heavy)
        await _small_sync(srv, other)
        summary_request = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(heavy))
        await stub(srv).GetPortfolioSummary(summary_request, metadata=srv.auth(heavy), timeout=30)
        before = _throttled()
        request = _big_request(heavy)

        refused: grpc.aio.AioRpcError | None = None
        too_large = 0
        for _ in range(60):  # each costs some CPU: a few spend 0.2 s; the bound only stops a broken budget
            try:
                await stub(srv).SyncPortfolio(request, metadata=srv.auth(heavy), timeout=60)
            except grpc.aio.AioRpcError as err:
                if error_details(err)[0].reason != "PORTFOLIO_TOO_LARGE":
                    refused = err
                    break
                too_large += 1
        assert refused is not None, "60 big syncs and the user's write CPU budget never refused one"
        assert too_large >= 1, "the first big sync is admitted on a full bucket (and refused for its size)"
        _refused_for_cpu(refused)
        assert _throttled() == before + 1

        # Still refused: even a small write of the user's waits for the debt to be refilled.
        with pytest.raises(grpc.aio.AioRpcError) as small:
            await _small_sync(srv, heavy)
        _refused_for_cpu(small.value)

        # The user's reads are not this budget's: their summary is served.
        summary = await stub(srv).GetPortfolioSummary(summary_request, metadata=srv.auth(heavy), timeout=30)
        assert {p.symbol for p in summary.positions} == {h.symbol for h in _SMALL}

        # Another user's writes have their own budget, and a service principal is unlimited by default
        # (its syncs of the heavy user's portfolio are served).
        await _small_sync(srv, other)
        await _big_sync(srv, other)
        for _ in range(5):
            await _big_sync(srv, heavy, service="backend")
        await _small_sync(srv, heavy, service="backend")
        assert _throttled() == before + 2


async def test_concurrent_big_syncs_of_one_user_are_not_all_admitted_on_a_full_bucket(
    db_dsn: str, data_dir: Path
) -> None:
    """Asked at the start and charged at the end, every call sent at once would find the bucket full;
    a user's heavy writes take turns, so each is admitted or refused knowing what the ones before it
    cost.
    (The request is sent as bytes made once: all 20 are in flight before the server has answered one.)"""
    async with running_server(db_dsn, data_dir, _OVERRIDES) as srv:
        heavy = new_user()
        body = _big_request(heavy).SerializeToString()
        call = srv.channel.unary_unary(
            "/stack.cfo.v1.PortfolioSummaryService/SyncPortfolio",
            request_serializer=None, response_deserializer=portfolio_pb2.SyncPortfolioResponse.FromString)
        md = srv.auth(heavy)
        results = await asyncio.gather(*(call(body, metadata=md, timeout=120) for _ in range(20)),
                                       return_exceptions=True)
        assert all(isinstance(r, grpc.aio.AioRpcError) for r in results), results
        reasons = [error_details(r)[0].reason for r in results]  # type: ignore[arg-type]
        too_large = reasons.count("PORTFOLIO_TOO_LARGE")
        assert 1 <= too_large < 20, reasons
        for r in results:
            assert isinstance(r, grpc.aio.AioRpcError)
            if error_details(r)[0].reason != "PORTFOLIO_TOO_LARGE":
                _refused_for_cpu(r)
