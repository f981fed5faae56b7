"""A provider's answer far longer than max_tokens allows is cut where the limit is (an incomplete answer), so the
stream still ends with ``completed`` and OK, and a replay of it works: 5.4 MB of text made the last message exceed
gRPC's 8 MiB limit (RESOURCE_EXHAUSTED, no ``completed``; the replay failed on the client's 4 MiB limit; a fault
tester; chat.proto: "exactly one `completed`, after which the stream ends with OK")."""

from __future__ import annotations

from pathlib import Path

from tests.integration.chat.conftest import chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


async def test_a_huge_answer_is_cut_and_the_stream_completes(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    provider.default_reply = Reply.ok("lorem ipsum dolor sit amet " * 200_000, chunks=400)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        r = rid()
        _, deltas, done = events(await chat.send(user, s.name, "Tell me everything.", request_id=r))
        content = done.assistant_message.content
        assert done.assistant_message.incomplete and len(content) <= 131_072  # 32 characters a token of 4,096
        assert deltas == content
        accepted, _, again = events(await chat.send(user, s.name, "Tell me everything.", request_id=r))
        assert accepted.replayed and again.assistant_message.content == content
