"""A starting server refuses contract calls with UNAVAILABLE SERVER_STARTING (ErrorInfo, RetryInfo
1 s), logged and counted like any other refusal, while Health answers; once open, calls pass. The
refusal is the wrapper's admission step (:class:`StartGate`), after the body is decoded and the
token checked: a body with U+0000 or a call without a token is refused for that, as before, and a
servicer marked ``refuses_nul_per_field`` still gets the NUL itself (the start gate used to wrap
the servicer's method and had to copy that marker).

The e2e test (tests/e2e/test_worker_restart_ready.py) checks the same through ``stack-cfo serve``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from stack_cfo._proto.stack.cfo.v1 import chat_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import chat_pb2_grpc as pb_grpc
from stack_cfo.api import errors
from stack_cfo.api.auth import Principal
from stack_cfo.api.decoding import refuses_nul_per_field
from stack_cfo.api.interceptors import Registrar, RpcWrapper, StartGate
from stack_cfo.api.server import GrpcServer, Registration
from stack_cfo.config.service import ServerConfig
from stack_cfo.core.errors import Unauthenticated
from stack_cfo.telemetry.logging import RepeatLimiter
from stack_cfo.telemetry.metrics import GRPC_HANDLED

USER = "7f0e8d56-3c2b-4a19-9d7e-2b1c0a9f8e6d"
AUTH = (("authorization", "Bearer t"),)
SERVICE = "stack.cfo.v1.ChatService"


class _Verifier:
    async def averify(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("missing authorization metadata", reason="TOKEN_MISSING")
        return Principal(user_id=USER)


class _Chat(pb_grpc.ChatServiceServicer):
    def __init__(self) -> None:
        self.ran: list[str] = []

    async def ListSessions(self, request: pb.ListSessionsRequest, context: Any) -> pb.ListSessionsResponse:
        self.ran.append("ListSessions")
        return pb.ListSessionsResponse()

    async def SendMessage(self, request: pb.SendMessageRequest, context: Any) -> AsyncIterator[Any]:
        self.ran.append("SendMessage")
        yield pb.SendMessageResponse()

    @refuses_nul_per_field
    async def GetSession(self, request: pb.GetSessionRequest, context: Any) -> pb.Session:
        self.ran.append("GetSession")
        return pb.Session(name=request.name)  # the NUL reached the servicer


def _handled(method: str, code: str) -> float:
    return sum(s.value for family in GRPC_HANDLED.collect() for s in family.samples
               if s.name == "grpc_server_handled_total" and s.labels.get("grpc_service") == SERVICE
               and s.labels.get("grpc_method") == method and s.labels.get("grpc_code") == code)


def _error(err: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, str, dict[str, str], int | None]:
    """Code, ErrorInfo reason and metadata, RetryInfo seconds (None without one)."""
    st = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert st is not None, err
    reason, metadata, retry = "", {}, None
    for d in st.details:
        if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            d.Unpack(info)
            reason, metadata = info.reason, dict(info.metadata)
        elif d.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            ri = error_details_pb2.RetryInfo()
            d.Unpack(ri)
            retry = ri.retry_delay.seconds
    return err.code(), reason, metadata, retry


STARTING = (grpc.StatusCode.UNAVAILABLE, "SERVER_STARTING", {"retry_after_seconds": "1"}, 1)


@pytest.fixture
def fresh_failure_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """UNAVAILABLE is logged once per method and reason every 10 s, process-wide: a window of our own."""
    monkeypatch.setattr(errors, "_FAILURES", RepeatLimiter(every=10.0))
    yield


async def test_contract_calls_are_refused_as_starting_until_open_and_health_answers(
    caplog: pytest.LogCaptureFixture, fresh_failure_log: None
) -> None:
    chat = _Chat()
    cfg = ServerConfig(listen="127.0.0.1:0", health_listen="", metrics_listen="off")
    server = GrpcServer(cfg, [Registration(SERVICE, pb_grpc.add_ChatServiceServicer_to_server, chat)],
                        _Verifier(), starting=True)  # type: ignore[arg-type]
    port = await server.start()
    before = {m: _handled(m, "UNAVAILABLE") for m in ("ListSessions", "SendMessage")}
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.ChatServiceStub(channel)
            health = health_pb2_grpc.HealthStub(channel)
            with caplog.at_level(logging.WARNING, logger="stack_cfo.api"):
                with pytest.raises(grpc.aio.AioRpcError) as unary:
                    await stub.ListSessions(pb.ListSessionsRequest(parent=f"users/{USER}"), metadata=AUTH, timeout=5)
                assert _error(unary.value) == STARTING
                with pytest.raises(grpc.aio.AioRpcError) as streamed:
                    async for _ in stub.SendMessage(pb.SendMessageRequest(name="s"), metadata=AUTH, timeout=5):
                        pass
                assert _error(streamed.value) == STARTING

            # Health and reflection are not behind the gate.
            live = await health.Check(health_pb2.HealthCheckRequest(service="liveness"), timeout=5)
            assert live.status == health_pb2.HealthCheckResponse.SERVING
            # A call without a token is refused before the gate; the body is read only after it (a NUL in it is
            # not looked at while starting).
            with pytest.raises(grpc.aio.AioRpcError) as no_token:
                await stub.ListSessions(pb.ListSessionsRequest(parent=f"users/{USER}"), timeout=5)
            assert _error(no_token.value)[:2] == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_MISSING")
            with caplog.at_level(logging.WARNING, logger="stack_cfo.api"), \
                    pytest.raises(grpc.aio.AioRpcError) as nul:
                await stub.ListSessions(pb.ListSessionsRequest(parent="users/\x00"), metadata=AUTH, timeout=5)
            assert _error(nul.value)[:2] == (grpc.StatusCode.UNAVAILABLE, "SERVER_STARTING")
            assert chat.ran == []

            # Logged (one line per method and reason) and counted per method.
            lines = [r.getMessage() for r in caplog.records if r.name == "stack_cfo.api"]
            assert lines == [f"/{SERVICE}/ListSessions failed: SERVER_STARTING",
                             f"/{SERVICE}/SendMessage failed: SERVER_STARTING"]
            assert {m: _handled(m, "UNAVAILABLE") - n for m, n in before.items()} == \
                {"ListSessions": 2, "SendMessage": 1}  # ListSessions: also the one with a NUL in its body

            server.open_for_calls()
            await stub.ListSessions(pb.ListSessionsRequest(parent=f"users/{USER}"), metadata=AUTH, timeout=5)
            replies = [r async for r in stub.SendMessage(pb.SendMessageRequest(name="s"), metadata=AUTH, timeout=5)]
            assert len(replies) == 1
            # The marked servicer gets the NUL itself; any other request holding one is refused whole.
            got = await stub.GetSession(pb.GetSessionRequest(name="s\x00"), metadata=AUTH, timeout=5)
            assert got.name == "s\x00"
            with pytest.raises(grpc.aio.AioRpcError) as nul:
                await stub.ListSessions(pb.ListSessionsRequest(parent="users/\x00"), metadata=AUTH, timeout=5)
            assert _error(nul.value)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_TEXT")
            assert chat.ran == ["ListSessions", "SendMessage", "GetSession"]
    finally:
        await server.stop(0)


async def test_a_wrapper_without_a_gate_never_refuses_as_starting_and_one_with_a_gate_does_until_open() -> None:
    gate = StartGate()
    chat = _Chat()
    server = grpc.aio.server()
    pb_grpc.add_ChatServiceServicer_to_server(chat, Registrar(server, RpcWrapper(_Verifier(), gate=gate).wrap))  # type: ignore[arg-type]
    ungated = grpc.aio.server()
    pb_grpc.add_ChatServiceServicer_to_server(chat, Registrar(ungated, RpcWrapper(_Verifier()).wrap))  # type: ignore[arg-type]
    ports = server.add_insecure_port("127.0.0.1:0"), ungated.add_insecure_port("127.0.0.1:0")
    await server.start()
    await ungated.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{ports[0]}") as gated_ch, \
                grpc.aio.insecure_channel(f"127.0.0.1:{ports[1]}") as ungated_ch:
            request = pb.ListSessionsRequest(parent=f"users/{USER}")
            await pb_grpc.ChatServiceStub(ungated_ch).ListSessions(request, metadata=AUTH, timeout=5)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await pb_grpc.ChatServiceStub(gated_ch).ListSessions(request, metadata=AUTH, timeout=5)
            assert _error(refused.value) == STARTING
            gate.open()
            await pb_grpc.ChatServiceStub(gated_ch).ListSessions(request, metadata=AUTH, timeout=5)
            assert chat.ran == ["ListSessions", "ListSessions"]
    finally:
        await server.stop(0)
        await ungated.stop(0)
