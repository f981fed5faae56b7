"""Counts in forms the extractor did not see, and true counts it flagged.

The re-verifier's cases, on the three-position portfolio THREE (AAPL 10 sh and MSFT 12 sh in Technology, XOM 40 sh
in Energy):
- "You hold 2 Energy sector positions.", "Sie haben 2 Energie-Positionen." (Energy has 1) and "5 in Technology and 1
  in Energy." were NO_FIGURES: a wrong count passed unchecked. "sector" between the name and the noun, a German
  compound and a count whose noun is left out ("2 in Technology", "12 of MSFT" after "10 shares of AAPL") were read
  as no count at all.
- "You hold 1 Energy sector position." (true) was flagged: read as "1 Energy sector", a count of sectors.
- "Besides AAPL and MSFT, 1 other position." (true) was flagged: "other" counted the rest after one name, not two.
- "You hold 10 shares of AAPL, 12 of MSFT." flagged the true "12" (a bare number, no fact under no name).
- "You have 3 EUR positions." read "3 EUR" as an amount.
- "Vous détenez 1 ligne du secteur Énergie.", "Tiene 1 posición en el sector Energía." (true) were flagged: the
  word for "sector" hid the name.

Rules: a word for "sector" between a name and its noun, or after the link word ("du secteur", "en el sector de"),
says what the name is; a German compound of a sector word (or a name, with a hyphen) and a counted noun is that
name's count; a number followed by "in"/"of"/"im"/"en"/"de"... and a name counts the noun of the count before it
in its sentence when only a list joins them ("3 positions: 2 in Technology and 1 in Energy"), and a small number
with no such count before it counts positions, then flagged only when larger than that name's count ("5 in
Technology" of 2; "1 in Technology is up" may be a part); "N other" counts the rest after the names of its kind
before it in its clause; an ISO code before a noun of holdings is no currency.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import FigureKind, GroundingStatus, check, extract_figures
from tests.unit.grounding.test_count_group_names import THREE


def _checks(text: str) -> list[tuple[str, FigureKind, str | None]]:
    return [(c.figure.raw, c.figure.kind, c.fact_path) for c in check(text, THREE).checks]


# --- a wrong count is flagged, never unseen ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("You hold 2 Energy sector positions.", "2 Energy sector positions"),
        ("You hold 2 energy sector positions.", "2 energy sector positions"),
        ("You hold 3 Technology sector positions.", "3 Technology sector positions"),
        ("You hold 2 of your Energy sector positions.", "2 of your Energy sector positions"),
        ("You hold 2 Energy-sector positions.", "2 Energy-sector positions"),
        ("Sie haben 2 Energie-Positionen.", "2 Energie-Positionen"),
        ("Sie haben 2 Energiepositionen.", "2 Energiepositionen"),
        ("Sie haben 3 Technologiewerte.", "3 Technologiewerte"),
        ("Sie haben 3 Tech-Aktien.", "3 Tech-Aktien"),
        ("Sie haben 11 AAPL-Aktien.", "11 AAPL-Aktien"),
        ("5 in Technology and 1 in Energy.", "5"),
        ("You hold 3 positions: 1 in Technology and 2 in Energy.", "2"),
        ("Of your 3 positions, 2 are in Energy.", "2"),
        ("You hold 1 position in the Energy sector and 3 in the Technology sector.", "3"),
        ("Sie halten 3 Positionen, davon 2 im Technologiesektor und 2 im Energiesektor.", "2"),
        ("Vous détenez 3 lignes : 2 en Technologie et 2 en Énergie.", "2"),
        ("Vous détenez 1 ligne du secteur Énergie et 3 du secteur Technologie.", "3"),
        ("Tiene 3 posiciones: 2 en Tecnología y 2 en Energía.", "2"),
        ("You hold 10 shares of AAPL, 99 of MSFT.", "99"),
        ("You hold 22 shares: 10 in AAPL and 13 in MSFT.", "13"),
        ("Sie halten 10 Aktien von AAPL und 13 von MSFT.", "13"),
        ("Tiene 40 acciones de XOM y 13 de MSFT.", "13"),
        ("Besides AAPL and MSFT, 3 other positions.", "3 other positions"),
        ("Besides AAPL and MSFT, 2 other positions.", "2 other positions"),
        ("Outre AAPL et MSFT, vous détenez 2 autres lignes.", "2 autres lignes"),
        ("You have 4 EUR positions.", "4 EUR positions"),
        ("Sie haben 4 EUR-Positionen.", "4 EUR-Positionen"),
    ],
)
def test_a_wrong_count_in_these_forms_is_flagged(text: str, wrong: str) -> None:
    result = check(text, THREE)
    assert result.status is GroundingStatus.UNGROUNDED, _checks(text)
    flagged = [(f.raw, f.kind) for f in result.ungrounded]
    assert (wrong, FigureKind.COUNT) in flagged, _checks(text)


# --- a true count is grounded by the count it states ---------------------------------------------------------------

ENERGY = "sectors[Energy].position_count"
TECH = "sectors[Technology].position_count"


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("You hold 1 Energy sector position.", [ENERGY]),
        ("You hold 1 Energy sector positions.", [ENERGY]),
        ("You hold 2 Technology sector positions.", [TECH]),
        ("You hold 1 energy-sector position.", [ENERGY]),
        ("You hold 1 position in the energy sector.", [ENERGY]),
        ("Sie haben 1 Energie-Position.", [ENERGY]),
        ("Sie haben 1 Energieposition.", [ENERGY]),
        ("Sie haben 2 Technologie-Aktien.", [TECH]),
        ("Sie haben 2 Technologiewerte.", [TECH]),
        ("Sie haben 2 Tech-Aktien.", [TECH]),
        ("Sie halten 1 Position aus dem Energiesektor.", [ENERGY]),
        ("Vous détenez 1 ligne du secteur Énergie.", [ENERGY]),
        ("Vous détenez 1 ligne dans le secteur Énergie.", [ENERGY]),
        ("Vous détenez 1 ligne du secteur de l’énergie.", [ENERGY]),
        ("Vous avez 2 positions dans le secteur Technologie.", [TECH]),
        ("Tiene 1 posición en el sector Energía.", [ENERGY]),
        ("Tiene 1 posición del sector de energía.", [ENERGY]),
        ("Tiene 2 posiciones del sector tecnológico.", [TECH]),
        ("2 in Technology and 1 in Energy.", [TECH, ENERGY]),
        ("You hold 3 positions: 2 in Technology and 1 in Energy.", ["position_count", TECH, ENERGY]),
        ("Of your 3 positions, 2 are in Technology.", ["position_count", TECH]),
        ("You hold 1 position in the Energy sector and 2 in the Technology sector.", [ENERGY, TECH]),
        ("Sie halten 3 Positionen, davon 2 im Technologiesektor und 1 im Energiesektor.",
         ["position_count", TECH, ENERGY]),
        ("Sie halten 3 Positionen: 2 in Technologie und 1 in Energie.", ["position_count", TECH, ENERGY]),
        ("Vous détenez 3 lignes : 2 en Technologie et 1 en Énergie.", ["position_count", TECH, ENERGY]),
        ("Vous détenez 1 ligne du secteur Énergie et 2 du secteur Technologie.", [ENERGY, TECH]),
        ("Tiene 3 posiciones: 2 en Tecnología y 1 en Energía.", ["position_count", TECH, ENERGY]),
        ("You hold 10 shares of AAPL, 12 of MSFT.", ["positions[AAPL].quantity", "positions[MSFT].quantity"]),
        ("You hold 22 shares: 10 in AAPL and 12 in MSFT.", [None, "positions[AAPL].quantity",
                                                             "positions[MSFT].quantity"]),
        ("Sie halten 10 Aktien von AAPL und 12 von MSFT.", ["positions[AAPL].quantity", "positions[MSFT].quantity"]),
        ("Tiene 40 acciones de XOM y 12 de MSFT.", ["positions[XOM].quantity", "positions[MSFT].quantity"]),
        ("Sie haben 10 AAPL-Aktien.", ["positions[AAPL].quantity"]),
        ("Besides AAPL and MSFT, 1 other position.", ["position_count"]),
        ("Besides AAPL, 2 other positions.", ["position_count"]),
        ("Neben AAPL und MSFT halten Sie 1 weitere Position.", ["position_count"]),
        ("Outre AAPL et MSFT, vous détenez 1 autre ligne.", ["position_count"]),
        ("Además de AAPL y MSFT, tiene 1 otra posición.", ["position_count"]),
        ("Además de AAPL y MSFT, tiene 1 posición más.", ["position_count"]),
        ("You have 3 EUR positions.", ["position_count"]),
        ("Sie haben 3 EUR-Positionen.", ["position_count"]),
    ],
)
def test_a_true_count_in_these_forms_cites_its_count(text: str, paths: list[str | None]) -> None:
    checks = _checks(text)
    assert [p for _, _, p in checks] == paths, checks
    assert all(kind is FigureKind.COUNT for _, kind, _ in checks), checks
    if None not in paths:
        assert check(text, THREE).status is GroundingStatus.GROUNDED


def test_an_elided_count_is_the_number_alone() -> None:
    [tech, energy] = [f for f in extract_figures("2 in Technology and 1 in Energy.")]
    assert (tech.raw, tech.kind, tech.noun, tech.qualifier, tech.elided, tech.implied) == (
        "2", FigureKind.COUNT, "positions", ("Technology",), True, True)
    assert (energy.raw, energy.qualifier) == ("1", ("Energy",))
    [_, msft] = extract_figures("You hold 10 shares of AAPL, 12 of MSFT.")
    assert (msft.raw, msft.noun, msft.qualifier, msft.elided, msft.implied) == ("12", "shares", ("MSFT",), True, False)


# --- what is no count, or no checkable one, stays so ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Follow step 2 in Settings.",
        "See section 4 in the Appendix.",
        "The top 3 in Technology are AAPL and MSFT.",
        "Position 2 in Technology is MSFT.",
        "AAPL is number 1 in Technology.",
        "There were 2 in January and 3 in February.",
        "Meet 1 in 5 investors.",
        "2 in Technology and Energy.",  # a list of names: which one the 2 are in is unsaid
        "Version 2 in Beta.",
    ],
)
def test_labels_ranks_and_dates_before_a_name_stay_no_figures(text: str) -> None:
    assert not [f for f in extract_figures(text) if f.kind is FigureKind.COUNT], extract_figures(text)
    assert check(text, THREE).status is not GroundingStatus.UNGROUNDED


@pytest.mark.parametrize(
    "text",
    [
        "1 in Technology is up.",  # a part of Technology's 2
        "1 in Energy and 1 in Technology are up.",  # the second takes the implied noun of the first: a part too
        "Of your 3 positions, 1 is in AAPL.",  # no fact counts positions under AAPL
        "Add 1 in AAPL if you want more.",
        "Your score is 7 in ESG terms.",  # ESG names nothing in the facts: positions is only a guess
        "Call us at 9 in London.",
        "You hold 3 positions: 2 in the US and 1 in Europe.",
        "You hold 40 shares of XOM; 2 in Technology.",  # no share count under Technology
    ],
)
def test_an_elided_count_no_fact_can_check_is_no_false_flag(text: str) -> None:
    assert check(text, THREE).status is not GroundingStatus.UNGROUNDED, _checks(text)


def test_a_number_before_in_and_a_name_keeps_its_old_reading_otherwise() -> None:
    # a change stays a change, an amount an amount: no count before it only joins a list
    assert _checks("Inflation fell 2 in Europe.") == [("2", FigureKind.NUMBER, None)]
    assert _checks("You hold 3 positions, worth 15000 in Technology.") == [
        ("3 positions", FigureKind.COUNT, "position_count"), ("15000", FigureKind.NUMBER, "total_value")]
    assert _checks("Your 3 positions total 15000 in EUR.") == [
        ("3 positions", FigureKind.COUNT, "position_count"), ("15000", FigureKind.NUMBER, "total_value")]
    assert _checks("You received 120 EUR dividends.") == [("120 EUR", FigureKind.AMOUNT, None)]
    # words after "in" that are not names ("2 in the red", "2 im Plus") make no count
    assert check("2 of them are in the red.", THREE).status is GroundingStatus.NO_FIGURES
    assert not [f for f in extract_figures("Sie haben 2 im Plus und 1 im Minus.") if f.kind is FigureKind.COUNT]
