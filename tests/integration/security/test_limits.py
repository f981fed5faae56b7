"""Per-principal limits before any work: rates per class, concurrent streams per principal,
health on its own port, the throttling metric and log, and Redis-shared limits across replicas."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.api.limits import METHOD_CLASSES
from stack_cfo.config.limits import UserLimits
from tests.integration.portfolio.support import error_details, holding, name, new_user, retry_delay, stub, sync
from tests.support.contract import contract_rpcs
from tests.support.redis_server import ensure_redis
from tests.support.server import RunningServer, running_server
from tests.support.throttles import throttled

SERVING = health_pb2.HealthCheckResponse.SERVING


def _user_defaults(**changes: Any) -> dict[str, Any]:
    return {**UserLimits().model_dump(), **changes}


async def _health(target: str, service: str) -> int:
    async with grpc.aio.insecure_channel(target) as ch:
        resp = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=service), timeout=3)
        return int(resp.status)


async def _open_watch(srv: RunningServer, user: str, md: list[tuple[str, str]]) -> tuple[Any, Any]:
    """Open a WatchPortfolio; (call, None) once its INITIAL update arrived, else (call, error)."""
    call = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name(user)), metadata=md)
    try:
        await asyncio.wait_for(call.read(), 30)
    except grpc.aio.AioRpcError as err:
        return call, err
    return call, None


def test_every_rpc_of_the_contract_has_limit_classes() -> None:
    assert {r.path for r in contract_rpcs()} == set(METHOD_CLASSES)


async def test_one_users_flood_of_streams_leaves_other_users_and_probes_alone(db_dsn: str, data_dir: Path) -> None:
    """1,000 WatchPortfolio streams from one user: up to the user's cap open, the rest refused
    RESOURCE_EXHAUSTED before any work; another user's call and every health check still succeed."""
    overrides = {"rate_limits": {"user": _user_defaults()}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        flooder, other = new_user(), new_user()
        await sync(srv, flooder, [holding("AAPL", "3")])
        await sync(srv, other, [holding("MSFT", "2")])
        md = srv.auth(flooder)
        cap = UserLimits().concurrent_streams
        before = throttled("TOO_MANY_STREAMS", "streams") + throttled("RATE_LIMITED", "streams")
        results = await asyncio.gather(*(_open_watch(srv, flooder, md) for _ in range(1000)))
        try:
            opened = [call for call, err in results if err is None]
            refused = [err for _, err in results if err is not None]
            assert 1 <= len(opened) <= cap
            assert len(opened) + len(refused) == 1000
            assert {e.code() for e in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
            reasons = Counter(error_details(e)[0].reason for e in refused)
            assert set(reasons) <= {"RATE_LIMITED", "TOO_MANY_STREAMS"}, reasons
            assert all(retry_delay(e) > 0 for e in refused)
            after = throttled("TOO_MANY_STREAMS", "streams") + throttled("RATE_LIMITED", "streams")
            assert after - before == len(refused)

            # With the flooder's streams still open: another user is served, and so are the probes.
            got = await stub(srv).GetPortfolioSummary(
                portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(other)), metadata=srv.auth(other), timeout=5
            )
            assert got.portfolio == name(other)
            other_watch, err = await _open_watch(srv, other, srv.auth(other))
            assert err is None
            other_watch.cancel()
            health_target = f"127.0.0.1:{srv.process.grpc.health_port}"
            assert await _health(health_target, "liveness") == SERVING
            assert await _health(health_target, "readiness") == SERVING
            assert await srv.health("liveness") == SERVING
        finally:
            for call, _ in results:
                call.cancel()


async def test_health_port_answers_when_the_api_port_is_saturated(db_dsn: str, data_dir: Path) -> None:
    """grpc's maximum_concurrent_rpcs refuses everything beyond it on the API port (probes
    included, were they sent there); the health port has its own server and still answers."""
    overrides = {"server": {"max_concurrent_rpcs": 12}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        users = [new_user() for _ in range(12)]
        for u in users:
            await sync(srv, u, [holding("AAPL", "1")])
        results = await asyncio.gather(*(_open_watch(srv, u, srv.auth(u)) for u in users))
        try:
            assert all(err is None for _, err in results)
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await srv.health("liveness")
            assert ei.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            health_target = f"127.0.0.1:{srv.process.grpc.health_port}"
            assert await _health(health_target, "liveness") == SERVING
            assert await _health(health_target, "readiness") == SERVING
        finally:
            for call, _ in results:
                call.cancel()


async def test_stream_cap_frees_a_slot_when_a_stream_ends(db_dsn: str, data_dir: Path) -> None:
    overrides = {"rate_limits": {"user": {"concurrent_streams": 3}}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        md = srv.auth(user)
        opened = [await _open_watch(srv, user, md) for _ in range(3)]
        assert all(err is None for _, err in opened)
        call, err = await _open_watch(srv, user, md)
        assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        info, _ = error_details(err)
        assert info.reason == "TOO_MANY_STREAMS"
        assert info.metadata["limit"] == "3" and info.metadata["class"] == "streams"
        assert retry_delay(err) > 0
        opened[0][0].cancel()
        deadline = time.monotonic() + 5
        while True:
            call, err = await _open_watch(srv, user, md)
            if err is None or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert err is None, "the cancelled stream's slot was not given back"
        for c, _ in [*opened, (call, None)]:
            c.cancel()


async def test_reads_are_rate_limited_per_user_with_retry_info(
    db_dsn: str, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    overrides = {"rate_limits": {"user": {"reads": "5/second;1000/minute"}, "repeat_log_after": 10}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        alice, bob = new_user(), new_user()
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)

        async def list_sessions(user: str) -> grpc.StatusCode | grpc.aio.AioRpcError:
            try:
                await chat.ListSessions(chat_pb2.ListSessionsRequest(parent=f"users/{user}"), metadata=srv.auth(user),
                                        timeout=5)
            except grpc.aio.AioRpcError as err:
                return err
            return grpc.StatusCode.OK

        before = throttled("RATE_LIMITED", "reads")
        with caplog.at_level(logging.WARNING, logger="stack_cfo.api.limits"):
            outcomes = await asyncio.gather(*(list_sessions(alice) for _ in range(40)))
        ok = [o for o in outcomes if o == grpc.StatusCode.OK]
        refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
        assert 1 <= len(ok) <= 6, len(ok)
        assert len(refused) == 40 - len(ok)
        for err in refused:
            assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            info, _ = error_details(err)
            assert info.reason == "RATE_LIMITED"
            assert info.metadata["class"] == "reads"
            assert info.metadata["limit"] == "5/second;1000/minute"
            assert 0 < retry_delay(err) <= 1.0
        assert throttled("RATE_LIMITED", "reads") - before == len(refused)
        # Bob is not throttled by Alice's bucket.
        assert await list_sessions(bob) == grpc.StatusCode.OK
        # One warning names Alice (a principal refused repeatedly); user ids stay out of metric labels.
        warnings = [r for r in caplog.records if r.getMessage() == "principal throttled repeatedly"]
        assert len(warnings) == 1 and getattr(warnings[0], "user_id", None) == alice
        labels = {tuple(s.labels.values()) for m in REGISTRY.collect() if m.name == "stack_cfo_rpc_throttled"
                  for s in m.samples}
        assert not any(alice in v for lab in labels for v in lab)
        # Once the window has passed, Alice is served again.
        await asyncio.sleep(1.1)
        assert await list_sessions(alice) == grpc.StatusCode.OK


async def test_service_principals_have_their_own_higher_limits(db_dsn: str, data_dir: Path) -> None:
    overrides = {"rate_limits": {"user": {"reads": "2/second"}, "service": {"reads": "100/second"}}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        user = new_user()
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        req = chat_pb2.ListSessionsRequest(parent=f"users/{user}")
        svc_md = srv.auth(service="backoffice")
        for _ in range(20):
            await chat.ListSessions(req, metadata=svc_md, timeout=5)
        codes = []
        for _ in range(5):
            try:
                await chat.ListSessions(req, metadata=srv.auth(user), timeout=5)
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as err:
                codes.append(err.code())
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes


async def test_paid_ai_calls_have_their_own_bucket(db_dsn: str, data_dir: Path) -> None:
    """Forty SendMessage in a burst from one user: a couple are answered, the rest refused
    before the provider (or even the session) is touched."""
    overrides = {"rate_limits": {"user": {"paid_ai": "2/second;30/minute"}}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        user = new_user()
        chat = chat_pb2_grpc.ChatServiceStub(srv.channel)
        md = srv.auth(user)
        create = chat_pb2.CreateSessionRequest(parent=f"users/{user}", session=chat_pb2.Session(title="t"))
        session = await chat.CreateSession(create, metadata=md, timeout=10)

        async def send(i: int) -> str:
            call = chat.SendMessage(chat_pb2.SendMessageRequest(name=session.name, content=f"hello {i}"),
                                    metadata=md, timeout=30)
            try:
                async for _ in call:
                    pass
            except grpc.aio.AioRpcError as err:
                return error_details(err)[0].reason
            return "OK"

        outcomes = Counter(await asyncio.gather(*(send(i) for i in range(40))))
        assert 1 <= outcomes["OK"] <= 3, outcomes
        assert outcomes["RATE_LIMITED"] == 40 - outcomes["OK"]


# ---------------------------------------------------------------------------------------------
# Redis: limits and stream counts shared by replicas
# ---------------------------------------------------------------------------------------------


async def test_redis_storage_holds_limits_across_two_replicas(db_dsn: str, data_dir: Path, tmp_path: Path) -> None:
    url = ensure_redis()
    overrides = {"rate_limits": {"storage": url, "user": {"reads": "6/minute", "concurrent_streams": 2}}}
    async with (
        running_server(db_dsn, tmp_path / "a", overrides) as a,
        running_server(db_dsn, tmp_path / "b", overrides) as b,
    ):
        user = new_user()
        await sync(a, user, [holding("AAPL", "1")])
        req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user))
        outcomes = []
        for i in range(10):
            replica = (a, b)[i % 2]
            try:
                await stub(replica).GetPortfolioSummary(req, metadata=replica.auth(user), timeout=5)
                outcomes.append("OK")
            except grpc.aio.AioRpcError as err:
                outcomes.append(error_details(err)[0].reason)
        assert outcomes.count("OK") == 6, outcomes  # 6 per minute in total, not 6 per replica
        assert set(outcomes[6:]) == {"RATE_LIMITED"}

        # Concurrent streams: one open on each replica fills a cap of 2; a third is refused anywhere.
        first = await _open_watch(a, user, a.auth(user))
        second = await _open_watch(b, user, b.auth(user))
        third = await _open_watch(a, user, a.auth(user))
        try:
            assert first[1] is None and second[1] is None
            assert third[1] is not None and error_details(third[1])[0].reason == "TOO_MANY_STREAMS"
            first[0].cancel()
            deadline = time.monotonic() + 5
            while True:
                again = await _open_watch(b, user, b.auth(user))
                if again[1] is None or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            assert again[1] is None, "a stream closed on replica A did not free its slot for replica B"
            again[0].cancel()
        finally:
            for call, _ in (first, second, third):
                call.cancel()


async def test_unreachable_redis_lets_calls_through(db_dsn: str, data_dir: Path) -> None:
    """A limits outage must not become an API outage: calls pass (counted, logged), streams are
    still capped per replica."""
    from tests.support.proc import free_port

    overrides = {"rate_limits": {"storage": f"redis://127.0.0.1:{free_port()}/0",
                                 "user": {"reads": "1/minute", "concurrent_streams": 1}}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        req = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user))
        for _ in range(3):
            await stub(srv).GetPortfolioSummary(req, metadata=srv.auth(user), timeout=5)
        errors = REGISTRY.get_sample_value("stack_cfo_rate_limit_storage_errors_total") or 0
        assert errors >= 3
        first = await _open_watch(srv, user, srv.auth(user))
        second = await _open_watch(srv, user, srv.auth(user))
        try:
            assert first[1] is None
            assert second[1] is not None and error_details(second[1])[0].reason == "TOO_MANY_STREAMS"
        finally:
            first[0].cancel()
            second[0].cancel()


async def test_a_burst_against_redis_waits_for_connections_and_admits_exactly_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """400 concurrent checks (more than redis-py's 100-connection default pool, six times our pool of
    64) neither fail open nor take the minute: exactly the second's limit is admitted, and after the
    RetryInfo delay the next call is admitted again (the refused ones were not counted in the minute
    window). What is checked is the pool: its callers wait for a connection instead of failing. The
    0.5 s socket timeout is raised for this test: the test process spends its one core on 400 checks
    at once, and on a loaded machine (CI, 4,000 tests into the run) a read waited past 0.5 s now and
    then (all 64 connections' reads at once), which the limiter rightly counts as an outage."""
    import uuid

    from stack_cfo.api import limits as limits_module
    from stack_cfo.api import stream_slots
    from stack_cfo.api.auth import Principal
    from stack_cfo.api.limits import STORAGE_ERRORS, CallLimiter
    from stack_cfo.config import build_config
    from stack_cfo.core.errors import ResourceExhausted

    def patient_pool(url: str) -> Any:
        pool = stream_slots.redis_pool(url)
        pool.connection_kwargs.update(socket_timeout=10.0, socket_connect_timeout=10.0)
        return pool

    monkeypatch.setattr(limits_module, "redis_pool", patient_pool)
    failures: list[str] = []
    storage_failed = CallLimiter._storage_failed
    monkeypatch.setattr(CallLimiter, "_storage_failed",
                        lambda self, exc: (failures.append(repr(exc)), storage_failed(self, exc)))
    url = ensure_redis()
    cfg = build_config({"rate_limits": {"storage": url, "user": {"reads": "50/second;1200/minute"}}}).rate_limits
    limiter = CallLimiter(cfg)
    await limiter.start()
    try:
        principal = Principal(user_id=str(uuid.uuid4()))
        method = "/stack.cfo.v1.PortfolioSummaryService/GetPortfolioSummary"
        errors_before = STORAGE_ERRORS._value.get()

        async def one() -> ResourceExhausted | None:
            try:
                await limiter.admit(principal, method)
            except ResourceExhausted as exc:
                return exc
            return None

        burst = 400
        outcomes = await asyncio.gather(*(one() for _ in range(burst)))
        assert STORAGE_ERRORS._value.get() == errors_before, f"the burst was treated as a Redis outage: {failures[:3]}"
        refusals = [o for o in outcomes if o is not None]
        # The sliding window may carry part of the previous second's count: never more than 50.
        assert burst - 50 <= len(refusals) < burst
        wait = max(r.retry_after.total_seconds() for r in refusals)
        assert wait <= 1.0, "refused for longer than the burst window: the minute window counted refusals"
        await asyncio.sleep(wait + 0.05)
        await limiter.admit(principal, method)
    finally:
        await limiter.aclose()


async def test_streams_per_connection_bound_what_one_connection_has_in_flight(db_dsn: str, data_dir: Path) -> None:
    """server.max_streams_per_connection is HTTP/2 MAX_CONCURRENT_STREAMS: a third watch on a
    connection allowed two waits in the client until one of the two ends (nothing is refused), while
    another connection is not held up."""
    overrides = {"server": {"max_streams_per_connection": 2}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        first = await _open_watch(srv, user, srv.auth(user))
        second = await _open_watch(srv, user, srv.auth(user))
        assert first[1] is None and second[1] is None
        third = stub(srv).WatchPortfolio(portfolio_pb2.WatchPortfolioRequest(portfolio=name(user)),
                                         metadata=srv.auth(user))
        waiting = asyncio.ensure_future(third.read())
        await asyncio.sleep(1.0)
        assert not waiting.done(), "a third stream ran on a connection allowed two"
        # another connection (its own subchannel: channels to one target share one otherwise) is served
        async with grpc.aio.insecure_channel(f"127.0.0.1:{srv.port}",
                                             options=[("grpc.use_local_subchannel_pool", 1)]) as other:
            other_stub = portfolio_pb2_grpc.PortfolioSummaryServiceStub(other)
            await other_stub.GetPortfolioSummary(portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user)),
                                                 metadata=srv.auth(user), timeout=5)
        first[0].cancel()
        update = await asyncio.wait_for(waiting, 10)
        assert update.trigger == portfolio_pb2.WATCH_TRIGGER_INITIAL
        for call in (second[0], third):
            call.cancel()
