"""A client cancelling streams logs no error: before, a cancel that arrived while a message was
being sent left the handler's generator to be closed later in another task, where resetting its
context variables failed ("unhandled error" with a ValueError, "Task exception was never
retrieved") and OpenTelemetry logged "Failed to detach context"."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, chat_pb2_grpc
from tests.integration.chat.conftest import chat_server, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply
from tests.support.server import running_server


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_cancelled_streams_log_no_error(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    errors = _Errors()
    root = logging.getLogger()
    root.addHandler(errors)
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, object]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, ctx: unhandled.append(ctx))
    try:
        user = new_user()
        # One delta per model chunk (no merging): the cancels must land while deltas are being sent.
        async with chat_server(db_dsn, data_dir, chain, provider, chat={"delta_interval": 0}) as chat:
            # A fast answer: most cancels land while the server is sending a delta.
            # (pieces 1 ms apart: a burst would be read, and sent, as a few large deltas)
            provider.default_reply = Reply.ok(
                text=" ".join(f"w{i}" for i in range(3000)), chunks=3000, chunk_delay=0.001
            )
            cancelled = 0
            for turn in range(8):
                session = (await chat.create(user, f"chat {turn}")).name
                call = chat.stub.SendMessage(
                    chat_pb2.SendMessageRequest(name=session, content="Everything, please", request_id=rid()),
                    metadata=chat.md(user),
                    timeout=30,
                )
                deltas = 0
                async for ev in call:
                    deltas += ev.WhichOneof("event") == "delta"
                    if deltas == 3 + turn:
                        call.cancel()
                        cancelled += 1
                        break
                assert call.cancelled()
            assert cancelled == 8
            for _ in range(20):  # let the server store the partial answers
                gc.collect()
                await asyncio.sleep(0.05)
            # The server still answers on the same sessions.
            provider.default_reply = Reply.ok(text="Fine.")
            done = [ev async for ev in chat.stub.SendMessage(
                chat_pb2.SendMessageRequest(name=session, content="Short, then", request_id=rid()),
                metadata=chat.md(user), timeout=10)]
            assert done[-1].WhichOneof("event") == "completed"
    finally:
        root.removeHandler(errors)
        loop.set_exception_handler(previous)
    messages = [f"{r.name}: {r.getMessage()}" for r in errors.records]
    assert messages == [], messages
    assert unhandled == [], unhandled


async def test_a_cancelled_offline_answer_is_stored_whole_and_replays_whole(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """The provider is down: the offline writer answers, word by word. The client goes away after
    two words; a retry of its request_id replays the whole deterministic answer (it cost nothing
    to finish), not the two words marked incomplete."""
    provider.default_reply = Reply.error(503)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"delta_interval": 0}) as chat:
        session = (await chat.create(user, "offline")).name
        request = chat_pb2.SendMessageRequest(name=session, content="How is my portfolio doing?", request_id=rid())
        call = chat.stub.SendMessage(request, metadata=chat.md(user), timeout=30)
        deltas = 0
        async for ev in call:
            deltas += ev.WhichOneof("event") == "delta"
            if deltas == 2:
                call.cancel()
                break
        for _ in range(40):  # the server stores the answer after the cancel
            await asyncio.sleep(0.05)
            replay = [ev async for ev in chat.stub.SendMessage(request, metadata=chat.md(user), timeout=10)]
            if replay[-1].WhichOneof("event") == "completed":
                break
        assert replay[0].accepted.replayed
        completed = replay[-1].completed
        done = completed.assistant_message
        text = "".join(ev.delta.text for ev in replay if ev.WhichOneof("event") == "delta")
        assert completed.offline and not completed.incomplete and not done.incomplete
        assert done.degraded_reason == "COMPUTE_UNAVAILABLE"
        assert text == done.content and len(text.split()) > 20, text


async def test_a_turn_cancelled_at_accepted_without_a_provider_stores_the_whole_offline_answer(
    db_dsn: str, data_dir: Path
) -> None:
    """No provider is configured: every answer is the offline writer's. A client that cancels as
    soon as it reads `accepted`, or a few milliseconds after sending (before, a cancel that landed
    before the answer was written stored an empty answer blamed on a broken stream, for good), finds
    the whole answer stored, and a retry of its request_id replays it."""
    user = new_user()
    async with running_server(db_dsn, data_dir) as srv:
        stub = chat_pb2_grpc.ChatServiceStub(srv.channel)
        md = srv.auth(user)
        for attempt in range(16):
            session = (await stub.CreateSession(chat_pb2.CreateSessionRequest(
                parent=f"users/{user}", session=chat_pb2.Session(title=f"t{attempt}")), metadata=md, timeout=10)).name
            request = chat_pb2.SendMessageRequest(name=session, content="How is my portfolio doing?", request_id=rid())
            call = stub.SendMessage(request, metadata=md, timeout=30)
            if attempt % 2:
                await asyncio.sleep(0.002 * attempt)  # somewhere between storing the message and answering it
            else:
                assert (await call.read()).WhichOneof("event") == "accepted"
            call.cancel()
            for _ in range(60):  # the server stores the answer after the cancel
                await asyncio.sleep(0.05)
                replay = [ev async for ev in stub.SendMessage(request, metadata=md, timeout=10)]
                if replay[-1].WhichOneof("event") == "completed":
                    break
            done = replay[-1].completed
            text = "".join(ev.delta.text for ev in replay if ev.WhichOneof("event") == "delta")
            assert replay[0].accepted.replayed, attempt
            assert done.offline and not done.incomplete, (attempt, done)
            assert done.assistant_message.degraded_reason == "COMPUTE_NOT_CONFIGURED", (attempt, done)
            assert text == done.assistant_message.content and len(text.split()) > 10, (attempt, text)
