"""Round 10: a fresh audit's wrong figures that were grounded (8 of 74) and the patterns behind them.

The blocks in ``data/round10_*.json`` are data blocks built by the chat path's own code (summary -> view -> context
document) by the tester who wrote the answers: ``A`` a concentrated USD tech portfolio (NVDA 57 %), ``B`` a
20-holding EUR dividend portfolio, ``C`` a beginner's three ETFs with 60 % cash.

- An excess return over the benchmark (or alpha) is cited only by a figure whose words compare or name the metric:
  "Your portfolio fell 2.14% today" cited the day's excess return, "Your AI basket fell 4.68% this week, while SPY
  lost 1.46%" the basket's.
- A metric no data block carries (dividend yield, expense ratio, dividend income) is no other fact's: "The dividend
  yield is 0.6%" cited AMZN's day.
- In a German clause a capitalised noun is no company ("Seit Jahresbeginn liegt Ihr Depot 0,58 % im Minus" lost its
  subject, the portfolio, to "Jahresbeginn" and cited IBE's year).
- A share right after a cash amount is the cash's ("You hold $8,500.00 in cash, 23.88% of your portfolio" cited
  VOO's weight).
- A metric named before a bracket in the clause is the figure's ("Your one-day VaR (95%) is 1.07%" cited IWDA's
  week).
"""

from __future__ import annotations

import pytest

from tests.unit.grounding.rounds import blocks, verdict

BLOCKS = blocks("round10", *"ABC")


def _verdict(block: str, text: str, marker: str) -> tuple[bool, str | None]:
    return verdict(BLOCKS, block, text, marker)


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("A", "Your portfolio fell 2.14% today.", "2.14%"),
    ("A", "Your portfolio is down 12.76% this year.", "12.76%"),
    ("A", "Your AI basket fell 4.68% this week, while SPY lost 1.46%.", "4.68%"),
    ("C", "Year to date you're down 6.43%, while SPY is up 4.69%.", "6.43%"),
])
def test_an_excess_return_is_no_return_of_its_own(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker", "path"), [
    ("A", "Your portfolio lagged SPY by 2.14 points today.", "2.14", "performance.excess_return_1d"),
    ("A", "This year you trailed the S&P 500 by 12.76 percentage points.", "12.76", "performance.excess_return_ytd"),
    ("A", "Your excess return over SPY this year is -12.76%.", "-12.76%", "performance.excess_return_ytd"),
])
def test_a_comparison_still_cites_the_excess_return(block: str, text: str, marker: str, path: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded and found == path, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("A", "The dividend yield is 0.6%.", "0.6%"),
    ("A", "Your dividend income this year was $120.00.", "$120.00"),
    ("B", "Die Dividendenrendite Ihres Depots beträgt 3,2 %.", "3,2 %"),
    ("B", "Seit Jahresbeginn liegt Ihr Depot 0,58 % im Minus.", "0,58 %"),  # it is up 0.58%
    ("C", "You're holding $8,500.00 in cash, 23.88% of your portfolio.", "23.88%"),  # VOO's weight; cash is 59.87%
    ("B", "Your one-day VaR (95%) is 1.07%.", "1.07%"),
    ("B", "Der Value at Risk (95 %) für einen Tag beträgt 1,07 %.", "1,07 %"),
])
def test_wrong_figures_of_round_10_are_flagged(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


@pytest.mark.parametrize(("block", "text", "marker", "path"), [
    ("B", "Seit Jahresbeginn liegt Ihr Depot 0,58 % im Plus.", "0,58 %", "performance.return_ytd"),
    ("C", "You hold $8,500.00 in cash, 59.87% of your portfolio.", "59.87%", "cash.weight"),
    ("B", "Your one-day VaR (95%) is 0.43%.", "0.43%", "risk.var_95"),
])
def test_their_true_forms_are_grounded(block: str, text: str, marker: str, path: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded and found == path, found


@pytest.mark.parametrize(("text", "direction"), [
    ("NVDA gave up 2.84% today.", -1),
    ("NVDA is plunging 23.47%.", -1),
    ("Shares tanked 12%.", -1),
    ("Vous avez une moins-value de 538,40 €.", -1),
    ("Tienes una pérdida latente de 1.336,25 $.", -1),
    ("ARKK bajó solo un 0,90 %.", -1),
    ("Der Tagesverlust beträgt 120 €.", -1),
])
def test_losses_said_other_ways_are_falls(text: str, direction: int) -> None:
    from stack_cfo.core.grounding import extract_figures

    assert [f.direction for f in extract_figures(text)] == [direction]


@pytest.mark.parametrize(("block", "text", "marker", "path"), [
    ("C", "ARKK lagged SPY by 10.14 points this week.", "10.14", "insights[ARKK].excess_return_1w"),
])
def test_a_holding_compared_with_the_benchmark_is_the_holdings_gap(
    block: str, text: str, marker: str, path: str
) -> None:
    grounded, found = _verdict(block, text, marker)
    assert grounded and found == path, found


@pytest.mark.parametrize(("block", "text", "marker"), [
    ("C", "ARKK lagged SPY by 2.14 points this week.", "2.14"),  # the portfolio's gap, not ARKK's
    ("A", "MSFT lagged SPY by 5.25 points this week.", "5.25"),  # NVDA's gap (an insight keyed by its index)
])
def test_another_gap_is_not_the_holdings(block: str, text: str, marker: str) -> None:
    grounded, found = _verdict(block, text, marker)
    assert not grounded, found


def test_a_month_in_progress_and_a_split_german_verb() -> None:
    from stack_cfo.core.grounding import extract_figures

    month = extract_figures("Im laufenden Monat beträgt das Minus 12,04 %.")
    assert [f.period for f in month] == ["1m"]
    assert [f.direction for f in extract_figures("Der Korb gab um 0,29 % nach.")] == [-1]


@pytest.mark.parametrize(("text", "grounded"), [
    ("Over the month, the portfolio shows a gap of 7.11 points to SPY.", True),  # the month's excess is -7.11
    ("Over the month, the portfolio shows a gap of 3.11 points to SPY.", False),
])
def test_a_gap_that_says_no_side_is_an_excess_of_either_sign(text: str, grounded: bool) -> None:
    found, path = _verdict("A", text, "points")
    assert found is grounded and (path == "performance.excess_return_1m" if grounded else path is None), path


def test_an_item_keyed_by_its_index_still_belongs_to_its_holding() -> None:
    """NVDA has two insights, so they are keyed ``insights[0]`` and ``insights[6]``: their facts are still NVDA's,
    never another holding's ("MSFT's weekly excess over SPY was -5.25%" is NVDA's gap)."""
    grounded, found = _verdict("A", "MSFT's weekly excess over SPY was -5.25%.", "-5.25%")
    assert not grounded, found
    for text in ("NVDA trailed SPY by 5.25 points this week.", "NVDA's weekly excess over SPY was -5.25%."):
        grounded, found = _verdict("A", text, "5.25")
        assert grounded and found == "insights[6].excess_return_1w", (text, found)


@pytest.mark.parametrize(("text", "grounded"), [
    ("NVDA contributed 5.17 points of the basket's decline this week.", True),  # NVDA's contribution: -5.17
    ("NVDA contributed 5.17 points of the basket's gain this week.", False),
    ("NVDA contributed 2.17 points of the basket's decline this week.", False),
])
def test_a_share_of_a_fall_is_a_negative_contribution(text: str, grounded: bool) -> None:
    found, path = _verdict("A", text, "points")
    assert found is grounded, path
