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

import json
from datetime import datetime

import pytest

from stack_cfo.core.grounding import Facts, check
from stack_cfo.core.provenance import Snapshot
from stack_cfo.core.provenance.snapshot import market_year
from tests.unit.grounding.rounds import DATA, blocks, verdict

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


# --- review of round 14 -----------------------------------------------------------------------------------------------
# A reviewer's regressions of round 14 (false grounds):
# 1. a weekday that ends a span ("through Friday's close", "bis letzten Freitag", "jusqu'à vendredi", "hasta el
#    viernes", "até sexta-feira", "fino a venerdì"; "as of Friday's close") is the end of the week, month or year so
#    far said before it, not the day; a weekday's day never replaces such a phrase of its sentence;
# 2. a year named when the facts' year is unknown sets no period and keeps the sentence's other ("Today ... in 2025");
#    a snapshot whose document says no date takes the year of its market date;
# 3. a word of the year so far with another year after it ("no ano de 2025", "since January 2025", "depuis le 1er
#    janvier 2024") or "passado"/"scorso" ("desde o começo do ano passado") is no year to date;
# 4. a held symbol of digits stated as a value ("is 8306", "at 8306") is a figure.
# (cad: CNR's day +1.12% / C$47.70, week +0.88% / C$37.50, month +2.04% / C$86.10; XIU's day 2.00%, week 0.73%; XIC's
# day 0.31%, week -1.91%, year to date -14.23%.)

_SPAN_TO_FRIDAY = [
    ("This week through Friday's close, CNR rose {}%.", "1.12", "0.88"),
    ("Month to date as of Friday's close, CNR is up {}%.", "1.12", "2.04"),
    ("Year to date as of Friday's close, CNR is up {}%.", "1.12", None),
    ("For the week through Friday's close, XIU rose {}%.", "2.00", "0.73"),
    ("Over the week to Friday's close, CNR gained C${}.", "47.70", "37.50"),
    ("Week to Friday's close: CNR +{}%.", "1.12", "0.88"),
    ("Nesta semana, até sexta-feira, a CNR subiu {}%.", "1,12", "0,88"),
    ("Esta semana, hasta el viernes, CNR subió un {} %.", "1,12", "0,88"),
    ("Cette semaine, jusqu'à vendredi, CNR a gagné {} %.", "1,12", "0,88"),
    ("Sur la semaine jusqu'à vendredi, XIC a progressé de {} %.", "0,31", None),
    ("Ce mois-ci, jusqu'à vendredi, CNR a gagné {} %.", "1,12", "2,04"),
    ("Diese Woche bis einschließlich letzten Freitag stieg CNR um {} %.", "1,12", "0,88"),
    ("In diesem Monat bis vergangenen Freitag stieg CNR um {} %.", "1,12", "2,04"),
    ("Questa settimana, fino a venerdì, CNR è salita dell'{}%.", "1,12", "0,88"),
    ("Questo mese, fino a venerdì, CNR è salita dell'{}%.", "1,12", "2,04"),
]


@pytest.mark.parametrize(("text", "day", "span"), _SPAN_TO_FRIDAY)
def test_review_a_weekday_ending_a_span_is_not_the_day(text: str, day: str, span: str | None) -> None:
    grounded, found = _verdict("cad", text.format(day), day)
    assert not grounded, found  # the day's figure stated as the week's, the month's, the year's
    if span is not None:
        grounded, found = _verdict("cad", text.format(span), span)
        assert grounded, found


@pytest.mark.parametrize(("text", "marker", "grounded"), [
    # round 14's wins stay: a weekday alone, or after the figure it qualifies, is the day's
    ("CNR subió un 1,12 % el viernes (+86,10 C$).", "86,10", False),
    (_FRIDAY.format("0.73%"), "0.73%", False),
    (_FRIDAY.format("2.00%"), "2.00%", True),
    ("Through Friday's close, CNR rose 1.12% this week.", "1.12%", False),  # the week said after the figure
    ("Through Friday's close, CNR rose 0.88% this week.", "0.88%", True),
    ("This week, CNR rose 1.12% on Friday.", "1.12%", True),  # "on Friday" right after the figure: its own day
    ("CNR subió un 1,12 % el viernes (+47,70 C$) y un 2,04 % en el mes.", "1,12", True),
])
def test_review_a_weekday_after_the_figure_or_alone(text: str, marker: str, grounded: bool) -> None:
    found = _verdict("cad", text, marker)
    assert found[0] is grounded, found


def _undated(block: str, as_of: datetime | None) -> Facts:
    """The facts of a round-14 block whose document says no date (as a week's notification or an article)."""
    doc = json.loads((DATA / f"round14_{block}.json").read_text())
    doc.pop("snapshot_time")
    return Snapshot(doc, as_of, doc["base_currency"]).facts


def test_review_a_year_named_sets_no_period_when_the_facts_year_is_unknown() -> None:
    facts = _undated("cad", None)
    assert facts.year is None
    for text, marker in [("Today XIC fell 14.23% in 2025.", "14.23%"), ("Today XIC fell 14.23% in 2026.", "14.23%"),
                         ("This week XIC fell 14.23% in 2025.", "14.23%")]:
        grounded, found = verdict(facts, "cad", text, marker)
        assert not grounded, (text, found)  # the day's (the week's) period stays
    grounded, found = verdict(facts, "cad", "Today XIC rose 0.31% in 2025.", "0.31%")
    assert grounded, found
    # the year named, unknown, lets the year-to-date fact stand (as before round 14)
    assert verdict(facts, "cad", "XIC fell 14.23% in 2025.", "14.23%")[0]


def test_review_the_facts_own_year_named_keeps_the_sentences_other_period() -> None:
    # "in 2026", the data's year, holds today and this week: the period said beside it stands
    assert not _verdict("cad", "Today XIC fell 14.23% in 2026.", "14.23%")[0]
    assert _verdict("cad", "This week XIC fell 1.91% in 2026.", "1.91%")[0]
    assert _verdict("cad", "XIC is down 14.23% in 2026.", "14.23%")[0]  # alone: the year so far
    assert _verdict("cad", "Today, XIC is down 14.23% since January 2026.", "14.23%")[0]


def test_review_a_snapshot_without_a_date_has_its_market_dates_year() -> None:
    facts = _undated("cad", datetime.fromisoformat("2026-06-15T08:40:00-04:00"))
    assert facts.year == 2026
    assert not verdict(facts, "cad", "XIC fell 14.23% in 2025.", "14.23%")[0]
    assert verdict(facts, "cad", "XIC fell 14.23% in 2026.", "14.23%")[0]
    # the market date: New York's, the session before when taken before the open or on a day without one
    assert market_year(datetime.fromisoformat("2027-01-01T10:00:00-05:00")) == 2026
    assert market_year(datetime.fromisoformat("2027-01-05T03:00:00+00:00")) == 2027
    assert market_year(datetime.fromisoformat("2027-01-04T16:00:00+00:00")) == 2027
    assert market_year(datetime.fromisoformat("2027-01-04T05:00:00+00:00")) == 2026  # Monday, before the open
    assert market_year(None) is None


@pytest.mark.parametrize("text", [
    "O XIC caiu {}% no ano de 2025.",
    "XIC cayó un {} % en el año 2025.",
    "XIC ha perso il {}% nell'anno 2025.",
    "XIC is down {}% since January 2025.",
    "XIC hat seit Januar 2025 {} % verloren.",
    "XIC recule de {} % depuis janvier 2025.",
    "XIC ha caído un {} % desde enero de 2024.",
    "Depuis le 1er janvier 2024, XIC a perdu {} %.",
    "Desde o começo do ano passado, o XIC caiu {}%.",
    "Dall'inizio dell'anno scorso XIC ha perso il {}%.",
    "Desde principios de año pasado, XIC cayó {} %.",
    "Over the last year, in 2026 dollars, XIC fell {}%.",  # the trailing 12 months
])
def test_review_another_year_is_no_year_to_date(text: str) -> None:
    figure = "14.23" if text.startswith(("XIC is", "Over")) else "14,23"
    grounded, found = _verdict("cad", text.format(figure), figure)
    assert not grounded, found


@pytest.mark.parametrize("text", [
    "O XIC caiu 14,23% no ano de 2026.",
    "XIC is down 14.23% since January 2026.",
    "XIC hat seit Januar 2026 14,23 % verloren.",
    "Depuis le 1er janvier 2026, XIC a perdu 14,23 %.",
])
def test_review_the_facts_own_year_after_a_word_of_the_year_is_the_year_to_date(text: str) -> None:
    marker = "14.23" if "14.23" in text else "14,23"
    grounded, found = _verdict("cad", text, marker)
    assert grounded, found


@pytest.mark.parametrize("text", [
    "Toyota's last price is 8306.",
    "Your position count is 8306.",
    "Toyota closed at 8306.",
    "Der Kurs von Toyota beträgt 8306.",
    "The price is 8306 (yen).",
])
def test_review_a_held_symbol_stated_as_a_value_is_a_figure(text: str) -> None:
    raws = [c.figure.raw for c in check(text, BLOCKS["jpy"]).checks]
    assert "8306" in raws, raws


@pytest.mark.parametrize("text", [
    "8306 fell 0.28% today.",
    "Heute fiel 8306 um 0,28 %.",
    "You own 1200 shares of 8306.",
    "Toyota (7203) and MUFG (8306) led.",
    "Your beta to 1306 is just 0.03.",
    "Best performer today was 8035 (Tokyo Electron).",  # after "was", but a name in brackets follows
    "The largest is 8306's stake.",
])
def test_review_a_held_symbol_used_as_a_name_is_no_figure(text: str) -> None:
    raws = [c.figure.raw for c in check(text, BLOCKS["jpy"]).checks]
    assert not any(raw in ("8306", "8035", "7203", "1306") for raw in raws), raws
