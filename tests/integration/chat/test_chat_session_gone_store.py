"""The chat repository's side of a session that goes mid-answer: every process hears of it
(``chat_session_gone``, including deletions made while it was not listening), and the answer's
transaction is the backstop for a deletion the turn has not heard of (nothing stored)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import psycopg
import pytest

from stack_cfo.core.chat.models import ChatMessage, MessageRole, NewSession, PortfolioContext
from stack_cfo.core.data_scope import system_scope
from stack_cfo.core.errors import NotFound
from stack_cfo.store.chat import ChatRepository
from stack_cfo.store.db import Database
from stack_cfo.store.erasure import erase_user_rows

NOW = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)
DAY = date(2026, 3, 4)


async def _session(repo: ChatRepository, user: str | None = None) -> str:
    return (await repo.create_session(NewSession(
        id=str(uuid.uuid4()), user_id=user or str(uuid.uuid4()), title="t", provider="router", model="m",
        context=PortfolioContext.empty(NOW), auto_summarize=True, summarize_interval=20, created_at=NOW,
    ))).id


def _msg(sid: str, role: MessageRole, text: str, reply_to: str | None = None) -> ChatMessage:
    return ChatMessage(id=str(uuid.uuid4()), session_id=sid, seq=0, role=role, content=text, created_at=NOW,
                       request_id=str(uuid.uuid4()) if role is MessageRole.USER else None, reply_to=reply_to,
                       prompt_tokens=3, completion_tokens=2)


async def _until(check: object, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("not heard in time")


async def test_an_answer_to_a_session_deleted_meanwhile_is_not_stored(database: Database) -> None:
    with system_scope("test-chat-gone"):
        repo = ChatRepository(database, lease_ttl=5)
        sid = await _session(repo)
        owner = (await repo.get_session(sid)).user_id  # type: ignore[union-attr]
        async with repo.lease(sid, eager=False) as lease:
            start = await repo.begin_turn(sid, _msg(sid, MessageRole.USER, "q"), owner=owner, day=DAY,
                                          admit=lambda s, t: None, recent_window=4, lease=lease)
            await repo.delete_session(sid, at=NOW)  # while the AI answered
            with pytest.raises(NotFound) as gone:
                await repo.complete_turn(sid, owner, _msg(sid, MessageRole.ASSISTANT, "a", start.message.id),
                                         day=DAY, recent_window=4, lease=lease)
            assert gone.value.reason == "SESSION_NOT_FOUND"
        assert [m.role for m in await repo.messages(sid)] == [MessageRole.USER]
        with psycopg.connect(database.conninfo) as conn:
            row = conn.execute("SELECT tokens_used, lease_owner FROM chat_sessions WHERE id = %s", (sid,)).fetchone()
            usage = conn.execute("SELECT count(*) FROM chat_token_usage WHERE user_id = %s", (owner,)).fetchone()
        assert row == (0, None)  # no tokens booked; the lease released all the same
        assert usage == (0,)


async def test_every_process_hears_of_deleted_and_erased_sessions(database: Database) -> None:
    with system_scope("test-chat-gone"):
        writer = ChatRepository(database)  # another replica
        listener = ChatRepository(database)
        user = str(uuid.uuid4())
        early, deleted, erased = [await _session(writer, user) for _ in range(3)]
        kept = await _session(writer)  # another user's
        # deleted before this process listened, while an answer of it was in flight here
        await writer.delete_session(early, at=NOW)
        heard: list[str] = []
        listener.watch_sessions(heard.append, lambda: [early, kept])
        try:
            await _until(lambda: early in heard)  # looked up when the listener connected
            await writer.delete_session(deleted, at=NOW)
            await _until(lambda: deleted in heard)
            await writer.delete_session(deleted, at=NOW)  # deleting again: nothing new
            await erase_user_rows(database, user)
            await _until(lambda: erased in heard)
            await asyncio.sleep(0.2)
            # each session once; the one marked deleted before its row was erased is not heard again;
            # another user's session not at all
            assert sorted(heard) == sorted([early, deleted, erased]), heard
        finally:
            await listener.aclose()
