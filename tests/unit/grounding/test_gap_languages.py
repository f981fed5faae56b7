"""A gap to the benchmark in French, Spanish and German: "soit 8,07 points de mieux", "8,07 puntos por encima",
"3,12 puntos por detrás del SPY", "superando al SPY en 10,67 puntos", "den SPY um 6,48 Prozentpunkte übertroffen"
were flagged (the side after "de"/"por", "en" and "um" as "by", a German participle after the figure, and the
benchmark named as what is compared with read as the gap's subject; a grounding audit). The gap stays a gap: only an
excess return of the right sign grounds it."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check
from tests.unit.grounding.seed import FACTS, assert_flagged, assert_grounded, cited


@pytest.mark.parametrize(("text", "path"), [
    ("Depuis le début de l'année, votre portefeuille progresse de 13,11 %, contre 5,04 % pour le SPY, soit 8,07 "
     "points de mieux.", "performance.excess_return_ytd"),
    ("En lo que va de año tu cartera sube un 13,11 %, frente al 5,04 % del SPY: 8,07 puntos por encima.",
     "performance.excess_return_ytd"),
    ("Esta semana quedaste 3,12 puntos por detrás del SPY.", "performance.excess_return_1w"),
    ("Este mes la cesta Tech subió un 13,65 %, superando al SPY en 10,67 puntos.", "baskets[Tech].excess_return_1m"),
    ("Diesen Monat haben Sie den SPY um 6,48 Prozentpunkte übertroffen.", "performance.excess_return_1m"),
])
def test_a_gap_to_the_benchmark_grounds_on_its_excess_return(text: str, path: str) -> None:
    assert_grounded(text)
    assert cited(text)[-1] == (cited(text)[-1][0], path)


@pytest.mark.parametrize("text", [
    "Esta semana quedaste 3,12 puntos por encima del SPY.",  # behind, not above
    "Diesen Monat haben Sie den SPY um 9,46 Prozentpunkte übertroffen.",  # the return, not the gap
])
def test_a_wrong_gap_is_flagged(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize(("text", "path"), [
    ("Da inizio mese sei 6,48 punti in più del benchmark.", "performance.excess_return_1m"),
    ("Questa settimana il tuo portafoglio è indietro di 3,12 punti rispetto allo SPY.", "performance.excess_return_1w"),
    ("Este mês você está 6,48 pontos acima do SPY.", "performance.excess_return_1m"),
    ("Esta semana a sua carteira ficou 3,12 pontos atrás do SPY.", "performance.excess_return_1w"),
    ("Diesen Monat liegen Sie 6,48 Prozentpunkte vorn.", "performance.excess_return_1m"),
])
def test_italian_portuguese_and_german_gaps(text: str, path: str) -> None:
    # flagged in a second grounding audit ("in più", "indietro di", "acima", "atrás", "vorn")
    result = check(text, FACTS)
    assert [(c.grounded, c.fact_path) for c in result.checks] == [(True, path)]


def test_a_gap_of_the_wrong_side_stays_flagged() -> None:
    assert check("Diesen Monat liegen Sie 3,12 Prozentpunkte vorn.", FACTS).status is GroundingStatus.UNGROUNDED
