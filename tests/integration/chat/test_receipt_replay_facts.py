"""ReplayReceipt judges each figure against the fact it was tied to, not against whichever recomputed
fact happens to equal it now."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from stack_cfo._proto.stack.cfo.v1 import common_pb2, portfolio_pb2, receipt_pb2, receipt_pb2_grpc
from stack_cfo.core.clock import FrozenClock
from tests.integration.chat.conftest import chat_server, events, new_user
from tests.standins.chain_rpc import ChainStandIn
from tests.standins.zerog_provider import ProviderStandIn, Reply

T0 = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)  # Wednesday 4 March 2026, after the close in New York
DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]


async def test_a_figure_whose_fact_changed_does_not_hold_because_another_fact_now_equals_it(
    db_dsn: str, data_dir: Path, chain: ChainStandIn, provider: ProviderStandIn
) -> None:
    user = new_user()
    provider.default_reply = Reply.ok("AAPL is worth $1,800.00.")
    async with chat_server(db_dsn, data_dir, chain, provider, clock=FrozenClock(T0)) as chat:
        await chat.sync_portfolio(
            user, [portfolio_pb2.Holding(symbol="AAPL", quantity="10", average_cost="150", sector="Technology")],
            cash="1000",
        )
        await chat.record_prices({"AAPL": [(DAYS[0], "170"), (DAYS[1], "175"), (DAYS[2], "180")]})
        s = await chat.create(user)
        _, _, done = events(await chat.send(user, s.name, "What is AAPL worth?"))
        answer = done.assistant_message
        # The close is corrected to 80: AAPL is now worth 800.00, and the portfolio (800 + 1,000 cash)
        # is now worth exactly the 1,800.00 the answer gave for AAPL.
        await chat.record_prices({"AAPL": [(DAYS[2], "80")]})
        replay = await receipt_pb2_grpc.ReceiptServiceStub(chat.srv.channel).ReplayReceipt(
            receipt_pb2.ReplayReceiptRequest(name=answer.receipt.name), metadata=chat.md(user))
    cited = {f.text: f.fact for f in answer.grounding.figures}
    assert answer.grounding.status == common_pb2.GROUNDING_STATUS_GROUNDED
    assert cited["$1,800.00"] == "positions[AAPL].market_value"
    changed = {c.fact: (c.then_value, c.now_value) for c in replay.changed_facts}
    assert changed["positions[AAPL].market_value"] == ("1800.00", "800.00")
    assert changed["total_value"] == ("2800.00", "1800.00")  # the collision: another fact now reads 1,800.00
    (figure,) = replay.figures
    assert figure.figure.text == "$1,800.00" and figure.figure.fact == "positions[AAPL].market_value"
    assert not figure.still_holds and figure.now_value == "800.00"
