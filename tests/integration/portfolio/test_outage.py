"""A database outage: the portfolio RPCs answer UNAVAILABLE (never a stale cache, never INTERNAL) and
recover by themselves when the database is back, change notifications included."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from stack_cfo.core.clock import FrozenClock
from tests.integration.portfolio.support import (
    error_details,
    evening,
    holding,
    new_user,
    price_points,
    record,
    summary,
    sync,
)
from tests.support.server import RunningServer, running_server
from tests.support.tcp_proxy import PgProxy

DAY = date(2024, 6, 3)


async def _eventually(make_call: Any, *, until: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = await make_call()
        except grpc.aio.AioRpcError as exc:
            last = exc
        if until(last):
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"still {last!r}")


def _unavailable(x: Any) -> bool:
    return isinstance(x, grpc.aio.AioRpcError) and x.code() == grpc.StatusCode.UNAVAILABLE


@contextlib.asynccontextmanager
async def _behind_a_proxy(db_dsn: str, data_dir: Path, pool_timeout: str
                          ) -> AsyncIterator[tuple[PgProxy, RunningServer, str]]:
    """A server on the evening of DAY whose database connections go through a proxy the test can
    cut, and a user holding 10 ABC at 100 with 5 cash."""
    proxy = PgProxy(db_dsn)
    await proxy.start()
    user = new_user()
    try:
        async with running_server(proxy.dsn(), data_dir, {"database": {"pool_timeout": pool_timeout}},
                                  clock=FrozenClock(evening(DAY))) as srv:
            await sync(srv, user, [holding("ABC", "10", "100")], cash="5")
            yield proxy, srv, user
    finally:
        await proxy.close()


async def test_database_outage_is_unavailable_and_recovers(db_dsn: str, data_dir: Path) -> None:
    async with _behind_a_proxy(db_dsn, data_dir, "1s") as (proxy, srv, user):
        await record(srv, price_points({"ABC": [(DAY, "120")]}))
        assert (await summary(srv, user)).total_value == "1205"  # computed and cached

        proxy.cut()
        err = await _eventually(lambda: summary(srv, user), until=_unavailable)
        info, _ = error_details(err)
        assert (info.reason, info.domain) == ("DATABASE_UNAVAILABLE", "stack-cfo")
        # ... with a RetryInfo of 1 s (there was none: clients retried at once or guessed)
        status = status_pb2.Status.FromString(dict(err.trailing_metadata())["grpc-status-details-bin"])
        retry = [d for d in status.details if d.Is(error_details_pb2.RetryInfo.DESCRIPTOR)]
        assert len(retry) == 1 and info.metadata["retry_after_seconds"] == "1"
        for call in (lambda: sync(srv, user, [holding("ABC", "11", "100")]),
                     lambda: record(srv, price_points({"ABC": [(DAY, "121")]}))):
            try:
                await call()
                raise AssertionError("a write succeeded without a database")
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.UNAVAILABLE

        proxy.restore()
        back = await _eventually(lambda: summary(srv, user),
                                 until=lambda x: not isinstance(x, grpc.aio.AioRpcError))
        assert back.total_value == "1205"  # the failed writes left nothing behind
        # Change notifications work again: a new price is visible at once.
        service = srv.container.portfolio
        await _eventually(lambda: asyncio.sleep(0, service.notifications_live), until=bool)
        await summary(srv, user)
        await record(srv, price_points({"ABC": [(DAY, "130")]}))
        assert (await summary(srv, user)).total_value == "1305"


async def test_calls_fail_fast_once_readiness_knows_the_database_is_down(db_dsn: str, data_dir: Path) -> None:
    """Once the health checks found the database down, a call does not hold its caller (and its
    stream slot, and a connection from the client's pool) for the pool's whole timeout: it is
    UNAVAILABLE at once. Back to normal when the database answers."""
    from grpc_health.v1 import health_pb2

    async with _behind_a_proxy(db_dsn, data_dir, "20s") as (proxy, srv, user):
        proxy.cut()
        await _eventually(lambda: srv.health("readiness"),
                          until=lambda s: s == health_pb2.HealthCheckResponse.NOT_SERVING)
        for _ in range(3):  # the pool's connections are gone by the second or third call
            started = time.monotonic()
            try:
                await sync(srv, user, [holding("ABC", "11", "100")])  # a 10 s deadline
                raise AssertionError("a write succeeded without a database")
            except grpc.aio.AioRpcError as err:
                # before: DEADLINE_EXCEEDED after 10 s, the pool waiting up to its 20 s
                assert err.code() == grpc.StatusCode.UNAVAILABLE, err
                assert error_details(err)[0].reason == "DATABASE_UNAVAILABLE"
            assert time.monotonic() - started < 5
        proxy.restore()
        await _eventually(lambda: srv.health("readiness"),
                          until=lambda s: s == health_pb2.HealthCheckResponse.SERVING)
        await sync(srv, user, [holding("ABC", "12", "100")], cash="5")
        assert srv.container.db.down is False
