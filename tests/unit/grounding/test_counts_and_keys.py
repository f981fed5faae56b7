"""Counts are figures whatever their size, and cite only counts of what they count; a figure written with decimals
is no whole count; a fact path's ``[KEY]`` names exactly one list item (and paths of earlier versions still read).

The audit's cases (h5): "9 daily returns" and "8 of your positions" with no such counts passed as NO_FIGURES; "5
sectors" cited any fact equal to 5; "effectively 2.0 holdings" cited ``positions.count`` (2), not the effective
holdings count (1.99); two ``POSITION_CONCENTRATION`` insights were ``insights[POSITION_CONCENTRATION]`` and
``insights[1]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from stack_cfo.core.clock import FrozenClock
from stack_cfo.core.grounding import FigureKind, GroundingStatus, check, extract_figures, facts_from_data
from stack_cfo.core.provenance.audit import Audit
from stack_cfo.core.provenance.model import AiSurface, Receipt
from stack_cfo.core.provenance.replay import ReplayService
from stack_cfo.core.provenance.snapshot import Snapshot

#: The chat data block of the audit's two-position portfolio (trimmed): no daily return yet, one sector.
CHAT = {
    "base_currency": "USD",
    "position_count": 2,
    "risk": {"observations": 0},
    "diversification": {"position_count": 2, "effective_position_count": 1.99, "effective_sector_count": 1.0,
                        "score": 3.1},
    "positions": [
        {"symbol": "AAPL", "quantity": "10", "market_value": "1960.00", "weight": 0.3825},
        {"symbol": "MSFT", "quantity": "4", "market_value": "1664.00", "weight": 0.3247},
    ],
    "sectors": [{"name": "Unknown", "weight": 0.7073, "positions": [{"symbol": "AAPL"}, {"symbol": "MSFT"}]}],
    "insights": [
        {"code": "POSITION_CONCENTRATION", "symbol": "AAPL", "invested_weight": 0.5408},
        {"code": "POSITION_CONCENTRATION", "symbol": "MSFT", "invested_weight": 0.4592},
        {"code": "IDLE_CASH", "weight": 0.2927},
    ],
}
FACTS = facts_from_data(CHAT, currency="USD")


def _checks(text: str, facts: Any = FACTS) -> list[tuple[str, FigureKind, str | None]]:
    return [(c.figure.raw, c.figure.kind, c.fact_path) for c in check(text, facts).checks]


def test_invented_small_counts_are_figures_and_ungrounded() -> None:
    text = "Your risk figures are based on 9 daily returns over 3 years, and 8 of your positions beat the market."
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED
    assert [(f.raw, f.kind, f.noun) for f in result.ungrounded] == [
        ("9 daily returns", FigureKind.COUNT, "returns"), ("8 of your positions", FigureKind.COUNT, "positions")]


def test_the_audits_chat_answer_flags_every_invented_count() -> None:
    text = ("You have 7 daily returns, 4 sectors and 9 holdings over 3 years; 0 positions lost money and "
            "12 observations were used.")
    result = check(text, FACTS)
    assert [f.raw for f in result.ungrounded] == [
        "7 daily returns", "4 sectors", "9 holdings", "0 positions", "12 observations"]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("You hold 2 positions.", "position_count"),
        ("2 of your positions are above the guideline.", "position_count"),
        ("Both of your 2 holdings are in 1 sector.", "position_count"),
        ("All your money is in 1 sector.", "sectors.count"),
        ("There are 3 insights.", "insights.count"),
        ("Sie halten 2 Positionen.", "position_count"),
        ("2 Ihrer Positionen liegen über der Richtlinie.", "position_count"),
        ("Vous détenez 2 lignes, dont 2 de vos positions au-dessus du seuil.", "position_count"),
        ("2 de tus posiciones superan el umbral.", "position_count"),
    ],
)
def test_true_counts_are_grounded_to_a_count_of_their_noun(text: str, path: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED, _checks(text)
    assert all(c.figure.kind is FigureKind.COUNT for c in result.checks)
    assert path in [c.fact_path for c in result.checks]


@pytest.mark.parametrize(
    "text",
    ["5 Ihrer Positionen sind zu groß.", "4 de vos positions sont trop grandes.", "3 de tus posiciones caen.",
     "Sie halten 3 Positionen in 4 Sektoren."],
)
def test_invented_counts_in_other_languages_are_flagged(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED and all(f.kind is FigureKind.COUNT for f in result.ungrounded)


def test_a_count_cites_only_counts_of_its_own_noun() -> None:
    facts = facts_from_data({"cash": {"weight": 0.1}, "risk": {"observations": 5}, "insights": [{"code": "A"}] * 5,
                             "sectors": [{"name": "Tech", "position_count": 3}], "basket_count": 4})
    assert _checks("You hold 5 sectors.", facts) == [("5 sectors", FigureKind.COUNT, None)]  # not insights.count
    assert _checks("Tech has 3 sectors.", facts) == [("3 sectors", FigureKind.COUNT, None)]  # a sector's positions
    assert _checks("Tech has 3 positions.", facts) == [
        ("3 positions", FigureKind.COUNT, "sectors[Tech].position_count")]
    assert _checks("based on 5 daily returns", facts) == [("5 daily returns", FigureKind.COUNT, "risk.observations")]
    assert _checks("You made 5 trades.", facts) == [("5 trades", FigureKind.COUNT, None)]
    assert _checks("You have 4 baskets.", facts) == [("4 baskets", FigureKind.COUNT, "basket_count")]
    assert _checks("It started 5 years ago.", facts) == [("5 years", FigureKind.COUNT, None)]


@pytest.mark.parametrize(
    "text",
    [
        "Over the past 3 months your portfolio was calm.",
        "In 2 weeks the next digest arrives.",
        "Over 3 years of history would help.",
        "Over the last 5 trading days nothing moved.",
        "Your top 5 positions make up most of it.",
        "1. Review AAPL\n2. Review MSFT",
        "On March 3 and 8 March nothing happened.",
        "Your 3rd position and the 2nd quarter.",
        "Look at the 3 month returns and the 5 day returns.",
        "Five of your positions, two sectors.",
        "You own 9 of its shares.",
    ],
)
def test_windows_ordinals_lists_and_dates_stay_no_figures(text: str) -> None:
    assert extract_figures(text) == []


def test_a_figure_with_decimals_cites_the_effective_count_not_the_whole_one() -> None:
    text = "Diversification score 3.1/100: effectively 2.0 holdings across 1.0 sectors."
    assert _checks(text) == [
        ("3.1", FigureKind.NUMBER, "diversification.score"),
        ("2.0 holdings", FigureKind.COUNT, "diversification.effective_position_count"),
        ("1.0 sectors", FigureKind.COUNT, "diversification.effective_sector_count"),
    ]
    assert _checks("You hold 2 positions in 1 sector.") == [
        ("2 positions", FigureKind.COUNT, "position_count"), ("1 sector", FigureKind.COUNT, "sectors.count")]


def test_a_list_item_is_keyed_only_by_a_key_no_other_item_shares() -> None:
    paths = set(FACTS)
    assert {"insights[AAPL].invested_weight", "insights[MSFT].invested_weight", "insights[IDLE_CASH].weight"} <= paths
    narrative = facts_from_data({"insights": [
        {"code": "POSITION_CONCENTRATION", "numbers": {"threshold_weight": "0.25"}},
        {"code": "POSITION_CONCENTRATION", "numbers": {"threshold_weight": "0.25"}},
        {"code": "IDLE_CASH", "numbers": {"threshold_weight": "0.10"}},
    ]})
    assert sorted(narrative) == ["insights.count", "insights[0].numbers.threshold_weight",
                                 "insights[1].numbers.threshold_weight", "insights[IDLE_CASH].numbers.threshold_weight"]
    # a key of digits would read as an index: such an item is bracketed by its index
    odd = facts_from_data(
        {"positions": [{"symbol": "MSFT", "w": 1}, {"symbol": "0700", "w": 2}, {"ticker": "X", "w": 3}]})
    assert sorted(odd) == ["positions.count", "positions[1].symbol", "positions[1].w", "positions[2].w",
                           "positions[MSFT].w"]


def test_paths_of_earlier_versions_still_read() -> None:
    narrative = facts_from_data({"insights": [
        {"code": "POSITION_CONCENTRATION", "numbers": {"weight": "0.54"}},
        {"code": "POSITION_CONCENTRATION", "numbers": {"weight": "0.46"}},
    ], "groups": [{"label": "L", "members": [{"code": "C", "v": 7}, {"code": "C", "v": 8}]}]})
    assert narrative["insights[POSITION_CONCENTRATION].numbers.weight"].value == Decimal("0.54")
    assert narrative.get("insights[1].numbers.weight") is not None
    assert narrative["groups[L].members[C].v"].value == 7 and narrative["groups[0].members[1].v"].value == 8
    assert "insights[POSITION_CONCENTRATION].numbers.weight" in narrative
    assert "insights[POSITION_CONCENTRATION].numbers.weight" not in list(narrative)  # readable, not listed
    assert (narrative | {})["groups[L].members[C].v"].value == 7  # merged facts keep them
    assert narrative.get("insights[OTHER].numbers.weight") is None


T0 = datetime(2026, 3, 4, 22, 0, tzinfo=UTC)


async def test_a_receipt_citing_an_earlier_path_replays_against_the_fact_it_names() -> None:
    doc = {"positions": [{"symbol": "AAPL", "weight": 0.5408}], "insights": [
        {"code": "POSITION_CONCENTRATION", "numbers": {"threshold_weight": "0.25", "weight": "0.540839"}},
        {"code": "POSITION_CONCENTRATION", "numbers": {"threshold_weight": "0.30", "weight": "0.459161"}},
    ]}
    text = "AAPL is above the 25.0% guideline."
    audit = Audit(FrozenClock(T0))
    snapshot = Snapshot(doc, T0, "USD")
    grounding = audit.check(AiSurface.CHAT_ANSWER, text, snapshot.facts, count=False)
    assert [f.fact for f in grounding.figures] == ["insights[0].numbers.threshold_weight"]
    # the receipt as an earlier version stored it
    old = dataclasses.replace(grounding, figures=tuple(
        dataclasses.replace(f, fact="insights[POSITION_CONCENTRATION].numbers.threshold_weight")
        for f in grounding.figures))
    receipt = audit.receipt(surface=AiSurface.CHAT_ANSWER, subject="users/u/sessions/s/messages/m", user_id="u",
                            result=None, text=text, prompt=[], snapshot=snapshot, grounding=old)

    async def recompute(_: Receipt, then_doc: Mapping[str, Any]) -> Mapping[str, Any]:
        return doc

    async def read(_: str) -> Receipt | None:
        return receipt

    replay = await ReplayService(read, {AiSurface.CHAT_ANSWER: recompute}, FrozenClock(T0).now).replay(receipt)
    assert [(f.still_holds, f.now_value) for f in replay.figures] == [(True, "0.25")]
    assert replay.changed == ()


def test_a_share_of_money_is_a_fraction_not_an_amount() -> None:
    """"cash_weight" was an AMOUNT in USD although the value is a fraction of the portfolio."""
    from stack_cfo.core.grounding.facts import FactKind, kind_for_key

    assert kind_for_key("cash_weight") is FactKind.FRACTION
    assert kind_for_key("dividend_yield") is FactKind.FRACTION
    assert kind_for_key("cash") is FactKind.AMOUNT
    assert kind_for_key("cost_basis") is FactKind.AMOUNT
    assert kind_for_key("market_value") is FactKind.AMOUNT
