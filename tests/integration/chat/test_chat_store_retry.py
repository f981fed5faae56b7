"""A database outage while an answer streams: the paid answer is stored once the database is back
(within chat.store_retry_for, 15 s by default), the stream ends with `completed`, and a retry of its request_id
replays it without paying the provider again. Before, the stream ended UNAVAILABLE after `accepted`,
nothing was stored, and the retry paid for a second answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from tests.integration.chat.conftest import chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply
from tests.support.tcp_proxy import PgProxy

pytestmark = pytest.mark.slow

TEXT = " ".join(f"w{i}" for i in range(30))


async def test_an_answer_finished_during_an_outage_is_stored_when_the_database_is_back(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    proxy = PgProxy(db_dsn)
    await proxy.start()
    try:
        async with chat_server(proxy.dsn(), data_dir, chain, provider) as chat:
            user = new_user()
            session = (await chat.create(user)).name
            provider.default_reply = Reply.ok(text=TEXT, chunks=30, chunk_delay=0.02)
            request_id = rid()
            paid_before = len(provider.requests)
            call = chat.stub.SendMessage(
                chat_pb2.SendMessageRequest(name=session, content="How is my week?", request_id=request_id),
                metadata=chat.md(user), timeout=30,
            )
            got = []
            restorer: asyncio.Task[None] | None = None

            async def restore_later() -> None:
                await asyncio.sleep(1.5)  # the answer ends while the database is away
                proxy.restore()

            async for ev in call:
                got.append(ev)
                if ev.WhichOneof("event") == "delta" and restorer is None:
                    proxy.cut()
                    restorer = asyncio.create_task(restore_later())
            assert restorer is not None
            await restorer
            _accepted, text, completed = events(got)
            assert text == TEXT and completed.assistant_message.content == TEXT
            assert not completed.assistant_message.incomplete
            paid = len(provider.requests) - paid_before
            await chat.srv.wait_ready()
            again = await chat.send(user, session, "How is my week?", request_id=request_id)
            accepted, replayed_text, _ = events(again)
            assert accepted.replayed and replayed_text == TEXT
            assert len(provider.requests) - paid_before == paid  # the retry paid nothing
            stored = await chat.get(user, session)
            assert [m.content for m in stored.messages if m.role == chat_pb2.CHAT_ROLE_ASSISTANT] == [TEXT]
    finally:
        await proxy.close()
