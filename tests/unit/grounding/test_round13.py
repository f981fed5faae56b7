"""Round 13: a third fresh audit (a EUR investor with DAX stocks and two US names, a USD retirement account of 12
funds with baskets and monthly deposits whose data was taken on a Tuesday morning, a tiny three-week-old GBP
portfolio with short history; 75 true answers, 72 with one wrong figure): false grounds 9 -> 1 of 72, false flags
33 -> 27 of 406.

- Returns named by their weighting cite only that fact: time-weighted (TWR), money-weighted (MWR, IRR), local.
- German formal "Sie" with a plural verb is the reader, not "sie" (it): "Sie haben heute 143,10 € verloren" is the
  portfolio's, not the holding named before.
- "Yesterday's" names the day before as "yesterday" does (in morning data, the facts' day).
- A restatement in a bracket may be hedged: "down ~5% this year (about €6.8k)".
- A pronoun comparing with the benchmark stands for what it stands for: "Your Core basket rose 1.1% this week. That
  beat ACWI by 3.19 points" is Core's gap, not the portfolio's.
- Holdings listed as a clause's subject are the sector or basket whose members they all are ("Your three bond funds
  - BND, AGG and TIP - total $73,439.10" is the Bonds sector's value, not TIP's), unless they are said each.
- More words of change: se desplomó, se hundió, ha perso il, ha ceduto; "La pérdida latente es de", "Bei MBG beträgt
  der Verlust", "Der Verlust von MBG beträgt".
"""

from __future__ import annotations

import pytest

from tests.unit.grounding.rounds import blocks, verdict

BLOCKS = blocks("round13", "dax", "retire", "tiny")
_BONDS = "Your three bond funds — BND, AGG and TIP — total $73,439.10, or 21.18% of the portfolio."


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker, last=True)


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("retire", "Your time-weighted return is 10.13%.", "10.13%"),
    ("tiny", "Your money-weighted return is 0.57%.", "0.57%"),
    ("retire", "Your money-weighted return is 9.85%.", "9.85%"),
    ("dax", "Your local return is 1.7%.", "1.7%"),
    ("dax", "Der DAX hat diese Woche 1,2 % verloren. Sie haben in derselben Woche 1,2 % verloren.", "1,2 %"),
    ("dax", "SAP hat seit Jahresanfang 5,55 % zugelegt. Sie haben im selben Zeitraum 5,55 % gewonnen.", "5,55 %"),
    ("dax", "MBG fiel heute um 4,09 %. Sie haben heute 143,10 € verloren.", "143,10 €"),
    ("retire", "Yesterday's loss came from your funds; VOO fell 4.70%.", "4.70%"),
    ("dax", "Your portfolio is down ~5% this year (about €6.8k), while the DAX is up ~9%.", "€6.8k"),
    ("retire", "Your Core basket rose 1.1% this week. That beat ACWI by 2.17 points.", "2.17 points"),
])
def test_wrong_figures_are_flagged(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("retire", "Your time-weighted return is 19.92%.", "19.92%"),
    ("retire", "Your money-weighted return is 10.13%.", "10.13%"),
    ("retire", "Your TWR is 19.92% and your IRR 10.13%.", "10.13%"),
    ("retire", "Il rendimento ponderato per il denaro è del 10,13%.", "10,13%"),
    ("dax", "Der DAX hat 9,47 % zugelegt, Sie liegen also 14,34 Prozentpunkte hinter dem Index.", "14,34"),
    ("retire", "Yesterday's loss came mostly from your equity funds: VOO fell 1.51% (−$771.40).", "1.51%"),
    ("dax", "Your portfolio is down ~5% this year (about €2.9k), while the DAX is up ~9%.", "€2.9k"),
    ("retire", "Your Core basket rose 1.1% this week. That beat ACWI by 3.19 points.", "3.19 points"),
    ("dax", "MBG ha perso il 4,09 % oggi.", "4,09 %"),
    ("dax", "MBG se desplomó un 4,09 % hoy.", "4,09 %"),
    ("dax", "Bei MBG beträgt der Verlust heute 4,09 %.", "4,09 %"),
    ("retire", "Your gold exposure (GLD and IAU) is worth $30,244.10, 8.72% of the portfolio.", "$30,244.10"),
    ("retire", "Your gold exposure (GLD and IAU) is worth $30,244.10, 8.72% of the portfolio.", "8.72%"),
    ("retire", _BONDS, "$73,439.10"),
    ("retire", _BONDS, "21.18%"),
])
def test_true_figures_ground(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found


@pytest.mark.parametrize(("text", "marker"), [
    ("Both GLD and IAU are worth $30,244.10.", "$30,244.10"),  # each, not the two together
    ("GLD and IAU rose this week, but VOO is worth $30,244.10.", "$30,244.10"),  # a holding named after the list
    ("BND and AGG are worth $73,439.10 together.", "$73,439.10"),  # two of the Bonds sector's three
])
def test_listed_holdings_are_a_group_only_when_they_are_all_of_it(text: str, marker: str) -> None:
    grounded, found = _verdict("retire", text, marker)
    assert not grounded, found
