"""A word of time limits a figure to facts of its period (a re-verifier's round after d6f6e10): "NVDA fell 1.95%
today" cited NVDA's week, "Your portfolio lost $173.85 today" the week's change, "SPY rose 1.46% this week" SPY's
month, each rendered as verified. today / heute / aujourd'hui / hoy is ``_1d``, this week ``_1w``, this month
``_1m``, this year / year to date ``_ytd``; facts of no period are not limited, nor figures with no word of time.
Also: Spanish "son efectivo" is the cash."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data

_SNAP = {
    "total_value": "9485.15", "invested_value": "6985.15", "cash": {"value": "2500.00", "weight": 0.2636},
    "performance": {"change_1d": "-196.60", "change_1m": "-8.95", "change_1w": "-173.85", "return_1d": -0.0203,
                    "return_1m": -0.0009, "return_1w": -0.018},
    "benchmark": {"return_1d": 0.0053, "return_1m": 0.0146, "return_1w": 0.0077, "symbol": "SPY"},
    "position_count": 3,
    "positions": [
        {"symbol": "NVDA", "market_value": "2960.60", "weight": 0.3121, "return_1d": -0.0264, "return_1w": -0.0195,
         "return_1m": 0.0187, "sector": "Information Technology", "quantity": "20"},
        {"symbol": "MSFT", "market_value": "2046.65", "weight": 0.2158, "return_1d": -0.0284, "return_1w": -0.0297,
         "return_1m": -0.0232, "sector": "Information Technology", "quantity": "5"},
        {"symbol": "AAPL", "market_value": "1977.90", "weight": 0.2085, "return_1d": -0.0277, "return_1w": -0.0258,
         "return_1m": -0.0074, "sector": "Information Technology", "quantity": "10"},
    ],
}
FACTS = facts_from_data(_SNAP, currency="USD")


@pytest.mark.parametrize("text", [
    "NVDA fell 1.95% today.",
    "Your portfolio fell 1.80% today.",
    "Your portfolio lost $173.85 today.",
    "SPY rose 1.46% this week.",
    "NVDA gained 1.87% this week.",
    "The S&P 500 gained 0.77% today.",
    "Heute ist NVDA um 1,95 % gefallen.",
    "NVDA a baissé de 1,95 % aujourd'hui.",
    "NVDA bajó un 1,95 % hoy.",
    "Over the past month your portfolio lost $173.85.",
    "Su cartera vale 9.485,15 $, de los cuales 2.960,60 $ son efectivo.",
])
def test_a_figure_of_another_period_is_flagged(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED, [(c.figure.raw, c.fact_path) for c in result.checks]


@pytest.mark.parametrize(("text", "paths"), [
    ("NVDA fell 2.64% today.", ["positions[NVDA].return_1d"]),
    ("NVDA fell 1.95% this week.", ["positions[NVDA].return_1w"]),
    ("This week NVDA fell 1.95%.", ["positions[NVDA].return_1w"]),
    ("NVDA gained 1.87% this month.", ["positions[NVDA].return_1m"]),
    ("SPY rose 0.77% this week.", ["benchmark.return_1w"]),
    ("Your portfolio lost $173.85 this week.", ["performance.change_1w"]),
    ("Your portfolio lost $196.60 today, while SPY rose 1.46% this month.",
     ["performance.change_1d", "benchmark.return_1m"]),
    ("Ihr Depot verlor heute 2,03 %.", ["performance.return_1d"]),
    ("Votre portefeuille a baissé de 1,80 % cette semaine.", ["performance.return_1w"]),
    ("Su cartera bajó un 1,80 % esta semana.", ["performance.return_1w"]),
    # no word of time: any period, as before
    ("NVDA fell 1.95%.", ["positions[NVDA].return_1w"]),
    # a fact of no period is not limited by one
    ("Today your portfolio is worth $9,485.15.", ["total_value"]),
    ("Su cartera vale 9.485,15 $, de los cuales 2.500 $ son efectivo.", ["total_value", "cash.value"]),
])
def test_a_figure_of_its_own_period_is_grounded(text: str, paths: list[str]) -> None:
    result = check(text, FACTS)
    assert [c.fact_path for c in result.checks] == paths, [(c.figure.raw, c.fact_path) for c in result.checks]
    assert result.status is GroundingStatus.GROUNDED


def test_the_period_is_the_word_of_time_after_the_figure_in_its_clause_else_the_nearest_before() -> None:
    figs = extract_figures("Today NVDA fell 2.64%, and this week 1.95%. Over the month: 1.87%.")
    assert [(f.raw, f.period) for f in figs] == [("2.64%", "1d"), ("1.95%", "1w"), ("1.87%", "1m")]
    figs = extract_figures("NVDA fell 1.95% this week; MSFT 2.84% today.")
    assert [(f.raw, f.period) for f in figs] == [("1.95%", "1w"), ("2.84%", "1d")]
