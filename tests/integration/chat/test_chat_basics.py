"""ChatService basics: create, send (accepted -> deltas -> completed), get, list, delete, bad input."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, common_pb2
from tests.integration.chat.conftest import chat_requests, chat_server, error_info, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply


async def test_a_message_streams_an_answer_and_both_are_stored(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = Reply.ok(chunk_delay=0.01)  # the model's pieces arrive apart
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        assert s.name.startswith(f"users/{user}/sessions/")
        assert s.status == chat_pb2.SESSION_STATUS_ACTIVE
        assert s.model == "gpt-oss-120b" and s.provider == provider.address
        assert s.auto_summarize and s.summarize_interval == 20
        assert s.portfolio_context.HasField("snapshot_time") and not s.portfolio_context.positions

        evs = await chat.send(user, s.name, "Why is my tech basket underperforming this week?", request_id=rid())
        accepted, text, done = events(evs)
        assert len(evs) > 3  # streamed in pieces
        assert text == DEFAULT_TEXT == done.assistant_message.content
        assert done.assistant_message.id == accepted.assistant_message_id
        assert not done.degraded and not done.offline and not done.incomplete and not accepted.replayed
        assert done.verification == common_pb2.VERIFICATION_STATUS_VERIFIED
        assert done.provider == provider.address and done.model == "gpt-oss-120b"
        assert done.usage.prompt_tokens > 0 and done.usage.completion_tokens > 0
        assert done.fee and float(done.fee) > 0

        got = await chat.get(user, s.name)
        assert [m.role for m in got.messages] == [chat_pb2.CHAT_ROLE_USER, chat_pb2.CHAT_ROLE_ASSISTANT]
        assert got.messages[0].id == accepted.user_message_id
        assert got.messages[0].content == "Why is my tech basket underperforming this week?"
        assert got.messages[1].content == DEFAULT_TEXT
        assert got.message_count == 2
        assert got.tokens_used == done.usage.prompt_tokens + done.usage.completion_tokens

        # The prompt: system instructions, the data block (no portfolio: insufficient), the question.
        (sent,) = chat_requests(provider)
        assert [m["role"] for m in sent] == ["system", "system", "user"]
        assert "never place" in sent[0]["content"]
        assert '"available":false' in sent[1]["content"] and "insufficient" in sent[1]["content"]
        assert sent[2]["content"] == "Why is my tech basket underperforming this week?"

        basic = await chat.get(user, s.name, basic=True)
        assert not basic.messages and basic.message_count == 2


async def test_bad_input_is_rejected_before_anything_is_stored(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user, other = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"max_message_chars": 50}) as chat:
        s = await chat.create(user)

        async def fails(who: str, name: str, content: str, code: grpc.StatusCode, reason: str) -> None:
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await chat.send(who, name, content)
            assert ei.value.code() == code, ei.value
            info, _ = error_info(ei.value)
            assert info.reason == reason

        await fails(user, s.name, "   \x07\x1b  ", grpc.StatusCode.INVALID_ARGUMENT, "CONTENT_EMPTY")
        # U+0000 is refused on every RPC, before the servicer (no text column can store it)
        await fails(user, s.name, "hello\x00", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_TEXT")
        await fails(user, s.name, "x" * 51, grpc.StatusCode.INVALID_ARGUMENT, "CONTENT_TOO_LONG")
        await fails(other, s.name, "hello", grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND")
        missing = f"users/{user}/sessions/00000000-0000-4000-8000-000000000000"
        await fails(user, missing, "hello", grpc.StatusCode.NOT_FOUND, "SESSION_NOT_FOUND")
        await fails(user, f"users/{user}/sessions/not-a-uuid", "hi", grpc.StatusCode.INVALID_ARGUMENT,
                    "INVALID_RESOURCE_NAME")  # {session} is a server-assigned UUID
        await fails(user, "sessions/x", "hello", grpc.StatusCode.INVALID_ARGUMENT, "INVALID_RESOURCE_NAME")
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.GetSession(chat_pb2.GetSessionRequest(name=s.name), metadata=chat.md(other))
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND

        # Exactly at the limit is fine; control characters are stripped, not counted.
        evs = await chat.send(user, s.name, "\x1b[31m" + "y" * 46 + "\x07")
        events(evs)
        got = await chat.get(user, s.name)
        assert got.messages[0].content == "[31m" + "y" * 46
        assert got.message_count == 2 and provider.count() == 1

        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=s.name), metadata=chat.md(user))
        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=s.name), metadata=chat.md(user))
        await fails(user, s.name, "hello again", grpc.StatusCode.FAILED_PRECONDITION, "SESSION_NOT_ACTIVE")
        assert (await chat.get(user, s.name)).status == chat_pb2.SESSION_STATUS_DELETED
        assert provider.count() == 1
