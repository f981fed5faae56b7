"""A figure about something the facts do not hold is not theirs; counts listed per name are each checked.

A re-verifier's cases, on the auditor's portfolio (AAPL, MSFT, NVDA in Information Technology; cash $2,500; the
portfolio fell 2.03 % today, the benchmark SPY rose 0.53 %) and on SIX (XOM and CVX in Energy, JNJ in Health Care
added: Information Technology 3, Energy 2, Health Care 1):
- false statements were GROUNDED: "TSLA rose 0.53% today" and "Tesla rose 0.53% today" (the benchmark's day: a
  ticker or a company the facts do not have was read as the benchmark, or as nothing); "The index fell 2.03% today",
  "L'indice de référence a baissé de 2,03 %", "El índice de referencia bajó hoy un 2,03 %" (the portfolio's day);
  "You hold 3 in Technology and 1 in Energy" (Energy holds 2: the 1 was taken for a part, left unchecked), "You hold
  1 in Energy" (no figure); "You have 3 Energy and 3 Technology positions" (the "3 Energy" was never read);
- true statements were flagged: "MSFT fell 2.84% and NVDA 2.64%" and "MSFT fell 2.84%, more than NVDA's 2.64%" (the
  second figure, its verb left out, read as a rise); "2 positions are in Energy: XOM and CVX" (read as the
  portfolio's count); "Vos liquidités sont de 2 500 $" (500 $) and "Su efectivo es de 2.500 $" (2.5 $).
"""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from stack_cfo.core.grounding import (
    Fact,
    FactKind,
    Facts,
    FigureKind,
    GroundingStatus,
    check,
    extract_figures,
    facts_from_data,
)
from tests.unit.grounding.test_subjects_and_wording import BLOCK, FACTS


def _holding(symbol: str, qty: str, value: str, weight: float, sector: str) -> dict[str, object]:
    return {"symbol": symbol, "quantity": qty, "market_value": value, "weight": weight, "sector": sector,
            "return_1d": 0.011, "change_1d": "6.00"}


def _six() -> dict[str, object]:
    six = copy.deepcopy(BLOCK)
    six["positions"] += [_holding("XOM", "7", "777.00", 0.061, "Energy"),
                         _holding("CVX", "4", "640.00", 0.05, "Energy"),
                         _holding("JNJ", "3", "480.00", 0.038, "Health Care")]
    six["position_count"] = 6
    six["sectors"] += [{"name": "Energy", "position_count": 2, "weight": 0.111},
                       {"name": "Health Care", "position_count": 1, "weight": 0.038}]
    return six


SIX = facts_from_data(_six(), currency="USD")
TECH = "sectors[Information Technology].position_count"
ENERGY = "sectors[Energy].position_count"


def _cited(text: str, facts: Facts = FACTS) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, facts).checks]


# --- a ticker or a company the facts do not have is not the benchmark, nor the portfolio --------------------------


@pytest.mark.parametrize(
    "text",
    [
        "TSLA rose 0.53% today.",
        "QQQ rose 0.53% today.",
        "TSLA gained 0.77% this week.",
        "You lagged QQQ by 2.56% today.",  # the excess is over SPY
        "Tesla rose 0.53% today.",
        "Tesla's return was 0.53% today.",
        "Gold rose 0.53% today.",
        "Your portfolio fell 2.03% while Tesla rose 0.53%.",
    ],
)
def test_a_ticker_or_name_the_facts_do_not_have_is_not_grounded_by_the_benchmark(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED, _cited(text)
    assert _cited(text)[-1][1] is None


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("SPY rose 0.53% today.", "benchmark.return_1d"),
        ("The S&P 500 rose 0.53% today.", "benchmark.return_1d"),
        ("The benchmark rose 0.53% today.", "benchmark.return_1d"),
        ("The index rose 0.53% today.", "benchmark.return_1d"),
        ("You lagged SPY by 2.56% today.", "performance.excess_return_1d"),
        ("You lagged the index by 2.56% today.", "performance.excess_return_1d"),
        ("Der Index stieg heute um 0,53 %.", "benchmark.return_1d"),
        ("L'indice de référence a progressé de 0,53 % aujourd'hui.", "benchmark.return_1d"),
        ("El índice de referencia subió hoy un 0,53 %.", "benchmark.return_1d"),
        # a company by its name may be a holding's
        ("Microsoft fell 2.84% today.", "positions[MSFT].return_1d"),
        ("Nvidia's weight is 31.2%.", "positions[NVDA].weight"),
        ("Apple makes up 20.85% of your portfolio.", "positions[AAPL].weight"),
        # sentence-initial capitals that are no company
        ("Today your portfolio fell 2.03%.", "performance.return_1d"),
        ("Overall, you are down 2.03% today.", "performance.return_1d"),
        ("It fell 2.03% today.", "performance.return_1d"),
        ("Your gain so far is $1,985.15.", "unrealized_pnl"),
        ("Performance was -2.03% today.", "performance.return_1d"),
        ("Die Tagesrendite ist -2,03 %.", "performance.return_1d"),
        ("Tagesrendite ist -2,03 %.", "performance.return_1d"),
        ("Currently you are down 2.03%.", "performance.return_1d"),
        ("TOTAL: $9,485.15", "total_value"),
    ],
)
def test_the_benchmark_and_the_holdings_by_name_stay_grounded(text: str, path: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.GROUNDED, _cited(text)
    assert _cited(text) == [(_cited(text)[0][0], path)]


def test_the_facts_name_their_benchmark() -> None:
    assert FACTS.benchmarks == {"SPY"}
    assert (FACTS | Facts({"user[0]": Fact(Decimal(1), FactKind.NUMBER)})).benchmarks == {"SPY"}
    found = facts_from_data({"risk": {"benchmark": "QQQ"}, "benchmark_symbol": "VTI",
                             "positions": [{"symbol": "AAPL", "weight": 0.5}]}).benchmarks
    assert found == {"QQQ", "VTI"}


def test_without_a_benchmark_symbol_a_ticker_absent_from_the_facts_is_the_benchmark_as_before() -> None:
    block = copy.deepcopy(BLOCK)
    del block["benchmark"]["symbol"]  # type: ignore[attr-defined]
    facts = facts_from_data(block, currency="USD")
    assert facts.benchmarks == frozenset()
    assert _cited("QQQ rose 0.53% today.", facts) == [("0.53%", "benchmark.return_1d")]


# --- "the index" is the benchmark, not the portfolio --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The index fell 2.03% today.",
        "L'indice de référence a baissé de 2,03 % aujourd'hui.",
        "El índice de referencia bajó hoy un 2,03 %.",
        "El índice bajó hoy un 2,03 %.",
        "Der Index fiel heute um 2,03 %.",
    ],
)
def test_the_index_is_not_the_portfolio(text: str) -> None:
    assert _cited(text) == [(extract_figures(text)[0].raw, None)]


def test_an_index_of_a_metric_is_no_benchmark() -> None:
    facts = facts_from_data({"diversification": {"position_hhi": 0.3457, "score": 6.0},
                             "benchmark": {"symbol": "SPY", "return_1d": 0.0053}})
    assert _cited("Your Herfindahl index is 0.35.", facts) == [("0.35", "diversification.position_hhi")]
    assert _cited("Your diversification index is 6.0.", facts) == [("6.0", "diversification.score")]
    assert _cited("L'indice de concentration est de 0,35.", facts) == [("0,35", "diversification.position_hhi")]
    assert _cited("Herfindahl is 0.35.", facts) == [("0.35", "diversification.position_hhi")]


# --- counts listed per name are each checked ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("You hold 3 in Technology and 1 in Energy.", "1"),
        ("You hold 1 in Energy and 3 in Technology.", "1"),
        ("3 in Technology, 1 in Energy.", "1"),
        ("Tiene 3 en tecnología y 1 en energía.", "1"),
        ("Sie halten 3 in Technologie und 1 in Energie.", "1"),
        ("You hold 1 in Energy.", "1"),
        ("You only hold 1 in Energy.", "1"),
        ("You hold 2 in Information Technology and 2 in Energy.", "2"),
        ("You have 3 Energy and 3 Technology positions.", "3 Energy"),
        ("You have 1 Energy and 3 Technology positions.", "1 Energy"),
        ("You hold 7 XOM and 5 CVX shares.", "5 CVX shares"),
        ("You hold 6 XOM and 4 CVX shares.", "6 XOM"),
    ],
)
def test_a_wrong_count_of_a_list_per_name_is_flagged(text: str, wrong: str) -> None:
    result = check(text, SIX)
    assert result.status is GroundingStatus.UNGROUNDED, _cited(text, SIX)
    assert wrong in [f.raw for f in result.ungrounded], _cited(text, SIX)


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("You hold 3 in Technology and 2 in Energy.", [TECH, ENERGY]),
        ("3 in Technology, 2 in Energy and 1 in Health Care.", [TECH, ENERGY, "sectors[Health Care].position_count"]),
        ("Tiene 3 en tecnología y 2 en energía.", [TECH, ENERGY]),
        ("You hold 2 in Energy.", [ENERGY]),
        ("You have 2 Energy and 3 Technology positions.", [ENERGY, TECH]),
        ("You hold 7 XOM and 4 CVX shares.", ["positions[XOM].quantity", "positions[CVX].quantity"]),
        ("2 positions are in Energy: XOM and CVX.", [ENERGY]),
        ("2 of your positions are in Energy.", [ENERGY]),
    ],
)
def test_a_true_count_of_a_list_per_name_is_grounded(text: str, paths: list[str]) -> None:
    assert check(text, SIX).status is GroundingStatus.GROUNDED, _cited(text, SIX)
    assert [p for _, p in _cited(text, SIX)] == paths


def test_the_first_count_sharing_a_noun_is_read_with_its_own_name() -> None:
    [energy, tech] = extract_figures("You have 3 Energy and 3 Technology positions.")
    assert (energy.raw, energy.kind, energy.noun, energy.qualifier) == ("3 Energy", FigureKind.COUNT, "positions",
                                                                        ("Energy",))
    assert (tech.raw, tech.qualifier) == ("3 Technology positions", ("Technology",))
    # no list of names: "other" names none, a month is no name
    assert [f.raw for f in extract_figures("You have 3 Energy and 5 other positions.")] == ["5 other positions"]
    assert not [f for f in extract_figures("You bought 3 March and 4 Energy positions.") if f.raw.startswith("3")]


@pytest.mark.parametrize(
    "text",
    [
        "1 in Technology is up.",  # a part: no fact counts the ones that are up
        "1 in Energy and 1 in Technology are up.",
        "You hold 1 in Technology that is up.",
    ],
)
def test_a_part_stays_unchecked(text: str) -> None:
    result = check(text, SIX)
    assert result.status is not GroundingStatus.UNGROUNDED, _cited(text, SIX)


# --- a verb left out, a possessive ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("MSFT fell 2.84% and NVDA 2.64%.", ["positions[MSFT].return_1d", "positions[NVDA].return_1d"]),
        ("MSFT fell 2.84%, more than NVDA's 2.64%.", ["positions[MSFT].return_1d", "positions[NVDA].return_1d"]),
        ("NVDA's 2.64% drop was smaller than MSFT's 2.84%.",
         ["positions[NVDA].return_1d", "positions[MSFT].return_1d"]),
        ("Your portfolio fell 2.03% today and NVDA 2.64%.", ["performance.return_1d", "positions[NVDA].return_1d"]),
        ("MSFT fiel um 2,84 % und NVDA um 2,64 %.", ["positions[MSFT].return_1d", "positions[NVDA].return_1d"]),
        ("NVDA lost $80.40 and MSFT $59.90 today.", ["positions[NVDA].change_1d", "positions[MSFT].change_1d"]),
        # no gap: the second figure keeps its own reading
        ("NVDA fell 2.64% and MSFT is 21.58% of the portfolio.",
         ["positions[NVDA].return_1d", "positions[MSFT].weight"]),
    ],
)
def test_a_figure_whose_verb_is_left_out_takes_the_direction_before_it(text: str, paths: list[str]) -> None:
    assert check(text, FACTS).status is GroundingStatus.GROUNDED, _cited(text)
    assert [p for _, p in _cited(text)] == paths


def test_a_left_out_fall_is_no_rise() -> None:
    # NVDA fell 2.64 %: "and NVDA 2.64%" after "rose" says it rose
    assert _cited("SPY rose 0.53% and NVDA 2.64%.") == [("0.53%", "benchmark.return_1d"), ("2.64%", None)]


# --- French and Spanish thousands -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "raw", "value"),
    [
        ("Vos liquidités sont de 2 500 $.", "2 500 $", 2500),
        ("Vous avez 2 500 $ de liquidités.", "2 500 $", 2500),
        ("Vous détenez environ 9 485 $.", "9 485 $", 9485),
        ("Su efectivo es de 2.500 $.", "2.500 $", 2500),
        ("Tiene 2.500 $ en efectivo.", "2.500 $", 2500),
        ("Su efectivo es de 2.500 USD.", "2.500 USD", 2500),
    ],
)
def test_french_and_spanish_thousands(text: str, raw: str, value: int) -> None:
    [fig] = extract_figures(text)
    assert (fig.raw, fig.value) == (raw, value)
    assert check(text, FACTS).status is GroundingStatus.GROUNDED, _cited(text)


def test_an_english_text_keeps_spaced_digits_apart() -> None:
    assert [f.raw for f in extract_figures("You bought 12 500 $ worth.")] == ["12", "500 $"]
    assert [f.value for f in extract_figures("The ratio is 1.985 USD per share.")] == [Decimal("1.985")]
