"""A figure is tied only to a fact of what its clause names: the portfolio, its cash, a benchmark or a holding; and
localised percent words, direction words apart from their figure and German thousands are read.

An auditor's cases (portfolio AAPL 10 / MSFT 5 / NVDA 20, all Information Technology, cash $2,500, total $9,485.15):
- false statements were GROUNDED to a holding's fact of equal value, which a client underlines as verified: "Cash is
  31.2% of your portfolio" (NVDA's weight), "Your portfolio is worth $2,960.60" (NVDA's value), "Your total portfolio
  value is $2,500" (the cash), "Your portfolio fell 2.64% today" (NVDA's day), "SPY fell 2.03% today" (the
  portfolio's day), "NVDA changed 0% today" (the currency effect of the ledger);
- true statements were flagged: "NVDA macht 31,2 Prozent aus" (a plain number), "Ihr Portfolio ist heute um 2,03 %
  gefallen" and "Your portfolio fell today by 2.03%" (read as a rise), "Ihr Depot ist rund 9.500 USD wert" (9.5).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import FigureKind, GroundingStatus, check, extract_figures, facts_from_data


def _position(symbol: str, qty: str, price: str, value: str, weight: float, invested: float, pnl: str, ret: float,
              r1d: float, c1d: str) -> dict[str, object]:
    return {"symbol": symbol, "quantity": qty, "last_price": price, "market_value": value, "weight": weight,
            "invested_weight": invested, "unrealized_pnl": pnl, "unrealized_return": ret, "return_1d": r1d,
            "change_1d": c1d, "sector": "Information Technology"}


# the chat data block of the auditor's portfolio, as the core writes it (fewer periods)
BLOCK = {
    "base_currency": "USD", "total_value": "9485.15", "invested_value": "6985.15",
    "cash": {"value": "2500.00", "weight": 0.2636},
    "unrealized_pnl": "1985.15", "unrealized_return": 0.397,
    "performance": {"return_1d": -0.0203, "change_1d": "-196.60", "excess_return_1d": -0.0256, "return_1w": -0.018,
                    "change_1w": "-173.85", "excess_return_1w": -0.0257},
    "benchmark": {"symbol": "SPY", "return_1d": 0.0053, "return_1w": 0.0077},
    "position_count": 3,
    "positions": [
        _position("NVDA", "20", "148.03", "2960.60", 0.3121, 0.4238, "960.60", 0.4803, -0.0264, "-80.40"),
        _position("MSFT", "5", "409.33", "2046.65", 0.2158, 0.293, "546.65", 0.3644, -0.0284, "-59.90"),
        _position("AAPL", "10", "197.79", "1977.90", 0.2085, 0.2832, "477.90", 0.3186, -0.0277, "-56.30"),
    ],
    "sectors": [
        {"name": "Information Technology", "market_value": "6985.15", "weight": 0.7364, "invested_weight": 1.0,
         "position_count": 3, "unrealized_pnl": "1985.15", "unrealized_return": 0.397, "return_1d": -0.0274,
         "change_1d": "-196.60", "excess_return_1d": -0.0327,
         "positions": [{"symbol": "NVDA", "return_contribution_1d": -0.0112},
                       {"symbol": "MSFT", "return_contribution_1d": -0.0083},
                       {"symbol": "AAPL", "return_contribution_1d": -0.0078}]},
    ],
    "risk": {"observations": 89, "beta": -0.0295, "sharpe": 1.0441, "current_drawdown": -0.0203,
             "max_drawdown": -0.0266, "time_weighted_return": 0.0902, "volatility": 0.2435},
    "ledger": {"money_weighted_return": 0.2923, "local_return": 0.0902, "currency_effect_return": 0.0},
    "diversification": {"score": 6.0, "effective_position_count": 2.89, "largest_invested_weight": 0.4238,
                        "top5_invested_weight": 1.0},
    "insights": [
        {"code": "POSITION_CONCENTRATION", "symbol": "NVDA", "threshold_invested_weight": 0.25,
         "invested_weight": 0.4238},
        {"code": "IDLE_CASH", "cash": "2500.00", "weight": 0.2636, "threshold_weight": 0.1},
    ],
}
FACTS = facts_from_data(BLOCK, currency="USD")


def _cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


@pytest.mark.parametrize(
    "text",
    [
        # the auditor's cases: each was tied to a holding's (or the portfolio's) fact of equal value
        "Cash is 31.2% of your portfolio.",  # NVDA's weight; cash is 26.36 %
        "Your portfolio is worth $2,960.60.",  # NVDA's value; the total is $9,485.15
        "Your total portfolio value is $2,500.",  # the cash
        "Your portfolio fell 2.64% today.",  # NVDA's day; the portfolio fell 2.03 %
        "Overall your portfolio is up 48.03% on cost.",  # NVDA's unrealised return
        "You hold $1,977.90 in cash.",  # AAPL's value
        "SPY fell 2.03% today.",  # the portfolio's day; SPY is no fact, the benchmark rose 0.53 %
        "NVDA changed 0% today.",  # the ledger's currency effect
        # more of the kind, in other words and languages
        "Your portfolio's value is $2,046.65.",
        "The value of your portfolio is $2,960.60.",
        "Total value: $2,960.60",
        "- Cash: $1,977.90",
        "Your cash balance is $1,977.90.",
        "Your portfolio gained 0.53% today.",  # the benchmark's day
        "The S&P 500 fell 2.03% today.",
        "The benchmark fell 2.03% today.",
        "QQQ fell 2.03% today.",
        "NVDA's weight is 26.4%.",
        "MSFT is worth $2,500.",
        "Der Gesamtwert Ihres Depots beträgt 2.960,60 $.",
        "Ihr Bargeld beträgt 1.977,90 $.",
        "Bargeld macht 31,2 % aus.",
        "Vos liquidités représentent 31,2 % du portefeuille.",
        "Liquidités : 31,2 %.",
        "Votre portefeuille vaut 2 960,60 $.",
        "Su cartera subió un 0,53 % hoy.",
        "Su efectivo representa el 31,2 % de la cartera.",
    ],
)
def test_a_figure_of_the_portfolio_its_cash_or_a_benchmark_is_no_holdings_fact(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.UNGROUNDED, _cited(text)
    assert [p for _, p in _cited(text)] == [None]


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        # a position named in the clause wins over the portfolio it is a part of
        ("NVDA is 31.2% of your portfolio.", ["positions[NVDA].weight"]),
        ("NVDA's weight in your portfolio is 31.2%.", ["positions[NVDA].weight"]),
        ("NVDA changed -2.64% today.", ["positions[NVDA].return_1d"]),
        ("NVDA is above the 25% guideline.", ["insights[NVDA].threshold_invested_weight"]),
        ("Your portfolio is 73.6% Information Technology.", ["sectors[Information Technology].weight"]),
        ("Tech makes up 73.6% of your portfolio.", ["sectors[Information Technology].weight"]),
        ("Apple makes up 20.85% of your portfolio.", ["positions[AAPL].weight"]),  # a company, not the portfolio
        ("The largest position in your portfolio is worth $2,960.60.", ["positions[NVDA].market_value"]),
        ("Your portfolio's largest holding, NVDA, is worth $2,960.60.", ["positions[NVDA].market_value"]),
        # cash, named before or after the figure, is what is measured
        ("Cash is 26.4% of your portfolio.", ["cash.weight"]),
        ("You hold $2,500 in cash.", ["cash.value"]),
        ("Your portfolio holds $2,500 in cash.", ["cash.value"]),
        ("Your cash is 26.4% of the portfolio ($2,500.00).", ["cash.weight", "cash.value"]),
        ("- Cash: $2,500.00", ["cash.value"]),
        ("Ihr Bargeld beträgt 2.500,00 $.", ["cash.value"]),
        ("Der Bargeldanteil liegt bei 26,4 %.", ["cash.weight"]),
        ("Vos liquidités s'élèvent à 2 500,00 $.", ["cash.value"]),
        ("Su efectivo es de 2.500,00 $.", ["cash.value"]),
        # the portfolio as a whole
        ("Your portfolio is worth $9,485.15.", ["total_value"]),
        ("Your total portfolio value is $9,485.15.", ["total_value"]),
        ("Total value: $9,485.15", ["total_value"]),
        ("Your portfolio fell 2.03% today.", ["performance.return_1d"]),
        ("Overall your portfolio is up 39.7% on cost.", ["unrealized_return"]),
        ("Excluding cash, your portfolio is worth $6,985.15.", ["invested_value"]),
        ("Your portfolio (cash included) returned -2.03% today.", ["performance.return_1d"]),
        ("Your portfolio is worth $9,485.15 and your cash is $2,500.", ["total_value", "cash.value"]),
        ("NVDA fell 2.64% while your portfolio fell 2.03% today.",
         ["positions[NVDA].return_1d", "performance.return_1d"]),
        ("Der Gesamtwert Ihres Depots beträgt 9.485,15 $.", ["total_value"]),
        ("Le total de votre portefeuille est de 9 485,15 $.", ["total_value"]),
        ("El valor total de su cartera es de 9.485,15 $.", ["total_value"]),
        ("Your portfolio's Sharpe ratio is 1.04.", ["risk.sharpe"]),
        # a benchmark: its own return, or the portfolio's excess over it
        ("SPY rose 0.53% today.", ["benchmark.return_1d"]),
        ("The S&P 500 rose 0.53% today.", ["benchmark.return_1d"]),
        ("You lagged SPY by 2.56% today.", ["performance.excess_return_1d"]),
        ("Your portfolio trailed the benchmark by 2.56% today.", ["performance.excess_return_1d"]),
        ("Your portfolio's beta versus SPY is -0.03.", ["risk.beta"]),
    ],
)
def test_a_true_figure_is_cited_to_what_its_clause_names(text: str, paths: list[str]) -> None:
    assert check(text, FACTS).status is GroundingStatus.GROUNDED, _cited(text)
    assert [p for _, p in _cited(text)] == paths


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("NVDA macht 31,2 Prozent aus.", "31,2 Prozent"),
        ("NVDA représente 31,2 pour cent du portefeuille.", "31,2 pour cent"),
        ("NVDA representa el 31,2 por ciento de la cartera.", "31,2 por ciento"),
    ],
)
def test_percent_words_of_german_french_and_spanish(text: str, raw: str) -> None:
    [fig] = extract_figures(text)
    assert (fig.raw, fig.kind, fig.value) == (raw, FigureKind.PERCENT, Decimal("31.2"))
    assert _cited(text) == [(raw, "positions[NVDA].weight")]


@pytest.mark.parametrize(
    "text", ["Ihr Portfolio liegt 2,56 Prozentpunkte zurück.", "Écart de 2,56 points de pourcentage.",
             "Una diferencia de 2,56 puntos porcentuales."],
)
def test_percentage_points_of_german_french_and_spanish(text: str) -> None:
    [fig] = extract_figures(text)
    assert (fig.kind, fig.value, fig.points) == (FigureKind.PERCENT, Decimal("2.56"), True)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("Ihr Portfolio ist heute um 2,03 % gefallen.", "performance.return_1d"),
        ("Ihr Portfolio hat heute 196,60 $ verloren.", "performance.change_1d"),
        ("Ihr Portfolio hat diese Woche 173,85 $ verloren.", "performance.change_1w"),
        ("Your portfolio fell today by 2.03%.", "performance.return_1d"),
        ("Your portfolio fell this week by 1.8%.", "performance.return_1w"),
        ("Votre portefeuille a baissé aujourd'hui de 2,03 %.", "performance.return_1d"),
        ("Su cartera bajó hoy un 2,03 %.", "performance.return_1d"),
        ("Su cartera bajó esta semana un 1,8 %.", "performance.return_1w"),
    ],
)
def test_a_direction_word_apart_from_its_figure_signs_it(text: str, path: str) -> None:
    [fig] = extract_figures(text)
    assert fig.direction == -1
    assert check(text, FACTS).status is GroundingStatus.GROUNDED
    assert [p for _, p in _cited(text)] == [path]


def test_a_rise_apart_from_its_figure_is_no_fall() -> None:
    text = "Ihr Portfolio ist heute um 2,03 % gestiegen."  # it fell 2.03 %
    assert extract_figures(text)[0].direction == 1
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED


def test_german_thousands_with_dots_are_grouped() -> None:
    text = "Ihr Depot ist rund 9.500 USD wert; Sie liegen etwa 1.985 $ im Plus."
    assert [(f.raw, f.value) for f in extract_figures(text)] == [("9.500 USD", 9500), ("1.985 $", 1985)]
    assert _cited(text) == [("9.500 USD", "total_value"), ("1.985 $", "unrealized_pnl")]
    # a decimal comma elsewhere says so too
    assert [f.value for f in extract_figures("Ihr Portfolio fiel um 2,03 %, also 196,60 $; es ist 9.485 $ wert.")][
        -1
    ] == 9485


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("It returned 1.985% over the period.", Decimal("1.985")),
        ("The ratio is 1.985 USD per share.", Decimal("1.985")),
        ("Ihr Portfolio legte 1.985 % zu.", Decimal("1.985")),  # a percent keeps its decimals
        ("Your portfolio is worth 9.500 USD, with 2.03% down today.", Decimal("9.500")),  # a decimal point elsewhere
    ],
)
def test_a_dot_stays_a_decimal_point_without_evidence_of_grouping(text: str, value: Decimal) -> None:
    assert extract_figures(text)[0].value == value
