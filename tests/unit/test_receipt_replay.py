"""ReplayService.replay (what ReplayReceipt answers with): a figure holds against the fact it was tied to."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.provenance.audit import Audit
from stack_cfo.core.provenance.model import AiSurface, Receipt
from stack_cfo.core.provenance.replay import Replay, ReplayService
from stack_cfo.core.provenance.snapshot import Snapshot

T0 = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)


def _receipt(text: str, doc: Mapping[str, Any]) -> Receipt:
    """The receipt of ``text`` written from ``doc``, as the chat writes it."""
    audit = Audit(FrozenClock(T0))
    snapshot = Snapshot(doc, T0, "USD")
    grounding = audit.check(AiSurface.CHAT_ANSWER, text, snapshot.facts, count=False)
    return audit.receipt(
        surface=AiSurface.CHAT_ANSWER, subject="users/u/sessions/s/messages/m", user_id="u", result=None,
        text=text, prompt=[], snapshot=snapshot, grounding=grounding,
    )


async def _replay(receipt: Receipt, now_doc: Mapping[str, Any]) -> Replay:
    async def recompute(_: Receipt, then_doc: Mapping[str, Any]) -> Mapping[str, Any]:
        return now_doc

    async def read(_: str) -> Receipt | None:
        return receipt

    service = ReplayService(read, {AiSurface.CHAT_ANSWER: recompute}, FrozenClock(T0).now)
    return await service.replay(receipt)


async def test_a_figure_whose_fact_changed_does_not_hold_because_another_fact_now_equals_it() -> None:
    # The audit's case: after a price correction the return since the start is 9.46%, and the day's
    # return happens to be the 4.34% the answer gave for the return since the start.
    text = "Your return since the start is 4.34%, XOM fell 0.65% today."
    then = {"ledger": {"local_return": "0.0434"}, "performance": {"return_1d": "0.0120"},
            "positions": [{"symbol": "XOM", "return_1d": "-0.0065"}]}
    now = {"ledger": {"local_return": "0.0946"}, "performance": {"return_1d": "0.0434"},
           "positions": [{"symbol": "XOM", "return_1d": "-0.0065"}]}
    receipt = _receipt(text, then)
    assert [(f.text, f.fact) for f in receipt.grounding.figures] == [
        ("4.34%", "ledger.local_return"), ("0.65%", "positions[XOM].return_1d")]
    replay = await _replay(receipt, now)
    changed = {c.fact: (c.then_value, c.now_value) for c in replay.changed}
    assert changed["ledger.local_return"] == ("0.0434", "0.0946")
    verdicts = {f.figure.text: (f.still_holds, f.now_value) for f in replay.figures}
    assert verdicts == {"4.34%": (False, "0.0946"), "0.65%": (True, "-0.0065")}


async def test_a_figure_holds_while_its_own_fact_rounds_to_it() -> None:
    # The same tolerance as the grounding check: 4.34% is any value within half a unit of the last digit.
    text = "Your return since the start is 4.34%."
    receipt = _receipt(text, {"ledger": {"local_return": "0.0434"}})
    assert (await _replay(receipt, {"ledger": {"local_return": "0.04344"}})).figures[0].still_holds
    assert not (await _replay(receipt, {"ledger": {"local_return": "0.04346"}})).figures[0].still_holds
    assert not (await _replay(receipt, {"ledger": {}})).figures[0].still_holds  # the fact no longer exists


TABLE = "| Position | Value |\n|---|---|\n| AAPL | $1,800.00 |\n| MSFT | $700.00 |\n| Total | $2,500.00 |\n"


async def test_a_column_total_holds_while_every_figure_it_sums_holds_against_its_own_fact() -> None:
    then = {"positions": [{"symbol": "AAPL", "market_value": "1800.00"}, {"symbol": "MSFT", "market_value": "700.00"}],
            "cash": "300.00"}
    receipt = _receipt(TABLE, then)
    assert [f.fact for f in receipt.grounding.figures] == [
        "positions[AAPL].market_value", "positions[MSFT].market_value", "sum(column)"]
    assert all(f.still_holds for f in (await _replay(receipt, then)).figures)
    # AAPL's price is corrected, and the cash now happens to read what AAPL was worth.
    now = {"positions": [{"symbol": "AAPL", "market_value": "800.00"}, {"symbol": "MSFT", "market_value": "700.00"}],
           "cash": "1800.00"}
    verdicts = [(f.figure.text, f.still_holds) for f in (await _replay(receipt, now)).figures]
    assert verdicts == [("$1,800.00", False), ("$700.00", True), ("$2,500.00", False)]


async def test_a_figure_tied_to_no_fact_holds_when_the_recomputed_facts_ground_it() -> None:
    # Unchanged rule for flagged figures: any recomputed fact that grounds the number now will do.
    text = "Your portfolio is worth $2,810.00."
    receipt = _receipt(text, {"total_value": "2800.00"})
    (figure,) = receipt.grounding.figures
    assert not figure.grounded and not figure.fact
    (again,) = (await _replay(receipt, {"total_value": "2810.00"})).figures
    assert again.still_holds and again.now_value == ""
