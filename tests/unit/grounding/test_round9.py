"""Round 9: a list of moves after a comma shares the first one's verb.

"NVDA lost 3.11%, MMM 0.64%" says MMM lost 0.64% too: a figure after a comma and only a name (maybe after a word of
time: "NVDA fell 3.11% today, MMM 0.64% and VTI 0.48%") takes the direction of the figure of its kind before it, as
one after "and" does. Read with no direction, an unsigned 0.64% is a rise: the true loss was flagged and a wrong
rise ("NVDA fell 3.11%, XOM 1.54%" when XOM rose 1.54%) had nothing to contradict it but its sign.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, facts_from_data
from tests.unit.grounding.portfolios import USD

FACTS = facts_from_data(USD)


@pytest.mark.parametrize("text", [
    "NVDA lost 3.11%, MMM 0.64%.",
    "NVDA lost 3.11% today, MMM 0.64% and VTI 0.48%.",
    "NVDA lost 2.97% this week, MMM 1.52%, and MSFT 0.87%.",
    "Your biggest losers today: NVDA fell 3.11%, MMM 0.64%, VTI 0.48%.",
    "XOM gained 1.54% today, AMZN 0.95%.",
])
def test_a_listed_move_after_a_comma_takes_the_first_ones_direction(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED, [(c.figure.raw, c.fact_path) for c in result.checks]
    assert all(c.fact_path is not None and c.fact_path.startswith("positions[") for c in result.checks)


@pytest.mark.parametrize(("text", "wrong"), [
    ("NVDA fell 3.11%, XOM 1.54%.", "1.54%"),  # XOM rose 1.54%
    ("XOM gained 1.54% today, MMM 0.64%.", "0.64%"),  # MMM fell 0.64%
    ("The portfolio fell 1.31%, Apple 17.11%.", "17.11%"),  # a weight is no fall
])
def test_a_listed_move_of_the_other_sign_is_flagged(text: str, wrong: str) -> None:
    result = check(text, FACTS)
    flagged = [c.figure.raw for c in result.checks if not c.grounded]
    assert flagged == [wrong]


def test_a_comma_before_a_verb_of_its_own_keeps_that_verb() -> None:
    result = check("NVDA fell 3.11%, XOM rose 1.54% and MMM slipped 0.64%.", FACTS)
    assert result.status is GroundingStatus.GROUNDED
