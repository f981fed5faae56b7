"""The portfolio's worth is its total value, cash included; the invested value is without the cash (a re-verifier's
round after d6f6e10): "Your portfolio is worth $6,985.15" cited ``invested_value`` when the total was $9,485.15, and
"Your invested capital is $9,485.15" cited ``total_value``, each rendered as verified."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check
from tests.unit.grounding.test_periods import FACTS


@pytest.mark.parametrize("text", [
    "Your portfolio is worth $6,985.15.",
    "Total portfolio value: $6,985.15.",
    "Votre portefeuille vaut 6\u202f985,15 $.",
    "Ihr Depot ist 6.985,15 $ wert.",
    "Your invested capital is $9,485.15.",
    "Your total holdings are worth $9,485.15 excluding cash.",
    "Su cartera invertida vale 9.485,15 $.",
])
def test_the_total_and_the_invested_value_are_not_taken_for_each_other(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED, [(c.figure.raw, c.fact_path) for c in result.checks]


@pytest.mark.parametrize(("text", "path"), [
    ("Your portfolio is worth $9,485.15.", "total_value"),
    ("Total portfolio value: $9,485.15.", "total_value"),
    ("Votre portefeuille vaut 9\u202f485,15 $.", "total_value"),
    ("Your invested capital is $6,985.15.", "invested_value"),
    ("Excluding cash, your portfolio is worth $6,985.15.", "invested_value"),
    ("Ohne Bargeld ist Ihr Depot 6.985,15 $ wert.", "invested_value"),
    ("You have $6,985.15 invested and $2,500 in cash.", "invested_value"),
])
def test_each_is_grounded_by_its_own_words(text: str, path: str) -> None:
    result = check(text, FACTS)
    assert result.checks[0].fact_path == path, [(c.figure.raw, c.fact_path) for c in result.checks]
    assert result.status is GroundingStatus.GROUNDED
