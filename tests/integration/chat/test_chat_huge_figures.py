"""A figure out of the grounding's range in a message ("what if my cash grew to 1e200?", or a hex id
such as 9e305) used to end the answer INTERNAL after the provider was paid, and every later turn of the
session too (each turn re-reads the user's messages as evidence): the session was broken for good. Such
a figure is no fact now; the answer completes, and so do the next turns."""

from __future__ import annotations

from pathlib import Path

from tests.integration.chat.conftest import chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


async def test_a_huge_figure_in_a_message_does_not_break_the_session(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        provider.default_reply = Reply.ok(text="Growing to 1e200 is not a plan; 9e305 neither, nor 5e-150%.")
        for question in ("what if my cash grew to 1e200?", "and ref 9e305 at 5e-150 percent?",
                         "How are my holdings?"):
            _accepted, text, done = events(await chat.send(user, s.name, question, request_id=rid()))
            assert done.assistant_message.content == text and not done.incomplete
        got = await chat.get(user, s.name)
        assert len(got.messages) == 6
