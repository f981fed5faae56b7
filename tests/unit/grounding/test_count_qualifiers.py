"""A count is grounded only by a whole count of what it counts, of the name that qualifies it.

The tester's cases (h2), on a five-position, three-sector portfolio (effective counts 3.87 and 2.41):
- "You hold 4 positions." / "Sie halten 4 Positionen." / "You hold 2 sectors." were GROUNDED: the whole count cited
  the rounded effective count (3.87, 2.41); "4 of your 5 positions are up" cited it for the "4".
- "Your portfolio is spread over 2 sectors." was GROUNDED: "over" read as "more than 2", matched by the 3 sectors.
- "You hold 3 Health Care positions." (2) found no figure: a name between the number and its noun.
- "You have 10 AAPL shares and 12 MSFT shares." flagged the true "12": the second figure took the first symbol.
- "Vous avez 7 actions." found no figure (French "actions" was left out as an English word).

Rules: a whole COUNT figure never cites a fractional count unless its words say "effective"/"effectively"; "over"
and "above" before a count mean "more than" only at the clause start or after a verb of holding or being ("You hold
over 20 positions"), not as prepositions ("spread over 2 sectors"); a name between the number and the noun, or after
the noun and "of"/"in", limits the count to that name's facts (capitalised words naming nothing in the facts ground
nothing); "N other positions" counts the rest after one named (N + 1 in all); French "actions" counts in a French
clause.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import FigureKind, GroundingStatus, check, extract_figures, facts_from_data

DATA = {
    "base_currency": "EUR", "position_count": 5, "total_value": "25000.00",
    "risk": {"observations": 42, "volatility": 0.183, "sharpe_ratio": 1.12},
    "diversification": {"position_count": 5, "effective_position_count": 3.87, "effective_sector_count": 2.41,
                        "sector_count": 3, "score": 61.0},
    "positions": [
        {"symbol": "AAPL", "quantity": "10", "market_value": "6000.00", "weight": 0.24, "sector": "Technology"},
        {"symbol": "MSFT", "quantity": "12", "market_value": "5000.00", "weight": 0.20, "sector": "Technology"},
        {"symbol": "JNJ", "quantity": "30", "market_value": "4500.00", "weight": 0.18, "sector": "Health Care"},
        {"symbol": "XOM", "quantity": "40", "market_value": "4000.00", "weight": 0.16, "sector": "Energy"},
        {"symbol": "PFE", "quantity": "100", "market_value": "3000.00", "weight": 0.12, "sector": "Health Care"},
    ],
    "sectors": [{"name": "Technology", "weight": 0.44, "position_count": 2},
                {"name": "Health Care", "weight": 0.30, "position_count": 2},
                {"name": "Energy", "weight": 0.16, "position_count": 1}],
    "cash_weight": 0.10,
}
FACTS = facts_from_data(DATA, currency="EUR")


def _cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


# --- a. a whole count is never a rounded effective count ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "You hold 4 positions.",
        "Sie halten 4 Positionen.",
        "Vous détenez 4 lignes.",
        "Tiene 4 posiciones.",
        "You hold 2 sectors.",
        "Your portfolio has 4 holdings across 3 sectors.",
    ],
)
def test_a_whole_count_does_not_cite_a_fractional_effective_count(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED
    assert not any(c.fact_path and "effective" in c.fact_path for c in result.checks)


def test_the_part_of_a_whole_does_not_cite_an_effective_count_either() -> None:
    # no fact counts the positions that are up: the "4" is left out as uncheckable, never cited to 3.87
    for text in ("4 of your 5 positions are up today.", "2 of your 3 sectors are up today."):
        assert not any(path and "effective" in path for _, path in _cited(text)), text


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("You effectively hold 4 positions.", "diversification.effective_position_count"),
        ("Effectively, you hold 4 positions.", "diversification.effective_position_count"),
        ("You hold 4 effective positions.", "diversification.effective_position_count"),
        ("Effectively you hold 3.87 positions.", "diversification.effective_position_count"),
        ("Your sectors count as 2 effective sectors.", "diversification.effective_sector_count"),
    ],
)
def test_an_effective_count_is_cited_when_the_text_says_effective(text: str, path: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED
    assert [c.fact_path for c in result.checks] == [path]


def test_other_positions_count_the_rest_after_the_one_named() -> None:
    text = "Your largest position, AAPL, is 24% of the portfolio; 4 other positions make up the rest."
    assert check(text, FACTS).status is GroundingStatus.GROUNDED
    assert _cited(text) == [("24%", "positions[AAPL].weight"), ("4 other positions", "position_count")]
    assert check("Besides Technology, 2 other sectors.", FACTS).status is GroundingStatus.GROUNDED
    assert check("Besides AAPL, 3 other positions.", FACTS).status is GroundingStatus.UNGROUNDED
    assert check("Besides AAPL, 5 other positions.", FACTS).status is GroundingStatus.UNGROUNDED


# --- b. "spread over N" is exactly N ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Your portfolio is spread over 2 sectors.",
        "Your portfolio is spread evenly over 2 sectors.",
        "You hold 5 positions over 2 sectors.",
        "Your money is split over 4 sectors.",
    ],
)
def test_over_as_a_preposition_before_a_count_is_exact(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED


@pytest.mark.parametrize(
    "text",
    [
        "Your portfolio is spread over 3 sectors.",
        "You hold 5 positions over 3 sectors.",
        "You hold over 4 positions.",  # more than 4: the 5 positions
        "Over 4 positions are in your portfolio.",
        "You hold well over 2 sectors.",
        "You hold more than 2 sectors.",
        "Over 20% of your portfolio is in AAPL.",  # not a count: "over" stays "more than"
    ],
)
def test_over_meaning_more_than_still_accepts_a_larger_fact(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.GROUNDED


def test_over_as_a_preposition_is_no_hedge_but_more_than_is() -> None:
    spread, = extract_figures("Your portfolio is spread over 2 sectors.")
    held, = extract_figures("You hold over 2 sectors.")
    assert (spread.hedge.name, held.hedge.name) == ("NONE", "AT_LEAST")


# --- d. a name between the number and the noun, or after it ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("You hold 2 Health Care positions.", "sectors[Health Care].position_count"),
        ("You hold 1 Energy position.", "sectors[Energy].position_count"),
        ("You hold 2 Technology positions.", "sectors[Technology].position_count"),
        ("You hold 2 positions in Health Care.", "sectors[Health Care].position_count"),
        ("You hold 12 shares of MSFT.", "positions[MSFT].quantity"),
    ],
)
def test_a_named_count_cites_that_names_count(text: str, path: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED
    assert [c.fact_path for c in result.checks] == [path]


@pytest.mark.parametrize(
    "text",
    [
        "You hold 3 Health Care positions.",
        "You hold 5 Health Care positions.",  # not the portfolio's 5
        "You hold 5 positions in Technology.",
        "You hold 2 Energy positions.",
        "You have 10 TSLA shares.",  # no TSLA in the data, not AAPL's 10
        "You hold 10 shares of TSLA.",
        "You hold 3 Tech positions.",  # "Tech" is the Technology sector (2); see test_count_unknown_qualifiers.py
    ],
)
def test_a_named_count_of_another_number_or_an_unknown_name_is_flagged(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED


def test_the_words_between_number_and_noun_are_the_figures_qualifier() -> None:
    fig, = extract_figures("You hold 3 Health Care positions.")
    assert (fig.raw, fig.kind, fig.noun, fig.qualifier) == (
        "3 Health Care positions", FigureKind.COUNT, "positions", ("Health", "Care"))
    fig, = extract_figures("You hold 12 shares of MSFT.")
    assert (fig.raw, fig.of_name) == ("12 shares", ("MSFT",))
    fig, = extract_figures("You hold 5 positions in Technology, Energy and Health Care.")
    assert fig.of_name == ()  # the first name of a list is not what all five are


def test_a_year_before_a_name_and_a_noun_is_no_count() -> None:
    assert extract_figures("2024 Apple shares rose.") == []
    assert [f.raw for f in extract_figures("In 2024 Apple shares rose 3%.")] == ["3%"]


def test_a_list_of_names_after_the_noun_keeps_the_portfolio_count() -> None:
    assert _cited("You hold 5 positions in Technology, Health Care and Energy.") == [("5 positions", "position_count")]
    assert _cited("Sie halten 5 Positionen in Ihrem Depot.") == [("5 Positionen", "position_count")]


# --- e. each figure with the symbol of its own clause ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("You have 10 AAPL shares and 12 MSFT shares.", ["positions[AAPL].quantity", "positions[MSFT].quantity"]),
        ("You have 12 MSFT shares and 10 AAPL shares.", ["positions[MSFT].quantity", "positions[AAPL].quantity"]),
        ("You have 10 shares of AAPL and 12 shares of MSFT.", ["positions[AAPL].quantity", "positions[MSFT].quantity"]),
        ("You hold 30 JNJ shares and 100 PFE shares.", ["positions[JNJ].quantity", "positions[PFE].quantity"]),
    ],
)
def test_each_quantity_is_matched_with_its_own_symbol(text: str, paths: list[str]) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED
    assert [c.fact_path for c in result.checks] == paths


@pytest.mark.parametrize(
    "text",
    ["You have 12 AAPL shares and 10 MSFT shares.", "You have 12 shares of AAPL and 10 shares of MSFT."],
)
def test_swapped_quantities_are_flagged(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED
    assert result.ungrounded_count == 2


# --- c. French "actions" ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Vous avez 7 actions.", GroundingStatus.UNGROUNDED),
        ("Vous détenez 5 actions.", GroundingStatus.GROUNDED),
        ("3 de vos actions sont en hausse.", GroundingStatus.UNGROUNDED),  # a count of the stocks: 5, not 3
        ("You have 3 actions to take.", GroundingStatus.NO_FIGURES),  # English: no counted noun
    ],
)
def test_french_actions_are_counted_in_a_french_clause(text: str, status: GroundingStatus) -> None:
    assert check(text, FACTS).status is status


def test_french_actions_count_stocks_not_sectors() -> None:
    assert _cited("Vous avez 3 actions.") == [("3 actions", None)]  # 3 sectors, but "actions" are stocks
