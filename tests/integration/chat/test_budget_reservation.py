"""The daily token budget under concurrency: turns in flight reserve their estimated tokens when
they are admitted, so concurrent turns of one user (on different sessions) cannot overshoot the
budget by one answer each; a reservation whose turn's process died stops counting with its lease."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import grpc
import psycopg
import pytest

from stack_cfo.core.chat.budget import turn_reservation
from stack_cfo.core.chat.settings import ChatSettings
from tests.integration.chat.conftest import chat_server, error_info, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

BUDGET = 600
RESERVED = turn_reservation(ChatSettings())  # the default estimate: 16,000 prompt + 4,096 completion


def _tokens_used(db_dsn: str, user: str) -> int:
    with psycopg.connect(db_dsn) as conn:
        row = conn.execute("SELECT COALESCE(sum(tokens), 0) FROM chat_token_usage WHERE user_id = %s",
                           (user,)).fetchone()
    assert row is not None
    return int(row[0])


async def _turn(chat, user: str, name: str) -> int | grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    """The tokens the turn used, or the error that refused it."""
    try:
        _, _, done = events(await chat.send(user, name, "How am I doing?", request_id=rid(), timeout=30))
    except grpc.aio.AioRpcError as exc:
        return exc
    return int(done.usage.prompt_tokens + done.usage.completion_tokens)


async def test_concurrent_turns_stay_within_the_budget_plus_one_turn(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = Reply.ok(chunks=20, chunk_delay=0.05)  # a one-second answer
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"daily_token_budget": BUDGET}) as chat:
        sessions = [(await chat.create(user, f"s{i}")).name for i in range(8)]

        # Eight turns at once, each on its own session: the old code admitted all of them (each
        # checked against the tokens spent before any finished): about 8x one answer.
        burst = await asyncio.gather(*(_turn(chat, user, s) for s in sessions))
        answered = [r for r in burst if isinstance(r, int)]
        refused = [r for r in burst if not isinstance(r, int)]
        one_turn = max(answered)
        assert one_turn > 0 and 8 * one_turn > BUDGET + one_turn  # the burst could overshoot
        assert len(answered) == 1, burst  # the first one's reservation holds the rest of the budget
        for err in refused:
            assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, err
            info, retry = error_info(err)
            assert info.reason == "TOKEN_BUDGET_EXHAUSTED"
            assert info.metadata["reserved_tokens"] == str(RESERVED)
            assert int(info.metadata["used_tokens"]) < BUDGET  # not spent: held by the answer in flight
            # retry in seconds, when the answer in flight is done, not at midnight
            assert retry is not None and 1 <= retry.retry_delay.seconds <= 5
        assert _tokens_used(db_dsn, user) == one_turn
        counts = [(await chat.get(user, s, basic=True)).message_count for s in sessions]
        assert sorted(counts) == [0] * 7 + [2]  # refused turns stored nothing

        # Bursts until the budget is spent: never more than one turn beyond it.
        for _ in range(10):
            burst = await asyncio.gather(*(_turn(chat, user, s) for s in sessions))
            if not any(isinstance(r, int) for r in burst):
                break
        used = _tokens_used(db_dsn, user)
        assert BUDGET <= used < BUDGET + one_turn + 50  # + the estimate's error (prompts grow a little)
        info, retry = error_info(next(r for r in burst if not isinstance(r, int)))
        assert info.reason == "TOKEN_BUDGET_EXHAUSTED" and "reserved_tokens" not in info.metadata
        assert retry is not None and retry.retry_delay.seconds > 5  # spent: until 00:00 UTC


async def test_a_reservation_counts_while_its_turn_lease_is_live(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A turn in flight on another replica holds its reservation; one whose process died (its
    lease expired) no longer does, and an answered turn's is gone."""
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"daily_token_budget": BUDGET}) as chat:
        elsewhere = (await chat.create(user, "in flight elsewhere")).name
        here = (await chat.create(user, "here")).name
        owner = str(uuid.uuid4())

        def hold(expires_in: str) -> None:
            with psycopg.connect(db_dsn, autocommit=True) as conn:
                conn.execute(
                    "UPDATE chat_sessions SET lease_owner = %s, lease_expires_at = now() + %s::interval,"
                    " reserved_tokens = %s, reserved_owner = %s WHERE id = %s",
                    (owner, expires_in, RESERVED, owner, elsewhere.rsplit("/", 1)[-1]),
                )

        hold("30 seconds")  # another replica's turn, answering now
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.send(user, here, "How am I doing?")
        info, _ = error_info(ei.value)
        assert info.reason == "TOKEN_BUDGET_EXHAUSTED" and info.metadata["reserved_tokens"] == str(RESERVED)

        hold("-1 second")  # that replica died: its lease, and with it the reservation, expired
        events(await chat.send(user, here, "How am I doing?"))
        used = _tokens_used(db_dsn, user)
        assert 0 < used < BUDGET

        # An answered turn leaves no reservation behind; a reservation without its lease is not counted.
        with psycopg.connect(db_dsn) as conn:
            rows = conn.execute(
                "SELECT reserved_tokens, lease_owner FROM chat_sessions WHERE id = %s", (here.rsplit("/", 1)[-1],)
            ).fetchall()
        assert rows == [(0, None)]
        hold("30 seconds")
        with psycopg.connect(db_dsn, autocommit=True) as conn:
            conn.execute("UPDATE chat_sessions SET lease_owner = NULL, lease_expires_at = NULL"
                         " WHERE id = %s", (elsewhere.rsplit("/", 1)[-1],))
        events(await chat.send(user, here, "And now?"))
        assert (await chat.get(user, here, basic=True)).message_count == 4


async def test_an_answer_cancelled_before_its_usage_still_counts_against_the_budget(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A provider bills an answer the client cancels, but reports no usage for it: such a turn counted 0 tokens, so a
    user cancelling every answer after its first words spent without limit (a reviewer). It counts its prompt's
    estimate and its text's."""
    from stack_cfo._proto.stack.cfo.v1 import chat_pb2

    user = new_user()
    provider.default_reply = Reply.ok(chunks=40, chunk_delay=0.1)  # four seconds: cancelled long before its end
    async with chat_server(db_dsn, data_dir, chain, provider, chat={"daily_token_budget": 100_000}) as chat:
        name = (await chat.create(user)).name
        call = chat.stub.SendMessage(chat_pb2.SendMessageRequest(name=name, content="How am I doing?",
                                                                 request_id=rid()), metadata=chat.md(user), timeout=30)
        async for event in call:
            if event.WhichOneof("event") == "delta":
                call.cancel()
                break
        for _ in range(100):  # the server stores the partial answer once it sees the cancel
            stored = [m for m in (await chat.get(user, name)).messages if m.role == chat_pb2.CHAT_ROLE_ASSISTANT]
            if stored:
                break
            await asyncio.sleep(0.05)
        assert stored and stored[0].incomplete
        assert stored[0].usage.prompt_tokens + stored[0].usage.completion_tokens == 0  # none was reported
        assert _tokens_used(db_dsn, user) > 0  # the prompt's estimate and the text's are counted all the same
