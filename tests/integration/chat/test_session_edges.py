"""Session edges: the providers a session may name, a busy session and the caller's deadline, and
what counts as the user's access of a session."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from tests.integration.chat.conftest import Chat, chat_server, error_info, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply


async def _create_error(chat: Chat, user: str, provider: str) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as ei:
        await chat.create(user, "x", provider=provider)
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return ei.value


async def test_a_direct_only_server_refuses_router_sessions_and_lists_only_what_it_accepts(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        # No router configured: "router" is well-formed but not a provider this server uses.
        info, _ = error_info(await _create_error(chat, user, "router"))
        assert info.reason == "UNKNOWN_PROVIDER"
        # "known" lists only values a session may name: not "router", not "offline".
        assert info.metadata["known"] == provider.address
        other = "0x" + "0" * 39 + "1"
        info, _ = error_info(await _create_error(chat, user, other))
        assert info.reason == "UNKNOWN_PROVIDER" and info.metadata["known"] == provider.address
        info, _ = error_info(await _create_error(chat, user, "offline"))
        assert info.reason == "INVALID_PROVIDER"
        # the configured provider, named or by default, is accepted
        assert (await chat.create(user, provider=provider.address.lower())).provider == provider.address
        assert (await chat.create(user)).provider == provider.address


async def test_archive_of_a_busy_session_is_session_busy_before_the_callers_deadline(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """ArchiveSession while a message is being answered, with a 2 s deadline: ABORTED SESSION_BUSY
    shortly before the deadline (as for SendMessage), not DEADLINE_EXCEEDED without details."""
    user = new_user()
    provider.default_reply = Reply.ok(chunks=40, chunk_delay=0.15)  # a 6-second answer
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        s = await chat.create(user)
        call = chat.stub.SendMessage(
            chat_pb2.SendMessageRequest(name=s.name, content="long answer", request_id=rid()),
            metadata=chat.md(user), timeout=30,
        )
        assert (await call.read()).WhichOneof("event") == "accepted"
        started = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.ArchiveSession(
                chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=2
            )
        took = time.monotonic() - started
        assert ei.value.code() == grpc.StatusCode.ABORTED, ei.value
        assert error_info(ei.value)[0].reason == "SESSION_BUSY"
        assert 1.0 < took < 1.9, took
        rest = []
        while (ev := await call.read()) is not grpc.aio.EOF:
            rest.append(ev)
        assert rest[-1].WhichOneof("event") == "completed" and not rest[-1].completed.incomplete
        # once the answer is stored the session archives
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=s.name, request_id=rid()), metadata=chat.md(user), timeout=10
        )
        assert archived.status == chat_pb2.SESSION_STATUS_ARCHIVED


async def test_a_users_refresh_and_archive_are_accesses_a_services_refresh_is_not(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider) as chat:
        await chat.sync_portfolio(user, [portfolio_pb2.Holding(symbol="AAPL", quantity="10", average_cost="150")])
        a = await chat.create(user, "A")
        await asyncio.sleep(0.02)
        b = await chat.create(user, "B")

        async def order() -> list[str]:
            resp = await chat.stub.ListSessions(
                chat_pb2.ListSessionsRequest(parent=f"users/{user}"), metadata=chat.md(user), timeout=10
            )
            return [s.title for s in resp.sessions]

        assert await order() == ["B", "A"]

        # a service's refresh is not the user's access
        await asyncio.sleep(0.02)
        by_service = await chat.stub.UpdatePortfolioContext(
            chat_pb2.UpdatePortfolioContextRequest(name=a.name), metadata=chat.service_md(), timeout=10
        )
        assert by_service.last_access_time == a.last_access_time
        assert by_service.update_time.ToDatetime() > a.update_time.ToDatetime()
        assert await order() == ["B", "A"]

        # the user's refresh is a write: last access moves with the update, A comes first
        await asyncio.sleep(0.02)
        refreshed = await chat.stub.UpdatePortfolioContext(
            chat_pb2.UpdatePortfolioContextRequest(name=a.name), metadata=chat.md(user), timeout=10
        )
        assert refreshed.last_access_time == refreshed.update_time
        assert refreshed.last_access_time.ToDatetime() > a.last_access_time.ToDatetime()
        assert (await chat.get(user, a.name, basic=True)).last_access_time.ToDatetime() >= (
            refreshed.last_access_time.ToDatetime()
        )
        assert await order() == ["A", "B"]

        # the user's archive of B is a write too: B comes first again
        await asyncio.sleep(0.02)
        archived = await chat.stub.ArchiveSession(
            chat_pb2.ArchiveSessionRequest(name=b.name, request_id=rid()), metadata=chat.md(user), timeout=10
        )
        assert archived.status == chat_pb2.SESSION_STATUS_ARCHIVED
        assert archived.last_access_time == archived.update_time == archived.archive_time
        assert archived.last_access_time.ToDatetime() > refreshed.last_access_time.ToDatetime()
        assert await order() == ["B", "A"]
