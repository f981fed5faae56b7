"""GetArchivedSession pages the archived transcript (AIP-158) so that every response fits 4 MiB, the
receive limit gRPC clients have by default: a session whose context is near its 4,177,920-byte limit
and whose transcript is long is read whole, page after page, oldest message first, without gap or
duplicate; a small archive comes in one page without a token."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2 as pb
from stack_cfo._proto.stack.cfo.v1 import user_data_pb2_grpc as pb_grpc
from tests.integration.chat.conftest import Chat, chat_server, error_info, events, new_user, rid
from tests.integration.chat.test_session_message_size import FOUR_MIB, LIMIT, _padded, _update
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


async def _turns(chat: Chat, user: str, name: str, n: int, question: str) -> list[str]:
    """``n`` turns of ``question``; the ids of the messages stored, oldest first."""
    ids: list[str] = []
    for k in range(n):
        await asyncio.sleep(0.55)  # 2 paid AI calls a second per user
        accepted, _, completed = events(await chat.send(user, name, f"{k}: {question}", request_id=rid(), timeout=60))
        assert not completed.offline
        ids += [accepted.user_message_id, accepted.assistant_message_id]
    return ids


async def _archive(chat: Chat, user: str, name: str) -> None:
    await chat.stub.ArchiveSession(chat_pb2.ArchiveSessionRequest(name=name, request_id=str(uuid.uuid4())),
                                   metadata=chat.md(user), timeout=120)


async def _page(chat: Chat, user: str, name: str, *, size: int = 0, token: str = "") -> pb.ArchivedSession:
    stub = pb_grpc.UserDataServiceStub(chat.srv.channel)  # a default client: 4 MiB receive limit
    return await stub.GetArchivedSession(  # type: ignore[no-any-return]
        pb.GetArchivedSessionRequest(session=name, page_size=size, page_token=token),
        metadata=chat.md(user), timeout=60,
    )


async def _all_pages(chat: Chat, user: str, name: str, *, size: int = 0) -> list[pb.ArchivedSession]:
    pages = [await _page(chat, user, name, size=size)]
    while pages[-1].next_page_token:
        assert len(pages) < 200
        pages.append(await _page(chat, user, name, size=size, token=pages[-1].next_page_token))
    return pages


def _without_messages(page: pb.ArchivedSession) -> pb.ArchivedSession:
    out = pb.ArchivedSession()
    out.CopyFrom(page)
    out.session.ClearField("messages")
    out.ClearField("next_page_token")
    return out


async def test_a_large_archive_is_read_whole_in_pages_within_4_mib(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A context near the limit and 12 long turns, the last answer ~19 KB: the archived session was
    one message past 4 MiB, which no default client could receive (RESOURCE_EXHAUSTED). Every page
    fits 4 MiB and carries the session; together they are the whole transcript in order. The page of
    the long answer, which does not fit beside the context, carries the context bounded further."""
    user = new_user()
    ctx = _padded(9_900, LIMIT - 200, currency="USD")
    ctx.snapshot_time.FromDatetime(datetime.now(UTC) - timedelta(seconds=5))
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        stored = await _update(chat, s.name, ctx)
        provider.default_reply = Reply.ok(text="Your holdings are spread across many names. " * 70)
        ids = await _turns(chat, user, s.name, 11, "how am I doing? " * 240)
        provider.default_reply = Reply.ok(text="Here is the breakdown of every one of your holdings. " * 360)
        ids += await _turns(chat, user, s.name, 1, "and in detail?")
        await _archive(chat, user, s.name)

        pages = await _all_pages(chat, user, s.name)
        assert len(pages) > 1
        got = [m.id for p in pages for m in p.session.messages]
        assert got == ids  # in order, no gap, no duplicate
        assert pages[-1].session.messages[-1].content.startswith("Here is the breakdown")
        assert len(pages[-1].session.messages[-1].content) > 18_000
        assert not pages[-1].next_page_token
        first = _without_messages(pages[0])
        assert first.session.name == s.name and first.session.status == chat_pb2.SESSION_STATUS_ARCHIVED
        assert first.archive_address.startswith("pg:") and first.archive_time.seconds > 0
        assert first.session.message_count == len(ids) == 24
        assert first.session.portfolio_context == stored.portfolio_context
        for p in pages:
            assert p.ByteSize() <= FOUR_MIB and p.session.messages
            if p is pages[-1]:
                # one message too large to sit beside the whole context: the context comes bounded
                bounded = p.session.portfolio_context
                assert 0 < len(bounded.positions) < len(stored.portfolio_context.positions)
                assert bounded.total_value == stored.portfolio_context.total_value
                p = _without_messages(p)
                p.session.ClearField("portfolio_context")
                f = _without_messages(first)
                f.session.ClearField("portfolio_context")
                assert p == f
            else:
                assert _without_messages(p) == first  # every page carries the session's fields


async def test_page_size_tokens_and_a_small_archive_in_one_page(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """Four turns: one page with no token by default (and with a page_size above the maximum); pages
    of at most `page_size` messages otherwise. A negative page_size, a token altered, made up, or
    issued for another session is INVALID_ARGUMENT."""
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        other = await chat.create(user, title="other")
        ids = await _turns(chat, user, s.name, 4, "How is my portfolio doing?")
        await _turns(chat, user, other.name, 2, "And now?")
        await _archive(chat, user, s.name)
        await _archive(chat, user, other.name)

        whole = await _page(chat, user, s.name)
        assert [m.id for m in whole.session.messages] == ids and not whole.next_page_token
        assert whole.session.message_count == 8
        assert [m.id for m in (await _page(chat, user, s.name, size=5000)).session.messages] == ids

        pages = await _all_pages(chat, user, s.name, size=3)
        assert [len(p.session.messages) for p in pages] == [3, 3, 2]
        assert [m.id for p in pages for m in p.session.messages] == ids
        assert [bool(p.next_page_token) for p in pages] == [True, True, False]
        # the page size may change between pages
        rest = await _page(chat, user, s.name, size=10, token=pages[0].next_page_token)
        assert [m.id for m in rest.session.messages] == ids[3:] and not rest.next_page_token

        token = pages[0].next_page_token
        body, _, tag = token.partition(".")
        altered = body[:-1] + ("A" if body[-1] != "A" else "B") + "." + tag
        for bad, kwargs in (
            ("page_size", {"size": -1}),
            ("page_token", {"token": "not-a-token"}),
            ("page_token", {"token": altered}),
            ("page_token", {"token": token, "name": other.name}),  # issued for another session
        ):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await _page(chat, user, str(kwargs.pop("name", s.name)), **kwargs)  # type: ignore[arg-type]
            assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (bad, ei.value.details())
            info, _ = error_info(ei.value)
            assert info.reason == ("INVALID_PAGE_SIZE" if bad == "page_size" else "INVALID_PAGE_TOKEN"), bad
            assert info.metadata["field"] == bad
        # a token is the caller's: a service reading the same archive cannot go on from the user's page, nor the user
        # from the service's ("one issued for another ... caller ... is INVALID_PAGE_TOKEN")
        stub = pb_grpc.UserDataServiceStub(chat.srv.channel)
        theirs = await stub.GetArchivedSession(pb.GetArchivedSessionRequest(session=s.name, page_size=3),
                                               metadata=chat.service_md(), timeout=60)
        assert [m.id for m in theirs.session.messages] == ids[:3]
        for token, md in ((pages[0].next_page_token, chat.service_md()), (theirs.next_page_token, chat.md(user))):
            with pytest.raises(grpc.aio.AioRpcError) as ei:
                await stub.GetArchivedSession(pb.GetArchivedSessionRequest(session=s.name, page_token=token),
                                              metadata=md, timeout=60)
            info, _ = error_info(ei.value)
            assert (ei.value.code(), info.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        resumed = await stub.GetArchivedSession(pb.GetArchivedSessionRequest(
            session=s.name, page_size=3, page_token=theirs.next_page_token), metadata=chat.service_md(), timeout=60)
        assert [m.id for m in resumed.session.messages] == ids[3:6]
