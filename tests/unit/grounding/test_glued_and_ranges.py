"""Figures an audit found the extractor missed: a weight glued to its ticker ("XOM33.6%") and the lower end of a
range ("5-10%"), so an invented number in them passed unflagged. Identifiers with digits stay non-figures."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import FigureKind, GroundingStatus, Hedge, check, extract_figures, facts_from_data
from tests.unit.grounding.portfolios import USD

PORTFOLIO = facts_from_data(USD)
NNBSP = "\u202f"


def _figures(text: str) -> list[tuple[str, str, FigureKind, str | None]]:
    figs = extract_figures(text)
    for f in figs:  # offsets stay exact: the raw figure is the slice of the text, in code points and UTF-16
        assert text[f.start : f.end] == f.raw
        assert f.start_utf16 == len(text[: f.start].encode("utf-16-le")) // 2
        assert f.end_utf16 == len(text[: f.end].encode("utf-16-le")) // 2
    return [(f.raw, str(f.value), f.kind, f.currency) for f in figs]


P, A, R = FigureKind.PERCENT, FigureKind.AMOUNT, FigureKind.RATIO


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("XOM33.6% and AAPL25.2% and ZZZ99.9% weights.", [("33.6%", "33.6", P, None), ("25.2%", "25.2", P, None),
                                                          ("99.9%", "99.9", P, None)]),
        ("CPI2.9% in May", [("2.9%", "2.9", P, None)]),
        ("ytd12.5%", [("12.5%", "12.5", P, None)]),
        (f"AAPL25,2{NNBSP}% du portefeuille", [(f"25,2{NNBSP}%", "25.2", P, None)]),
        ("📉 NVDA6.8%", [("6.8%", "6.8", P, None)]),
    ],
)
def test_a_percent_glued_to_a_name_is_a_figure(text: str, figures: list[tuple[str, str, FigureKind, None]]) -> None:
    assert _figures(text) == figures


def test_a_glued_percent_keeps_its_name_as_context() -> None:
    assert [f.context[-1] for f in extract_figures("XOM33.6% and AAPL25.2%")] == ["XOM", "AAPL"]


def test_an_invented_glued_weight_is_ungrounded() -> None:
    """The audit's text was NO_FIGURES: the invented 99.9% passed."""
    result = check("XOM7.1% and AAPL17.1% and ZZZ99.9% weights.", PORTFOLIO)
    assert result.status is GroundingStatus.UNGROUNDED
    assert [(c.figure.raw, c.grounded) for c in result.checks] == [("7.1%", True), ("17.1%", True), ("99.9%", False)]
    assert check("XOM7.1% and AAPL17.1% weights.", PORTFOLIO).status is GroundingStatus.GROUNDED


@pytest.mark.parametrize(
    "text",
    [
        # Identifiers with digits glued to letters, with or without a percent sign after them.
        "Q3%", "Q3 % growth", "H1%", "FY24%", "fy2025%", "CY2025%", "S&P500", "S&P500%", "gpt-4o", "4G", "10-K",
        "ISIN US0378331005", "A1B2", "B2B", "mp3", "v2%", "x86%", "COVID-19%", "Q3", "FY2024", "H1 results",
        # A percent sign that is URL encoding.
        "ABC12%2F", "https://x.com/search?q=XOM12%&b=x", "XOM12%2Fb",
        # A markdown table header is no figure.
        "| Q1% | Q2% |\n|---|---|",
    ],
)
def test_identifiers_glued_to_digits_stay_non_figures(text: str) -> None:
    assert _figures(text) == []


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("Between 5-10% of value is cash", [("5", "5", P, None), ("10%", "10", P, None)]),
        ("5–10 %", [("5", "5", P, None), ("10 %", "10", P, None)]),  # en dash
        ("5 - 10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        ("5 to 10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        ("between 5 and 10%", [("5", "5", P, None), ("10%", "10", P, None)]),
        ("zwischen 5 und 10 %", [("5", "5", P, None), ("10 %", "10", P, None)]),
        ("5,5 bis 7,25 %", [("5,5", "5.5", P, None), ("7,25 %", "7.25", P, None)]),
        ("1-2%", [("1", "1", P, None), ("2%", "2", P, None)]),
        ("5%-10%", [("5%", "5", P, None), ("10%", "10", P, None)]),  # the dash is no minus sign
        ("5–10 bps", [("5", "0.05", P, None), ("10 bps", "0.10", P, None)]),
        ("5-10x", [("5", "5", R, None), ("10x", "10", R, None)]),
        ("$5-10", [("$5", "5", A, "USD"), ("10", "10", A, "USD")]),
        ("$5-$10", [("$5", "5", A, "USD"), ("$10", "10", A, "USD")]),
        ("$5-10M", [("$5", "5E+6", A, "USD"), ("10M", "1.0E+7", A, "USD")]),
        ("$5M-$10M", [("$5M", "5E+6", A, "USD"), ("$10M", "1.0E+7", A, "USD")]),
        ("5k-10k", [("5k", "5E+3", A, None), ("10k", "1.0E+4", A, None)]),
        ("5-10 million dollars", [("5", "5E+6", A, "USD"), ("10 million dollars", "1.0E+7", A, "USD")]),
    ],
)
def test_both_ends_of_a_range_are_figures(text: str, figures: list[tuple[str, str, FigureKind, str | None]]) -> None:
    assert _figures(text) == figures


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("NVDA fell 3.1% to $140.12", [("3.1%", "3.1", P, None), ("$140.12", "140.12", A, "USD")]),
        ("I hold 5 and 10% is cash", [("10%", "10", P, None)]),  # "and" joins a range only after "between"
        ("the 5-10 range", [("10", "10", FigureKind.NUMBER, None)]),  # no suffix to share
        ("10-5%", [("10", "10", FigureKind.NUMBER, None), ("5%", "5", P, None)]),  # no range: the ends descend
        ("3-5 years", [("5 years", "5", FigureKind.COUNT, None)]),
        ("5-10 March", []), ("open 9-5 pm", []), ("2024-25%", []), ("Q3-10%", [("10%", "10", P, None)]),
    ],
)
def test_what_is_not_a_range(text: str, figures: list[tuple[str, str, FigureKind, str | None]]) -> None:
    assert _figures(text) == figures


def test_the_words_around_a_range_qualify_both_ends() -> None:
    assert [f.direction for f in extract_figures("NVDA fell 5-10% and rose 2 to 3%")] == [-1, -1, 1, 1]
    assert [f.direction for f in extract_figures("a 5-10% drop")] == [-1, -1]
    assert [f.loss_context for f in extract_figures("Max drawdown 5-10%")] == [True, True]
    assert [f.hedge for f in extract_figures("about $5-10M")] == [Hedge.APPROX, Hedge.APPROX]
    assert [f.kind for f in extract_figures("Sharpe 1.2-1.5")] == [R, R]
    # A change, then a level: the level takes no direction.
    assert [f.direction for f in extract_figures("NVDA fell 3.1% to $140.12")] == [-1, None]


def test_an_invented_lower_end_is_ungrounded() -> None:
    result = check("Weights range 9-17.1%.", PORTFOLIO)
    assert [(c.figure.raw, c.grounded) for c in result.checks] == [("9", False), ("17.1%", True)]
    assert result.status is GroundingStatus.UNGROUNDED
    assert check("Weights range 2-17.1%.", PORTFOLIO).status is GroundingStatus.GROUNDED


def test_a_fall_over_a_range_needs_a_fall() -> None:
    """The upper end of "fell 11-12%" is a fall too: NVDA's month (-11.84 %) grounds it."""
    result = check("NVDA fell 11-12% this month.", PORTFOLIO)
    assert [(c.figure.raw, c.figure.direction, c.grounded) for c in result.checks] == [
        ("11", -1, False), ("12%", -1, True)]


def test_reading_ahead_never_chains() -> None:
    """Only the next number is read ahead of a range's lower end, so a run of 5,000 "to"s neither recurses nor
    rereads the text, and only its last pair shares a suffix."""
    text = " to ".join(str(i) for i in range(10, 5010)) + "%"
    figs = extract_figures(text)
    assert [(f.raw, f.kind) for f in figs[-2:]] == [("5008", P), ("5009%", P)]
    assert {f.kind for f in figs[:-2]} == {FigureKind.NUMBER}
    assert all(text[f.start : f.end] == f.raw for f in figs)


def test_ranges_in_a_markdown_table_keep_their_cell() -> None:
    text = "| Symbol | Weight | Value |\n|---|---|---|\n| AAPL | 5-10 | $5-10M |\n| MSFT | 12.5 | 310.00 |\n"
    figs = extract_figures(text)
    assert [(f.raw, str(f.value), f.kind, f.table_cell[1] if f.table_cell else None, f.context) for f in figs] == [
        ("5", "5", P, 1, ("Weight", "AAPL", "AAPL")), ("10", "10", P, 1, ("Weight", "AAPL", "AAPL")),
        ("$5", "5E+6", A, 2, ("Value", "AAPL")), ("10M", "1.0E+7", A, 2, ("Value", "AAPL")),
        ("12.5", "12.5", P, 1, ("Weight", "MSFT", "MSFT")), ("310.00", "310.00", A, 2, ("Value", "MSFT")),
    ]
