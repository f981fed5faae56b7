"""Round 9: lists of moves, periods said in other words, a share of the total, nouns of change, "for NAME".

- "NVDA lost 3.11%, MMM 0.64%" says MMM lost 0.64% too: a figure after a comma and only a name (maybe after a word of
  time: "NVDA fell 3.11% today, MMM 0.64% and VTI 0.48%") takes the direction of the figure of its kind before it, as
  one after "and" does; so does one after only a joiner ("down 2.08% today and 3.36% this week"). Read with no
  direction, an unsigned 0.64% is a rise: the true loss was flagged and a wrong rise ("NVDA fell 3.11%, XOM 1.54%"
  when XOM rose 1.54%) had nothing to contradict it but its sign.
- "for the week", "on the week", "for the month", "since last Friday" (and German, French, Spanish forms) are periods:
  "AMZN fell 2.08% today, and it is down 2.08% for the month" cited the day's return for the month.
- "of your total portfolio", ", including cash" after a comma: a share of the total value, never of the invested
  value (with 7-18 % cash the two differ by points).
- "The biggest drop was 0.27%": a noun of change before a copula signs the figure; "... for NVDA" right after a
  figure whose clause names nothing makes it NVDA's ("only 0.34% for VOO").
- A percent and an amount restating it after a word of time ("lost 26.25% this year, or $1,572.80", "fell 1.25%
  today ($148.50)") or after "roughly" share subject, period and direction.

The blocks in ``data/`` are data blocks built by the chat path's own code (summary -> view -> context document) for
two portfolios with holdings in USD, EUR, CHF and GBP, by the tester who wrote the answers (round 9 of the audit).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from stack_cfo.core.grounding import Facts, GroundingStatus, check, facts_from_data
from stack_cfo.core.provenance import Snapshot
from tests.unit.grounding.portfolios import USD

FACTS = facts_from_data(USD)
DATA = Path(__file__).parent / "data"


def _block(name: str) -> Facts:
    block = json.loads((DATA / f"round9_{name}.json").read_text())
    return Snapshot(block, datetime.fromisoformat(block["snapshot_time"]), "USD").facts


GROWTH = _block("growth")  # AAPL weight 13.68 % (14.73 % invested), AMZN 1d -2.08 % 1w -3.36 % 1m -8.88 %
INCOME = _block("income")  # 18 % cash; SCHD weight 16.67 % (20.37 % invested)


def _verdict(facts: Facts, text: str, marker: str) -> tuple[bool, str | None]:
    start = text.index(marker)
    result = check(text, facts)
    found = [c for c in result.checks if c.figure.start < start + len(marker) and c.figure.end > start]
    assert found, (text, [c.figure.raw for c in result.checks])
    return found[0].grounded, found[0].fact_path


@pytest.mark.parametrize("text", [
    "NVDA lost 3.11%, MMM 0.64%.",
    "NVDA lost 3.11% today, MMM 0.64% and VTI 0.48%.",
    "NVDA lost 2.97% this week, MMM 1.52%, and MSFT 0.87%.",
    "Your biggest losers today: NVDA fell 3.11%, MMM 0.64%, VTI 0.48%.",
    "XOM gained 1.54% today, AMZN 0.95%.",
])
def test_a_listed_move_after_a_comma_takes_the_first_ones_direction(text: str) -> None:
    result = check(text, FACTS)
    assert result.status is GroundingStatus.GROUNDED, [(c.figure.raw, c.fact_path) for c in result.checks]
    assert all(c.fact_path is not None and c.fact_path.startswith("positions[") for c in result.checks)


@pytest.mark.parametrize(("text", "wrong"), [
    ("NVDA fell 3.11%, XOM 1.54%.", "1.54%"),  # XOM rose 1.54%
    ("XOM gained 1.54% today, MMM 0.64%.", "0.64%"),  # MMM fell 0.64%
    ("The portfolio fell 1.31%, Apple 17.11%.", "17.11%"),  # a weight is no fall
])
def test_a_listed_move_of_the_other_sign_is_flagged(text: str, wrong: str) -> None:
    result = check(text, FACTS)
    flagged = [c.figure.raw for c in result.checks if not c.grounded]
    assert flagged == [wrong]


def test_a_comma_before_a_verb_of_its_own_keeps_that_verb() -> None:
    result = check("NVDA fell 3.11%, XOM rose 1.54% and MMM slipped 0.64%.", FACTS)
    assert result.status is GroundingStatus.GROUNDED


@pytest.mark.parametrize(("text", "marker", "path"), [
    ("AMZN is down 2.08% today and 3.36% this week.", "3.36%", "positions[AMZN].return_1w"),
    ("AAPL gained 0.40% today, but it is down 2.07% for the week.", "2.07%", "positions[AAPL].return_1w"),
    ("JNJ is up 1.85% today and 6.34% since last Friday.", "6.34%", "positions[JNJ].return_1w"),
    ("AMZN is down 8.88% for the month.", "8.88%", "positions[AMZN].return_1m"),
    ("NVDA has lost 26.25% this year, or $1,572.80.", "$1,572.80", "positions[NVDA].change_ytd"),
    ("NVDA is down about 26% this year, roughly $1.6k.", "$1.6k", "positions[NVDA].change_ytd"),
    ("AAPL is 13.68% of your total portfolio.", "13.68%", "positions[AAPL].weight"),
    ("AAPL is 13.68% of your portfolio, including cash.", "13.68%", "positions[AAPL].weight"),
    ("AAPL is 14.73% of your invested capital.", "14.73%", "invested_weight"),
])
def test_true_figures_of_round_9_are_grounded_to_their_fact(text: str, marker: str, path: str) -> None:
    grounded, found = _verdict(GROWTH, text, marker)
    assert grounded and found is not None and found.endswith(path), found


@pytest.mark.parametrize(("facts", "text", "marker"), [
    # a period said in other words: the day's return is not the month's, nor the week's
    (GROWTH, "AMZN fell 2.08% today, and it is down 2.08% for the month.", "2.08% for"),
    (GROWTH, "Today AMZN fell 2.08%, and for the month it is down 2.08%.", "2.08%."),
    (GROWTH, "Today AAPL gained 0.40%, but for the week it is still up 0.40%.", "0.40%."),
    (GROWTH, "JNJ rose 1.85% today and is up 1.85% since last Friday.", "1.85% since"),
    # the invested weight said of the total
    (GROWTH, "MSFT is 9.98% of your total portfolio.", "9.98%"),
    (INCOME, "SCHD is 20.37% of your total portfolio.", "20.37%"),
    (GROWTH, "AAPL is 14.73% of your portfolio, including cash.", "14.73%"),
    (GROWTH, "Technology is 38.91% of your total portfolio, cash included.", "38.91%"),
    # a drop is no gain, and "for NVDA" is NVDA's
    (GROWTH, "The biggest drop was 0.27% for NVDA.", "0.27%"),
    (GROWTH, "Analysts see about 15% upside for NVDA.", "15%"),
])
def test_wrong_figures_of_round_9_are_flagged(facts: Facts, text: str, marker: str) -> None:
    grounded, found = _verdict(facts, text, marker)
    assert not grounded, found


def test_a_biggest_gain_is_a_rise_and_a_drop_a_fall() -> None:
    from stack_cfo.core.grounding import extract_figures

    assert [f.direction for f in extract_figures("The biggest drop was 0.27%. Its biggest gain was 0.5%.")] == [-1, 1]


@pytest.mark.parametrize(("text", "marker", "path"), [
    ("AMZN is off nearly 9% this month, and SHEL about 9.2% this month.", "9.2%", "positions[SHEL].return_1m"),
    ("AMZN is down 2.08% today and 3.36% on the week, a $206.50 hit.", "3.36%", "positions[AMZN].return_1w"),
    ("Overall you're $321.60 under water on NVDA.", "$321.60", "positions[NVDA].unrealized_pnl"),
    ("AAPL is worth $8,163.40 (13.68% of your total portfolio) with an unrealized gain of $2,132.90, or 35.37%.",
     "$2,132.90", "positions[AAPL].unrealized_pnl"),
    ("AAPL is worth $8,163.40 (13.68% of your total portfolio) with an unrealized gain of $2,132.90, or 35.37%.",
     "35.37%", "positions[AAPL].unrealized_return"),
])
def test_losses_said_other_ways_and_a_bracket_after_a_figure(text: str, marker: str, path: str) -> None:
    grounded, found = _verdict(GROWTH, text, marker)
    assert grounded and found == path, found


def test_a_spanish_loss_in_the_second_person() -> None:
    grounded, found = _verdict(GROWTH, "Con NVDA pierdes 321,60 $.", "321,60")
    assert grounded and found == "positions[NVDA].unrealized_pnl", found


@pytest.mark.parametrize(("text", "marker"), [
    ("AMZN is off nearly 9% this month, and SHEL about 4.2% this month.", "4.2%"),  # SHEL's month is -9.2%
    ("Overall you're $321.60 under water on AAPL.", "$321.60"),  # AAPL is up $2,132.90
])
def test_wrong_losses_said_other_ways_are_flagged(text: str, marker: str) -> None:
    grounded, found = _verdict(GROWTH, text, marker)
    assert not grounded, found
