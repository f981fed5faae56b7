"""The corpus: every invented figure is flagged, and at most 2 % of true figures are.

Run with ``pytest -s`` to see the numbers. Precision is the share of flagged figures that were
invented; recall is the share of invented figures that were flagged; the false-flag rate is the
share of true figures that were flagged.
"""

from __future__ import annotations

from collections import Counter

import pytest

from stack_cfo.core.grounding import Facts, check, facts_from_data, facts_from_text
from tests.unit.grounding.corpus import CASES, Case
from tests.unit.grounding.portfolios import EUR, USD

_BASE = {"usd": facts_from_data(USD), "eur": facts_from_data(EUR), "none": Facts()}


def _facts(case: Case) -> Facts:
    facts = _BASE[case.facts]
    if case.user:
        facts = facts | facts_from_text("user[0]", case.user)
    if case.article:
        facts = facts | facts_from_text("article", case.article)
    return facts


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def test_corpus_precision_and_recall() -> None:
    flagged_invented = flagged_true = invented_total = true_total = 0
    problems: list[str] = []
    for case in CASES:
        result = check(case.text, _facts(case))
        flagged = Counter(f.raw for f in result.ungrounded)
        invented = Counter(case.invented)
        hit = flagged & invented
        n_true = result.figure_count - sum(invented.values())
        flagged_invented += sum(hit.values())
        flagged_true += sum((flagged - invented).values())
        invented_total += sum(invented.values())
        true_total += n_true
        if result.figure_count != case.figures or flagged != invented:
            problems.append(
                f"{case.name}: figures {result.figure_count} (expected {case.figures}) "
                f"{[c.figure.raw for c in result.checks]}; flagged {sorted(flagged.elements())}, "
                f"invented {sorted(invented.elements())}"
            )
    precision = flagged_invented / max(1, flagged_invented + flagged_true)
    recall = flagged_invented / max(1, invented_total)
    false_flags = flagged_true / max(1, true_total)
    print(
        f"\ngrounding corpus: {len(CASES)} answers, {true_total + invented_total} figures "
        f"({true_total} true, {invented_total} invented)\n"
        f"  flagged: {flagged_invented + flagged_true} ({flagged_invented} invented, {flagged_true} true)\n"
        f"  precision {precision:.1%}  recall of invented {recall:.1%}  true figures flagged {false_flags:.2%}"
    )
    for p in problems:
        print("  differs:", p)
    assert recall == 1.0, problems
    assert false_flags <= 0.02, problems


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_figure_count(case: Case) -> None:
    """Extraction finds exactly the figures the reviewer counted (dates, years, list numbers excluded)."""
    result = check(case.text, _facts(case))
    assert result.figure_count == case.figures, [c.figure.raw for c in result.checks]
