"""A client cancelling streams logs no error: before, a cancel that arrived while a message was
being sent left the handler's generator to be closed later in another task, where resetting its
context variables failed ("unhandled error" with a ValueError, "Task exception was never
retrieved") and OpenTelemetry logged "Failed to detach context"."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from tests.integration.chat.conftest import chat_server, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


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
            provider.default_reply = Reply.ok(text=" ".join(f"w{i}" for i in range(3000)), chunks=3000)
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
