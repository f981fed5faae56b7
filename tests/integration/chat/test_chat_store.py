"""The chat repository on its own: the turn lease across holders, expiry after a crash, the
recent window kept in the seed's ``messages`` column, and the PostgreSQL archive store."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime

import psycopg
import pytest

from stack_cfo.core.archive import CHAT_SESSIONS, ArchiveCorrupted, ArchiveNotFound
from stack_cfo.core.chat.models import ChatMessage, MessageRole, NewSession, PortfolioContext
from stack_cfo.core.data_scope import system_scope, user_scope
from stack_cfo.core.errors import Aborted, AlreadyExists, InvalidArgument, NotFound
from stack_cfo.core.provenance.model import AiSurface, GroundingRecord, GroundingState, Receipt
from stack_cfo.store.archive_pg import PgArchiveStore
from stack_cfo.store.chat import ChatRepository
from stack_cfo.store.db import Database

NOW = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)


async def _session(repo: ChatRepository) -> str:
    return (await _new(repo)).id


async def _new(repo: ChatRepository):  # type: ignore[no-untyped-def]
    return await repo.create_session(NewSession(
        id=str(uuid.uuid4()), user_id=str(uuid.uuid4()), title="t", provider="router", model="m",
        context=PortfolioContext.empty(NOW), auto_summarize=True, summarize_interval=20, created_at=NOW,
    ))


def _user_msg(sid: str, text: str) -> ChatMessage:
    return ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.USER, content=text,
                       created_at=NOW, request_id=str(uuid.uuid4()))


async def test_the_turn_lease_serialises_holders_and_expires_after_a_crash(database: Database) -> None:
    with system_scope("test-chat-store"):
        repo = ChatRepository(database, lease_ttl=0.5, lease_renew_every=0.1)
        sid = await _session(repo)
        order: list[str] = []

        async def hold(name: str, seconds: float) -> None:
            async with repo.lease(sid, wait_until=time.monotonic() + 10):
                order.append(f"{name}+")
                await asyncio.sleep(seconds)  # longer than the TTL: the renewer keeps it
                order.append(f"{name}-")

        await asyncio.gather(hold("a", 0.8), hold("b", 0.1))
        assert order in (["a+", "a-", "b+", "b-"], ["b+", "b-", "a+", "a-"])

        # A holder that died without releasing: the next one waits for the TTL, then takes over.
        with psycopg.connect(database.conninfo) as conn:
            conn.execute("UPDATE chat_sessions SET lease_owner = %s, lease_expires_at = now() + interval '0.6 s' "
                         "WHERE id = %s", (str(uuid.uuid4()), sid))
        with pytest.raises(Aborted) as ei:
            async with repo.lease(sid, wait_until=time.monotonic() + 0.1):
                pass
        assert ei.value.reason == "SESSION_BUSY"
        started = time.monotonic()
        async with repo.lease(sid, wait_until=time.monotonic() + 5):
            assert 0.3 < time.monotonic() - started < 2.0
        with pytest.raises(NotFound):
            async with repo.lease(str(uuid.uuid4())):
                pass


async def test_begin_turn_takes_the_lease_and_keeps_the_recent_window(database: Database) -> None:
    with system_scope("test-chat-store"):
        repo = ChatRepository(database, lease_ttl=5)
        session = await _new(repo)
        sid, owner = session.id, session.user_id
        admitted: list[int] = []

        def admit(s: object, day_tokens: int) -> None:
            admitted.append(day_tokens)

        for i in range(7):
            async with repo.lease(sid, eager=False) as lease:
                start = await repo.begin_turn(sid, _user_msg(sid, f"q{i}"), owner=owner, day=date(2026, 3, 4),
                                              admit=admit, recent_window=4, lease=lease)
                assert lease.held and start.message.seq == 2 * i + 1
                answer = ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.ASSISTANT,
                                     content=f"a{i}", created_at=NOW, reply_to=start.message.id,
                                     prompt_tokens=3, completion_tokens=2)
                await repo.complete_turn(sid, str(start.session.user_id), answer, day=date(2026, 3, 4),
                                         recent_window=4, lease=lease)
                assert not lease.held
        with psycopg.connect(database.conninfo) as conn:
            row = conn.execute("SELECT messages, message_count, tokens_used, lease_owner FROM chat_sessions "
                               "WHERE id = %s", (sid,)).fetchone()
        assert row is not None
        window, count, tokens, lease_owner = row
        assert [m["content"] for m in window] == ["q5", "a5", "q6", "a6"]
        assert [m["seq"] for m in window] == [11, 12, 13, 14]
        assert count == 14 and tokens == 35 and lease_owner is None
        assert admitted == [0, 5, 10, 15, 20, 25, 30]  # today's tokens, as the budget check sees them

        # The same request id again: nothing is inserted, the earlier turn comes back.
        first = (await repo.messages(sid))[0]
        again = ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.USER, content="q0",
                            created_at=NOW, request_id=first.request_id)
        async with repo.lease(sid, eager=False) as lease:
            start = await repo.begin_turn(sid, again, owner=owner, day=date(2026, 3, 4), admit=admit, recent_window=4,
                                          lease=lease)
            assert start.existing and start.message.id == first.id and start.answer is not None
            assert not lease.held  # a replay changes nothing, not even the lease
        assert len(await repo.messages(sid)) == 14

        # Someone else's session, or one whose admission fails, changes nothing.
        def refuse(s: object, day_tokens: int) -> None:
            raise Aborted("no", reason="REFUSED")

        async with repo.lease(sid, eager=False) as lease:
            with pytest.raises(NotFound):
                await repo.begin_turn(sid, _user_msg(sid, "x"), owner=str(uuid.uuid4()), day=date(2026, 3, 4),
                                      admit=admit, recent_window=4, lease=lease)
            with pytest.raises(Aborted):
                await repo.begin_turn(sid, _user_msg(sid, "x"), owner=owner, day=date(2026, 3, 4), admit=refuse,
                                      recent_window=4, lease=lease)
            assert not lease.held
        assert len(await repo.messages(sid)) == 14


async def test_pg_archive_store_is_write_once_content_addressed_and_owned(database: Database) -> None:
    store = PgArchiveStore(database)
    owner, other = str(uuid.uuid4()), str(uuid.uuid4())
    with user_scope(owner):  # each user's calls in their own scope, as their requests are
        address = await store.put(CHAT_SESSIONS, "s.json", b"transcript bytes", owner=owner)
        assert address.startswith("pg:") and len(address) == 67
        assert await store.put(CHAT_SESSIONS, "s.json", b"transcript bytes", owner=owner) == address
        assert await store.get(address, owner=owner) == b"transcript bytes"
    with user_scope(other):
        with pytest.raises(ArchiveNotFound):
            await store.get(address, owner=other)
        with pytest.raises(AlreadyExists):
            await store.put(CHAT_SESSIONS, "x", b"transcript bytes", owner=other)
    with user_scope(owner):
        with pytest.raises(InvalidArgument):
            await store.get("0g:0x1234", owner=owner)
        with pytest.raises(InvalidArgument):
            await store.put("unknown/", "k", b"x", owner=owner)
    with psycopg.connect(database.conninfo) as conn:  # bit rot: the bytes no longer match the address
        conn.execute("UPDATE archive_objects SET content = %s WHERE address = %s", (b"tampered", address))
    with user_scope(owner), pytest.raises(ArchiveCorrupted):
        await store.get(address, owner=owner)


async def test_an_answer_to_a_session_erased_meanwhile_stores_nothing_not_even_its_receipt(database: Database) -> None:
    """complete_turn sends the receipt and the answer in one transaction: when the session row is
    gone (erased while the AI answered), the call raises SESSION_NOT_FOUND and neither is kept."""
    with system_scope("test-chat-store"):
        repo = ChatRepository(database, lease_ttl=5)
        session = await _new(repo)
        sid, owner = session.id, session.user_id
        async with repo.lease(sid, eager=False) as lease:
            start = await repo.begin_turn(sid, _user_msg(sid, "q"), owner=owner, day=date(2026, 3, 4),
                                          admit=lambda s, t: None, recent_window=4, lease=lease)
            with psycopg.connect(database.conninfo) as conn:
                conn.execute("DELETE FROM chat_messages WHERE session_id = %s", (sid,))
                conn.execute("DELETE FROM chat_sessions WHERE id = %s", (sid,))
            receipt = Receipt(
                id=str(uuid.uuid4()), surface=AiSurface.CHAT_ANSWER, subject=f"users/{owner}/sessions/{sid}/messages/a",
                user_id=owner, provider="p", model="m", response_id="r", verification="VERIFIED", tee_signer="",
                signature="", signed_text="", prompt_sha256="0" * 64, data_sha256="", data_snapshot="", data_as_of=NOW,
                text="a", text_sha256="1" * 64, grounding=GroundingRecord(GroundingState.NO_FIGURES), prompt_tokens=3,
                completion_tokens=2, fee_neuron=5, degraded_reason="", created_at=NOW,
            )
            answer = ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.ASSISTANT, content="a",
                                 created_at=NOW, reply_to=start.message.id, prompt_tokens=3, completion_tokens=2,
                                 receipt=receipt)
            with pytest.raises(NotFound) as ei:
                await repo.complete_turn(sid, owner, answer, day=date(2026, 3, 4), recent_window=4, lease=lease)
            assert ei.value.reason == "SESSION_NOT_FOUND"
        with psycopg.connect(database.conninfo) as conn:
            kept = conn.execute("SELECT count(*) FROM ai_receipts WHERE id = %s", (receipt.id,)).fetchone()
            tokens = conn.execute("SELECT count(*) FROM chat_token_usage WHERE user_id = %s", (owner,)).fetchone()
        assert kept == (0,) and tokens == (0,)


async def test_turn_text_with_quotes_backslashes_and_placeholders_round_trips(database: Database) -> None:
    """The turn's scripts bind their values on the client (one message per transaction): quotes,
    backslashes, percent placeholders, dollar quotes and non-ASCII text are values, never SQL."""
    tricky = "it's 5% \\ %(id)s %s $$; DROP TABLE chat_messages; -- 📈 \"q\" \\x00 {} \n\t end"
    with system_scope("test-chat-store"):
        repo = ChatRepository(database, lease_ttl=5)
        session = await _new(repo)
        sid, owner = session.id, session.user_id
        async with repo.lease(sid, eager=False) as lease:
            question = ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.USER, content=tricky,
                                   created_at=NOW, request_id="r'%(id)s\\")
            start = await repo.begin_turn(sid, question, owner=owner, day=date(2026, 3, 4), admit=lambda s, t: None,
                                          recent_window=4, lease=lease)
            assert start.message.content == tricky and start.message.request_id == "r'%(id)s\\"
            answer = ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=MessageRole.ASSISTANT,
                                 content=tricky[::-1], created_at=NOW, reply_to=start.message.id, provider=tricky,
                                 prompt_tokens=1, completion_tokens=1)
            stored = await repo.complete_turn(sid, owner, answer, day=date(2026, 3, 4), recent_window=4, lease=lease)
        assert stored.content == tricky[::-1] and stored.provider == tricky and stored.seq == 2
        assert [m.content for m in await repo.messages(sid)] == [tricky, tricky[::-1]]
