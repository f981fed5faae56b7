"""Round 12: a second fresh audit (three new portfolios: a CHF investor with EUR and USD names, a 30-name USD growth
portfolio with user baskets, a EUR couple's ETFs with monthly deposits; 63 true answers, 52 with one wrong figure):
false grounds 5 -> 1 of 52.

- A sentence may end with its full stop inside emphasis or a quote ("**Good evening.** Your portfolio rose 0.16%
  today"): the greeting is no part of the next sentence, whose subject stays the portfolio.
- Italian and Portuguese words of the portfolio, its cash, its worth and shares of it ("portafoglio", "liquidità",
  "vale", "rappresenta il 7,94 % del portafoglio", "carteira").
- A VaR's confidence level in the words before its figure ("El VaR diario al 95 % es del 0,54 %", "The VaR at 95% is")
  no longer cuts the figure's clause (the VaR was lost); words of time between a verb and its figure are skipped
  with their preposition ("Der SMI verlor im selben Zeitraum 0,52 %" kept its minus).
- A distance below a peak is a drawdown, the current one when the clause says now ("You're currently 4.54% below
  your peak" cited the maximum drawdown).
- A clause that addresses the reader and names nothing ("Your year-to-date return is 18.55%", "You gained €71.40
  today", "Overall, you're up 0.2% today") is about the whole portfolio, not any holding whose figure is equal; one
  that speaks of holdings ("your largest position", "You hold 10 IWDA") is not.
"""

from __future__ import annotations

import pytest

from tests.unit.grounding.rounds import blocks, verdict

BLOCKS = blocks("round12", "swiss", "growth", "couple")


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker)


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("couple", "**Good evening.** Your portfolio rose 0.16% today (+€145.50) to €105,559.60.", "0.16%"),
    ("couple", "**Good evening.** Your portfolio rose 0.13% this week.", "0.13%"),
    ("couple", "*Good evening.* Your portfolio fell 0.32% today.", "0.32%"),
    ("couple", "**Good evening.** Your portfolio is worth €96,759.60.", "€96,759.60"),
    ("couple", 'He said "good evening." Your portfolio rose 0.16% today.', "0.16%"),
    ("growth", "**Alert.** Your portfolio fell 4.1% today.", "4.1%"),
    ("couple", "**Bonsoir.** Votre portefeuille a progressé de 0,16 % aujourd'hui.", "0,16 %"),
    ("swiss", "Il tuo portafoglio vale 59.772,34 CHF in totale, liquidità inclusa.", "59.772,34 CHF"),
    ("couple", "La liquidità rappresenta il 7,94 % del portafoglio (8.800 €).", "7,94 %"),
    ("couple", "Il tuo portafoglio vale 6.708,00 €.", "6.708,00 €"),
    ("couple", "Your unrealised gain is €8,301.30 across the portfolio.", "€8,301.30"),
    ("couple", "Your year-to-date return is 18.55%.", "18.55%"),
    ("couple", "Your weekly loss was €793.80.", "€793.80"),
    ("couple", "You gained €71.40 today.", "€71.40"),
    ("couple", "Overall, you're up 0.2% today.", "0.2%"),
    ("couple", "The VaR at 95% is 0.73%.", "0.73%"),
    ("couple", "You're currently 4.54% below your peak; the Sharpe ratio is 1.19.", "4.54%"),
    ("swiss", "Der SMI stieg im selben Zeitraum um 0,52 %.", "0,52 %"),
])
def test_wrong_figures_are_flagged(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("couple", "**Good evening.** Your portfolio rose 0.14% today (+€145.50).", "0.14%"),
    ("couple", "**Good evening.** Your portfolio is worth €105,559.60.", "€105,559.60"),
    ("couple", "Il tuo portafoglio vale 105.559,60 € in totale, liquidità inclusa.", "105.559,60 €"),
    ("couple", "La liquidità rappresenta l'8,34 % del portafoglio (8.800 €).", "8,34 %"),
    ("couple", "Your year-to-date return is 8.19%.", "8.19%"),
    ("couple", "You gained €145.50 today.", "€145.50"),
    ("couple", "Your largest position is IWDA at 33.39% of the portfolio.", "33.39%"),
    ("couple", "Your largest position makes up 33.39% of the portfolio.", "33.39%"),
    ("couple", "You made €71.40 on IWDA today.", "€71.40"),
    ("couple", "Your Sharpe ratio is 1.19.", "1.19"),
    ("couple", "El VaR diario al 95 % es del 0,54 %.", "0,54 %"),
    ("couple", "La VaR à 95 % est de 0,54 % par jour.", "0,54 %"),
    ("couple", "Il VaR giornaliero al 95% è dello 0,54%.", "0,54%"),
    ("couple", "The VaR at 95% is 0.54%.", "0.54%"),
    ("couple", "Your VaR at the 95% level is 0.54%.", "0.54%"),
    ("swiss", "Der SMI verlor im selben Zeitraum 0,52 %.", "0,52 %"),
    ("swiss", "Le SMI a perdu sur la même période 0,52 %.", "0,52 %"),
    ("couple", "You're currently 1.71% below your peak.", "1.71%"),
    ("couple", "At the worst point you were 4.54% below your peak.", "4.54%"),
])
def test_true_figures_ground(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded, found
