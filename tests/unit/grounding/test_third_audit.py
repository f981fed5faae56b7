"""Cases of the third grounding audit (341 labelled answers: pushes, digests, tables, six languages)."""

from __future__ import annotations

import pytest

from tests.unit.grounding.seed import assert_flagged, assert_grounded


@pytest.mark.parametrize("text", [
    "Your portfolio is worth $9.8.",  # the diversification score is 9.8
    "NVDA is worth $10.",  # NVDA's quantity is 10
    "AAPL is worth $20.",
    "Today: XOM +$20, AAPL +$20.",  # AAPL's day change is -20.00 (its quantity is 20)
])
def test_an_amount_in_a_currency_is_never_a_share_count_nor_a_score(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize(("text", "paths"), [
    ("You own 20 AAPL shares.", ["positions[AAPL].quantity"]),
    ("Your diversification score is 9.8.", ["diversification.score"]),
    ("Today: XOM +$20.", ["positions[XOM].change_1d"]),
])
def test_counts_scores_and_money_still_ground(text: str, paths: list[str]) -> None:
    assert_grounded(text, paths)
