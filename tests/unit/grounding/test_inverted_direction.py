"""A verb of direction before its subject ("Diese Woche fiel Ihr Depot um 2,12 %": German puts the verb
second after a word of time) or before an adverb ("su cartera cayó también un 2,12 %") gives the figure
its sign: they were read with none and flagged against the week's -2.12 % (an audit found them; very
common German). A verb before a conjunction is another clause's ("NVDA cayó hoy y pesa un 17,68 %": a
weight, found by the review)."""

from __future__ import annotations

import pytest

from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.grounding import GroundingStatus, check, extract_figures
from stack_cfo.core.provenance import Snapshot
from tests.unit.chat.seed_portfolio import NOW, seed_context


@pytest.mark.parametrize(("text", "path"), [
    ("Diese Woche fiel Ihr Depot um 2,12 %.", "performance.return_1w"),
    ("Heute fiel NVDA um 5,26 %.", "positions[NVDA].return_1d"),
    ("Esta semana su cartera cayó también un 2,12 %.", "performance.return_1w"),
    ("Diese Woche stieg der Markt um 1 %.", "benchmark.return_1w"),
])
def test_the_sign_of_an_inverted_verb_or_a_following_down(text: str, path: str) -> None:
    result = check(text, Snapshot(context_document(seed_context(), NOW), None).facts)
    assert result.status is GroundingStatus.GROUNDED, [(c.figure.raw, c.fact_path) for c in result.checks]
    assert [c.fact_path for c in result.checks] == [path]


@pytest.mark.parametrize("text", [
    "NVDA cayó hoy y pesa un 17,68 % de su cartera.",
    "XOM subió y pesa un 10,02 % de su cartera.",
    "Consider trimming NVDA from 17.68% down to 10%.",
])
def test_a_weight_after_another_clauses_verb_or_before_down_to_keeps_no_sign(text: str) -> None:
    result = check(text, Snapshot(context_document(seed_context(), NOW), None).facts)
    assert result.checks[0].grounded and result.checks[0].fact_path is not None, result.checks
    assert result.checks[0].fact_path.endswith("weight"), result.checks


def test_a_verb_of_another_clause_gives_no_sign() -> None:
    # "MSFT stieg um 2 %": the nearest verb is the figure's
    assert [f.direction for f in extract_figures("NVDA fiel, MSFT stieg um 2 %.")] == [1]
    assert [f.direction for f in extract_figures("Der Wert von NVDA beträgt 5 %.")] == [None]
