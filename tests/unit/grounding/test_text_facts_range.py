"""Figures beyond the facts' range (1e±100) in a user's message or an article are no facts: building
the facts of "what if my cash grew to 1e200?" raised ValueError, an INTERNAL after the paid answer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding.facts import facts_from_text


@pytest.mark.parametrize("text", ["what if my cash grew to 1e200?", "ref 9e305", "1e101 and 5e-150 percent"])
def test_out_of_range_figures_are_skipped(text: str) -> None:
    facts = facts_from_text("user[0]", text + " and 3%")
    assert [f.value for f in facts.values()] == [Decimal(3)]


def test_in_range_figures_keep_their_paths() -> None:
    facts = facts_from_text("user[0]", "1e200, then 4.5%")
    assert [(p, f.value) for p, f in facts.items()] == [("user[0][1]", Decimal("4.5"))]
