"""A session's AI summary was checked against the data when it was kept: each of its figures that a
data fact grounds restates that fact, and an answer that repeats the number cites the fact under
its own rules. As a bare ``summary[j]`` number it grounded any clause: the week's excess return the
summary stated ("lagged SPY by 3.12 points") grounded "Your portfolio fell 3.12% this week" (the
week's return is -2.12 %), found by a contract tester (docs/api.md: "'Your portfolio fell 2.14%
today' is flagged when 2.14% is only the day's excess"). The investor's numbers a summary quotes,
which no data fact holds, are still figures an answer may repeat."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from stack_cfo.core.chat.compression import sha256_text
from stack_cfo.core.chat.data_block import context_document
from stack_cfo.core.chat.evidence import Evidence
from stack_cfo.core.chat.models import Summary
from stack_cfo.core.grounding import GroundingStatus, check, checked_text_facts
from stack_cfo.core.provenance import Snapshot
from tests.unit.chat.seed_portfolio import NOW, seed_context

SUMMARY = ("Earlier: the investor asked about the week. Your portfolio lagged SPY by 3.12 points this week; "
           "the investor wants to retire at 55.")


def _data():  # type: ignore[no-untyped-def]
    return Snapshot(context_document(seed_context(), NOW), None).facts


def test_a_summary_figure_the_data_grounds_is_cited_as_that_fact_under_its_rules() -> None:
    data = _data()
    assert data["performance.excess_return_1w"].value == Decimal("-0.0312")  # the week: -2.12 % against SPY +1 %
    assert data["performance.return_1w"].value == Decimal("-0.0212")
    facts = data | checked_text_facts("summary", SUMMARY, data)
    assert sorted(p for p in facts if p.startswith("summary")) == ["summary[1]"]  # 55, the investor's
    assert facts["summary[1]"].value == 55
    wrong = check("Your portfolio fell 3.12% this week.", facts)
    assert wrong.status is GroundingStatus.UNGROUNDED, wrong
    # ... the same figure where its words compare is the excess return, a fact of the data
    right = check("You lagged SPY by 3.12 points this week, and you want to retire at 55.", facts)
    assert right.status is GroundingStatus.GROUNDED, right
    assert [c.fact_path for c in right.checks] == ["performance.excess_return_1w", "summary[1]"]


def test_a_summary_figure_the_data_no_longer_holds_stays_a_text_fact() -> None:
    """The data moved since the summary was kept (a refreshed context): what it said is still what was said."""
    data = _data()
    text = "Your portfolio was worth $9,999.00 on Monday."
    facts = checked_text_facts("summary", text, data)
    assert [str(f.value) for p, f in facts.items()] == ["9999.00"]


def test_an_answer_is_checked_against_the_summary_as_the_evidence_gives_it() -> None:
    ctx = seed_context()
    summary = Summary(id="s1", session_id="s", version=1, from_seq=1, to_seq=8, content=SUMMARY,
                      content_sha256=sha256_text(SUMMARY), source_sha256="x")
    prompt = SimpleNamespace(data=context_document(ctx, NOW))
    evidence = Evidence(prompt, [], summary, ctx, "u", "s")  # type: ignore[arg-type]
    assert check("Your portfolio fell 3.12% this week.", evidence.facts).status is GroundingStatus.UNGROUNDED
    assert check("You still want to retire at 55.", evidence.facts).status is GroundingStatus.GROUNDED


def test_a_figure_the_summary_says_is_the_investors_stays_theirs() -> None:
    """"The investor mentioned a 3% weekly fall" is the investor's 3 %, though it rounds to the Tech basket's
    -3.24 %: it stays a summary fact (the answer "You mentioned 3% earlier" was flagged: an audit found it)."""
    data = _data()
    text = "The investor mentioned a 3% weekly fall; the data shows the portfolio fell 2.12% this week."
    facts = checked_text_facts("summary", text, data)
    assert [str(f.value) for p, f in facts.items() if not p.endswith(".abs")] == ["-3"]
    answer = check("You mentioned 3% earlier; your portfolio actually fell 2.12% this week.", data | facts)
    assert answer.status is GroundingStatus.GROUNDED, answer
