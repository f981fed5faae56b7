"""The server foundation: health through start-up and a database outage, Health/Watch,
reflection, error mapping (INTERNAL hides the text), authentication, UNIMPLEMENTED details."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from stack_cfo.api.auth import current_principal, mint_token
from stack_cfo.api.server import Registration
from stack_cfo.secret import Secret
from tests.support.server import running_server
from tests.support.tcp_proxy import PgProxy

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

TEST_SERVICE = "stack.cfo.test.Probe"


def _probe_registration() -> Registration:
    """A test-only service: Explode raises an unexpected error, WhoAmI echoes the principal."""

    async def explode(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        raise ValueError("kaboom: db password is hunter2")

    async def whoami(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        p = current_principal()
        return (p.user_id or f"service:{p.service}").encode()

    async def ticks(request: bytes, context: grpc.aio.ServicerContext):  # type: ignore[no-untyped-def]
        for i in range(int(request or b"10")):
            await asyncio.sleep(0.1)
            yield str(i).encode()

    handler = grpc.method_handlers_generic_handler(
        TEST_SERVICE,
        {
            "Explode": grpc.unary_unary_rpc_method_handler(explode),
            "WhoAmI": grpc.unary_unary_rpc_method_handler(whoami),
            "Ticks": grpc.unary_stream_rpc_method_handler(ticks),
        },
    )
    return Registration(TEST_SERVICE, lambda _s, server: server.add_generic_rpc_handlers((handler,)), None)


def _details(err: grpc.aio.AioRpcError) -> tuple[error_details_pb2.ErrorInfo | None, status_pb2.Status | None]:
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    if st is None:
        return None, None
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            return info, st
    return None, st


def _call(channel: grpc.aio.Channel, name: str, md: list[tuple[str, str]] | None = None):  # type: ignore[no-untyped-def]
    fn = channel.unary_unary(f"/{TEST_SERVICE}/{name}", request_serializer=None, response_deserializer=None)
    return fn(b"", metadata=md, timeout=5)


async def _wait_status(srv, service: str, want: int, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await srv.health(service)
        if last == want:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{service} stayed {last}, wanted {want}")


async def test_readiness_follows_startup_and_database_outage(db_dsn: str, data_dir: Path) -> None:
    proxy = PgProxy(db_dsn)
    await proxy.start()
    proxy.cut()  # the database is down when the server starts
    try:
        async with running_server(proxy.dsn(), data_dir, wait_ready=False) as srv:
            assert await srv.health("liveness") == SERVING
            assert await srv.health("readiness") == NOT_SERVING
            assert await srv.health("stack.cfo.v1.ChatService") == NOT_SERVING
            proxy.restore()
            await _wait_status(srv, "readiness", SERVING)
            assert await srv.health("stack.cfo.v1.PortfolioSummaryService") == SERVING
            assert await srv.health("") == SERVING

            proxy.cut()  # sustained failure -> NOT_SERVING, liveness unaffected
            await _wait_status(srv, "readiness", NOT_SERVING)
            assert await srv.health("liveness") == SERVING
            proxy.restore()  # recovers by itself, without a restart
            await _wait_status(srv, "readiness", SERVING)
    finally:
        await proxy.close()


async def test_health_watch_sees_shutdown(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir, {"server": {"drain_delay": "1s"}}) as srv:
        stub = health_pb2_grpc.HealthStub(srv.channel)
        call = stub.Watch(health_pb2.HealthCheckRequest(service="readiness"))
        first = await call.read()
        assert first.status == SERVING
        shutdown = asyncio.create_task(srv.process.shutdown())
        second = await asyncio.wait_for(call.read(), 5)
        assert second.status == NOT_SERVING
        # Still serving during the drain delay: the port stays open for health checks.
        assert await srv.health("liveness") == SERVING
        call.cancel()
        await shutdown


async def test_health_list_reports_every_status(db_dsn: str, data_dir: Path) -> None:
    """grpc.health.v1.Health/List (advertised by reflection) answers instead of UNIMPLEMENTED."""
    async with running_server(db_dsn, data_dir, {"server": {"drain_delay": "1s"}}) as srv:
        stub = health_pb2_grpc.HealthStub(srv.channel)
        resp = await stub.List(health_pb2.HealthListRequest(), timeout=2)
        statuses = {name: r.status for name, r in resp.statuses.items()}
        assert statuses["liveness"] == statuses["readiness"] == statuses[""] == SERVING
        assert statuses["stack.cfo.v1.ChatService"] == statuses["stack.cfo.v1.SchedulerService"] == SERVING
        shutdown = asyncio.create_task(srv.process.shutdown())
        await asyncio.sleep(0.1)  # draining: still answering
        resp = await stub.List(health_pb2.HealthListRequest(), timeout=2)
        assert resp.statuses["readiness"].status == NOT_SERVING and resp.statuses["liveness"].status == SERVING
        await shutdown


async def test_health_watch_ends_when_the_server_stops_instead_of_holding_the_grace(
    db_dsn: str, data_dir: Path
) -> None:
    overrides = {"server": {"drain_delay": "0.3s", "shutdown_grace": "20s"}}
    async with running_server(db_dsn, data_dir, overrides) as srv:
        call = health_pb2_grpc.HealthStub(srv.channel).Watch(health_pb2.HealthCheckRequest(service="readiness"))
        assert (await call.read()).status == SERVING
        started = time.monotonic()
        await srv.process.shutdown()
        took = time.monotonic() - started
        assert (await call.read()).status == NOT_SERVING
        assert await call.read() is grpc.aio.EOF
        assert took < 2.0, f"shutdown took {took:.1f} s: an open Watch held stop(grace)"


async def test_reflection_lists_every_service(db_dsn: str, data_dir: Path) -> None:
    async with running_server(db_dsn, data_dir) as srv:
        stub = reflection_pb2_grpc.ServerReflectionStub(srv.channel)

        async def requests():  # type: ignore[no-untyped-def]
            yield reflection_pb2.ServerReflectionRequest(list_services="")
            yield reflection_pb2.ServerReflectionRequest(file_containing_symbol="stack.cfo.v1.ChatService")

        responses = [r async for r in stub.ServerReflectionInfo(requests())]
        names = {s.name for s in responses[0].list_services_response.service}
        assert {
            "stack.cfo.v1.PortfolioSummaryService",
            "stack.cfo.v1.ChatService",
            "stack.cfo.v1.SchedulerService",
            "stack.cfo.v1.ComputeAccountService",
            "stack.cfo.v1.UserDataService",
            "grpc.health.v1.Health",
            "grpc.reflection.v1alpha.ServerReflection",
        } <= names
        fd = descriptor_pb2.FileDescriptorProto.FromString(
            responses[1].file_descriptor_response.file_descriptor_proto[0]
        )
        assert fd.package == "stack.cfo.v1"


async def test_reflection_finds_the_file_of_a_method_or_a_field(db_dsn: str, data_dir: Path) -> None:
    # "grpcurl describe stack.cfo.v1.ChatService.SendMessage" asks for the method's file: it was NOT_FOUND (the
    # pool grpcio-reflection asks finds services, messages and enums only); an unknown member still is
    async with running_server(db_dsn, data_dir) as srv:
        stub = reflection_pb2_grpc.ServerReflectionStub(srv.channel)
        symbols = ["stack.cfo.v1.ChatService.SendMessage", "stack.cfo.v1.SendMessageRequest.content",
                   "grpc.health.v1.Health.Check", "stack.cfo.v1.ChatService.NoSuchMethod", "stack.cfo.v1.Nothing.x"]

        async def requests():  # type: ignore[no-untyped-def]
            for symbol in symbols:
                yield reflection_pb2.ServerReflectionRequest(file_containing_symbol=symbol)

        responses = [r async for r in stub.ServerReflectionInfo(requests())]
        files = [
            descriptor_pb2.FileDescriptorProto.FromString(r.file_descriptor_response.file_descriptor_proto[0]).name
            if r.HasField("file_descriptor_response") else r.error_response.error_code
            for r in responses
        ]
        assert files == ["stack/cfo/v1/chat.proto", "stack/cfo/v1/chat.proto", "grpc_health/v1/health.proto",
                         grpc.StatusCode.NOT_FOUND.value[0], grpc.StatusCode.NOT_FOUND.value[0]]


async def test_reflection_v1_answers_like_v1alpha_and_describes_itself(db_dsn: str, data_dir: Path) -> None:
    """grpc.reflection.v1 (what current tools ask for first) on the API and the health port: the
    same service list, any contract file, and its own descriptor in the v1 package."""
    async with running_server(db_dsn, data_dir) as srv:
        for channel in (srv.channel, grpc.aio.insecure_channel(f"127.0.0.1:{srv.process.grpc.health_port}")):
            # v1's messages are v1alpha's, field for field: the v1alpha classes encode v1 requests.
            info = channel.stream_stream(
                "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
                response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
            )

            async def requests():  # type: ignore[no-untyped-def]
                yield reflection_pb2.ServerReflectionRequest(list_services="")
                yield reflection_pb2.ServerReflectionRequest(
                    file_containing_symbol="grpc.reflection.v1.ServerReflection")
                yield reflection_pb2.ServerReflectionRequest(file_containing_symbol="grpc.health.v1.Health")

            responses = [r async for r in info(requests(), timeout=5)]
            names = {s.name for s in responses[0].list_services_response.service}
            assert {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
                    "grpc.health.v1.Health"} <= names
            own = descriptor_pb2.FileDescriptorProto.FromString(
                responses[1].file_descriptor_response.file_descriptor_proto[0])
            assert (own.name, own.package) == ("grpc/reflection/v1/reflection.proto", "grpc.reflection.v1")
            method = own.service[0].method[0]
            assert (method.name, method.input_type, method.output_type) == (
                "ServerReflectionInfo", ".grpc.reflection.v1.ServerReflectionRequest",
                ".grpc.reflection.v1.ServerReflectionResponse")
            assert all(f.type_name.startswith(".grpc.reflection.v1.")
                       for m in own.message_type for f in m.field if f.type_name)
            health_file = descriptor_pb2.FileDescriptorProto.FromString(
                responses[2].file_descriptor_response.file_descriptor_proto[0])
            assert health_file.package == "grpc.health.v1"
            if channel is not srv.channel:
                await channel.close()


async def test_unexpected_exception_is_internal_without_its_text(
    db_dsn: str, data_dir: Path, caplog: pytest.LogCaptureFixture, spans: Any
) -> None:
    user = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, extra_registrations=[_probe_registration()]) as srv:
        with caplog.at_level(logging.ERROR, logger="stack_cfo.api"), pytest.raises(grpc.aio.AioRpcError) as ei:
            await _call(srv.channel, "Explode", srv.auth(user))
    err = ei.value
    assert err.code() == grpc.StatusCode.INTERNAL
    assert err.details() == "internal error"
    assert "kaboom" not in str(err) and "hunter2" not in str(err)
    info, _ = _details(err)
    assert info is not None and info.reason == "INTERNAL" and info.domain == "stack-cfo"
    trace_id = info.metadata["trace_id"]
    assert len(trace_id) == 32
    records = [r for r in caplog.records if r.exc_info]
    assert records, "the traceback must be logged"
    assert "kaboom" in "".join(str(r.exc_info[1]) for r in records if r.exc_info)
    # The server span records the real outcome of an aborted call,
    # on the span whose trace id the client was given.
    server_spans = [s for s in spans.get_finished_spans() if s.name == f"/{TEST_SERVICE}/Explode"]
    assert server_spans, [s.name for s in spans.get_finished_spans()]
    span = server_spans[-1]
    assert format(span.context.trace_id, "032x") == trace_id
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.INTERNAL.value[0]


async def test_authentication(db_dsn: str, data_dir: Path) -> None:
    user = str(uuid.uuid4())
    async with running_server(db_dsn, data_dir, extra_registrations=[_probe_registration()]) as srv:
        assert await _call(srv.channel, "WhoAmI", srv.auth(user)) == user.encode()
        assert await _call(srv.channel, "WhoAmI", srv.auth(service="billing")) == b"service:billing"

        cases = {
            "TOKEN_MISSING": None,
            "TOKEN_INVALID": [
                ("authorization", "Bearer " + mint_token(Secret("another-secret-entirely-1234567890"), user_id=user))
            ],
            "TOKEN_EXPIRED": [("authorization", "Bearer " + srv.token(user, ttl=-120))],
        }
        two = [*srv.auth(service="billing"), *srv.auth(user)]  # two valid headers: neither is trusted
        cases_list = [*cases.items(), ("TOKEN_INVALID", [("authorization", "Basic abc")]), ("TOKEN_INVALID", two)]
        for reason, md in cases_list:
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await _call(srv.channel, "WhoAmI", md)
            assert ei.value.code() == grpc.StatusCode.UNAUTHENTICATED, reason
            info, _ = _details(ei.value)
            assert info is not None and info.reason == reason
        # Health needs no token.
        assert await srv.health("liveness") == SERVING


async def test_rpc_of_a_capability_not_landed_is_unimplemented_with_error_info(db_dsn: str, data_dir: Path) -> None:
    from stack_cfo._proto.stack.cfo.v1 import compute_account_pb2, compute_account_pb2_grpc

    async with running_server(db_dsn, data_dir, servicers=lambda container: []) as srv:
        stub = compute_account_pb2_grpc.ComputeAccountServiceStub(srv.channel)
        req_type = compute_account_pb2.DESCRIPTOR.services_by_name["ComputeAccountService"].methods_by_name[
            "GetComputeAccount"
        ].input_type
        from google.protobuf import message_factory

        req = message_factory.GetMessageClass(req_type)()
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await stub.GetComputeAccount(req, metadata=srv.auth(service="ops"), timeout=5)
    assert ei.value.code() == grpc.StatusCode.UNIMPLEMENTED
    info, _ = _details(ei.value)
    assert info is not None and info.reason == "NOT_IMPLEMENTED_YET"
    assert info.metadata["method"].endswith("GetComputeAccount")


async def test_an_unknown_method_is_unimplemented_with_error_info_at_once(db_dsn: str, data_dir: Path) -> None:
    """A method no service has (a client built from a newer contract, a typo in grpcurl), called in
    each of the four shapes: UNIMPLEMENTED with ErrorInfo METHOD_NOT_FOUND naming it, at once (a
    streaming caller that has sent nothing is not kept waiting), not grpc's bare 'Method not found!'."""

    async def never() -> Any:
        await asyncio.sleep(30)
        yield b""

    async with running_server(db_dsn, data_dir) as srv:
        ch = srv.channel
        for method in ("/stack.cfo.v1.ChatService/NoSuchMethod", "/stack.cfo.v9.Nope/Call"):
            calls = {
                "unary": lambda m=method: ch.unary_unary(m)(b"", timeout=10),
                "server stream": lambda m=method: _drain(ch.unary_stream(m)(b"", timeout=10)),
                "client stream": lambda m=method: ch.stream_unary(m)(never(), timeout=10),
                "bidi": lambda m=method: _drain(ch.stream_stream(m)(never(), timeout=10)),
            }
            for shape, call in calls.items():
                started = time.monotonic()
                with pytest.raises(grpc.aio.AioRpcError) as ei:
                    await call()
                assert time.monotonic() - started < 3, shape
                assert ei.value.code() == grpc.StatusCode.UNIMPLEMENTED, (method, shape)
                info, _ = _details(ei.value)
                assert info is not None and info.reason == "METHOD_NOT_FOUND", (method, shape)
                assert info.metadata["method"] == method


async def _drain(call: Any) -> None:
    async for _ in call:
        pass


async def test_stream_in_flight_at_shutdown_completes_within_the_grace_period(db_dsn: str, data_dir: Path) -> None:
    user = str(uuid.uuid4())
    overrides = {"server": {"drain_delay": "0.3s", "shutdown_grace": "5s"}}
    async with running_server(db_dsn, data_dir, overrides, extra_registrations=[_probe_registration()]) as srv:
        ticks = srv.channel.unary_stream(f"/{TEST_SERVICE}/Ticks")
        call = ticks(b"25", metadata=srv.auth(user), timeout=10)  # 25 x 0.1 s = 2.5 s of streaming
        got = [await call.read()]
        started = time.monotonic()
        shutdown = asyncio.create_task(srv.process.shutdown())
        await _wait_status(srv, "readiness", NOT_SERVING, timeout=2)
        while (msg := await call.read()) is not grpc.aio.EOF:
            got.append(msg)
        assert await call.code() == grpc.StatusCode.OK
        assert got == [str(i).encode() for i in range(25)]
        await shutdown
        assert time.monotonic() - started < 5, "must finish inside the grace period"
