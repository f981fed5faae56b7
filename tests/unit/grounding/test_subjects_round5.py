"""A third auditor's round: 39 false statements were GROUNDED to another fact of equal value. Now flagged:

- a held ticker written as a word ("Meta fell 2.03%" when 2.03% is GOOGL's day: "Meta" named nothing);
- a company not held mapped through another listing's symbol (Verizon's Frankfurt "BAC.F" as BAC, Tesco's "TSCO.L"
  as Tractor Supply's TSCO, Axa's mislabelled "OTCMKTS:AXP" as American Express);
- a company's name before a clause that names nothing ("Apple, meanwhile, fell 2.84%", "The weakest name was Apple,
  down 2.84%", "Apple: -2.84% today", "Apple did worst today (-2.84%)");
- shares of a company grounded by another holding's quantity ("You own 5 shares of Apple" as MSFT's 5);
- a table's Total row grounded by a row's fact (a Total of $2,500.00 with no cash row was the cash);
- "Your 2 Energy names, CVX and XOM, are worth $777 and $640 respectively" (the count counted among the figures);
- "Tiene 6 posiciones, 3 de ellas en energía" (the 3 unread), "Over the last 5 days, NVDA fell 2.64%" (the day's).
"""

from __future__ import annotations

import copy

import pytest

from stack_cfo.core.grounding import Facts, GroundingStatus, check, facts_from_data
from tests.unit.grounding.test_subjects_and_wording import BLOCK, FACTS
from tests.unit.grounding.test_subjects_round2 import SIX


def _position(symbol: str, qty: str, value: str, weight: float, r1d: float, sector: str) -> dict[str, object]:
    return {"symbol": symbol, "quantity": qty, "market_value": value, "weight": weight, "return_1d": r1d,
            "sector": sector}


def _facts(*positions: dict[str, object]) -> Facts:
    block = copy.deepcopy(BLOCK)
    block["positions"] = list(positions)
    block["position_count"] = len(positions)
    return facts_from_data(block, currency="USD")


BIG = _facts(
    _position("AAPL", "10", "1977.90", 0.15, -0.0277, "Information Technology"),
    _position("GOOGL", "9", "1530.00", 0.1161, -0.0203, "Communication Services"),
    _position("META", "3", "1530.00", 0.1161, 0.0053, "Communication Services"),
    _position("MA", "4", "1880.00", 0.1427, -0.0284, "Financials"),
    _position("V", "6", "1650.00", 0.1252, 0.0118, "Financials"),
)
OTHERS = _facts(
    _position("BAC", "5", "500.00", 0.05, -0.0121, "Financials"),
    _position("TSCO", "3", "300.00", 0.03, 0.0171, "Consumer Discretionary"),
    _position("AXP", "2", "400.00", 0.04, 0.0044, "Financials"),
)


def _cited(text: str, facts: Facts) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, facts).checks]


FALSE = [
    ("Meta fell 2.03% today.", BIG),
    ("Meta fell 2.77% today.", BIG),
    ("Meta is worth $1,977.90.", BIG),
    ("Verizon fell 1.21% today.", OTHERS),
    ("You hold Verizon at $500.00.", OTHERS),
    ("Tesco rose 1.71% today.", OTHERS),
    ("Axa rose 0.44% today.", OTHERS),
    ("Apple, meanwhile, fell 2.84% today.", FACTS),
    ("Apple did worst today (-2.84%).", FACTS),
    ("The weakest name was Apple, down 2.84%.", FACTS),
    ("Apple: -2.84% today", FACTS),
    ("- Apple: $2,046.65", FACTS),
    ("Visa did best today (-2.84%).", BIG),
    ("You own 5 shares of Apple.", FACTS),
    ("You own 20 shares of Microsoft.", FACTS),
    ("You own 10 Mastercard shares.", BIG),
    ("| Holding | Value |\n|---|---|\n| NVDA | $2,960.60 |\n| MSFT | $2,046.65 |\n| Total | $2,500.00 |", FACTS),
    ("| Holding | Value |\n|---|---|\n| NVDA | $2,960.60 |\n| Total | $1,977.90 |", FACTS),
    ("Your 2 Energy names, CVX and XOM, are worth $777.00 and $640.00 respectively.", SIX),
    ("Tiene 6 posiciones, 3 de ellas en Energy.", SIX),
    ("Over the last 5 days, NVDA fell 2.64%.", FACTS),
    ("In the past 30 days, your portfolio fell 1.8%.", FACTS),
]


@pytest.mark.parametrize(("text", "facts"), FALSE)
def test_false_statements_are_flagged(text: str, facts: Facts) -> None:
    assert check(text, facts).status is GroundingStatus.UNGROUNDED, _cited(text, facts)


TRUE = [
    ("Meta rose 0.53% today.", BIG, "positions[META].return_1d"),
    ("Apple, meanwhile, fell 2.77% today.", FACTS, "positions[AAPL].return_1d"),
    ("The weakest name was Apple, down 2.77%.", FACTS, "positions[AAPL].return_1d"),
    ("Apple: -2.77% today", FACTS, "positions[AAPL].return_1d"),
    ("You own 10 shares of Apple.", FACTS, "positions[AAPL].quantity"),
    ("You own 4 Mastercard shares.", BIG, "positions[MA].quantity"),
    ("| Holding | Value |\n|---|---|\n| NVDA | $2,960.60 |\n| MSFT | $2,046.65 |\n| AAPL | $1,977.90 |\n"
     "| Total | $6,985.15 |", FACTS, "invested_value"),
    ("Your 2 Energy names, XOM and CVX, are worth $777.00 and $640.00 respectively.", SIX,
     "positions[CVX].market_value"),
    ("Over the last 5 days, your portfolio fell 1.8%.", FACTS, "performance.return_1w"),
]


@pytest.mark.parametrize(("text", "facts", "path"), TRUE)
def test_true_statements_stay_grounded(text: str, facts: Facts, path: str) -> None:
    assert check(text, facts).status is GroundingStatus.GROUNDED, _cited(text, facts)
    assert _cited(text, facts)[-1][1] == path
