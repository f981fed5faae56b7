"""The seed portfolio's data facts (tests/unit/chat/seed_portfolio.py) and the checks most grounding tests make of a
text against them."""

from __future__ import annotations

from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.grounding import Facts, GroundingStatus, check
from stack_cfo.core.provenance import Snapshot
from tests.unit.chat.seed_portfolio import NOW, seed_context

FACTS: Facts = Snapshot(context_document(seed_context(), NOW), None).facts


def cited(text: str, facts: Facts = FACTS) -> list[tuple[str, str | None]]:
    """Each figure of ``text`` with the fact it cites (``None``: flagged)."""
    return [(c.figure.raw, c.fact_path) for c in check(text, facts).checks]


def assert_grounded(text: str, paths: list[str] | None = None) -> None:
    """``text`` is GROUNDED (on ``paths``, in order, when given)."""
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED, cited(text)
    if paths is not None:
        assert [c.fact_path for c in result.checks] == paths, cited(text)


def assert_flagged(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED, cited(text)
