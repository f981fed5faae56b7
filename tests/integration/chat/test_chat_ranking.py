"""With the AI provider down, "which position is my best performer?" through the real ChatService names the
position and its figures, in the user's language (a client's report: it got the portfolio's returns only)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from google.protobuf import field_mask_pb2

from stack_cfo._proto.stack.cfo.v1 import portfolio_pb2
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2 as spb
from stack_cfo._proto.stack.cfo.v1 import scheduler_pb2_grpc as spb_grpc
from stack_cfo.core.clock import FrozenClock
from tests.integration.chat.conftest import chat_server, events, new_user, rid
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply
from tests.unit.chat.seed_portfolio import CLOSES, DAYS

T0 = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)  # after the 6 March close in New York, as in the seed portfolio


async def test_with_the_provider_down_a_ranking_question_names_the_positions(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user, german = new_user(), new_user()
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        provider.default_reply = Reply.error(503, "upstream down")
        for who in (user, german):
            await chat.sync_portfolio(
                who,
                [
                    portfolio_pb2.Holding(
                        symbol="NVDA", quantity="10", average_cost="90", sector="Technology", basket="Tech"
                    ),
                    portfolio_pb2.Holding(
                        symbol="AAPL", quantity="20", average_cost="120", sector="Technology", basket="Tech"
                    ),
                    portfolio_pb2.Holding(
                        symbol="MSFT", quantity="5", average_cost="300", sector="Technology", basket="Tech"
                    ),
                    portfolio_pb2.Holding(symbol="XOM", quantity="10", average_cost="95", sector="Energy"),
                ],
                cash="2000",
            )
        await chat.record_prices({s: list(zip(DAYS, closes, strict=True)) for s, closes in CLOSES.items()})
        await spb_grpc.SchedulerServiceStub(chat.srv.channel).UpdateNotificationPreferences(
            spb.UpdateNotificationPreferencesRequest(
                preferences=spb.NotificationPreferences(name=f"users/{german}/notificationPreferences", locale="de"),
                update_mask=field_mask_pb2.FieldMask(paths=["locale"]),
            ),
            metadata=chat.srv.auth(german),
            timeout=10,
        )
        s = await chat.create(user)
        _, best, done = events(await chat.send(user, s.name, "Which position is my best performer?", request_id=rid()))
        _, week, _ = events(await chat.send(user, s.name, "Who were my 2 biggest losers this week?", request_id=rid()))
        g = await chat.create(german)
        _, de, de_done = events(
            await chat.send(german, g.name, "Welche Position hat sich am besten entwickelt?", request_id=rid())
        )
    assert done.offline and done.assistant_message.degraded_reason == "COMPUTE_UNAVAILABLE"
    assert "the AI service did not respond" in best
    assert (
        "Best performer since purchase among your positions, ranked by gain on cost: NVDA +100.00% (+900.00 USD)."
    ) in best
    assert "Your portfolio (cash included) returned" not in best
    assert (
        "Worst performers over the past week among your positions, ranked by return: NVDA -10.00% "
        "(-200.00 USD), MSFT -2.00% (-40.00 USD)."
    ) in week
    assert de_done.offline
    assert (
        "Beste Position seit dem Kauf unter Ihren Positionen, nach Gewinn auf den Einstand: "
        "NVDA +100,00\u00a0% (+900,00\u00a0$)."
    ) in de
