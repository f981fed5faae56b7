"""A count qualified by words that name nothing in the facts is a part of the portfolio's things, not flagged.

The re-verifier's cases (h6) after fe15bbe, on the five-position, three-sector portfolio of test_count_qualifiers
(Technology: AAPL, MSFT; Health Care: JNJ, PFE; Energy: XOM; no company names in the facts). Each true statement was
UNGROUNDED, so the server's ``replace`` policy replaced a true answer and clients showed "unverified":
- "You hold 2 Tech positions." / "Your 2 Tech positions make up 44%.": "Tech" is the Technology sector.
- "You hold 5 US stocks." / "You hold 5 American stocks.": a kind of stock, not a name in the data.
- "Your 2 Big Tech positions are AAPL and MSFT.": a group no fact counts.
- "You hold 40 Exxon shares.": was positions[XOM].quantity (a later rule flags it: shares of a company are that
  company's holding, and "Exxon" is neither a listed company's name, ExxonMobil, nor spelled like XOM; see
  test_company_shares_are_that_holdings below).
- "Tiene 4 posiciones más además de AAPL.": "más" after the noun is "other" (5 positions in all).

Rules: a ticker symbol absent from the data ("10 TSLA shares") is still flagged; other capitalised qualifier words
that name nothing count a part of the portfolio's things: grounded by the portfolio's equal count, uncheckable (left
out of the checks) when at most it, ungrounded when larger ("6 US stocks" of 5 positions). A word that starts one
sector's name ("Tech") is that sector.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data
from tests.unit.grounding.test_count_qualifiers import DATA, FACTS


def _cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("You hold 2 Tech positions.", [("2 Tech positions", "sectors[Technology].position_count")]),
        ("You have 2 tech positions.", [("2 tech positions", "sectors[Technology].position_count")]),
        (
            "Your 2 Tech positions make up 44%.",
            [("2 Tech positions", "sectors[Technology].position_count"), ("44%", "sectors[Technology].weight")],
        ),
        ("You hold 2 positions in Tech.", [("2 positions", "sectors[Technology].position_count")]),
        ("You hold 2 Health positions.", [("2 Health positions", "sectors[Health Care].position_count")]),
        ("You hold 5 US stocks.", [("5 US stocks", "position_count")]),
        ("You hold 5 American stocks.", [("5 American stocks", "position_count")]),
        ("Tiene 4 posiciones más además de AAPL.", [("4 posiciones", "position_count")]),
        ("Vous détenez 4 lignes autres que AAPL.", [("4 lignes", "position_count")]),
    ],
)
def test_a_true_count_under_an_unknown_or_short_name_is_grounded(text: str, cited: list[tuple[str, str]]) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED
    assert _cited(text) == cited


@pytest.mark.parametrize(
    "text",
    [
        "Your 2 Big Tech positions are AAPL and MSFT.",  # no fact counts Big Tech; at most the 5 positions
        "You hold 3 US stocks.",
        "You hold 4 American stocks.",
        "You hold 3 ETF positions.",
        "3 of your 5 US stocks are up.",
    ],
)
def test_a_part_no_fact_counts_is_left_out_not_flagged(text: str) -> None:
    result = check(text, FACTS)
    assert result.ungrounded_count == 0
    assert all(c.fact_path == "position_count" for c in result.checks)


@pytest.mark.parametrize(
    "text",
    [
        "You hold 3 Tech positions.",  # Technology has 2
        "You have 2 energy positions.",  # Energy has 1
        "You hold 3 positions in Tech.",
        "You hold 6 US stocks.",  # more than the 5 positions
        "You hold 6 Big Tech positions.",
        "You have 10 TSLA shares.",  # a ticker absent from the data
        "You hold 10 shares of TSLA.",
        "You hold 10 BRK shares.",
        "Tiene 5 posiciones más además de AAPL.",  # 6 in all
    ],
)
def test_a_wrong_count_or_an_absent_ticker_is_still_flagged(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED


def test_a_prefix_of_two_sector_names_names_neither() -> None:
    data = {**DATA, "sectors": [*DATA["sectors"], {"name": "Technology Hardware", "weight": 0.0, "position_count": 0}]}
    facts = facts_from_data(data, currency="EUR")
    result = check("You hold 2 Tech positions.", facts)
    assert result.ungrounded_count == 0  # "Tech" is either: a part of the 5 positions, left out
    assert result.checks == ()


def test_mas_after_the_noun_is_read_as_other() -> None:
    fig, = extract_figures("Tiene 4 posiciones más además de AAPL.")
    assert (fig.raw, fig.qualifier) == ("4 posiciones", ("más",))


@pytest.mark.parametrize(
    "text",
    [
        "Your 3 largest positions are AAPL, MSFT and JNJ.",
        "Ihre 3 größten Positionen sind AAPL, MSFT und JNJ.",
        "Sus 3 mayores posiciones son AAPL, MSFT y JNJ.",
        "Your 2 biggest positions are AAPL and MSFT.",  # "... make up 44%" is no sector's weight (test_round7)
    ],
)
def test_a_count_of_things_picked_by_rank_is_a_part_not_flagged(text: str) -> None:
    """'Your 3 largest positions' counts some of the 5 positions, picked by rank: no fact counts them, so
    the count is left out of the checks (it was flagged, and a true answer replaced under 'replace')."""
    result = check(text, FACTS)
    assert result.status is not GroundingStatus.UNGROUNDED, _cited(text)
    assert all(c.figure.kind.name != "COUNT" for c in result.checks), _cited(text)


def test_a_count_picked_by_rank_larger_than_the_whole_is_flagged_and_an_equal_one_grounded() -> None:
    assert check("Your 9 largest positions are AAPL, MSFT and JNJ.", FACTS).status is GroundingStatus.UNGROUNDED
    assert _cited("Your 5 largest positions are all you hold.") == [("5 largest positions", "position_count")]


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        # shares of a company are its holding's; a company the facts cannot tie to a holding is flagged, never
        # grounded by whichever holding has that quantity ("4 Exxon shares" was CVX's quantity)
        ("You hold 40 Exxon shares.", [("40 Exxon shares", "positions[XOM].quantity")]),  # companies.ALIASES
        ("You hold 40 shares of Exxon Mobil.", [("40 shares", "positions[XOM].quantity")]),
        ("You hold 40 Initech shares.", [("40 Initech shares", None)]),
        ("You hold 41 Exxon shares.", [("41 Exxon shares", None)]),
        ("You hold 40 ExxonMobil shares.", [("40 ExxonMobil shares", "positions[XOM].quantity")]),
    ],
)
def test_company_shares_are_that_holdings(text: str, cited: list[tuple[str, str | None]]) -> None:
    assert _cited(text) == cited
