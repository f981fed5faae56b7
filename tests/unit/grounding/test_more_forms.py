"""More forms an AI answer states figures in that the extractor used to skip, so an invented number in them passed
unflagged: a signed percent glued to a ticker ("XOM-3.1%"), a glued percent word ("AAPL25.2 percent"), em-dash
ranges ("5—10%"), exponent notation ("6.2e3") and numbers in words with a unit ("twenty-five percent").
Identifiers, dates, times and URLs stay non-figures."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import FigureKind, GroundingStatus, Hedge, check, extract_figures, facts_from_data
from tests.unit.grounding.portfolios import USD

PORTFOLIO = facts_from_data(USD)
EM = "\u2014"
EN = "\u2013"
P, A, C, N = FigureKind.PERCENT, FigureKind.AMOUNT, FigureKind.COUNT, FigureKind.NUMBER


def _figures(text: str) -> list[tuple[str, str, FigureKind, str | None]]:
    figs = extract_figures(text)
    for f in figs:  # offsets stay exact: the raw figure is the slice of the text, in code points and UTF-16
        assert text[f.start : f.end] == f.raw
        assert f.start_utf16 == len(text[: f.start].encode("utf-16-le")) // 2
        assert f.end_utf16 == len(text[: f.end].encode("utf-16-le")) // 2
    return [(f.raw, str(f.value), f.kind, f.currency) for f in figs]


# 1. A percent glued to a ticker, with a sign or a percent word.


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("XOM-3.1%", [("-3.1%", "-3.1", P, None)]),
        ("XOM+3.1%", [("+3.1%", "3.1", P, None)]),
        ("ytd+12.5% so far", [("+12.5%", "12.5", P, None)]),
        ("NVDA-3.11 % and AAPL+0.42%", [("-3.11 %", "-3.11", P, None), ("+0.42%", "0.42", P, None)]),
        ("AAPL25.2 percent", [("25.2 percent", "25.2", P, None)]),
        ("AAPL25.2 Percent of it", [("25.2 Percent", "25.2", P, None)]),
        ("XOM7.1pct", [("7.1pct", "7.1", P, None)]),
        ("XOM-3.1 per cent", [("-3.1 per cent", "-3.1", P, None)]),
        ("📉 NVDA-3.1%", [("-3.1%", "-3.1", P, None)]),
    ],
)
def test_a_signed_or_worded_percent_glued_to_a_name(text: str, figures: list[tuple[str, str, FigureKind, None]]
                                                    ) -> None:
    assert _figures(text) == figures


def test_the_glued_sign_is_explicit_and_the_name_is_context() -> None:
    figs = extract_figures("XOM-3.1% and AAPL+0.4%")
    assert [(f.explicit_sign, f.context[-1]) for f in figs] == [(True, "XOM"), (True, "AAPL")]


@pytest.mark.parametrize(
    "text",
    [
        # A hyphen after a name is an identifier's unless the name is upper case and the number has decimals.
        "COVID-19%", "top-10%", "the top-10% of names", "sub-2% inflation", "mid-5% range", "ytd-3.1%", "XOM-3",
        # Fiscal-year prefixes, one letter, URL encodings stay out, with a sign or a percent word too.
        "FY-2.5%", "Q3 percent", "H1 percent", "FY24 percent", "v2 percent", "Q-3.5%",
        "https://x.com/q?s=XOM-3.1%", "ABC-1.5%2F",
        "gpt-4o", "10-K", "v2", "Q3", "FY24",
    ],
)
def test_identifiers_with_a_sign_or_a_percent_word_stay_non_figures(text: str) -> None:
    assert _figures(text) == []


def test_a_signed_glued_percent_is_checked() -> None:
    """Before, "NVDA-3.1%" was no figure at all (NO_FIGURES), so an invented one passed."""
    assert check("NVDA-3.1% today", PORTFOLIO).status is GroundingStatus.GROUNDED  # return_1d -3.11 %
    result = check("NVDA-9.9% today", PORTFOLIO)
    assert [(c.figure.raw, c.grounded) for c in result.checks] == [("-9.9%", False)]
    # The sign must agree: NVDA rose nowhere by 3.1 %.
    assert check("NVDA+3.1% today", PORTFOLIO).status is GroundingStatus.UNGROUNDED
    assert check("AAPL17.1 percent, ZZZ99.9 percent", PORTFOLIO).ungrounded_count == 1


# 2. Ranges with an en dash or an em dash.


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        (f"5{EN}10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        (f"5 {EN} 10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        (f"5{EM}10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        (f"5 {EM} 10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        (f"$5{EM}10M", [("$5", "5E+6", A, "USD"), ("10M", "1.0E+7", A, "USD")]),
        (f"$5{EM}$10", [("$5", "5", A, "USD"), ("$10", "10", A, "USD")]),
        (f"5{EM}10 bps", [("5", "0.05", P, None), ("10 bps", "0.10", P, None)]),
        (f"between 5{EM}10%", [("5", "5", P, None), ("10%", "10", P, None)]),
    ],
)
def test_dash_ranges_have_both_ends(text: str, figures: list[tuple[str, str, FigureKind, str | None]]) -> None:
    assert _figures(text) == figures


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        # An em dash elsewhere is punctuation, never a minus or a hyphen.
        (f"Returns{EM}5.2% this week", [("5.2%", "5.2", P, None)]),
        (f"NVDA{EM}3.1%", [("3.1%", "3.1", P, None)]),
        (f"10{EM}5%", [("10", "10", N, None), ("5%", "5", P, None)]),  # descending: no range
        (f"3{EM}5 March", []),
        (f"In 2024{EM}25% of it was cash", [("25%", "25", P, None)]),
    ],
)
def test_what_an_em_dash_does_not_join(text: str, figures: list[tuple[str, str, FigureKind, str | None]]) -> None:
    assert _figures(text) == figures


def test_the_words_around_an_em_dash_range_qualify_both_ends() -> None:
    assert [f.direction for f in extract_figures(f"NVDA fell 11{EM}12% this month")] == [-1, -1]
    assert [f.hedge for f in extract_figures(f"about $5{EM}10M")] == [Hedge.APPROX, Hedge.APPROX]


def test_an_invented_em_dash_lower_end_is_ungrounded() -> None:
    """Before, "9—17.1%" dropped the 9 (the em dash joined nothing), so only the true 17.1% was checked."""
    result = check(f"Weights range 9{EM}17.1%.", PORTFOLIO)
    assert [(c.figure.raw, c.grounded) for c in result.checks] == [("9", False), ("17.1%", True)]
    assert check(f"Weights range 2{EM}17.1%.", PORTFOLIO).status is GroundingStatus.GROUNDED


# 3. Exponent notation.


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("6.2e3", [("6.2e3", "6.2E+3", N, None)]),
        ("6.2E3", [("6.2E3", "6.2E+3", N, None)]),
        ("a value of 1e4 here", [("1e4", "1E+4", N, None)]),
        ("$6.2e3 in cash", [("$6.2e3", "6.2E+3", A, "USD")]),
        ("-2.5e-3", [("-2.5e-3", "-0.0025", N, None)]),
        ("3.1e0%", [("3.1e0%", "3.1", P, None)]),
    ],
)
def test_exponent_notation(text: str, figures: list[tuple[str, str, FigureKind, str | None]]) -> None:
    assert _figures(text) == figures


def test_an_exponent_shows_its_precision() -> None:
    fig = extract_figures("$3.1041e4")[0]
    assert (fig.value, fig.unit) == (31041, 1)
    assert check("$3.1041e4", PORTFOLIO).status is GroundingStatus.GROUNDED  # total_value 31,041.20
    assert check("$3.1e4", PORTFOLIO).status is GroundingStatus.GROUNDED  # within half of 1,000
    assert check("$9.9e4", PORTFOLIO).status is GroundingStatus.UNGROUNDED  # before: NO_FIGURES


@pytest.mark.parametrize(
    "text",
    [
        "1e3x", "0x1e3", "0x1F", "0x1e3f", "1e3f", "a1e3", "abc1e3", "sha 3e8a7b", "gpt-4e3", "llama-3e2",
        "1e3-mini", "resnet50e3", "2026-03-08", "9:30 am", "16:00", "v1.2e3",
    ],
)
def test_exponents_inside_identifiers_stay_non_figures(text: str) -> None:
    assert _figures(text) == []


# 4. Numbers in words, with a percent, money or counted-noun unit.


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("three percent", [("three percent", "3", P, None)]),
        ("Twenty-five percent of it", [("Twenty-five percent", "25", P, None)]),
        ("twenty five per cent", [("twenty five per cent", "25", P, None)]),
        ("zero percent", [("zero percent", "0", P, None)]),
        ("ninety-nine pct", [("ninety-nine pct", "99", P, None)]),
        ("two percentage points", [("two percentage points", "2", P, None)]),
        ("ten thousand dollars", [("ten thousand dollars", "1.0E+4", A, "USD")]),
        ("two hundred euros", [("two hundred euros", "200", A, "EUR")]),
        ("forty million USD", [("forty million USD", "4.0E+7", A, "USD")]),
        ("seventeen billion yen", [("seventeen billion yen", "1.7E+10", A, "JPY")]),
        ("$ ten thousand", [("$ ten thousand", "1.0E+4", A, "USD")]),
    ],
)
def test_numbers_in_words_with_a_unit(text: str, figures: list[tuple[str, str, FigureKind, str | None]]) -> None:
    assert _figures(text) == figures


def test_words_around_a_number_in_words_qualify_it() -> None:
    fell = extract_figures("NVDA fell three percent")[0]
    assert fell.direction == -1 and "NVDA" in fell.context
    about = extract_figures("about thirty thousand dollars")[0]
    # as "about $30,000": after a hedge the trailing zero of thirty is not significant either
    assert (about.hedge, about.unit) == (Hedge.APPROX, 10000)


@pytest.mark.parametrize(
    "text",
    [
        "three", "twenty-five", "ten thousand", "one of your holdings", "no one", "the one that fell",
        "over the last two weeks", "a three-month window", "two-thirds", "threefold", "someone percent",
        "twentyfive percent", "forty-zero percent", "three-percent", "one hundred", "top three names",
        # counts in words are prose ("one stock stands out"), unlike "3 holdings" in digits
        "you hold three holdings", "twelve open positions", "one stock stands out", "two tech stocks",
    ],
)
def test_numbers_in_words_without_a_unit_are_not_figures(text: str) -> None:
    assert _figures(text) == []


def test_an_invented_number_in_words_is_ungrounded() -> None:
    """Before, "NVDA fell fifteen percent" had no figure (NO_FIGURES)."""
    assert check("NVDA fell twelve percent this month", PORTFOLIO).status is GroundingStatus.GROUNDED  # -11.84 %
    result = check("NVDA fell forty percent this month, to ten thousand dollars.", PORTFOLIO)
    assert [(c.figure.raw, c.grounded) for c in result.checks] == [
        ("forty percent", False), ("ten thousand dollars", False)]


def test_digits_and_words_stay_in_text_order() -> None:
    text = "| Name | Weight |\n|---|---|\n| AAPL | 17.1 |\nThree percent cash, then 5% and two hundred dollars."
    assert [f.raw for f in extract_figures(text)] == ["17.1", "Three percent", "5%", "two hundred dollars"]


# 5. A range around the true value: each end is a figure of its own (no change; see the report).


def test_a_range_around_the_fact_grounds_neither_end() -> None:
    """XOM weighs 7.06 %: "6.5-7.5%" contains it but neither end is it. Figure.grounded is per figure ("the figure
    matches a fact"), and the contract says nothing about ranges, so this stays as it is."""
    result = check("XOM is between 6.5-7.5% of the portfolio.", PORTFOLIO)
    assert [(c.figure.raw, c.grounded) for c in result.checks] == [("6.5", False), ("7.5%", False)]
    assert result.status is GroundingStatus.UNGROUNDED
