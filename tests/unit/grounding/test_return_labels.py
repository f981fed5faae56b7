"""A figure labelled as a return ("YTD return: 20%") is a change: it cites a return or a gain, never a level that
happens to equal it. It grounded on the cash weight (19.65 %) of the seed portfolio, whose year-to-date return is
13.11 % (docs/api.md: "A figure must also be about what its clause names")."""

from __future__ import annotations

import pytest

from tests.unit.grounding.seed import assert_flagged, assert_grounded


@pytest.mark.parametrize("text", [
    "YTD return: 20%",
    "Year-to-date return: +20%",
    "Return this year: 20%",
    "Performance since the start of the year: 20%",
    "Rendite seit Jahresbeginn: 20 %",
    "Rendement depuis le début de l'année : 20 %",
    "Rentabilidad desde inicio de año: 20 %",
])
def test_a_return_label_does_not_cite_a_weight(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize(("text", "path"), [
    ("YTD return: 13.1%", "performance.return_ytd"),
    ("Year-to-date return: +13.11%", "performance.return_ytd"),
    ("Rendite seit Jahresbeginn: 13,11 %", "performance.return_ytd"),
    ("Unrealized gain: $2,430", "unrealized_pnl"),
    # a weight's words or another subject nearer than the return noun: a share of the portfolio, as before
    ("Your return drivers: NVDA at 17.68% of the portfolio", "positions[NVDA].weight"),
    ("Returns aside, cash is 19.65% of your portfolio", "cash.weight"),
    ("Cash: 19.65%", "cash.weight"),
])
def test_a_return_label_still_cites_its_return(text: str, path: str) -> None:
    assert_grounded(text, [path])
