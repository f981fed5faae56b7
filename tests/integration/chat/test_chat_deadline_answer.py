"""A provider that does not answer within the caller's deadline still gets the caller an answer.

The compute client gives the provider the caller's deadline less a margin (``zerog.client.ANSWER_MARGIN``, or a
fifth of the time left), so the offline writer's answer (no text arrived) or the partial answer (the stream stalled)
is written, checked and stored before the deadline, and the caller sees ``completed``, not DEADLINE_EXCEEDED. Before,
the provider was waited for up to the deadline itself: the client got DEADLINE_EXCEEDED after ``accepted``, the
answer was stored empty and incomplete, and every retry of the request_id replayed that empty answer.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stack_cfo.zerog.client import ANSWER_MARGIN, provider_deadline
from tests.integration.chat.conftest import Chat, chat_requests, chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

#: Provider waits longer than the caller's deadline allows (a client's 5 s deadline is shorter).
SLOW = {"timeouts": {"first_byte": "30s", "idle": "30s", "total": "60s"}}
DEADLINE = 5.0


async def _ask(chat: Chat, user: str) -> tuple[str, str]:
    s = await chat.create(user)
    return s.name, rid()


async def test_a_provider_that_never_sends_headers_gets_the_offline_answer_before_the_deadline(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    provider.default_reply = Reply.ok(hang_headers=30)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, compute=SLOW) as chat:
        session, request_id = await _ask(chat, user)
        accepted, text, done = events(
            await chat.send(user, session, "How is my portfolio doing?", request_id=request_id, timeout=DEADLINE)
        )
        assert done.offline and done.degraded and not done.incomplete
        assert text and text == done.assistant_message.content
        assert len(chat_requests(provider)) == 1

        # The stored answer is that offline answer; a retry replays it, and asks no provider.
        provider.default_reply = Reply.ok()
        replay_accepted, replay_text, replay = events(
            await chat.send(user, session, "How is my portfolio doing?", request_id=request_id, timeout=DEADLINE)
        )
        assert replay_accepted.replayed and replay_accepted.assistant_message_id == accepted.assistant_message_id
        assert replay_text == text and replay.offline
        assert len(chat_requests(provider)) == 1


async def test_a_stream_that_stalls_ends_incomplete_before_the_deadline(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    provider.default_reply = Reply.ok(stall_after=3, stall=30)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, compute=SLOW) as chat:
        session, request_id = await _ask(chat, user)
        _, text, done = events(
            await chat.send(user, session, "How is my portfolio doing?", request_id=request_id, timeout=DEADLINE)
        )
        assert done.incomplete and text and text == done.assistant_message.content
        stored = [m for m in (await chat.get(user, session)).messages if m.content == text]
        assert len(stored) == 1 and stored[0].incomplete


@pytest.mark.parametrize(("left", "margin"), [(60.0, ANSWER_MARGIN), (5.0, 1.0), (1.0, 0.2), (0.0, 0.0)])
def test_the_provider_is_given_the_deadline_less_a_margin(left: float, margin: float) -> None:
    assert provider_deadline(100.0 + left, 100.0) == pytest.approx(100.0 + left - margin)
