"""An answer cut short because the server stops says so in the log: not "cancelled by the client"."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from tests.integration.chat.conftest import chat_server, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


async def test_an_answer_the_shutdown_cuts_short_is_logged_as_the_servers_doing(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    provider.default_reply = Reply.ok(chunks=40, chunk_delay=1.0)  # 40 s of answer; the grace is 1 s
    user = new_user()
    caplog.set_level(logging.INFO, logger="stack_cfo")
    async with chat_server(db_dsn, data_dir, chain, provider,
                           config={"server": {"shutdown_grace": "1s", "drain_delay": "0s"}}) as chat:
        s = await chat.create(user)
        call = chat.stub.SendMessage(chat_pb2.SendMessageRequest(name=s.name, content="Hello?", request_id=rid()),
                                     metadata=chat.md(user), timeout=60)
        kinds = []
        async for ev in call:
            kinds.append(ev.WhichOneof("event"))
            if kinds[-1] == "delta":
                break
        stopping = asyncio.create_task(chat.srv.process.shutdown())
        with pytest.raises(grpc.aio.AioRpcError):
            async for _ in call:
                pass
        await stopping
    said = [r.getMessage() for r in caplog.records if "partial answer stored" in r.getMessage()]
    assert said == ["chat answer cancelled by the server's shutdown (its grace ran out); partial answer stored"]
