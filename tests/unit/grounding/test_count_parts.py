"""The part of a whole is a count too, and words after a counted noun do not give the count a direction.

The audit's cases (h8): "3 of your 2 positions are up." was GROUNDED (the "3" was no figure: a small bare integer),
"3 of 5 sectors are up" flagged only "5 sectors"; and with return facts in the data, "Sie haben 2 Positionen im
Plus." and "1 of your 2 positions is above 50% of invested value." flagged the true "2 Positionen" / "2 positions"
("Plus", "above" made the count a change, which no count fact is) while "Both of your 2 positions are up today." was
grounded.

Rule: the ``N`` of "N of (your) M noun" is a COUNT of that noun, grounded by a count of it equal to N; otherwise,
when N <= M and M is grounded, the part is a claim no fact can check and is left out of the figures; N > M, or an
ungrounded M, leaves N an ungrounded COUNT.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from stack_cfo.core.grounding import FigureKind, GroundingStatus, check, extract_figures, facts_from_data

#: The audit's two-position portfolio, with returns (so that a direction word restricts a figure to changes) and a
#: 50% guideline.
DATA = {
    "base_currency": "USD",
    "position_count": 2,
    "total_return": 0.0412,
    "diversification": {"position_count": 2, "effective_position_count": 1.99, "effective_sector_count": 1.0},
    "positions": [
        {"symbol": "AAPL", "quantity": "10", "market_value": "1960.00", "weight": 0.3825, "return_1d": 0.012},
        {"symbol": "MSFT", "quantity": "4", "market_value": "1664.00", "weight": 0.3247, "return_1d": 0.004},
    ],
    "sectors": [{"name": "Unknown", "weight": 0.7073, "return_1d": 0.008}],
    "insights": [{"code": "POSITION_CONCENTRATION", "symbol": "AAPL", "threshold_weight": 0.5}],
}
FACTS = facts_from_data(DATA, currency="USD")


def _figures(text: str, facts: Any = FACTS) -> list[tuple[str, FigureKind, str | None]]:
    return [(c.figure.raw, c.figure.kind, c.fact_path) for c in check(text, facts).checks]


@pytest.mark.parametrize(
    "text",
    [
        "3 of your 2 positions are up.",
        "3 out of your 2 positions are up.",
        "3 of 2 positions are up.",
        "3 Ihrer 2 Positionen liegen im Plus.",
        "3 von Ihren 2 Positionen liegen im Plus.",
        "3 de vos 2 lignes sont en hausse.",
        "3 sur 2 lignes sont en hausse.",
        "3 de tus 2 posiciones suben.",
        "3 de las 2 posiciones suben.",
    ],
)
def test_a_part_larger_than_its_whole_is_an_ungrounded_count(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED, _figures(text)
    assert [(f.raw, f.kind, f.value) for f in result.ungrounded] == [("3", FigureKind.COUNT, 3)]
    assert [c.fact_path for c in result.checks][1:] == ["position_count"]


def test_a_part_of_an_ungrounded_whole_is_ungrounded_too() -> None:
    result = check("3 of 5 sectors are up.", FACTS)
    assert [(f.raw, f.kind, f.noun) for f in result.ungrounded] == [
        ("3", FigureKind.COUNT, "sectors"), ("5 sectors", FigureKind.COUNT, "sectors")]
    assert [f.raw for f in check("1 of your 7 positions is AAPL.", FACTS).ungrounded] == ["1", "7 positions"]


@pytest.mark.parametrize(
    "text",
    [
        "1 of your 2 positions is AAPL.",
        "1 out of 2 positions is up today.",
        "1 Ihrer 2 Positionen ist AAPL.",
        "1 von 2 Positionen liegt im Plus.",
        "1 de vos 2 lignes est AAPL.",
        "1 sur 2 lignes est en hausse.",
        "1 de tus 2 posiciones es AAPL.",
    ],
)
def test_a_part_no_count_equals_of_a_grounded_whole_is_left_out(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED, _figures(text)
    assert [(c.figure.value, c.fact_path) for c in result.checks] == [(2, "position_count")]


def test_a_part_a_count_equals_is_grounded_by_it() -> None:
    assert _figures("2 of your 2 positions are up.") == [
        ("2", FigureKind.COUNT, "position_count"), ("2 positions", FigureKind.COUNT, "position_count")]
    # a part of any size: not any fact equal to 12 (as a NUMBER it cited the score), nor a sector's count when the
    # sentence names no sector ("12 of your 20 positions are up" is no claim about Tech): it is left out; a part the
    # sentence names a sector of is that sector's count ("are tech": Tech holds 12; see test_round6_subjects)
    facts = facts_from_data({"position_count": 20, "sectors": [{"name": "Tech", "position_count": 12}], "score": 12})
    assert _figures("12 of your 20 positions are tech.", facts) == [
        ("12", FigureKind.COUNT, "sectors[Tech].position_count"), ("20 positions", FigureKind.COUNT, "position_count")]
    assert _figures("12 of your 20 positions are up.", facts) == [
        ("20 positions", FigureKind.COUNT, "position_count")]
    assert _figures("13 of your 20 positions are tech.", facts) == [
        ("13", FigureKind.COUNT, None), ("20 positions", FigureKind.COUNT, "position_count")]
    assert _figures("25 of your 20 positions are tech.", facts) == [
        ("25", FigureKind.COUNT, None), ("20 positions", FigureKind.COUNT, "position_count")]
    facts = facts_from_data({"position_count": 20, "score": 12})
    assert _figures("Score 12 of 20.", facts) == [  # no counted whole: as before
        ("12", FigureKind.NUMBER, "score"), ("20", FigureKind.NUMBER, "position_count")]


def test_the_part_is_the_number_alone_and_names_its_whole() -> None:
    text = "So 3 of your 5 open positions are up."
    part, whole = extract_figures(text)
    assert (part.raw, part.kind, part.noun, text[part.start:part.end]) == ("3", FigureKind.COUNT, "positions", "3")
    assert (whole.raw, whole.noun, part.part_of) == ("5 open positions", "positions", whole.start)
    assert whole.part_of is None


@pytest.mark.parametrize(
    "text",
    [
        "Page 2 of 3.",
        "Rated 4 of 5 stars.",
        "Your top 3 of 5 positions.",
        "3 of 2026 was calm.",
        "3 of your 5 AAPL.",
        "3 of 5.5 positions.",
        "3 of $5 positions.",
    ],
)
def test_no_part_without_a_counted_whole(text: str) -> None:
    assert [f.raw for f in extract_figures(text) if f.raw.startswith("3")] == []


def test_a_chain_of_parts_stays_linear() -> None:
    text = "1 of " * 20_000 + "2 positions"
    # CPU time, not wall time: a busy machine must not fail it (linear: ~2 s; quadratic: minutes)
    started = time.process_time()
    result = check(text, FACTS)
    assert time.process_time() - started < 10
    assert [(c.figure.raw, c.fact_path) for c in result.checks] == [("2 positions", "position_count")]
    figures = extract_figures(text)
    assert [f.raw for f in figures] == ["1", "2 positions"]  # only the last "1 of" reads a whole
    assert figures[0].part_of == figures[1].start


@pytest.mark.parametrize(
    "text",
    [
        "Sie haben 2 Positionen im Plus.",
        "Ihre 2 Positionen liegen im Plus.",
        "You have 2 positions in the green.",
        "Your 2 positions are above the guideline.",
        "Both of your 2 positions are up today.",
        "Vous avez 2 lignes en hausse.",
        "Vos 2 lignes sont en hausse.",
        "Tienes 2 posiciones con ganancia.",
        "Tus 2 posiciones están en alza.",
    ],
)
def test_words_after_the_noun_give_a_count_no_direction(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED, _figures(text)
    assert [(c.figure.kind, c.figure.direction, c.fact_path) for c in result.checks] == [
        (FigureKind.COUNT, None, "position_count")]


def test_the_audits_sentences_with_a_qualifier() -> None:
    assert _figures("1 of your 2 positions is above 50% of invested value.") == [
        ("2 positions", FigureKind.COUNT, "position_count"),
        ("50%", FigureKind.PERCENT, "insights[AAPL].threshold_weight")]
    # an invented count with a qualifier is still flagged, in every language
    for text in ("Sie haben 3 Positionen im Plus.", "You have 3 positions above the guideline.",
                 "Vous avez 3 lignes en hausse.", "Tienes 3 posiciones con ganancia."):
        assert [f.kind for f in check(text, FACTS).ungrounded] == [FigureKind.COUNT], text
