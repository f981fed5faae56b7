"""A refused call leaves its request to reference counting: nothing of the call sits in a
reference cycle. With ``context.abort`` it did (grpc keeps the ``AbortError`` on the call's state,
and the error's traceback holds the handler's frames, which hold the request), so every refused
request (up to 8 MiB each, unauthenticated ones too) stayed in memory until a full garbage
collection, which a serving process runs rarely: a flood of large refused requests took the
server from 175 MB to 8.5 GB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import chat_pb2_grpc as pb_grpc
from stack_cfo.api.auth import Principal
from stack_cfo.api.interceptors import Registrar, RpcWrapper
from stack_cfo.core.errors import NotFound, Unauthenticated
from tests.support.gc_garbage import unreachable_now

BIG = "p" * 1_000_000


class _Verifier:
    async def averify(self, authorization: str | None) -> Principal:
        if not authorization:
            raise Unauthenticated("missing authorization metadata", reason="TOKEN_MISSING")
        return Principal(user_id="7f0e8d56-3c2b-4a19-9d7e-2b1c0a9f8e6d")


class _Chat(pb_grpc.ChatServiceServicer):
    async def ListSessions(self, request: pb.ListSessionsRequest, context: Any) -> pb.ListSessionsResponse:
        raise NotFound.resource("user", request.parent)

    async def SendMessage(self, request: pb.SendMessageRequest, context: Any) -> AsyncIterator[Any]:
        yield pb.SendMessageResponse()
        raise NotFound.resource("session", request.name)

    async def GetSession(self, request: pb.GetSessionRequest, context: Any) -> pb.Session:
        await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "aborted by the servicer")
        raise AssertionError("not reached")


def _of_calls(o: object) -> str | None:
    if isinstance(o, pb.ListSessionsRequest | pb.SendMessageRequest | pb.GetSessionRequest | grpc.aio.AbortError) or (
        type(o).__name__ == "frame" and o.f_code.co_name == "behaviour"  # type: ignore[attr-defined]
    ):
        return type(o).__name__
    return None


def _garbage_of_calls() -> list[str]:
    """What a full collection finds unreachable now, of the calls' objects."""
    return unreachable_now(_of_calls)


async def test_refused_requests_are_freed_without_the_cycle_collector(no_automatic_gc: None) -> None:
    server = grpc.aio.server()
    pb_grpc.add_ChatServiceServicer_to_server(_Chat(), Registrar(server, RpcWrapper(_Verifier()).wrap))  # type: ignore[arg-type]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = pb_grpc.ChatServiceStub(channel)
            auth = (("authorization", "Bearer x"),)
            codes = []
            for metadata in ((), auth):  # refused before the servicer, then by it
                for _ in range(3):
                    with pytest.raises(grpc.aio.AioRpcError) as ei:
                        await stub.ListSessions(pb.ListSessionsRequest(parent="users/x", page_token=BIG),
                                                metadata=metadata)
                    codes.append(ei.value.code())
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                async for _ in stub.SendMessage(pb.SendMessageRequest(name="n", content=BIG), metadata=auth):
                    pass
            codes.append(ei.value.code())
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.GetSession(pb.GetSessionRequest(name=BIG), metadata=auth)
            codes.append(ei.value.code())
            del ei
        assert codes == [grpc.StatusCode.UNAUTHENTICATED] * 3 + [grpc.StatusCode.NOT_FOUND] * 4 + [
            grpc.StatusCode.FAILED_PRECONDITION]
    finally:
        await server.stop(None)
    assert _garbage_of_calls() == []
