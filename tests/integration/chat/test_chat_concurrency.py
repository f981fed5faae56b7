"""Concurrent sends, client cancellation and retried request ids."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from tests.integration.chat.conftest import (
    Chat,
    chat_requests,
    chat_server,
    error_info,
    events,
    new_user,
    rid,
)
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import DEFAULT_TEXT, ProviderStandIn, Reply

SLOW = Reply.ok(chunks=20, chunk_delay=0.02)


async def _wait_for(predicate, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


def _assert_alternating(got: chat_pb2.Session, questions: list[str]) -> None:
    roles = [m.role for m in got.messages]
    assert roles == [chat_pb2.CHAT_ROLE_USER, chat_pb2.CHAT_ROLE_ASSISTANT] * len(questions)
    assert [m.content for m in got.messages[::2]] == questions
    assert all(m.content == DEFAULT_TEXT and not m.incomplete for m in got.messages[1::2])


async def test_two_concurrent_sends_on_one_session_are_serialised(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = SLOW
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        first_call = chat.stub.SendMessage(
            chat_pb2.SendMessageRequest(name=s.name, content="first"), metadata=chat.md(user), timeout=20
        )
        first_accepted = await first_call.read()
        assert first_accepted.WhichOneof("event") == "accepted"
        second = asyncio.create_task(chat.send(user, s.name, "second"))
        rest = []
        while (ev := await first_call.read()) is not grpc.aio.EOF:
            rest.append(ev)
        _, text1, _ = events([first_accepted, *rest])
        _, text2, _ = events(await second)
        assert text1 == text2 == DEFAULT_TEXT

        got = await chat.get(user, s.name)
        _assert_alternating(got, ["first", "second"])
        # The second prompt was built after the first answer was stored, and includes it.
        _, p2 = chat_requests(provider)
        assert [m["content"] for m in p2[2:]] == ["first", DEFAULT_TEXT, "second"]
        assert provider.requests[1].at > provider.requests[0].at


async def test_a_send_waiting_on_a_busy_session_is_told_so_before_its_deadline(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A second message on a session still answering, sent with a 1 s or 3 s deadline: ABORTED
    SESSION_BUSY (nothing stored, retry with the same request_id) before the deadline fires, not
    DEADLINE_EXCEEDED (which leaves the client unsure whether it was stored)."""
    user = new_user()
    provider.default_reply = Reply.ok(chunks=40, chunk_delay=0.2)  # an 8-second answer
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        first = chat.stub.SendMessage(chat_pb2.SendMessageRequest(name=s.name, content="first"),
                                      metadata=chat.md(user), timeout=30)
        assert (await first.read()).WhichOneof("event") == "accepted"
        for timeout in (1.0, 3.0):
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                async for _ in chat.stub.SendMessage(
                    chat_pb2.SendMessageRequest(name=s.name, content="second", request_id=rid()),
                    metadata=chat.md(user), timeout=timeout):
                    pass
            took = time.monotonic() - started
            assert ei.value.code() == grpc.StatusCode.ABORTED, (timeout, ei.value)
            assert error_info(ei.value)[0].reason == "SESSION_BUSY"
            assert 0.5 * timeout < took < timeout, (timeout, took)
        first.cancel()


async def test_concurrent_sends_through_two_servers_are_serialised_by_the_lease(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = SLOW
    async with chat_server(db_dsn, data_dir, chain, provider) as a, chat_server(
        db_dsn, data_dir / "b", chain, provider
    ) as b:
        s = await a.create(user)

        async def send(c: Chat, text: str) -> str:
            _, answer, _ = events(await c.send(user, s.name, text))
            return answer

        answers = await asyncio.gather(*(send(c, f"q{i}") for i, c in enumerate([a, b, a, b])))
        assert answers == [DEFAULT_TEXT] * 4
        got = await b.get(user, s.name)
        assert got.message_count == 8
        assert [m.role for m in got.messages] == [chat_pb2.CHAT_ROLE_USER, chat_pb2.CHAT_ROLE_ASSISTANT] * 4
        assert sorted(m.content for m in got.messages[::2]) == ["q0", "q1", "q2", "q3"]
        # Every prompt saw all earlier turns complete: no interleaving.
        for i, prompt in enumerate(chat_requests(provider)):
            assert len(prompt) == 2 + 2 * i + 1
            assert [m["role"] for m in prompt[2:]] == ["user", "assistant"] * i + ["user"]


async def test_client_cancel_stops_the_provider_and_keeps_what_arrived(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        provider.default_reply = Reply.ok(chunks=40, chunk_delay=0.05)
        call = chat.stub.SendMessage(
            chat_pb2.SendMessageRequest(name=s.name, content="Tell me everything", request_id=(r := rid())),
            metadata=chat.md(user),
            timeout=20,
        )
        accepted = (await call.read()).accepted
        received = ""
        for _ in range(3):
            received += (await call.read()).delta.text
        call.cancel()
        await _wait_for(lambda: provider.disconnects == 1)

        async def stored() -> chat_pb2.ChatMessage | None:
            got = await chat.get(user, s.name)
            return got.messages[1] if len(got.messages) == 2 else None

        for _ in range(100):
            answer = await stored()
            if answer is not None:
                break
            await asyncio.sleep(0.02)
        assert answer is not None
        assert answer.id == accepted.assistant_message_id
        assert answer.incomplete
        assert answer.content.startswith(received) and DEFAULT_TEXT.startswith(answer.content)
        assert answer.content != DEFAULT_TEXT

        # The session is free again, and the cancelled request replays its partial answer.
        provider.default_reply = Reply.ok()
        replay_accepted, replay_text, replay_done = events(await chat.send(user, s.name, "Tell me everything",
                                                                           request_id=r))
        assert replay_accepted.replayed and replay_text == answer.content and replay_done.incomplete
        # Flagged as a provider-broken answer is (it was degraded=false with COMPUTE_STREAM_BROKEN)
        assert replay_done.degraded and answer.degraded_reason == "COMPUTE_STREAM_BROKEN"
        _, text, _ = events(await chat.send(user, s.name, "Next question"))
        assert text == DEFAULT_TEXT and provider.count() == 2


async def test_a_retried_request_id_replays_without_a_second_paid_call(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        r = rid()
        a1, t1, d1 = events(await chat.send(user, s.name, "What is my cash weight?", request_id=r))
        a2, t2, d2 = events(await chat.send(user, s.name, "What is my cash weight?", request_id=r))
        assert provider.count() == 1
        assert not a1.replayed and a2.replayed
        assert (a2.user_message_id, a2.assistant_message_id) == (a1.user_message_id, a1.assistant_message_id)
        assert t2 == t1 and d2.assistant_message == d1.assistant_message
        assert (d2.usage, d2.fee, d2.provider, d2.verification) == (d1.usage, d1.fee, d1.provider, d1.verification)
        assert (await chat.get(user, s.name)).message_count == 2

        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.send(user, s.name, "A different question", request_id=r)
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error_info(ei.value)[0].reason == "REQUEST_ID_REUSED"
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.send(user, s.name, "x", request_id="not-a-uuid")
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        # A retry that arrives while the first call is still answering waits and replays.
        provider.default_reply = SLOW
        r2 = rid()
        both = await asyncio.gather(
            chat.send(user, s.name, "Slow one", request_id=r2), chat.send(user, s.name, "Slow one", request_id=r2)
        )
        firsts = sorted(events(b)[0].replayed for b in both)
        assert firsts == [False, True]
        assert provider.count() == 2
        got = await chat.get(user, s.name)
        _assert_alternating(got, ["What is my cash weight?", "Slow one"])


async def test_a_client_gone_before_accepted_leaves_an_answered_message_its_retry_replays(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """The client cancels while its message is being stored (the session row is locked by
    another transaction, so the turn's first transaction waits): once it commits, the message
    gets an empty, incomplete answer; a newer message can follow and a retry of the first
    request_id still replays (it was REQUEST_NOT_RESUMABLE when the message stayed unanswered)."""
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        sid = s.name.rsplit("/", 1)[1]
        async with await psycopg.AsyncConnection.connect(db_dsn) as blocker, blocker.transaction():
            await blocker.execute("SELECT 1 FROM chat_sessions WHERE id = %s FOR UPDATE", (sid,))
            call = chat.stub.SendMessage(
                chat_pb2.SendMessageRequest(name=s.name, content="First question", request_id=(r := rid())),
                metadata=chat.md(user), timeout=20,
            )
            reading = asyncio.ensure_future(call.read())

            async def waiting() -> bool:
                async with await psycopg.AsyncConnection.connect(db_dsn) as probe:
                    cur = await probe.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE '%%chat_begin_turn%%' AND datname = current_database()")
                    row = await cur.fetchone()
                    return bool(row and row[0])

            for _ in range(200):
                if await waiting():
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError("the turn never waited for the session row")
            call.cancel()
            await asyncio.sleep(0.2)
            # the blocker commits here: the turn's transaction goes on and stores the message
        assert reading.cancelled() or isinstance(reading.exception(), BaseException)

        async def transcript() -> list[chat_pb2.ChatMessage]:
            return list((await chat.get(user, s.name)).messages)

        for _ in range(250):
            messages = await transcript()
            if len(messages) == 2:
                break
            await asyncio.sleep(0.02)
        assert [m.content for m in messages] == ["First question", ""]
        answer = messages[1]
        assert answer.incomplete and answer.degraded_reason == "COMPUTE_STREAM_BROKEN"
        assert answer.HasField("receipt") and answer.HasField("grounding")
        assert provider.count() == 0

        events(await chat.send(user, s.name, "Second question"))
        accepted, text, done = events(await chat.send(user, s.name, "First question", request_id=r))
        assert accepted.replayed and text == "" and done.incomplete
        assert done.assistant_message.id == answer.id
        assert provider.count() == 1
        assert (await chat.get(user, s.name)).message_count == 4
