"""A large write does not freeze the process: the health port (a second gRPC server on the same
event loop) keeps answering while an ImportHoldingsHistory of 5,000 snapshots x 40 positions (inside
every documented limit) runs, and an oversized import is refused from the request's counts, before
anything is parsed.

A tester saw the liveness probe time out 13 times in a row during such an import (the snapshots and
positions were parsed and validated on the event loop, ~13 s), and a refused 5,000 x 50 import hold
the loop for 3.4 s: its 250,000 positions were all parsed before their count was checked."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.core.portfolio.inputs import MAX_IMPORTED_POSITIONS
from tests.integration.portfolio.support import error_details, name, new_user, pdate, stub
from tests.support.server import RunningServer, running_server

#: Generous: a probe answers in milliseconds; the loop held by a large import held it for seconds.
PROBE_BOUND = 1.0


def _import(user: str, snapshots: int, positions: int) -> portfolio_pb2.ImportHoldingsHistoryRequest:
    last = datetime.now(UTC).date() - timedelta(days=2)
    req = portfolio_pb2.ImportHoldingsHistoryRequest(portfolio=name(user), base_currency="USD")
    for i in range(snapshots):
        s = req.snapshots.add(effective_date=pdate(last - timedelta(days=i)), cash_balance=f"{1000 + i}.25")
        for j in range(positions):
            s.positions.add(symbol=f"S{j:02d}", quantity=f"{10 + j}.5")
    return req


def _probing(target: str, stop: threading.Event, latencies: list[float]) -> None:
    """``liveness`` on ``target`` every 50 ms until ``stop`` (as a kubelet would, more often), from a
    thread with a blocking channel: its clock runs whatever the server's event loop is doing (probes
    sent from that loop would only start once it is free again, and see no stall)."""
    with grpc.insecure_channel(target) as ch:
        check = health_pb2_grpc.HealthStub(ch)
        while not stop.is_set():
            t = time.perf_counter()
            r = check.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=60)
            latencies.append(time.perf_counter() - t)
            assert r.status == health_pb2.HealthCheckResponse.SERVING
            stop.wait(0.05)


async def _while_probed(srv: RunningServer, call: Awaitable[object]) -> tuple[list[float], float]:
    """Await ``call`` while the health port is probed: (every probe's latency, the call's seconds)."""
    stop = threading.Event()
    latencies: list[float] = []
    probes = threading.Thread(target=_probing, args=(f"127.0.0.1:{srv.process.grpc.health_port}", stop, latencies))
    probes.start()
    try:
        await asyncio.sleep(0.2)
        t = time.perf_counter()
        await call
        took = time.perf_counter() - t
        await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.to_thread(probes.join)
    assert latencies, "no probe answered"
    return latencies, took


async def test_health_port_answers_during_a_large_import(db_dsn: str, data_dir: Path) -> None:
    user = new_user()
    request = _import(user, 5_000, 40)
    assert sum(len(s.positions) for s in request.snapshots) == MAX_IMPORTED_POSITIONS
    async with running_server(db_dsn, data_dir) as srv:
        call = stub(srv).ImportHoldingsHistory(request, metadata=srv.auth(user), timeout=120)
        latencies, took = await _while_probed(srv, call)
        done = await call
    assert done.snapshot_count == 5_000
    assert took > 2 * PROBE_BOUND, f"the import took {took:.2f} s: too quick to show a stall"
    assert len(latencies) >= took / 0.5, (len(latencies), took)
    assert max(latencies) < PROBE_BOUND, (
        f"a liveness probe waited {max(latencies):.2f} s during a {took:.2f} s import "
        f"({sum(x >= PROBE_BOUND for x in latencies)} of {len(latencies)} over {PROBE_BOUND} s)")


async def test_an_oversized_import_is_refused_before_it_is_parsed(db_dsn: str, data_dir: Path) -> None:
    user = new_user()
    request = _import(user, 5_000, 50)  # 250,000 positions, inside the message size limit
    body = request.SerializeToString()  # sent as bytes: the call's time is the server's (and the wire's)
    async with running_server(db_dsn, data_dir) as srv:
        await srv.wait_ready()
        send = srv.channel.unary_unary("/stack.cfo.v1.PortfolioSummaryService/ImportHoldingsHistory",
                                       request_serializer=lambda b: b, response_deserializer=lambda b: b)
        errors: list[grpc.aio.AioRpcError] = []

        async def refused() -> None:
            try:
                await send(body, metadata=srv.auth(user), timeout=60)
            except grpc.aio.AioRpcError as exc:
                errors.append(exc)

        latencies, took = await _while_probed(srv, refused())
    assert len(errors) == 1
    err = errors[0]
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    info, _ = error_details(err)
    assert info.reason == "TOO_MANY_POSITIONS"
    assert info.metadata["count"] == "250000" and info.metadata["limit"] == str(MAX_IMPORTED_POSITIONS)
    # parsing 250,000 positions took seconds; counting them takes milliseconds
    assert took < PROBE_BOUND / 2, f"a refused import took {took:.2f} s"
    assert max(latencies) < PROBE_BOUND / 2, max(latencies)
