"""A user's data erased while one of their answers streams: the stream ends with the same
NOT_FOUND as for a session that was never there (the resource's name in its metadata), not a
store-internal variant, and nothing of the turn is stored."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from tests.integration.chat.conftest import chat_server, error_info, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


async def test_erasure_during_an_answer_ends_the_stream_with_session_not_found(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    provider.default_reply = Reply.ok("The portfolio is doing fine " * 10, chunks=40, chunk_delay=0.05)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        session = (await chat.create(user, "to be erased")).name
        call = chat.stub.SendMessage(chat_pb2.SendMessageRequest(
            name=session, content="How am I doing?", request_id=rid()), metadata=chat.md(user), timeout=30)
        kinds = []
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for ev in call:
                kinds.append(ev.WhichOneof("event"))
                if kinds == ["accepted", "delta"]:
                    erased = await upb_grpc.UserDataServiceStub(chat.srv.channel).EraseUserData(
                        upb.EraseUserDataRequest(name=f"users/{user}", request_id=rid()),
                        metadata=chat.md(user), timeout=10)
                    assert erased.session_count == 1
        err = caught.value
        assert err.code() == grpc.StatusCode.NOT_FOUND, err
        info, _ = error_info(err)
        assert info.reason == "SESSION_NOT_FOUND"
        assert info.metadata["resource_name"] == session, dict(info.metadata)
        assert "completed" not in kinds
        with pytest.raises(grpc.aio.AioRpcError) as gone:
            await chat.get(user, session)
        assert gone.value.code() == grpc.StatusCode.NOT_FOUND
