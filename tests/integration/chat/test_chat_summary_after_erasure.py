"""A background summary whose session goes stops: erased (EraseUserData) or deleted (DeleteSession)
while the summary's provider request is in flight, the request is cancelled (nothing more is paid),
nothing of it is stored and no data key of the erased user comes back. Before, the summary ran to
its end, its store path made the erased user a new data key, then failed ("background summary
failed"), and a deleted session got its summary stored."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import psycopg
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as upb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as upb_grpc
from stack_cfo.core.chat.compression import sha256_text
from stack_cfo.core.chat.models import Summary
from stack_cfo.core.data_scope import user_scope
from stack_cfo.core.errors import NotFound
from tests.integration.chat.conftest import Chat, chat_server, events, new_user, rid, summary_requests
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

SUMMARY_CHUNKS, SUMMARY_CHUNK_DELAY = 60, 0.1
SLOW_SUMMARY = Reply.ok("The investor asks how the portfolio is doing " * 6, chunks=SUMMARY_CHUNKS,
                        chunk_delay=SUMMARY_CHUNK_DELAY)
"""A six-second summary."""


def _summaries_slowly(provider: ProviderStandIn) -> None:
    provider.reply_for = lambda body: (
        SLOW_SUMMARY if body["messages"][0]["content"].startswith("You keep the memory") else None
    )


class _Records(logging.Handler):
    """Warnings and errors logged while the test runs (the server runs in this process)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def chat(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in self.records if r.name.startswith("stack_cfo.core.chat")]


@pytest.fixture
def warnings_logged() -> object:
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


async def _summary_in_flight(chat: Chat, user: str) -> tuple[str, int]:
    """A session (interval 4) whose background summary's provider request is streaming now; (its
    name, the provider's disconnect count before)."""
    session = (await chat.create(user, "to be summarised", summarize_interval=4)).name
    events(await chat.send(user, session, "My goal is retiring at 55 with low risk.", request_id=rid()))
    disconnects = chat.provider.disconnects
    events(await chat.send(user, session, "Is my tech exposure too high?", request_id=rid()))  # 4 messages: due
    for _ in range(250):
        if summary_requests(chat.provider):
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("no summary was requested")
    await asyncio.sleep(0.3)  # streaming
    assert chat.provider.disconnects == disconnects
    return session, disconnects


async def _cancelled(provider: ProviderStandIn, before: int) -> None:
    """The provider saw the summary's request go away (well before its six seconds)."""
    for _ in range(100):
        if provider.disconnects > before:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the summary's provider request was not cancelled")


def _count(dsn: str, query: str, arg: str) -> int:
    with psycopg.connect(dsn) as conn:
        return int(conn.execute(query, (arg,)).fetchone()[0])  # type: ignore[index]


def _live_keys(dsn: str, user: str) -> int:
    return _count(dsn, "SELECT count(*) FROM archive_data_keys WHERE user_id = %s AND destroyed_at IS NULL", user)


def _summaries(dsn: str, session_id: str) -> int:
    return _count(dsn, "SELECT count(*) FROM chat_summaries WHERE session_id = %s", session_id)


async def test_erasing_the_user_cancels_the_background_summary_and_makes_no_key(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, warnings_logged: _Records
) -> None:
    _summaries_slowly(provider)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        session, disconnects = await _summary_in_flight(chat, user)
        sid = session.rsplit("/", 1)[1]
        assert _live_keys(db_dsn, user) == 1
        erased = await upb_grpc.UserDataServiceStub(chat.srv.channel).EraseUserData(
            upb.EraseUserDataRequest(name=f"users/{user}", request_id=rid()), metadata=chat.md(user), timeout=10)
        assert erased.session_count == 1
        await _cancelled(provider, disconnects)
        # nothing comes late either (the summary would have ended by now)
        await asyncio.sleep(SUMMARY_CHUNKS * SUMMARY_CHUNK_DELAY + 0.5)
        assert len(summary_requests(provider)) == 1
        assert _live_keys(db_dsn, user) == 0
        assert _summaries(db_dsn, sid) == 0
    assert warnings_logged.chat() == []


async def test_deleting_the_session_cancels_its_background_summary(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn, warnings_logged: _Records
) -> None:
    _summaries_slowly(provider)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        session, disconnects = await _summary_in_flight(chat, user)
        sid = session.rsplit("/", 1)[1]
        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=session), metadata=chat.md(user),
                                      timeout=10)
        await _cancelled(provider, disconnects)
        await asyncio.sleep(SUMMARY_CHUNKS * SUMMARY_CHUNK_DELAY + 0.5)
        assert len(summary_requests(provider)) == 1
        assert _summaries(db_dsn, sid) == 0
        deleted = await chat.get(user, session)
        assert deleted.status == chat_pb2.SESSION_STATUS_DELETED
    assert warnings_logged.chat() == []


def _summary(session_id: str) -> Summary:
    from datetime import UTC, datetime

    text = "The investor asked twice."
    return Summary(
        id=str(uuid.uuid4()), session_id=session_id, version=1, from_seq=1, to_seq=2, content=text,
        content_sha256=sha256_text(text), source_sha256=sha256_text("x"), previous_id=None, provider="p",
        model="m", offline=False, prompt_tokens=5, completion_tokens=5, created_at=datetime.now(UTC),
    )


async def test_the_store_keeps_no_summary_of_a_session_gone_and_makes_no_key(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """The backstop, for a summary whose process has not heard of the session going (another
    replica deleted or erased it): its store path refuses it and makes no key."""
    from datetime import date

    user, other = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        store = chat.srv.container.chat_store
        erased_name = (await chat.create(user, "erased")).name
        events(await chat.send(user, erased_name, "Hello", request_id=rid()))
        erased = erased_name.rsplit("/", 1)[1]
        deleted = (await chat.create(other, "deleted")).name
        events(await chat.send(other, deleted, "Hello", request_id=rid()))
        await chat.stub.DeleteSession(chat_pb2.DeleteSessionRequest(name=deleted), metadata=chat.md(other),
                                      timeout=10)
        deleted_id = deleted.rsplit("/", 1)[1]
        await upb_grpc.UserDataServiceStub(chat.srv.channel).EraseUserData(
            upb.EraseUserDataRequest(name=f"users/{user}", request_id=rid()), metadata=chat.md(user), timeout=10)
        assert _live_keys(db_dsn, user) == 0

        for owner, sid in ((user, erased), (other, deleted_id)):
            with user_scope(owner), pytest.raises(NotFound) as gone:
                await store.save_summary(_summary(sid), owner, day=date.today())
            assert gone.value.reason == "SESSION_NOT_FOUND"
            assert _summaries(db_dsn, sid) == 0
        assert _live_keys(db_dsn, user) == 0  # no key of the erased user made again
        assert _live_keys(db_dsn, other) == 1
