"""The seed's question through the real services: "why is my tech basket underperforming this week?"

The portfolio is synced and priced through PortfolioSummaryService (PostgreSQL), the chat snapshots
it through the portfolio domain service, and the answer is written from that snapshot: by the model
(whose data block we read at the provider stand-in), or without AI by the deterministic writer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import chat_pb2_grpc, portfolio_pb2, portfolio_pb2_grpc
from stack_cfo.core.clock import FrozenClock
from tests.integration.chat.conftest import Chat, chat_requests, chat_server, events, new_user, prompt_data, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply
from tests.support.server import running_server
from tests.unit.chat.seed_portfolio import CLOSES, DAYS

# Friday 6 March 2026, 17:00 in New York (EST): that day's close is in. The closes (the last of
# 2025, a month, a week and a day before, and today) are the unit tests' seed portfolio.
T0 = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
QUESTION = "Why is my tech basket underperforming this week?"


async def _seed_portfolio(chat: Chat, user: str) -> None:
    await chat.sync_portfolio(
        user,
        [
            portfolio_pb2.Holding(symbol="NVDA", quantity="10", average_cost="90", sector="Technology", basket="Tech"),
            portfolio_pb2.Holding(symbol="AAPL", quantity="20", average_cost="120", sector="Technology", basket="Tech"),
            portfolio_pb2.Holding(symbol="MSFT", quantity="5", average_cost="300", sector="Technology", basket="Tech"),
            portfolio_pb2.Holding(symbol="XOM", quantity="10", average_cost="95", sector="Energy"),
        ],
        cash="2000",
    )
    await chat.record_prices({s: list(zip(DAYS, closes, strict=True)) for s, closes in CLOSES.items()})


async def test_the_model_gets_the_basket_the_benchmark_and_the_contributions_over_the_week(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await _seed_portfolio(chat, user)
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, QUESTION, request_id=rid()))
        assert not done.offline
        data = prompt_data(chat_requests(provider)[-1])
    tech = data["baskets"][0]  # type: ignore[index]
    # 7,400 -> 7,160 over the week: -3.24 %, while SPY gained 1 %.
    assert (tech["name"], tech["return_1w"], tech["change_1w"]) == ("Tech", -0.0324, "-240.00")
    assert data["benchmark"]["return_1w"] == 0.01 and tech["excess_return_1w"] == -0.0424  # type: ignore[index]
    assert {p["symbol"]: p["return_contribution_1w"] for p in tech["positions"]} == {
        "NVDA": -0.027, "AAPL": 0.0, "MSFT": -0.0054}
    positions = {p["symbol"]: p for p in data["positions"]}  # type: ignore[attr-defined]
    assert positions["NVDA"]["return_1w"] == -0.1 and positions["NVDA"]["weight"] == 0.1768
    assert data["cash"] == {"value": "2000.00", "weight": 0.1965}  # type: ignore[index]
    codes = [i["code"] for i in data["insights"]]  # type: ignore[attr-defined]
    assert "BASKET_LAGGING_BENCHMARK" in codes and data["diversification"]["score"] > 0  # type: ignore[index]


async def test_without_ai_the_question_is_answered_from_the_same_figures_and_says_why(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    clock = FrozenClock(T0)
    async with running_server(db_dsn, data_dir, clock=clock) as srv:  # no AI provider configured
        chat = Chat(srv, provider, chat_pb2_grpc.ChatServiceStub(srv.channel),
                    portfolio_pb2_grpc.PortfolioSummaryServiceStub(srv.channel))
        await _seed_portfolio(chat, user)
        s = await chat.create(user)
        _, text, done = events(await chat.send(user, s.name, QUESTION, request_id=rid()))
        _, cash_text, _ = events(await chat.send(user, s.name, "How much cash do I have?", request_id=rid()))
    assert done.offline and done.assistant_message.degraded_reason == "COMPUTE_NOT_CONFIGURED"
    assert "no AI provider is configured" in text and "again in a moment" not in text
    assert "the Tech basket returned -3.24% (-240.00 USD), against +1.00% for SPY" in text
    assert "NVDA -2.70 percentage points (its own return -10.00%)" in text
    assert "Cash: 2,000.00 USD, 19.65% of total value." in cash_text and "Tech basket" not in cash_text

    async with chat_server(db_dsn, data_dir, chain, provider, clock=clock) as chat:
        provider.default_reply = Reply.error(503, "upstream down")
        s = await chat.create(user)
        _, text, done = events(await chat.send(user, s.name, "What's my beta?", request_id=rid()))
    assert done.offline and done.assistant_message.degraded_reason == "COMPUTE_UNAVAILABLE"
    assert "the AI service did not respond" in text and "Asking again in a moment" in text
    # Synced today: no daily returns yet, and the answer says so rather than showing a number.
    assert "Beta: not available (not enough history yet)." in text
    assert "There are no daily returns yet to compute them on." in text
