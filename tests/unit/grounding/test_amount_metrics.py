"""A holding's amounts named in the text (average cost, cost basis, market value, current price, the positions' or the
sectors' HHI) ground only on that amount, and a holding's contribution to its basket's return is no return of its
own: a grounding audit found "Your cost basis in MSFT is $1,960" GROUNDED on MSFT's market value (its cost basis is
$1,500), "NVDA's current price is $90" on NVDA's average cost, and "NVDA returned 13.33% year to date" on NVDA's
contribution to the Tech basket (its own return is 80%), in every language (docs/api.md: "A figure must also be
about what its clause names")."""

from __future__ import annotations

import pytest

from tests.unit.grounding.seed import assert_flagged, assert_grounded


@pytest.mark.parametrize("text", [
    "Your average cost for AAPL is $170.",
    "NVDA's current price is $90.",
    "Your cost basis in MSFT is $1,960.",
    "Ihr Einstandswert bei MSFT beträgt 1.960 $.",
    "Le prix de revient moyen de NVDA est de 180 $.",
    "El precio medio de compra de AAPL es de 170 $.",
    "Il prezzo medio di carico di MSFT è 392 $.",
    "O preço médio de compra de NVDA é 180 $.",
    "- Market value: $2,400\n- Ticker: AAPL",
    "Position HHI: 0.78",
    "NVDA returned 13.33% year to date.",
    "NVDA ist dieses Jahr um 13,33 % gestiegen.",
    "AAPL contributed 13.33 points to the Tech basket's return this year.",
])
def test_a_named_amount_or_return_cites_only_its_own_fact(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize(("text", "paths"), [
    ("Your cost basis in MSFT is $1,500 and its market value $1,960.",
     ["positions[MSFT].cost_basis", "positions[MSFT].market_value"]),
    ("NVDA's current price is $180, against an average cost of $90.",
     ["positions[NVDA].last_price", "positions[NVDA].average_cost"]),
    ("Ihr Einstandswert bei MSFT beträgt 1.500 $.", ["positions[MSFT].cost_basis"]),
    ("The market value of your portfolio is $10,180.", ["total_value"]),
    ("Position HHI: 0.29", ["diversification.position_hhi"]),
    ("NVDA returned 80% year to date.", ["positions[NVDA].return_ytd"]),
    ("AAPL contributed 6.67 points to the Tech basket's return this year.",
     ["baskets[Tech].positions[AAPL].return_contribution_ytd"]),
    ("Biggest drags this week: NVDA (-10.0%, -2.7 points).",
     ["insights[BASKET_LAGGING_BENCHMARK].drags[NVDA].return_1w",
      "baskets[Tech].positions[NVDA].return_contribution_1w"]),
    # a gain measured against a cost: the gain's figure, the cost named only as its reference
    ("Gain since purchase on your positions with a known cost basis: +$2,430 (+42.26% on cost).",
     ["unrealized_pnl", "unrealized_return"]),
])
def test_the_named_amount_still_grounds(text: str, paths: list[str]) -> None:
    assert_grounded(text, paths)


@pytest.mark.parametrize(("text", "path"), [
    ("NVDA subtracted 2.70 points from the Tech basket's return this week.",
     "baskets[Tech].positions[NVDA].return_contribution_1w"),
    ("NVDA took 2.70 percentage points off the basket's return this week.",
     "baskets[Tech].positions[NVDA].return_contribution_1w"),
    ("Your portfolio is 2.12% off its peak.", "risk.current_drawdown"),
])
def test_subtracting_and_off_sign_the_figure(text: str, path: str) -> None:
    # read unsigned, as a rise, these were flagged (a second grounding audit)
    assert_grounded(text, [path])


def test_the_wrong_side_of_a_subtraction_is_flagged() -> None:
    assert_flagged("NVDA took 9.52 percentage points off the basket's return this month.")  # it added them
