"""Insight messages in the user's language, written from the insight's code and numbers."""

from __future__ import annotations

import pytest

from stack_cfo.core.i18n import localizer
from stack_cfo.core.portfolio.insight_texts import insight_text
from stack_cfo.core.portfolio.results import Insight, Severity

NBSP = "\u00a0"
CONCENTRATION = Insight(
    code="POSITION_CONCENTRATION",
    severity=Severity.WARNING,
    message="NVDA is 31.2% of your invested portfolio, above the 25.0% guideline.",
    numbers={"weight": "0.312000", "threshold": "0.250000"},
    subject="NVDA",
)
LAGGING = Insight(
    code="BASKET_LAGGING_BENCHMARK",
    severity=Severity.INFO,
    message="Your Tech basket is -3.2% this week vs SPY +1.0% (4.2 points behind).",
    numbers={"week_return": "-0.032400", "benchmark_week_return": "0.010000", "difference": "-0.042400",
             "threshold": "0.020000"},
    subject="Tech",
)
RATES = Insight(
    code="MISSING_EXCHANGE_RATE",
    severity=Severity.WARNING,
    message="No exchange rate recorded for CHF, JPY; money in them is left out where a rate is missing.",
    numbers={"count": "2", "currencies": "CHF,JPY"},
)


@pytest.mark.parametrize(
    ("insight", "tag", "expected"),
    [
        (CONCENTRATION, "en", CONCENTRATION.message),
        (CONCENTRATION, "de", f"NVDA macht 31,2{NBSP}% Ihres investierten Portfolios aus, über der Richtgröße von "
                              f"25,0{NBSP}%."),
        (CONCENTRATION, "zh", "NVDA 占您已投资组合的 31.2%,高于 25.0% 的参考上限。"),
        (LAGGING, "fr", f"Votre panier Tech est à -3,2{NBSP}% cette semaine contre SPY +1,0{NBSP}% "
                        "(en retard de 4,2 points de pourcentage)."),
        (LAGGING, "es", f"Tu cesta Tech va -3,2{NBSP}% esta semana frente a SPY +1,0{NBSP}% "
                        "(con un retraso de 4,2 puntos porcentuales)."),
        (RATES, "de", "Keine Wechselkurse für CHF und JPY erfasst; Beträge in diesen Währungen bleiben ohne Kurs "
                      "außen vor."),
        (RATES, "xx-YY", RATES.message),
    ],
)
def test_insights_in_each_language(insight: Insight, tag: str, expected: str) -> None:
    assert insight_text(insight, localizer(tag), benchmark="SPY") == expected


def test_an_unknown_code_keeps_the_engines_message() -> None:
    odd = Insight(code="SOMETHING_NEW", severity=Severity.INFO, message="As written.", numbers={})
    assert insight_text(odd, localizer("de")) == "As written."
