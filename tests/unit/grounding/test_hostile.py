"""Odd and hostile input: nothing raises, offsets stay right, and cost stays linear in the text."""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data
from tests.unit.grounding.portfolios import USD

PORTFOLIO = facts_from_data(USD)
ANSWER = (
    "Your portfolio is worth $31,041.20 (−1.31% today). NVDA fell 3.1% and is 6.8% of holdings; AAPL is 17.1%. "
    "Sharpe −3.04, max drawdown −19.4%, beta 0.87, 12 positions over 63 trading days. Cash: $1,871.40. "
    "| AAPL | 17.1% | $5,310.00 |\n"
)


def _offsets_hold(text: str) -> None:
    for f in extract_figures(text):
        assert text[f.start : f.end] == f.raw
        assert f.start_utf16 == len(text[: f.start].encode("utf-16-le", "surrogatepass")) // 2


@pytest.mark.parametrize(
    "text",
    [
        "", " ", "\x00\x01\x02 12.5% \x1b[31m$3\x7f", "\ud800 $31,041.20 \udfff", "1" * 100_000,
        "9," * 50_000 + "9", "1." * 100_000, "$" * 100_000 + "5", "-" * 100_000 + "5",
        "(" * 50_000 + "5" + ")" * 50_000,
        "|" * 100_000 + "\n|---|\n| 5 |", "|---|\n" * 20_000, "1,000," * 50_000, "1 000 " * 50_000,
        "%" * 50_000 + "12", "12" + "%" * 50_000, "fell " * 50_000 + "3%", "a" * 100_000 + "1", "1" + "a" * 100_000,
        "٣" * 10_000, "📉" * 10_000 + "5%", "12.5%" * 20_000, "\n".join(f"{i}. item {i}%" for i in range(5_000)),
        "1e308 1E+999999 NaN Infinity -0 +0 0.0000000000000000000000000000001",
        "12345678901234567890123456789012345678901234567890 and $1" + "0" * 40,
    ],
    ids=lambda t: repr(t[:24]) + f"...({len(t)})",
)
def test_never_raises(text: str) -> None:
    result = check(text, PORTFOLIO)
    assert result.status in GroundingStatus
    _offsets_hold(text)


def test_random_text_never_raises() -> None:
    rng = random.Random(20260308)
    palette = [
        *"0123456789.,%$€£-+()|:#/ \n\t\u00a0\u202f\u2212\u2013kKMmbnBxp'~",
        "٣", "６", "📉", "\ud800", "\x00", "NVDA", "fell ", "about ", "drawdown ", "March ", "2026", "pp", "bps",
    ]
    for _ in range(300):
        text = "".join(rng.choice(palette) for _ in range(rng.randint(0, 400)))
        check(text, PORTFOLIO)
        _offsets_hold(text)


def test_one_megabyte_with_ten_thousand_figures() -> None:
    text = (ANSWER * 10_000)[:1_000_000]
    start = time.process_time()
    result = check(text, PORTFOLIO)
    elapsed = time.process_time() - start
    assert result.figure_count >= 10_000
    assert elapsed < 60  # generous: it takes about a second; a quadratic scan would take hours


def test_cost_is_linear_in_the_text_by_count() -> None:
    """Facts compared grow exactly with the text (10x text: 10x figures, 10x comparisons), not with the facts."""
    one, ten = check(ANSWER, PORTFOLIO), check(ANSWER * 10, PORTFOLIO)
    assert ten.figure_count == 10 * one.figure_count
    assert ten.candidates_examined == 10 * one.candidates_examined
    # The index compares a figure only with facts near its value: with 500 positions (3,000 facts) a
    # figure meets a few dozen of them, not thousands.
    rng = random.Random(7)
    big = dict(USD)
    big["positions"] = [
        {"symbol": f"S{i:03d}", "quantity": rng.randint(1, 500), "price": Decimal(rng.randint(100, 99_999)) / 100,
         "weight": rng.random() / 50, "return_1d": rng.gauss(0, 0.02), "return_1w": rng.gauss(0, 0.04),
         "return_1m": rng.gauss(0, 0.08)}
        for i in range(500)
    ]
    many_facts = facts_from_data(big)
    many = check(ANSWER, many_facts)
    assert len(many_facts) > 3_000
    assert many.candidates_examined < 0.01 * many.figure_count * len(many_facts)


def test_cost_is_linear_in_the_text_by_time() -> None:
    """1x vs 10x text within a generous factor (best of five, CPU time), so a shared machine cannot flake it."""

    def best(text: str) -> float:
        runs = []
        for _ in range(5):
            start = time.process_time()
            check(text, PORTFOLIO)
            runs.append(time.process_time() - start)
        return min(runs)

    base = ANSWER * 20
    assert best(base * 10) < 25 * best(base)
