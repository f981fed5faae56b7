""""Down"/"up" right after a figure sign it as a fall or a rise ("Your portfolio is 2.12% down this week" was flagged:
the unsigned figure was read as a rise and the week's -2.12% refused), except where they lead to a level ("from
17.68% down to 10%") or belong to another word ("a 20% down payment")."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures
from tests.unit.grounding.seed import FACTS, assert_grounded


@pytest.mark.parametrize(("text", "path"), [
    ("Your portfolio is 2.12% down this week.", "performance.return_1w"),
    ("This week you are 2.12% down.", "performance.return_1w"),
    ("NVDA is 10% down this week.", "positions[NVDA].return_1w"),
    ("XOM is 2% up this week.", "positions[XOM].return_1w"),
])
def test_up_or_down_after_a_figure_signs_it(text: str, path: str) -> None:
    assert_grounded(text, [path])


def test_the_wrong_way_is_flagged() -> None:
    assert check("Your portfolio is 2.12% up this week.", FACTS).status is GroundingStatus.UNGROUNDED


@pytest.mark.parametrize("text", ["Its weight went from 17.68% down to 10%.", "a 20% down payment",
                                  "3% up front"])
def test_up_or_down_leading_elsewhere_gives_no_direction(text: str) -> None:
    (first, *_) = extract_figures(text)
    assert first.direction is None
