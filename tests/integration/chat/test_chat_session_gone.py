"""An answer whose session goes while it streams stops at once: deleted (DeleteSession) or erased
(EraseUserData), through this server or through another replica sharing the database. The
provider request is cancelled (the server stops paying for it), nothing of the turn is stored
(no row of an erased user comes back) and the stream ends with NOT_FOUND SESSION_NOT_FOUND, well
before the answer would have ended."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from tests.integration.chat.conftest import Chat, chat_server, error_info, events, new_user, rid
from tests.integration.security.test_erasure import rows_naming
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

CHUNKS, CHUNK_DELAY = 100, 0.05
SLOW = Reply.ok("The portfolio is doing fine, thank you for asking. " * 20, chunks=CHUNKS, chunk_delay=CHUNK_DELAY)
"""A five-second answer."""
PROMPTLY = 1.5
"""Seconds from the deletion's return to the stream's end (the answer had more than three left)."""


async def _gone_mid_answer(
    chat: Chat, user: str, session: str, go: Callable[[], Awaitable[None]], *, request_id: str = ""
) -> tuple[grpc.aio.AioRpcError, list[str], float]:
    """Send a message, call ``go`` once the first delta arrived; (the error the stream ended with,
    the events received, seconds from ``go``'s return to that error)."""
    call = chat.stub.SendMessage(
        chat_pb2.SendMessageRequest(name=session, content="How am I doing?", request_id=request_id or rid()),
        metadata=chat.md(user), timeout=30)
    kinds: list[str] = []
    went = 0.0
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for ev in call:
            kinds.append(ev.WhichOneof("event"))
            if not went and kinds[-1] == "delta":
                await go()
                went = time.monotonic()
    return caught.value, kinds, time.monotonic() - went


def _assert_session_not_found(err: grpc.aio.AioRpcError, session: str) -> None:
    assert err.code() == grpc.StatusCode.NOT_FOUND, err
    info, _ = error_info(err)
    assert info.reason == "SESSION_NOT_FOUND", info
    assert info.domain == "stack-cfo"
    assert info.metadata["resource_name"] == session, dict(info.metadata)


async def _provider_request_cancelled(provider: ProviderStandIn, before: int) -> None:
    """The provider saw its client go away mid-answer (the stand-in counts it when it notices)."""
    for _ in range(100):
        if provider.disconnects > before:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the provider request was not cancelled")


def _messages(dsn: str, session_id: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT role FROM chat_messages WHERE session_id = %s ORDER BY seq",
                            (session_id,)).fetchall()
    return [r[0] for r in rows]


def _user_rows(dsn: str, user: str) -> dict[str, int]:
    """What the database holds of ``user`` that a turn would write."""
    with psycopg.connect(dsn) as conn:
        def count(q: str) -> int:
            return int(conn.execute(q, (user,)).fetchone()[0])  # type: ignore[index]

        return {
            "sessions": count("SELECT count(*) FROM chat_sessions WHERE user_id = %s"),
            "assistant_messages": count("SELECT count(*) FROM chat_messages m JOIN chat_sessions s "
                                        "ON s.id = m.session_id WHERE s.user_id = %s AND m.role = 'assistant'"),
            "token_usage": count("SELECT count(*) FROM chat_token_usage WHERE user_id = %s"),
            "receipts": count("SELECT count(*) FROM ai_receipts WHERE user_id = %s"),
            "live_data_keys": count("SELECT count(*) FROM archive_data_keys WHERE user_id = %s "
                                    "AND destroyed_at IS NULL"),
        }


async def test_deleting_the_session_mid_answer_stops_it_and_stores_no_answer(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    provider.default_reply = SLOW
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        session = (await chat.create(user, "to be deleted")).name
        sid = session.rsplit("/", 1)[1]
        disconnects = provider.disconnects

        async def delete() -> None:
            await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=session), metadata=chat.md(user),
                                          timeout=10)

        request_id = rid()
        err, kinds, took = await _gone_mid_answer(chat, user, session, delete, request_id=request_id)
        _assert_session_not_found(err, session)
        assert took < PROMPTLY, took
        assert "completed" not in kinds and kinds.count("delta") < CHUNKS // 2, kinds
        await _provider_request_cancelled(provider, disconnects)

        await asyncio.sleep(0.5)  # nothing is written late either
        assert _messages(db_dsn, sid) == ["user"]  # the user's message (stored before `accepted`), no answer
        assert _user_rows(db_dsn, user) == {
            "sessions": 1, "assistant_messages": 0, "token_usage": 0, "receipts": 0, "live_data_keys": 1,
        }
        deleted = await chat.get(user, session)
        assert deleted.status == chat_pb2.SESSION_STATUS_DELETED
        assert deleted.message_count == 1 and deleted.tokens_used == 0

        # A retry of the request finds the session closed and writes nothing.
        with pytest.raises(grpc.aio.AioRpcError) as retried:
            await chat.send(user, session, "How am I doing?", request_id=request_id)
        assert retried.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert error_info(retried.value)[0].reason == "SESSION_NOT_ACTIVE"
        assert _messages(db_dsn, sid) == ["user"]


async def test_erasing_the_user_mid_answer_stops_it_and_leaves_only_the_tombstone(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        session = (await chat.create(user, "to be erased")).name
        events(await chat.send(user, session, "Hello", request_id=rid()))  # an earlier, answered turn
        provider.default_reply = SLOW
        disconnects = provider.disconnects
        request_id = rid()

        async def erase() -> None:
            erased = await upb_grpc.UserDataServiceStub(chat.srv.channel).EraseUserData(
                upb.EraseUserDataRequest(name=f"users/{user}", request_id=rid()), metadata=chat.md(user), timeout=10)
            assert erased.session_count == 1

        err, kinds, took = await _gone_mid_answer(chat, user, session, erase, request_id=request_id)
        _assert_session_not_found(err, session)
        assert took < PROMPTLY, took
        assert "completed" not in kinds and kinds.count("delta") < CHUNKS // 2, kinds
        await _provider_request_cancelled(provider, disconnects)

        await asyncio.sleep(0.5)
        assert _user_rows(db_dsn, user) == {
            "sessions": 0, "assistant_messages": 0, "token_usage": 0, "receipts": 0, "live_data_keys": 0,
        }
        left = rows_naming(db_dsn, user)  # the tombstone, and the erasure's own request-id record
        assert set(left) <= {"users.id", "archive_data_keys.user_id", "idempotency_keys.principal",
                             "idempotency_keys.response"}, left
        with psycopg.connect(db_dsn) as conn:
            methods = conn.execute(
                "SELECT method FROM idempotency_keys WHERE position(%s IN principal) > 0 "
                "OR position(convert_to(%s, 'UTF8') IN response) > 0", (user, user)).fetchall()
        assert methods == [("EraseUserData",)], methods

        # A retry of the request (the client saw its stream break) finds no session, and brings
        # nothing of the user back (no new data key, no user message).
        calls = provider.count()
        with pytest.raises(grpc.aio.AioRpcError) as retried:
            await chat.send(user, session, "How am I doing?", request_id=request_id)
        _assert_session_not_found(retried.value, session)
        assert rows_naming(db_dsn, user) == left
        assert provider.count() == calls  # and nothing paid


@pytest.mark.parametrize("how", ["delete", "erase"])
async def test_a_session_gone_through_another_replica_stops_the_answer_here(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, how: str
) -> None:
    provider.default_reply = SLOW
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as a, chat_server(
        db_dsn, data_dir / "b", chain, provider
    ) as b:
        session = (await a.create(user, "on replica a")).name
        sid = session.rsplit("/", 1)[1]
        disconnects = provider.disconnects

        async def go() -> None:
            if how == "delete":
                await b.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=session), metadata=b.md(user),
                                           timeout=10)
            else:
                await upb_grpc.UserDataServiceStub(b.srv.channel).EraseUserData(
                    upb.EraseUserDataRequest(name=f"users/{user}", request_id=rid()), metadata=b.md(user),
                    timeout=10)

        err, kinds, took = await _gone_mid_answer(a, user, session, go)
        _assert_session_not_found(err, session)
        assert took < PROMPTLY, took
        assert "completed" not in kinds, kinds
        await _provider_request_cancelled(provider, disconnects)

        await asyncio.sleep(0.5)
        assert "assistant" not in _messages(db_dsn, sid)
        rows = _user_rows(db_dsn, user)
        assert rows["assistant_messages"] == rows["token_usage"] == rows["receipts"] == 0, rows
        assert rows["live_data_keys"] == (1 if how == "delete" else 0), rows
