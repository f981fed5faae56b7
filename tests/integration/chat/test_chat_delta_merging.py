"""SendMessage merges the model's chunks into fewer deltas (``chat.delta_interval``, which the
compute stream paces: tests/integration/zerog/test_zerog_direct.py): every character arrives, in
order, the first at once; with the interval 0 each piece goes out as it arrives (pieces that
arrive together, in one read, as one delta)."""

from __future__ import annotations

from pathlib import Path

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
        # each piece goes out as it arrives (10 ms apart: nearly always alone)
        assert len([e for e in evs if e.WhichOneof("event") == "delta"]) > 10  # (merged at 0.1 s: 2 to 10)
