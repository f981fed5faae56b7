"""A review of this round's rules found them flagging correct answers (which the replace policy then replaces): the
participle comparer took the benchmark's own figure as the portfolio's, a named amount ("share price", "market
value") restricted percentages and changes of it, "contributor" made a holding's own return a contribution, and
"up"/"down" after a bare count made it a change."""

from __future__ import annotations

import pytest

from tests.unit.grounding.seed import assert_flagged, assert_grounded


@pytest.mark.parametrize("text", [
    "Your portfolio gained 13.11% this year, beating the benchmark's 5.04%.",
    "Your portfolio rose 9.46% this month, beating SPY's 2.98% by 6.48 points.",
    "Your portfolio fell 2.12% this week, lagging SPY's 1% gain by 3.12 points.",
    "NVDA's share price fell 5.26% today.",
    "AAPL's stock price is up 6.25% this month.",
    "Market value: $3,400 (33.4% of the portfolio).",
    "Your portfolio's market value fell $220 this week.",
    "NVDA's last price of $180 is double your average cost of $90 (+100%).",
    "NVDA, the largest contributor, returned 80% this year.",
    "NVDA contributed most, gaining 80% this year.",
    "NVDA was the top contributor with an 80% gain this year.",
    "This week 2 of your 4 positions fell and 1 rose: 2 down, 1 up, 1 flat.",
])
def test_a_correct_answer_is_grounded(text: str) -> None:
    assert_grounded(text)


@pytest.mark.parametrize("text", [
    "Your cost basis in MSFT is $1,960.",
    "NVDA returned 13.33% year to date.",
    "AAPL contributed 13.33 points to the Tech basket's return this year.",
    "NVDA's share price fell 6.25% today.",
])
def test_the_wrong_figures_they_were_made_for_stay_flagged(text: str) -> None:
    assert_flagged(text)
