"""A re-verifier's round on the company, bracket, pronoun and period rules: none of these false statements may be
grounded, and their true twins are.

Each was GROUNDED to another fact of equal value before: a company named by a spelling-alike ticker ("Mastercard"
as MSFT, "AppLovin" as AAPL, "Adobe" as AMD), a company named without a verb after it ("Apple stock", "You hold
Apple at", "Die Apple-Aktie"), a name inside brackets taken for the subject before them ("NVDA (ahead of MSFT)"),
nested and square brackets, a sentence whose first name is not its subject ("Compared with MSFT, NVDA fell"),
pronouns across a paragraph, through a sentence about a pronoun, "This", "They", "Es", "Er", "Sie", and period words
("this week", "last week", "in the last 7 days", "yesterday") citing a change over another span (the local or
money-weighted return, the day's return).
"""

from __future__ import annotations

import copy

import pytest

from stack_cfo.core.grounding import Facts, GroundingStatus, check, facts_from_data
from tests.unit.grounding.test_subjects_and_wording import BLOCK, FACTS


def _holding(symbol: str, value: str, weight: float, r1d: float) -> dict[str, object]:
    return {"symbol": symbol, "quantity": "6", "market_value": value, "weight": weight, "sector": "Tech",
            "return_1d": r1d}


def _amz() -> Facts:
    block = copy.deepcopy(BLOCK)
    block["positions"] = [p for p in block["positions"] if p["symbol"] != "NVDA"]  # type: ignore[index]
    block["positions"] += [_holding("AMZN", "1500.00", 0.1581, -0.0131),  # type: ignore[operator]
                           _holding("AMD", "1460.60", 0.154, 0.0412)]
    return facts_from_data(block, currency="USD")


AMZ = _amz()


def _cited(text: str, facts: Facts) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, facts).checks]


FALSE = [
    # a company's name: the table of listed companies, not the spelling
    ("Mastercard fell 2.84% today.", FACTS),
    ("MicroStrategy fell 2.84% today.", FACTS),
    ("Mastercard makes up 21.58% of your portfolio.", FACTS),
    ("AppLovin fell 2.77% today.", FACTS),
    ("Amphenol fell 2.77% today.", FACTS),
    ("Novartis fell 2.64% today.", FACTS),
    ("Adobe rose 4.12% today.", AMZ),
    ("Amgen fell 1.31% today.", AMZ),
    # named without a verb right after it
    ("You hold Apple at 21.58% of your portfolio.", FACTS),
    ("You hold Tesla at 31.21% of your portfolio.", FACTS),
    ("Your Tesla position is worth $2,960.60.", FACTS),
    ("Apple stock fell 2.84% today.", FACTS),
    ("Apple shares fell 2.84% today.", FACTS),
    ("Apple Inc. fell 2.84% today.", FACTS),
    ("The Apple stake is worth $2,046.65.", FACTS),
    ("Die Apple-Aktie fiel heute um 2,84 %.", FACTS),
    ("Apple a baissé de 2,84 % aujourd'hui.", FACTS),
    ("L'action Apple a baissé de 2,84 % aujourd'hui.", FACTS),
    ("Tesla a progressé de 0,53 % aujourd'hui.", FACTS),
    ("Apple es el 21,58 % de su cartera.", FACTS),
    ("El peso de Apple es del 21,58 %.", FACTS),
    # brackets
    ("NVDA (ahead of MSFT) fell 2.84% today.", FACTS),
    ("Your portfolio (mostly NVDA) fell 2.64% today.", FACTS),
    ("Cash (MSFT) is 21.58%.", FACTS),
    ("Cash ($2,500 (26.4%)) is worth 31.2% of your portfolio.", FACTS),
    ("Cash [$2,500] makes up 31.2%.", FACTS),
    ("Your second holding (Apple) fell 2.84% today.", FACTS),
    # pronouns
    ("Compared with MSFT, NVDA fell 2.64% today. It now makes up 21.58%.", FACTS),
    ("NVDA fell 2.64% today. It is your largest holding. It now makes up 21.58%.", FACTS),
    ("NVDA fell 2.64% today.\n\nIt makes up 21.58%.", FACTS),
    ("Tesla is popular. It rose 0.53% today.", FACTS),
    ("NVDA fell 2.64% today. This is 21.58% of your portfolio.", FACTS),
    ("MSFT and NVDA fell. They make up 21.58%.", FACTS),
    ("NVDA fiel heute um 2,64 %. Es macht jetzt 21,58 % aus.", FACTS),
    ("Die NVDA-Aktie fiel heute um 2,64 %. Sie macht jetzt 21,58 % aus.", FACTS),
    ("Ihr Depot fiel heute um 2,03 %. Es ist 2.960,60 $ wert.", FACTS),
    ("Ihr Depot fiel heute um 2,03 %. Er ist 2.960,60 $ wert.", FACTS),
    # periods
    ("Your portfolio returned 9.02% this week.", FACTS),  # the local return (since cost)
    ("Your portfolio returned 9.02% today.", FACTS),
    ("Your portfolio is up 9.02% this year.", FACTS),
    ("Your portfolio returned 29.23% this week.", FACTS),  # the money-weighted return
    ("Last week your portfolio fell 2.03%.", FACTS),  # the day's
    ("Your portfolio fell 2.03% in the last 7 days.", FACTS),
    ("Letzte Woche ist Ihr Depot um 2,03 % gefallen.", FACTS),
    ("La semaine dernière, votre portefeuille a baissé de 2,03 %.", FACTS),
    ("La semana pasada su cartera bajó un 2,03 %.", FACTS),
    ("Yesterday your portfolio fell 1.8%.", FACTS),  # the week's
    ("Gestern ist Ihr Depot um 1,8 % gefallen.", FACTS),
    ("Ayer su cartera bajó un 1,8 %.", FACTS),
]


@pytest.mark.parametrize(("text", "facts"), FALSE)
def test_false_statements_are_flagged(text: str, facts: Facts) -> None:
    assert check(text, facts).status is GroundingStatus.UNGROUNDED, _cited(text, facts)


TRUE = [
    ("Apple fell 2.77% today.", FACTS, "positions[AAPL].return_1d"),
    ("Apple stock fell 2.77% today.", FACTS, "positions[AAPL].return_1d"),
    ("Apple Inc. fell 2.77% today.", FACTS, "positions[AAPL].return_1d"),
    ("You hold Apple at 20.85% of your portfolio.", FACTS, "positions[AAPL].weight"),
    ("Die Apple-Aktie fiel heute um 2,77 %.", FACTS, "positions[AAPL].return_1d"),
    ("Amazon fell 1.31% today.", AMZ, "positions[AMZN].return_1d"),
    ("NVDA (ahead of MSFT) fell 2.64% today.", FACTS, "positions[NVDA].return_1d"),
    ("Your portfolio (mostly NVDA) fell 2.03% today.", FACTS, "performance.return_1d"),
    ("Your largest holding (NVDA) fell 2.64% today.", FACTS, "positions[NVDA].return_1d"),
    ("Your second holding (Apple) fell 2.77% today.", FACTS, "positions[AAPL].return_1d"),
    ("Compared with MSFT, NVDA fell 2.64% today. It now makes up 31.21%.", FACTS, "positions[NVDA].weight"),
    ("NVDA fell 2.64% today. It is your largest holding. It now makes up 31.21%.", FACTS, "positions[NVDA].weight"),
    ("NVDA fell 2.64% today. This is 31.21% of your portfolio.", FACTS, "positions[NVDA].weight"),
    ("NVDA fiel heute um 2,64 %. Es macht jetzt 31,21 % aus.", FACTS, "positions[NVDA].weight"),
    ("Your portfolio fell 1.8% in the last 7 days.", FACTS, "performance.return_1w"),
    ("Last week your portfolio fell 1.8%.", FACTS, "performance.return_1w"),
    ("The benchmark gained 0.77% this week versus your -1.8%.", FACTS, "performance.return_1w"),
]


@pytest.mark.parametrize(("text", "facts", "path"), TRUE)
def test_true_statements_stay_grounded(text: str, facts: Facts, path: str) -> None:
    assert check(text, facts).status is GroundingStatus.GROUNDED, _cited(text, facts)
    assert _cited(text, facts)[-1][1] == path
