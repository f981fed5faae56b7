"""A figure for a metric the core could not compute is ungrounded, whatever other fact it equals; metric names
of several words (and of other locales) restrict a figure like the one-word ones; a confidence level before
"value at risk" is no figure; after a hedge one trailing zero is not significant."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data
from stack_cfo.core.portfolio import (
    AnalyticsSettings,
    Metric,
    PortfolioInputs,
    compute_summary,
    summary_document,
    write_narrative,
)
from tests.unit.portfolio.factories import (
    after_close,
    normal_returns,
    position,
    prices_from_returns,
    series,
    snapshot,
    weekdays,
)

_IH = "unavailable (INSUFFICIENT_HISTORY)"
# The chat data block of a young portfolio: the annualised figures are reasons (strings), not facts.
YOUNG = facts_from_data(
    {
        "base_currency": "USD",
        "total_value": "10917.12",
        "risk": {
            "observations": 12,
            "time_weighted_return": 0.1195,
            "beta": 0.58,
            "var_95": -0.0049,
            "cvar_95": -0.005,
            "max_drawdown": -0.031,
            "volatility": _IH,
            "sharpe": _IH,
            "sortino": _IH,
            "cagr": _IH,
            "calmar": _IH,
            "alpha": _IH,
        },
        "diversification": {"score": 9},
    }
)


def cited(text: str) -> list[str | None]:
    return [c.fact_path for c in check(text, YOUNG).checks]


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("Your Sharpe ratio is 0.58.", [None]),  # not risk.beta
        ("Your annualised volatility is 12.0%.", [None]),  # not the TWR
        ("Your Sortino ratio is 9.0 and your CAGR is 12.0%.", [None, None]),  # not the score, not the TWR
        ("Your Calmar ratio is 0.58 and your alpha 12.0%.", [None, None]),
        ("Ihre Sharpe-Ratio beträgt 0,58.", [None]),
        ("Die annualisierte Volatilität beträgt 12,0 %.", [None]),
        ("La volatilité annualisée est de 12,0 %.", [None]),
        ("La volatilidad anualizada es del 12,0 %.", [None]),
        ("TCAM 12,0 %", [None]),
        # the metrics it has still ground, and so does a figure after the word that says one is missing
        ("Your beta is 0.58 and your TWR is 11.95%.", ["risk.beta", "risk.time_weighted_return"]),
        ("Sharpe is unavailable, TWR 11.95%.", ["risk.time_weighted_return"]),
        ("Sharpe n/a, beta 0.58", ["risk.beta"]),
    ],
)
def test_a_figure_for_a_metric_without_a_fact_is_ungrounded(text: str, paths: list[str | None]) -> None:
    assert cited(text) == paths


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("Your 95% value at risk is 12.0%.", [None]),
        ("Your standard deviation of returns is 12.0%.", [None]),
        ("Your 1-day 95% value at risk is -0.50%.", [None]),  # VaR is -0.49 %; -0.50 % is the CVaR
        ("Your one-day 95% value at risk is -0.49%.", ["risk.var_95"]),
        ("Your value at risk is 0.49%.", ["risk.var_95"]),  # a loss label: either sign
        ("Your 95% Value-at-Risk is -0.49%.", ["risk.var_95"]),
        ("Your conditional value at risk is -0.49%.", [None]),
        ("Your 95% expected shortfall is -0.50%.", ["risk.cvar_95"]),
        ("Su valor en riesgo es -0,50 %.", [None]),
        ("Votre valeur à risque est de -0,49 %.", ["risk.var_95"]),
        ("CVaR à 95 % à un jour (perte moyenne attendue) -0,49 %", [None]),
        ("perte maximale 12,0 %", [None]),
        ("Caída máxima -3,1 %", ["risk.max_drawdown"]),
    ],
)
def test_metric_names_of_several_words_restrict_the_match(text: str, paths: list[str | None]) -> None:
    assert cited(text) == paths


@pytest.mark.parametrize(
    "text",
    [
        "one-day 95% value at risk",
        "95% expected shortfall",
        "95 % Value-at-Risk",
        "99% conditional value at risk",
        "95 % valor en riesgo",
        "95 % valeur à risque",
    ],
)
def test_a_confidence_level_before_a_spelled_out_var_is_no_figure(text: str) -> None:
    assert extract_figures(f"Your {text} is -0.49%.")[0].raw == "-0.49%"
    assert len(extract_figures(f"Your {text} is -0.49%.")) == 1


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("about $10,920", True),
        ("roughly $10,920", True),
        ("about $10,900", True),
        ("about $10,930", False),
        ("$10,920", False),
        ("about $10,910", False),
    ],
)
def test_after_a_hedge_one_trailing_zero_is_not_significant(text: str, ok: bool) -> None:
    result = check(f"Your portfolio is worth {text}.", YOUNG)
    assert [c.grounded for c in result.checks] == [ok]
    assert extract_figures("about $10,920")[0].unit == 10


def test_the_deterministic_narrative_cites_value_at_risk_to_the_var() -> None:
    """The text "1-day 95% value at risk -0.5%" is the VaR (-0.49) of the data block, not the CVaR (-0.50) that equals
    the shown value."""
    days = weekdays(date(2023, 1, 2), 60)
    n = len(days) - 1
    inputs = PortfolioInputs(
        holdings=(snapshot(days[0], [position("NVDA", 10, "100", sector="Technology")], cash="1000"),),
        prices={
            "NVDA": series("NVDA", days, prices_from_returns(100, normal_returns(n, seed=21, mu=0.001))),
            "SPY": series("SPY", days, prices_from_returns(400, normal_returns(n, seed=23))),
        },
    )
    s = compute_summary(inputs, as_of=after_close(days[-1]), settings=AnalyticsSettings())
    s = replace(s, risk=replace(s.risk, var_95=Metric(-0.0049), cvar_95=Metric(-0.005)))
    text = write_narrative(s)
    assert "1-day 95% value at risk -0.5%" in text
    result = check(text, facts_from_data(summary_document(s), currency=s.base_currency))
    assert result.status is GroundingStatus.GROUNDED, [f.raw for f in result.ungrounded]
    by_raw = {c.figure.raw: c.fact_path for c in result.checks}
    assert by_raw["-0.5%"] == "risk.var_95_1d_percent"
    assert "95%" not in by_raw  # the confidence level is no figure


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        # "available", "missing", "unknown" that do not say the metric is missing: still its figure (was risk.beta)
        ("Sharpe ratio on the available history is 0.58.", [None]),
        ("Your Sharpe ratio, with missing days left out, is 0.58.", [None]),
        ("Sharpe ratio, where available, is 0.58.", [None]),
        ("Your Sharpe ratio (benchmark unknown) is 0.58.", [None]),
        ("Die Sharpe-Ratio, soweit verfügbar, beträgt 0,58.", [None]),
        ("La volatilidad, con la historia disponible, es del 12,0 %.", [None]),
        # words that do say so, or a subject of its own nearer the figure
        ("There is no Sharpe ratio yet, and your time-weighted return is 11.95%.", ["risk.time_weighted_return"]),
        ("The Sharpe ratio cannot be computed yet, but TWR is 11.95%.", ["risk.time_weighted_return"]),
        ("Sharpe not available, you are up 11.95%.", ["risk.time_weighted_return"]),
        ("Your Sharpe ratio is unknown, so your beta of 0.58 matters more.", ["risk.beta"]),
        ("Die Sharpe-Ratio ist nicht verfügbar, die Rendite beträgt 11,95 %.", ["risk.time_weighted_return"]),
    ],
)
def test_only_words_that_say_the_metric_is_missing_lift_its_restriction(text: str, paths: list[str | None]) -> None:
    assert cited(text) == paths


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        # a metric word earlier in the clause is not the subject of a figure with a nearer one (the old code grounded
        # these, f7ee90e made them ungrounded)
        ("Despite low volatility, your portfolio returned 11.95%.", ["risk.time_weighted_return"]),
        ("Volatility aside, your portfolio returned 11.95%.", ["risk.time_weighted_return"]),
        ("Despite low volatility, your time-weighted return is 11.95%.", ["risk.time_weighted_return"]),
        ("Despite low volatility, your portfolio is up 11.95%.", ["risk.time_weighted_return"]),
        ("Trotz geringer Volatilität beträgt Ihre Rendite 11,95 %.", ["risk.time_weighted_return"]),
        # the metric right before the verb or noun is still the subject
        ("Your annualised volatility rose to 11.95%.", [None]),
        ("Your volatility has risen sharply, to 11.95%.", [None]),
        ("Sharpe ratio value: 0.58", [None]),
        ("Your standard deviation of daily returns is 11.95%.", [None]),
    ],
)
def test_a_metric_word_restricts_only_the_figure_it_is_the_subject_of(text: str, paths: list[str | None]) -> None:
    assert cited(text) == paths
