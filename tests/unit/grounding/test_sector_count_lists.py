"""A list of counts per sector or basket written as "Name (N)", "Name: N" or a table of counts is checked.

On SIX (Information Technology 3 positions, Energy 2, Health Care 1), a re-verifier's false statements came back
NO_FIGURES: "Technology (3), Energy (1)", "- Technology: 3\\n- Energy: 1" and the table "| Sector | # |" with
"| Energy | 1 |" (small bare integers were no figures, and a "#" column was read as a rank). A small bare integer
right after a sector or basket name, in brackets or after a label's colon, or in a count column of rows named by
sectors, is now that name's count of positions, checked exactly; list numbers, ranks, steps and notes stay none.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures
from tests.unit.grounding.test_subjects_round2 import ENERGY, SIX, TECH, _cited

HEALTH = "sectors[Health Care].position_count"


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Technology (3), Energy (1)", "1"),
        ("Your sectors: Technology (3), Energy (1).", "1"),
        ("Technology (3) and Energy (1).", "1"),
        ("Technology (2), Energy (2)", "2"),
        ("- Technology: 3\n- Energy: 1", "1"),
        ("* Technology: 3\n* Health Care: 2", "2"),
        ("1. Technology: 3\n2. Energy: 1", "1"),
        ("- **Energy**: 1", "1"),
        ("Technology: 3, Energy: 1", "1"),
        ("| Sector | # |\n|---|---|\n| Energy | 1 |", "1"),
        ("| Sector | # |\n|---|---|\n| Information Technology | 3 |\n| Energy | 1 |", "1"),
        ("| Sector | Count |\n|---|---|\n| Energy | 1 |", "1"),
        ("| Sector | Positions |\n|---|---|\n| Energy | 3 |", "3"),
        ("| Sektor | Anzahl |\n|---|---|\n| Energie | 1 |", "1"),
        ("| Secteur | Nombre |\n|---|---|\n| Énergie | 1 |", "1"),
    ],
)
def test_a_wrong_count_listed_per_sector_is_flagged(text: str, wrong: str) -> None:
    result = check(text, SIX)
    assert result.status is GroundingStatus.UNGROUNDED, _cited(text, SIX)
    assert wrong in [f.raw for f in result.ungrounded], _cited(text, SIX)


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("Technology (3), Energy (2)", [TECH, ENERGY]),
        ("Your sectors: Technology (3), Energy (2).", [TECH, ENERGY]),
        ("Technology (3) and Energy (2).", [TECH, ENERGY]),
        ("Health Care (1), Energy (2)", [HEALTH, ENERGY]),
        ("- Technology: 3\n- Energy: 2", [TECH, ENERGY]),
        ("* Technology: 3\n* Health Care: 1", [TECH, HEALTH]),
        ("1. Technology: 3\n2. Energy: 2", [TECH, ENERGY]),
        ("- **Energy**: 2", [ENERGY]),
        ("Technology: 3, Energy: 2", [TECH, ENERGY]),
        ("| Sector | # |\n|---|---|\n| Energy | 2 |", [ENERGY]),
        ("| Sector | # |\n|---|---|\n| Information Technology | 3 |\n| Energy | 2 |", [TECH, ENERGY]),
        ("| Sector | Count |\n|---|---|\n| Energy | 2 |", [ENERGY]),
        ("| Sector | Positions |\n|---|---|\n| Energy | 2 |", [ENERGY]),
        ("| Sektor | Anzahl |\n|---|---|\n| Energie | 2 |", [ENERGY]),
        ("| Secteur | Nombre |\n|---|---|\n| Énergie | 2 |", [ENERGY]),
    ],
)
def test_a_true_count_listed_per_sector_is_grounded(text: str, paths: list[str]) -> None:
    assert check(text, SIX).status is GroundingStatus.GROUNDED, _cited(text, SIX)
    assert [p for _, p in _cited(text, SIX)] == paths


@pytest.mark.parametrize(
    "text",
    [
        "Step 2: rebalance.",
        "Step (2), then rebalance.",
        "See the note (1).",
        "Note: 1",
        "Top 3 holdings are tech.",
        "1. Trim Energy\n2. Add Health Care",
        "| # | Ticker |\n|---|---|\n| 1 | XOM |\n| 2 | CVX |",
        "| Ticker | # |\n|---|---|\n| XOM | 1 |",
        "XOM (1), CVX (2)",
        "Due on March (3).",
    ],
)
def test_labels_ranks_notes_and_tickers_stay_no_figures(text: str) -> None:
    assert check(text, SIX).status is GroundingStatus.NO_FIGURES, _cited(text, SIX)


def test_a_listed_count_is_an_exact_count_of_positions_under_its_name() -> None:
    [tech, energy] = extract_figures("Technology (3), Energy (1)")
    assert (tech.raw, tech.noun, tech.qualifier, tech.breakdown) == ("3", "positions", ("Technology",), True)
    assert (energy.raw, energy.qualifier) == ("1", ("Energy",))
