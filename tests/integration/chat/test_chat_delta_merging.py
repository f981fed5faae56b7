"""SendMessage merges the model's chunks into fewer deltas (``chat.delta_interval``): every
character arrives, in order, the first at once; with the interval 0 each chunk is its own delta."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

from stack_cfo.api.servicers.chat import coalesce_deltas
from stack_cfo.core.chat.models import Delta
from tests.integration.chat.conftest import chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

TEXT = " ".join(f"word{i}" for i in range(40))


async def test_chunks_are_merged_into_fewer_deltas_without_losing_text(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    provider.default_reply = Reply.ok(text=TEXT, chunks=40, chunk_delay=0.01)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"delta_interval": 0.1}) as chat:
        s = await chat.create(user)
        evs = await chat.send(user, s.name, "How did I do?", request_id=rid())
        _, text, done = events(evs)
        deltas = [e for e in evs if e.WhichOneof("event") == "delta"]
        assert text == TEXT == done.assistant_message.content
        # 40 chunks over ~0.4 s at one delta per 0.1 s: a handful, not 40.
        assert 2 <= len(deltas) <= 10, len(deltas)
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"delta_interval": 0}) as chat:
        s = await chat.create(user)
        evs = await chat.send(user, s.name, "And now?", request_id=rid())
        _, text, _ = events(evs)
        assert text == TEXT
        assert len([e for e in evs if e.WhichOneof("event") == "delta"]) == 40


async def test_held_text_goes_out_before_the_next_event_and_at_the_end() -> None:
    async def model() -> AsyncIterator[object]:
        yield Delta("a")  # sent at once
        yield Delta("b")  # held (within the interval)
        yield "completed"  # flushes "b" first
        yield Delta("c")  # held: "a" went out less than the interval ago
        await asyncio.sleep(0.06)
        yield Delta("d")  # the interval has passed: "cd" together
        yield Delta("e")  # held, then sent at the end

    t = time.monotonic()
    out = [e async for e in coalesce_deltas(model(), 0.05)]  # type: ignore[arg-type]
    texts = [e.text if isinstance(e, Delta) else e for e in out]
    assert texts == ["a", "b", "completed", "cd", "e"], texts
    assert time.monotonic() - t < 1
