"""A whole number without a currency cites a quantity or a count, not an equal amount of money; a signed
figure cites a change; and small numbers after "position" or "point" are labels, not figures."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data

DATA = {
    "base_currency": "USD",
    "position_count": 2,
    "cash": {"value": "1500.00"},
    "positions": [
        {"symbol": "AAPL", "quantity": "10", "market_value": "2050.00", "cost_basis": "900.00",
         "unrealized_pnl": "900.00", "change_1d": "10.00", "return_1d": 0.0049},
        {"symbol": "MSFT", "quantity": "5", "market_value": "1960.00", "change_1d": "-8.00"},
    ],
}
FACTS = facts_from_data(DATA, currency="USD")


@pytest.mark.parametrize("text", ["You own 10 AAPL shares.", "You hold 10 AAPL.", "AAPL: 10 held"])
def test_a_bare_count_cites_the_quantity_not_an_equal_change(text: str) -> None:
    """It cited positions[AAPL].change_1d (10.00 USD), which a price correction then broke."""
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED
    assert [c.fact_path for c in result.checks] == ["positions[AAPL].quantity"]


def test_a_figure_with_cents_or_a_currency_still_cites_money() -> None:
    assert [c.fact_path for c in check("AAPL gained $10.00 today.", FACTS).checks] == ["positions[AAPL].change_1d"]
    assert [c.fact_path for c in check("You own 10 shares of AAPL.", FACTS).checks] == ["positions[AAPL].quantity"]


def test_a_signed_figure_cites_the_change_rather_than_an_equal_cost() -> None:
    result = check("AAPL: +900,00 $ seit dem Kauf.", FACTS)
    assert [c.fact_path for c in result.checks] == ["positions[AAPL].unrealized_pnl"]
    assert [c.fact_path for c in check("AAPL cost 900,00 $.", FACTS).checks] == ["positions[AAPL].cost_basis"]


@pytest.mark.parametrize(
    "text",
    [
        "Regarding position 1 and position 2, both are fine.",
        "Position 1 and Position 2 look balanced.",
        "Regarding position 12 and position 13, nothing changed.",
        "See point 3 and point 14.",
        "Regarding item 1 and 2, both are fine.",
        "Step 2 or option 3 would work.",
    ],
)
def test_labels_after_position_or_point_are_not_figures(text: str) -> None:
    """The words "position 1 and position 2" gave a figure '1 and position' (COUNT, ungrounded), and an AI
    summary of the conversation with them was discarded."""
    assert extract_figures(text) == []
    assert check(text, FACTS).status is GroundingStatus.NO_FIGURES


def test_a_summary_with_numbered_points_is_grounded() -> None:
    summary = ("The investor asked about position 1 and position 2 of their list; AAPL is 10 shares worth "
               "$2,050.00 and MSFT fell $8.00 today.")
    result = check(summary, FACTS)
    assert result.status is GroundingStatus.GROUNDED, [c.figure.raw for c in result.checks if not c.grounded]


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("Your position 40 shares strong.", "40 shares"),
        ("You hold 12 tech stocks.", "12 tech stocks"),
        ("Your AAPL position is worth 2,050 USD.", "2,050 USD"),
        ("1 and 2 positions", "2 positions"),
        ("You hold 2 positions.", "2 positions"),
    ],
)
def test_counts_and_amounts_near_those_words_are_still_figures(text: str, raw: str) -> None:
    assert [f.raw for f in extract_figures(text)] == [raw]
