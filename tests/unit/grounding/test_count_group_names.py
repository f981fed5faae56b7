"""A count is grounded by a group's count only when its words name that group; an effective count only by one.

The re-verifier's cases (h7) after 2a4557a: each false statement was GROUNDED with another group's count as its
citation, which a client renders as verified:
- "Your portfolio holds 2 positions." (3 positions: Technology 2, Energy 1) cited ``sectors[Technology]``, "1
  position" ``sectors[Energy]``: a count under no name is the portfolio's.
- "You hold 2 positions in the Energy sector.", "Sie halten 2 Positionen im Energiesektor.", "Tiene 2 posiciones de
  energía.", "Vous détenez 2 lignes Energy / Énergie." (Energy has 1) cited Health Care's 2: the name was not read.
- "You hold 2 effective positions." (3.87 effective) cited Health Care's 2.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from tests.unit.grounding.test_count_qualifiers import FACTS

THREE = facts_from_data(
    {
        "base_currency": "EUR", "position_count": 3, "total_value": "15000.00",
        "diversification": {"position_count": 3, "effective_position_count": 2.5, "sector_count": 2},
        "positions": [
            {"symbol": "AAPL", "quantity": "10", "market_value": "6000.00", "weight": 0.4, "sector": "Technology"},
            {"symbol": "MSFT", "quantity": "12", "market_value": "5000.00", "weight": 0.33, "sector": "Technology"},
            {"symbol": "XOM", "quantity": "40", "market_value": "4000.00", "weight": 0.27, "sector": "Energy"},
        ],
        "sectors": [{"name": "Technology", "weight": 0.73, "position_count": 2},
                    {"name": "Energy", "weight": 0.27, "position_count": 1}],
    },
    currency="EUR",
)


def _cited(text: str, facts: object = FACTS) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, facts).checks]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Your portfolio holds 2 positions.",
        "Your portfolio holds 1 position.",
        "Sie halten 2 Positionen.",
        "Vous détenez 1 ligne.",
    ],
)
def test_a_count_under_no_name_is_not_a_groups_count(text: str) -> None:
    result = check(text, THREE)
    assert result.status is GroundingStatus.UNGROUNDED
    assert not any(c.fact_path and "[" in c.fact_path for c in result.checks)


def test_a_hedged_count_under_no_name_cites_the_portfolios_count() -> None:
    assert _cited("You hold over 2 positions.", THREE) == [("2 positions", "position_count")]
    assert _cited("Your portfolio holds 3 positions.", THREE) == [("3 positions", "position_count")]


@pytest.mark.parametrize(
    "text",
    [
        "You hold 2 positions in the Energy sector.",
        "You have 2 energy positions.",
        "Vous détenez 2 lignes Energy.",
        "Vous détenez 2 lignes Énergie.",
        "Sie halten 2 Positionen im Energiesektor.",
        "Tiene 2 posiciones de energía.",
        "In Energy you hold 2 positions.",
        "Your Health Care sector holds 1 position.",
        "You hold 2 effective positions.",  # 3.87 effective
    ],
)
def test_a_wrong_count_of_a_named_group_cites_no_other_group(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED
    assert all(c.fact_path is None for c in result.checks)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("You hold 1 position in the Energy sector.", "sectors[Energy].position_count"),
        ("You hold 2 positions in the Technology sector.", "sectors[Technology].position_count"),
        ("You hold 2 positions in the Health Care sector.", "sectors[Health Care].position_count"),
        ("Vous détenez 1 ligne Énergie.", "sectors[Energy].position_count"),
        ("Vous détenez 2 lignes Technology.", "sectors[Technology].position_count"),
        ("Sie halten 1 Position im Energiesektor.", "sectors[Energy].position_count"),
        ("Sie halten 2 Positionen im Technologiesektor.", "sectors[Technology].position_count"),
        ("Tiene 1 posición de energía.", "sectors[Energy].position_count"),
        ("Tiene 2 posiciones de tecnología.", "sectors[Technology].position_count"),
        ("Tienes 2 posiciones tecnológicas.", "sectors[Technology].position_count"),
        ("Your Health Care sector holds 2 positions.", "sectors[Health Care].position_count"),
        ("You hold 4 effective positions.", "diversification.effective_position_count"),
    ],
)
def test_a_true_count_of_a_named_group_cites_that_group(text: str, path: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED
    assert [p for _, p in _cited(text)] == [path]
