"""A list that shares one verb gives its later figures the verb's direction in Italian and Portuguese too ("NVDA è
scesa del 10% e MSFT del 2%", "a NVDA caiu 10% e a MSFT 2%"), and across a bracketed amount after the first figure
("NVDA fell 10% (-$200) and MSFT 2%", "NVDA hat 10 % verloren (-200 $), MSFT 2 %"): the later figure was read
unsigned, as a rise, and MSFT's -2% week refused (a grounding audit)."""

from __future__ import annotations

import pytest

from tests.unit.grounding.seed import assert_flagged, assert_grounded


@pytest.mark.parametrize("text", [
    "Questa settimana NVDA è scesa del 10% e MSFT del 2%.",
    "Esta semana a NVDA caiu 10% e a MSFT 2%.",
    "This week NVDA fell 10% (-$200) and MSFT 2%.",
    "NVDA hat diese Woche 10 % verloren (-200 $), MSFT 2 %.",
    "Cette semaine, NVDA a chuté de 10 % (-200 $) et MSFT de 2 %, alors que XOM a gagné 2 %.",
    "Esta semana NVDA cayó un 10 % (-200 US$) y MSFT un 2 %, mientras que XOM subió un 2 %.",
])
def test_a_shared_verb_signs_the_later_figures(text: str) -> None:
    assert_grounded(text)


@pytest.mark.parametrize("text", [
    "This week NVDA fell 10% (-$200) and XOM 2%.",  # XOM rose 2%
    "Questa settimana NVDA è scesa del 10% e XOM del 2%.",
])
def test_the_carried_direction_still_flags_a_rise(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize("text", [
    "NVDA cayó un 5,26 % hoy y un 10 % esta semana.",
    "NVDA scende del 5,26 % oggi e del 10 % questa settimana.",
    "NVDA a baissé de 5,26 % aujourd'hui et de 10 % cette semaine.",
    "A NVDA recua 5,26% hoje e 10% esta semana.",
])
def test_a_verb_left_out_before_a_second_period_keeps_its_direction(text: str) -> None:
    # "y un 10 % esta semana": the second figure of the verb was read unsigned, a rise (a second grounding audit)
    assert_grounded(text)
