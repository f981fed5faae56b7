"""Subjects and periods a grounding audit found lost: a comparison participle after a comma is the clause before
it's ("Your Tech basket lost 3.24% this week, lagging SPY by 4.24 points": the basket's gap, flagged as the
benchmark's); a markdown heading naming one holding is what the lines under it are about ("### NVDA / - Weight:
33.4%" GROUNDED on AAPL's weight); "le mois dernier" is last month (read as a span no fact has, or as the year)."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import check
from tests.unit.grounding.seed import FACTS, assert_flagged, assert_grounded


@pytest.mark.parametrize(("text", "paths"), [
    ("Your Tech basket lost 3.24% this week, lagging SPY by 4.24 points.",
     ["baskets[Tech].return_1w", "insights[BASKET_LAGGING_BENCHMARK].excess_return_1w"]),
    ("Your portfolio fell 2.12% this week, trailing SPY by 3.12 points.",
     ["performance.return_1w", "performance.excess_return_1w"]),
    ("### NVDA\n- Value: $1,800\n- Weight: 17.68%\n- YTD: +80%",
     ["positions[NVDA].market_value", "positions[NVDA].weight", "positions[NVDA].return_ytd"]),
    ("## Top holdings\n- AAPL: 33.4%\n- MSFT: 19.25%", ["positions[AAPL].weight", "positions[MSFT].weight"]),
    ("Le mois dernier, NVDA a progressé de 50 %.", ["positions[NVDA].return_1m"]),
    ("Im letzten Monat ist NVDA um 50 % gestiegen.", ["positions[NVDA].return_1m"]),
])
def test_the_subject_or_period_is_found(text: str, paths: list[str]) -> None:
    assert_grounded(text, paths)


@pytest.mark.parametrize("text", [
    "Your portfolio fell 2.12% this week, trailing SPY by 4.24 points.",  # the basket's gap, not the portfolio's
    "### NVDA\n- Value: $1,800\n- Weight: 33.4%\n- YTD: +80%",  # AAPL's weight
    "### NVDA\n- Wert: 1.800 $\n- Gewicht: 33,4 %",
    "Le mois dernier, NVDA a bondi de 80 %.",  # the year's
    "Im letzten Monat ist NVDA um 80 % gestiegen.",
])
def test_another_subjects_or_periods_figure_is_flagged(text: str) -> None:
    assert_flagged(text)


def test_spanish_cash_is_a_word_of_cash() -> None:
    # "efectivo" was no cash word: "Sin efectivo, tu cartera vale 8.180 US$" (docs/api.md: "sin efectivo" is the
    # invested value) was flagged
    result = check("Sin efectivo, tu cartera vale 8.180 US$.", FACTS)
    assert [(c.grounded, c.fact_path) for c in result.checks] == [(True, "invested_value")]
