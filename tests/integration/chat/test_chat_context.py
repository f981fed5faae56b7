"""The portfolio context: snapshotted on create, refreshed when stale, updated on demand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import grpc
import pytest

from stack_cfo._proto.stack.cfo.v1 import chat_pb2, portfolio_pb2
from stack_cfo.core.clock import FrozenClock
from tests.integration.chat.conftest import (
    Chat,
    chat_requests,
    chat_server,
    error_info,
    events,
    new_user,
    prompt_data,
    rid,
)
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn

# Wednesday 4 March 2026, 17:00 in New York: that day's close is in.
T0 = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)
DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]


async def _portfolio(chat: Chat, user: str) -> None:
    await chat.sync_portfolio(
        user,
        [portfolio_pb2.Holding(symbol="AAPL", quantity="10", average_cost="150", sector="Technology", basket="tech")],
        cash="1000",
    )
    await chat.record_prices({"AAPL": [(DAYS[0], "170"), (DAYS[1], "175"), (DAYS[2], "180")]})


async def test_a_stale_context_is_refreshed_before_the_next_answer(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    clock = FrozenClock(T0)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=clock) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        ctx = s.portfolio_context
        assert ctx.total_value == "2800" and ctx.base_currency == "USD"
        assert ctx.snapshot_time.ToDatetime(tzinfo=UTC) == T0
        assert [p.symbol for p in ctx.positions] == ["AAPL"] and ctx.positions[0].basket == "tech"

        await chat.record_prices({"AAPL": [(DAYS[2], "200")]})  # the price moves
        clock.advance(minutes=14)
        _, _, done = events(await chat.send(user, s.name, "How much is my portfolio worth?"))
        assert not done.context_refreshed and not done.offline
        assert prompt_data(chat_requests(provider)[-1])["total_value"] == "2800.00"

        clock.advance(minutes=2)  # 16 minutes after the snapshot: stale
        _, _, done = events(await chat.send(user, s.name, "And now?"))
        assert done.context_refreshed and not done.offline
        data = prompt_data(chat_requests(provider)[-1])
        assert data["total_value"] == "3000.00"
        assert datetime.fromisoformat(str(data["snapshot_time"])) == clock.now()  # refreshed just now
        got = await chat.get(user, s.name)
        assert got.portfolio_context.total_value == "3000"
        assert got.portfolio_context.snapshot_time.ToDatetime(tzinfo=UTC) == clock.now()

        # A replay reports what the original answer said.
        _, _, again = events(await chat.send(user, s.name, "Right after", request_id=(r := rid())))
        assert not again.context_refreshed
        _, _, replay = events(await chat.send(user, s.name, "Right after", request_id=r))
        assert not replay.context_refreshed


async def test_a_session_opened_before_the_first_sync_is_refreshed_at_once(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    """A context with no portfolio data is refreshed before every message, whatever its age: a session opened before
    the user's first SyncPortfolio answered "no portfolio data" for 15 minutes after it (a chat tester)."""
    clock = FrozenClock(T0)
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=clock) as chat:
        s = await chat.create(user)
        assert not s.portfolio_context.total_value
        _, _, done = events(await chat.send(user, s.name, "How much cash do I have?"))
        assert prompt_data(chat_requests(provider)[-1])["available"] is False
        assert not done.context_refreshed  # still no portfolio: nothing refreshed to say (not every turn)
        await _portfolio(chat, user)
        clock.advance(minutes=1)
        _, _, done = events(await chat.send(user, s.name, "And now?"))
        assert done.context_refreshed and not done.offline
        data = prompt_data(chat_requests(provider)[-1])
        assert data["total_value"] == "2800.00" and data["cash"]["value"] == "1000.00"
        clock.advance(minutes=1)
        _, _, done = events(await chat.send(user, s.name, "Thanks"))
        assert not done.context_refreshed  # a context with data: by its age again


async def test_update_portfolio_context_on_demand_and_from_a_service(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    clock = FrozenClock(T0)
    user, nobody = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=clock) as chat:
        await _portfolio(chat, user)
        s = await chat.create(user)
        await chat.record_prices({"AAPL": [(DAYS[2], "190")]})
        clock.advance(minutes=1)
        refreshed = await chat.stub.UpdatePortfolioContext(
            chat_pb2.UpdatePortfolioContextRequest(name=s.name), metadata=chat.md(user)
        )
        assert refreshed.portfolio_context.total_value == "2900" and not refreshed.messages
        assert refreshed.portfolio_context.snapshot_time.ToDatetime(tzinfo=UTC) == clock.now()

        supplied = chat_pb2.PortfolioContext(base_currency="USD", total_value="123456.78", day_change_percent=-1.5)
        supplied.positions.add(symbol="NVDA", quantity="12", market_value="120000", weight=0.97)
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.UpdatePortfolioContext(
                chat_pb2.UpdatePortfolioContextRequest(name=s.name, portfolio_context=supplied), metadata=chat.md(user)
            )
        assert ei.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_info(ei.value)[0].reason == "SERVICE_PRINCIPAL_REQUIRED"

        stored = await chat.stub.UpdatePortfolioContext(
            chat_pb2.UpdatePortfolioContextRequest(name=s.name, portfolio_context=supplied),
            metadata=chat.service_md(),
        )
        assert stored.portfolio_context.total_value == "123456.78"
        assert stored.portfolio_context.snapshot_time.ToDatetime(tzinfo=UTC) == clock.now()
        events(await chat.send(user, s.name, "What do I hold?"))
        data = prompt_data(chat_requests(provider)[-1])
        assert data["total_value"] == "123456.78" and data["performance"] == {"return_1d": -0.015}
        assert data["positions"] == [{"symbol": "NVDA", "quantity": "12", "market_value": "120000.00",
                                      "weight": 0.97}]

        bad = chat_pb2.PortfolioContext(total_value="12,5")
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.UpdatePortfolioContext(
                chat_pb2.UpdatePortfolioContextRequest(name=s.name, portfolio_context=bad), metadata=chat.service_md()
            )
        assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        # No portfolio: the session starts with an empty context; a refresh is NOT_FOUND.
        empty = await chat.create(nobody)
        assert not empty.portfolio_context.total_value and not empty.portfolio_context.positions
        with pytest.raises(grpc.aio.AioRpcError) as ei:
            await chat.stub.UpdatePortfolioContext(
                chat_pb2.UpdatePortfolioContextRequest(name=empty.name), metadata=chat.md(nobody)
            )
        assert ei.value.code() == grpc.StatusCode.NOT_FOUND
        assert error_info(ei.value)[0].reason == "PORTFOLIO_NOT_FOUND"

        # A service-supplied context of a user without a portfolio survives going stale: the
        # automatic refresh has nothing to refresh it from, so the answer uses it (not an empty one).
        given = await chat.stub.UpdatePortfolioContext(
            chat_pb2.UpdatePortfolioContextRequest(name=empty.name, portfolio_context=supplied),
            metadata=chat.service_md(),
        )
        assert given.portfolio_context.total_value == "123456.78"
        clock.advance(minutes=20)
        _, _, done = events(await chat.send(nobody, empty.name, "What do I hold?"))
        assert not done.context_refreshed
        assert prompt_data(chat_requests(provider)[-1])["total_value"] == "123456.78"
        assert (await chat.get(nobody, empty.name)).portfolio_context.total_value == "123456.78"
