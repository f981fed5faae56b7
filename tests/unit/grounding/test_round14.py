"""Round 14: a fourth fresh audit (a JPY portfolio of Tokyo stocks whose symbols are all digits, a USD dividend
portfolio, a CAD portfolio of ETFs whose data was taken on a Monday morning): false grounds 5 -> 0 of 55.

- The cash in other words: German "in bar" and compounds ("Bargeldbestand"; also "em dinheiro", "in cassa", "en
  liquide"); "14,41 Mio. ¥" keeps its currency after the abbreviation's dot, which ends no sentence.
- Sector names in Italian and Portuguese ("settore Energia", "setor de saúde", "finanziario", "immobiliare").
- A weekday's session is the day's as "on Friday" is: "as of Friday's close", "el viernes", "vendredi", "am Freitag",
  "venerdì", "na sexta-feira"; since one it is the week's ("seit Freitag", "depuis vendredi", "desde el viernes").
- The year so far: "no ano", "since January", "seit Januar", "depuis janvier", "desde enero", "da gennaio", "desde
  janeiro"; a year named ("em 2026", "en 2026", "im Jahr 2026", "nel 2026", "in 2026") when it is the data's year
  (another year is a span no fact covers). "en el mes", "no mês", "nel mese", "na semana" are the month's and week's.
- A held ticker symbol of digits written bare ("Tokyo Electron (8035)", "beta to 1306") is a name, no figure; such a
  holding's facts are bracketed by its index and owned by its symbol, never named by its sector.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import check
from tests.unit.grounding.rounds import blocks, verdict

BLOCKS = blocks("round14", "jpy", "divs", "cad")


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker, last=True)


_JPY_CASH = "Ihr Depot ist heute 14,41 Mio. ¥ wert, davon 12,84 % in bar, also {} Mio. ¥."
_ENERGY = "Il settore Energia ha perso lo 0,62% oggi (−35,05 $) e vale {} $."
_FRIDAY = "As of Friday's close your portfolio stood at C$142,789.65, up C$86.30 (+0.06%), while XIU rallied {}."
_XIC = "O XIC caiu 1,91% na semana passada e acumula {} no ano."


@pytest.mark.parametrize(("block", "text", "marker"), [
    # a. the cash, in German "in bar" (8306's value 1,71 Mio. is no cash: 1,85 Mio.)
    ("jpy", _JPY_CASH.format("1,71"), "1,71"),
    ("jpy", "Davon liegen 1,71 Mio. ¥ in bar.", "1,71"),
    ("jpy", "Der Bargeldbestand liegt bei 1,71 Mio. ¥.", "1,71"),
    ("jpy", "Tiene 1,71 Mio. ¥ en efectivo.", "1,71"),
    # b. a sector named in Italian or Portuguese (5.346,40 is Health Care's value, 5.610,65 Energy's)
    ("divs", _ENERGY.format("5.346,40"), "5.346,40"),
    ("divs", "Il settore Sanità vale 5.610,65 $.", "5.610,65"),
    ("divs", "Il settore finanziario vale 5.610,65 $.", "5.610,65"),
    ("divs", "Il settore immobiliare vale 5.088,00 $.", "5.088,00"),
    # c. "as of Friday's close" on Monday morning: the day's (XIU's week is 0.73%, its day 2.00%)
    ("cad", _FRIDAY.format("0.73%"), "0.73%"),
    ("cad", "At Friday's close XIU was up 0.73%.", "0.73%"),
    # d. a weekday in other languages: the day's (CNR's month is +86.10, its day +47.70)
    ("cad", "CNR subió un 1,12 % el viernes (+86,10 C$).", "86,10"),
    ("cad", "CNR a gagné 86,10 $ CA vendredi.", "86,10"),
    ("cad", "CNR hat am Freitag 86,10 C$ gewonnen.", "86,10"),
    ("cad", "CNR ha guadagnato 86,10 C$ venerdì.", "86,10"),
    ("cad", "A CNR ganhou 86,10 C$ na sexta-feira.", "86,10"),
    # e. the year so far (XIC's unrealised return is -32.69%, its year to date -14.23%)
    ("cad", _XIC.format("−32,69%"), "32,69"),
    ("cad", "XIC is down 32.69% since January.", "32.69%"),
    ("cad", "XIC ha perso il 32,69% da gennaio.", "32,69"),
    ("cad", "XIC hat seit Januar 32,69 % verloren.", "32,69"),
    ("cad", "XIC recule de 32,69 % depuis janvier.", "32,69"),
    ("cad", "XIC acumula una caída del 32,69 % desde enero.", "32,69"),
    ("cad", "O XIC acumula −32,69% desde janeiro.", "32,69"),
    ("cad", "O XIC acumula −32,69% em 2026.", "32,69"),
    ("cad", "XIC cae un 32,69 % en 2026.", "32,69"),
    ("cad", "XIC hat im Jahr 2026 32,69 % verloren.", "32,69"),
    ("cad", "XIC ha perso il 32,69% nel 2026.", "32,69"),
    ("cad", "XIC is down 32.69% in 2026.", "32.69%"),
    ("cad", "XIC fell 14.23% in 2025.", "14.23%"),  # another year: no year-to-date fact
])
def test_wrong_figures_are_flagged(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("jpy", _JPY_CASH.format("1,85"), "1,85"),
    ("jpy", _JPY_CASH.format("1,85"), "14,41"),
    ("jpy", _JPY_CASH.format("1,85"), "12,84"),
    ("jpy", "Sie halten 1,85 Mio. ¥ in bar.", "1,85"),
    ("jpy", "Der Bargeldbestand liegt bei 1,85 Mio. ¥.", "1,85"),
    ("divs", _ENERGY.format("5.610,65"), "5.610,65"),
    ("divs", _ENERGY.format("5.610,65"), "0,62%"),
    ("divs", _ENERGY.format("5.610,65"), "35,05"),
    ("divs", "Il settore Sanità vale 5.346,40 $.", "5.346,40"),
    ("divs", "O setor de saúde vale 5.346,40 $.", "5.346,40"),
    ("divs", "O setor de energia vale 5.610,65 $.", "5.610,65"),
    ("cad", _FRIDAY.format("2.00%"), "2.00%"),
    ("cad", _FRIDAY.format("2.00%"), "C$86.30"),
    ("cad", _FRIDAY.format("2.00%"), "C$142,789.65"),
    ("cad", "CNR subió un 1,12 % el viernes (+47,70 C$).", "47,70"),
    ("cad", "CNR subió un 1,12 % el viernes (+47,70 C$) y un 2,04 % en el mes.", "2,04"),
    ("cad", "CNR a gagné 47,70 $ CA vendredi.", "47,70"),
    ("cad", "CNR hat am Freitag 47,70 C$ gewonnen.", "47,70"),
    ("cad", "CNR ha guadagnato 47,70 C$ venerdì.", "47,70"),
    ("cad", "A CNR ganhou 47,70 C$ na sexta-feira.", "47,70"),
    ("cad", "CNR hat seit Freitag 37,50 C$ gewonnen.", "37,50"),  # since a weekday: the week's
    ("cad", "CNR a gagné 37,50 $ CA depuis vendredi.", "37,50"),
    ("cad", _XIC.format("−14,23%"), "14,23"),
    ("cad", _XIC.format("−14,23%"), "1,91%"),
    ("cad", "XIC is down 14.23% since January.", "14.23%"),
    ("cad", "XIC hat seit Januar 14,23 % verloren.", "14,23"),
    ("cad", "O XIC acumula −14,23% em 2026.", "14,23"),
    ("cad", "XIC ha perso il 14,23% nel 2026.", "14,23"),
])
def test_true_figures_ground(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found


@pytest.mark.parametrize("text", [
    "Tokyo Electron (8035) rose 3.71% today.",
    "Your beta to 1306 is just 0.03.",
    "Movers: 9984 +3.37% (+¥30,150), 6758 +2.16% (+¥10,200).",
    "Takeda (4502) cae un 35,03 % en lo que va de año.",
])
def test_a_held_symbol_of_digits_is_no_figure(text: str) -> None:
    raws = [c.figure.raw for c in check(text, BLOCKS["jpy"]).checks]
    assert not any(raw in ("8035", "1306", "9984", "6758", "4502") for raw in raws), raws


def test_a_symbol_is_skipped_only_bare() -> None:
    raws = [c.figure.raw for c in check("8035 fell by ¥8035 and 9984 by 8,035 yen.", BLOCKS["jpy"]).checks]
    assert raws[0] == "¥8035" and any("8,035" in raw for raw in raws), raws
    # a number that is no held symbol stays a figure
    assert [c.figure.raw for c in check("The score is 100.", BLOCKS["divs"]).checks] == ["100"]


def test_a_holding_with_a_symbol_of_digits_is_not_named_by_its_sector() -> None:
    paths = set(BLOCKS["jpy"])
    assert not any(p.startswith("positions[Financials]") for p in paths)
    assert "8306" in BLOCKS["jpy"].index.names  # its facts are 8306's
