"""Nobody takes the whole API port: a principal's calls in flight are capped until grpc has sent
their status (a client that never reads its responses holds them that long), and unauthenticated
calls (Health, reflection) share a cap of their own; other users are still served."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import h2.config
import h2.connection
import h2.events
import h2.settings
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo.api import interceptors
from stack_cfo.telemetry.metrics import GRPC_HANDLED
from tests.integration.portfolio.support import error_details, holding, name, new_user, stub, sync
from tests.support.server import RunningServer, running_server
from tests.support.throttles import throttled

SUMMARY = "/stack.cfo.v1.PortfolioSummaryService/GetPortfolioSummary"


class StalledClient:
    """A raw HTTP/2 connection that announces a stream flow-control window of 0 and never opens it:
    the server can send headers and trailers-only answers, but no response message, so a call
    that would answer with a message stays in flight until the connection goes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.ended: dict[int, dict[str, str]] = {}  # stream id -> trailers (or trailers-only headers)
        self.opened: list[int] = []
        self._pump: asyncio.Task[None] | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(cls, port: int) -> AsyncIterator[StalledClient]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        client._conn.local_settings = h2.settings.Settings(
            client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 0}
        )
        client._conn.initiate_connection()
        await client._flush()
        client._pump = asyncio.create_task(client._read_forever())
        try:
            yield client
        finally:
            client._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await client._pump
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _flush(self) -> None:
        self._writer.write(self._conn.data_to_send())
        await self._writer.drain()

    async def _read_forever(self) -> None:
        # Settings and pings are answered (so keepalive never ends the connection); data is never
        # acknowledged, and with a window of 0 none arrives.
        while data := await self._reader.read(65536):
            for event in self._conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived) and event.stream_ended:
                    self.ended[event.stream_id] = {k.decode(): v.decode() for k, v in event.headers}
            await self._flush()

    async def call(self, method: str, request: bytes, metadata: list[tuple[str, str]], *, body: bool = True) -> None:
        """Open a call; without ``body`` only its headers are sent, and the body never is."""
        stream_id = self._conn.get_next_available_stream_id()
        self._conn.send_headers(
            stream_id,
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":path", method),
                (":authority", "127.0.0.1"),
                ("content-type", "application/grpc"),
                ("te", "trailers"),
                *metadata,
            ],
        )
        if body:
            self._conn.send_data(stream_id, b"\x00" + len(request).to_bytes(4, "big") + request, end_stream=True)
        self.opened.append(stream_id)
        await self._flush()

    def ended_by_reason(self) -> dict[str, int]:
        return dict(
            Counter(
                _reason(t) if "grpc-status-details-bin" in t else t.get("grpc-message", "") for t in self.ended.values()
            )
        )

    def pending(self) -> list[int]:
        return [s for s in self.opened if s not in self.ended]


def _reason(trailers: dict[str, str]) -> str:
    raw = trailers["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(base64.b64decode(raw + "=" * (-len(raw) % 4)))
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    raise AssertionError("no ErrorInfo")


async def _wait_for(predicate: Any, timeout: float = 15.0, message: Any = lambda: "") -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out: {message()}"
        await asyncio.sleep(0.05)


async def _summary(srv: RunningServer, user: str) -> portfolio_pb2.PortfolioSummary:
    return await stub(srv).GetPortfolioSummary(
        portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(user)), metadata=srv.auth(user), timeout=5
    )


async def test_a_client_that_never_reads_its_answers_holds_only_its_own_calls(db_dsn: str, data_dir: Path) -> None:
    """One token, one connection with a flow-control window of 0, unary calls under the rate limit:
    before, every call stayed in flight until the connection closed, until grpc's
    max_concurrent_rpcs refused every other user. Now the user holds at most its cap; the calls
    beyond it are refused TOO_MANY_CALLS_IN_FLIGHT (with RetryInfo, counted), another user is
    served, and the slots come back when the connection goes."""
    overrides = {
        "server": {"max_concurrent_rpcs": 40},
        "rate_limits": {"user": {"reads": "1000/second", "calls_in_flight": 8}},
    }
    async with running_server(db_dsn, data_dir, overrides) as srv:
        attacker, other = new_user(), new_user()
        await sync(srv, attacker, [holding("AAPL", "3")])
        await sync(srv, other, [holding("MSFT", "2")])
        await _summary(srv, attacker)  # answers with a message: it would be held by the window
        before = throttled("TOO_MANY_CALLS_IN_FLIGHT", "reads")
        request = portfolio_pb2.GetPortfolioSummaryRequest(portfolio=name(attacker)).SerializeToString()
        async with StalledClient.connect(srv.port) as stalled:
            for _ in range(60):
                await stalled.call(SUMMARY, request, srv.auth(attacker))
            await _wait_for(lambda: len(stalled.ended) >= 52, message=lambda: f"{stalled.ended_by_reason()} ended")
            await asyncio.sleep(0.5)  # nothing else ends: the 8 admitted are held by the window
            assert len(stalled.pending()) == 8, len(stalled.pending())
            refused = list(stalled.ended.values())
            assert {t["grpc-status"] for t in refused} == {str(grpc.StatusCode.RESOURCE_EXHAUSTED.value[0])}
            assert {_reason(t) for t in refused} == {"TOO_MANY_CALLS_IN_FLIGHT"}
            assert throttled("TOO_MANY_CALLS_IN_FLIGHT", "reads") - before == 52

            # Calls refused before any work (here: no token) are answered with their status alone,
            # which the window does not hold: they hold nothing either.
            for _ in range(20):
                await stalled.call(SUMMARY, request, [])
            await _wait_for(lambda: len(stalled.ended) >= 72, message=lambda: f"{stalled.ended_by_reason()} ended")
            assert stalled.ended_by_reason() == {"TOO_MANY_CALLS_IN_FLIGHT": 52, "TOKEN_MISSING": 20}
            assert len(stalled.pending()) == 8

            # Another user is served meanwhile, and the attacker's ordinary calls are refused with the
            # reason, the cap and a RetryInfo.
            assert (await _summary(srv, other)).portfolio == name(other)
            try:
                await _summary(srv, attacker)
                raise AssertionError("the attacker got a ninth call in flight")
            except grpc.aio.AioRpcError as err:
                assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                info, _ = error_details(err)
                assert info.reason == "TOO_MANY_CALLS_IN_FLIGHT"
                assert info.metadata["limit"] == "8" and info.metadata["principal_kind"] == "user"
                assert float(info.metadata["retry_after_seconds"]) > 0
        # The stalled connection closed: grpc ends its calls, and their slots are given back.
        await _wait_for(
            lambda: srv.process.grpc.limiter is not None and srv.process.grpc.limiter.in_flight(f"user:{attacker}") == 0
        )
        for _ in range(20):  # sequential calls end and free their slot each time
            await _summary(srv, attacker)


async def test_calls_whose_body_never_comes_hold_nothing_for_long(db_dsn: str, data_dir: Path) -> None:
    """Headers sent, body never: grpc counts such a call against max_concurrent_rpcs from its headers, and the
    wrapper used to run only once the body had come, so the call held its slot forever, before any token was
    looked at; max_concurrent_rpcs of them from one tokenless connection refused every user. Now a call without a
    token waits at most a quarter of a second for its body, a few at a time (beyond, none waits), and is refused
    UNAUTHENTICATED; a user's call whose body does not come within server.request_read_timeout ends
    DEADLINE_EXCEEDED REQUEST_READ_TIMEOUT, freeing its call in flight. Other users are served meanwhile."""
    overrides = {
        "server": {"max_concurrent_rpcs": 200, "max_unauthenticated_calls": 50, "request_read_timeout": "1s"},
        "rate_limits": {"user": {"reads": "1000/second", "calls_in_flight": 8}},
    }
    async with running_server(db_dsn, data_dir, overrides) as srv:
        attacker, other = new_user(), new_user()
        await sync(srv, other, [holding("MSFT", "2")])
        async with StalledClient.connect(srv.port) as stalled:
            for _ in range(250):  # more than max_concurrent_rpcs
                await stalled.call(SUMMARY, b"", [], body=False)
            waiting = [srv.process.grpc.unauthenticated_calls()]
            for _ in range(3):
                assert (await _summary(srv, other)).portfolio == name(other)
                waiting.append(srv.process.grpc.unauthenticated_calls())
            # only a few wait for their body at once (each wait lets a body into memory), not the tokenless cap
            assert max(waiting) <= interceptors.UNAUTHENTICATED_BODY_WAITS, waiting
            await _wait_for(lambda: len(stalled.ended) == 250, message=lambda: f"{stalled.ended_by_reason()} ended")
            assert stalled.ended_by_reason() == {"TOKEN_MISSING": 250}

            for _ in range(8):  # the attacker's whole cap of calls in flight, with a valid token
                await stalled.call(SUMMARY, b"", srv.auth(attacker), body=False)
            assert (await _summary(srv, other)).portfolio == name(other)
            await _wait_for(lambda: len(stalled.ended) == 258, message=lambda: f"{stalled.ended_by_reason()} ended")
            assert stalled.ended_by_reason() == {"TOKEN_MISSING": 250, "REQUEST_READ_TIMEOUT": 8}
            timed_out = list(stalled.ended.values())[-8:]
            assert {t["grpc-status"] for t in timed_out} == {str(grpc.StatusCode.DEADLINE_EXCEEDED.value[0])}
        await _wait_for(lambda: srv.process.grpc.unauthenticated_calls() == 0)
        await _wait_for(
            lambda: srv.process.grpc.limiter is not None and srv.process.grpc.limiter.in_flight(f"user:{attacker}") == 0
        )


async def test_a_malformed_body_without_a_token_is_still_refused_as_malformed(db_dsn: str, data_dir: Path) -> None:
    """The order api.md promises holds with the body read after the headers: a body that does not decode is
    MALFORMED_REQUEST before authentication, a decodable one without a token TOKEN_MISSING."""
    async with running_server(db_dsn, data_dir) as srv, StalledClient.connect(srv.port) as client:
        await client.call(SUMMARY, b"\xff" * 11, [])
        await client.call(SUMMARY, portfolio_pb2.GetPortfolioSummaryRequest(portfolio="x").SerializeToString(), [])
        await _wait_for(lambda: len(client.ended) == 2, message=lambda: f"{client.ended_by_reason()} ended")
        assert [_reason(client.ended[s]) for s in client.opened] == ["MALFORMED_REQUEST", "TOKEN_MISSING"]


async def test_tokenless_health_checks_never_read_hold_only_their_shared_cap(db_dsn: str, data_dir: Path) -> None:
    """No token, one window-0 connection, unary Health.Check and List on the API port: each answer
    waits for the window, so before, 1,000 of them took every slot of max_concurrent_rpcs and every
    user was refused. Now they hold at most server.max_unauthenticated_calls; the rest are refused
    with their status alone, and users are served."""
    overrides = {"server": {"max_concurrent_rpcs": 40, "max_unauthenticated_calls": 10}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        other = new_user()
        await sync(srv, other, [holding("MSFT", "2")])
        check = health_pb2.HealthCheckRequest(service="liveness").SerializeToString()
        async with StalledClient.connect(srv.port) as stalled:
            for i in range(60):
                method = "/grpc.health.v1.Health/Check" if i % 2 else "/grpc.health.v1.Health/List"
                await stalled.call(method, check if i % 2 else b"", [])
            await _wait_for(lambda: len(stalled.ended) >= 50, message=lambda: f"{stalled.ended_by_reason()} ended")
            await asyncio.sleep(0.5)
            assert len(stalled.pending()) == 10, len(stalled.pending())
            assert stalled.ended_by_reason() == {"TOO_MANY_UNAUTHENTICATED_CALLS": 50}
            for _ in range(5):
                assert (await _summary(srv, other)).portfolio == name(other)
        await _wait_for(lambda: srv.process.grpc.unauthenticated_calls() == 0)
        health = health_pb2_grpc.HealthStub(srv.channel)
        assert (
            await health.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=5)
        ).status == health_pb2.HealthCheckResponse.SERVING


async def test_a_service_holding_all_its_streams_can_still_call() -> None:
    """By default a service's calls in flight exceed its stream cap (512 watches of a backend and
    its unary calls), within three quarters of the default max_concurrent_rpcs."""
    from stack_cfo.api.limits import in_flight_cap
    from stack_cfo.config.limits import ServiceLimits, UserLimits
    from stack_cfo.config.service import ServerConfig

    service, user = ServiceLimits(), UserLimits()
    rpcs = ServerConfig().max_concurrent_rpcs
    assert in_flight_cap(service.calls_in_flight, rpcs, 4 / 3) > service.concurrent_streams
    assert in_flight_cap(user.calls_in_flight, rpcs) > user.concurrent_streams


async def test_the_in_flight_cap_stays_well_below_max_concurrent_rpcs() -> None:
    """An operator who lowers server.max_concurrent_rpcs lowers the cap with it (a quarter)."""
    from stack_cfo.api.limits import in_flight_cap

    assert in_flight_cap(64, 1000) == 64
    assert in_flight_cap(64, 40) == 10
    assert in_flight_cap(64, 3) == 1


async def test_unauthenticated_calls_cannot_fill_the_api_port(db_dsn: str, data_dir: Path) -> None:
    """No token at all: Health.Watch, reflection and Health.Check share server.max_unauthenticated_calls,
    so they no longer take every slot of max_concurrent_rpcs. Beyond it a Watch answers UNIMPLEMENTED
    (gRPC client-side health checking, gRFC A17, then treats the connection as serving instead of
    unusable) and the rest RESOURCE_EXHAUSTED; other users are still served; the health port has no
    such cap."""
    overrides = {"server": {"max_concurrent_rpcs": 40, "max_unauthenticated_calls": 10}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        user = new_user()
        await sync(srv, user, [holding("AAPL", "1")])
        health = health_pb2_grpc.HealthStub(srv.channel)
        before = throttled("TOO_MANY_UNAUTHENTICATED_CALLS", "streams")

        async def watch(stub_: Any) -> tuple[Any, grpc.aio.AioRpcError | None]:
            call = stub_.Watch(health_pb2.HealthCheckRequest(service="liveness"))
            try:
                await asyncio.wait_for(call.read(), 10)
            except grpc.aio.AioRpcError as err:
                return call, err
            return call, None

        results = await asyncio.gather(*(watch(health) for _ in range(60)))
        reflection = reflection_pb2_grpc.ServerReflectionStub(srv.channel).ServerReflectionInfo()
        try:
            opened = [c for c, e in results if e is None]
            refused = [e for _, e in results if e is not None]
            assert len(opened) == 10, len(opened)
            assert {e.code() for e in refused} == {grpc.StatusCode.UNIMPLEMENTED}
            info, _ = error_details(refused[0])
            assert info.reason == "TOO_MANY_UNAUTHENTICATED_CALLS" and info.metadata["limit"] == "10"
            assert throttled("TOO_MANY_UNAUTHENTICATED_CALLS", "streams") - before == 50
            # Reflection streams and unary health checks share the cap.
            await reflection.write(reflection_pb2.ServerReflectionRequest(list_services=""))
            try:
                await asyncio.wait_for(reflection.read(), 10)
                raise AssertionError("a reflection stream opened beyond the cap")
            except grpc.aio.AioRpcError as err:
                assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            with pytest.raises(grpc.aio.AioRpcError) as check:
                await health.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=5)
            assert check.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            # Users are served; the health port takes any number of watches.
            assert (await _summary(srv, user)).portfolio == name(user)
            async with grpc.aio.insecure_channel(f"127.0.0.1:{srv.process.grpc.health_port}") as probes:
                on_probes = await asyncio.gather(*(watch(health_pb2_grpc.HealthStub(probes)) for _ in range(30)))
                assert all(e is None for _, e in on_probes)
                for c, _ in on_probes:
                    c.cancel()
            # A watch that ends gives its slot back; a unary check gives it back when answered.
            opened[0].cancel()
            await _wait_for(lambda: srv.process.grpc.unauthenticated_calls() < 10)
            for _ in range(5):
                assert (
                    await health.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=5)
                ).status == health_pb2.HealthCheckResponse.SERVING
            await _wait_for(lambda: srv.process.grpc.unauthenticated_calls() < 10)
            again, err = await watch(health)
            assert err is None
            again.cancel()
        finally:
            reflection.cancel()
            for c, _ in results:
                c.cancel()


def _handled(code: str) -> float:
    return sum(s.value for family in GRPC_HANDLED.collect() for s in family.samples
               if s.name == "grpc_server_handled_total" and s.labels.get("grpc_method") == "GetPortfolioSummary"
               and s.labels.get("grpc_code") == code)


async def test_a_client_gone_before_its_body_is_cancelled_not_malformed(db_dsn: str, data_dir: Path) -> None:
    """A client that sends a call's headers and goes before its body: grpc answers the pending read with EOF, which
    was counted (and logged) as INVALID_ARGUMENT MALFORMED_REQUEST, sending operators after an encoding bug."""
    async with running_server(db_dsn, data_dir) as srv:
        user = new_user()
        malformed, cancelled = _handled("INVALID_ARGUMENT"), _handled("CANCELLED")
        async with StalledClient.connect(srv.port) as stalled:
            for _ in range(3):
                await stalled.call(SUMMARY, b"", srv.auth(user), body=False)
            await _wait_for(lambda: srv.process.grpc.limiter is not None
                            and srv.process.grpc.limiter.in_flight(f"user:{user}") == 3)
        await _wait_for(lambda: _handled("CANCELLED") - cancelled == 3,
                        message=lambda: f"cancelled {_handled('CANCELLED') - cancelled}")
        assert _handled("INVALID_ARGUMENT") == malformed
