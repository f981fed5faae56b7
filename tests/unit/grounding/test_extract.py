"""Figure extraction: forms, values, kinds, precision, exclusions and offsets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import FigureKind, Hedge, extract_figures

NNBSP, NBSP = "\u202f", "\u00a0"


def one(text: str):  # type: ignore[no-untyped-def]
    figures = extract_figures(text)
    assert len(figures) == 1, [f.raw for f in figures]
    return figures[0]


@pytest.mark.parametrize(
    ("text", "raw", "value", "kind", "currency", "decimals"),
    [
        ("cost $1,250.00 today", "$1,250.00", "1250.00", FigureKind.AMOUNT, "USD", 2),
        ("USD 1.2k in cash", "USD 1.2k", "1200", FigureKind.AMOUNT, "USD", 1),
        ("€3.4M raised", "€3.4M", "3400000", FigureKind.AMOUNT, "EUR", 1),
        ("a 1.2 bn fund", "1.2 bn", "1200000000", FigureKind.AMOUNT, None, 1),
        ("worth 31,041.20 USD", "31,041.20 USD", "31041.20", FigureKind.AMOUNT, "USD", 2),
        ("a loss: -$420", "-$420", "-420", FigureKind.AMOUNT, "USD", 0),
        ("a loss: $-420", "$-420", "-420", FigureKind.AMOUNT, "USD", 0),
        ("£2.5 million", "£2.5 million", "2500000", FigureKind.AMOUNT, "GBP", 1),
        ("HK$ 1,000", "HK$ 1,000", "1000", FigureKind.AMOUNT, "HKD", 0),
        ("500 dollars", "500 dollars", "500", FigureKind.AMOUNT, "USD", 0),
        ("value 1,234,567 overall", "1,234,567", "1234567", FigureKind.NUMBER, None, 0),
        (f"value 1{NNBSP}234{NNBSP}567 overall", f"1{NNBSP}234{NNBSP}567", "1234567", FigureKind.NUMBER, None, 0),
        (f"value 1{NBSP}234{NBSP}567,5 overall", f"1{NBSP}234{NBSP}567,5", "1234567.5", FigureKind.NUMBER, None, 1),
        ("value 1.234.567,89 €", "1.234.567,89 €", "1234567.89", FigureKind.AMOUNT, "EUR", 2),
        ("rate 12.5% now", "12.5%", "12.5", FigureKind.PERCENT, None, 1),
        ("rate 12.5 % now", "12.5 %", "12.5", FigureKind.PERCENT, None, 1),
        ("rate 12,5 % now", "12,5 %", "12.5", FigureKind.PERCENT, None, 1),
        ("rate 12.5 percent now", "12.5 percent", "12.5", FigureKind.PERCENT, None, 1),
        ("moved -3% today", "-3%", "-3", FigureKind.PERCENT, None, 0),
        ("moved +0.4 pp today", "+0.4 pp", "0.4", FigureKind.PERCENT, None, 1),
        ("by 0.4 percentage points", "0.4 percentage points", "0.4", FigureKind.PERCENT, None, 1),
        ("by 25 bps", "25 bps", "0.25", FigureKind.PERCENT, None, 0),
        ("Sharpe 2.10 here", "2.10", "2.10", FigureKind.RATIO, None, 2),
        ("beta 0.87 here", "0.87", "0.87", FigureKind.RATIO, None, 2),
        ("leverage 1.5x here", "1.5x", "1.5", FigureKind.RATIO, None, 1),
        ("leverage 1.5× here", "1.5×", "1.5", FigureKind.RATIO, None, 1),
        ("you hold 12 positions", "12 positions", "12", FigureKind.COUNT, None, 0),
        ("in 3 sectors", "3 sectors", "3", FigureKind.COUNT, None, 0),
        ("based on 63 trading days", "63 trading days", "63", FigureKind.COUNT, None, 0),
        ("3M shares", "3M shares", "3000000", FigureKind.COUNT, None, 0),
        ("changed −3.1% today", "−3.1%", "-3.1", FigureKind.PERCENT, None, 1),
        ("changed –3.1% today", "–3.1%", "-3.1", FigureKind.PERCENT, None, 1),
        ("weight ٦٫٨٪ now", "٦٫٨٪", "6.8", FigureKind.PERCENT, None, 1),
        ("weight ６．８％ now", "６．８％", "6.8", FigureKind.PERCENT, None, 1),
        ("weight ६.८% now", "६.८%", "6.8", FigureKind.PERCENT, None, 1),
        ("```\nvalue = 31041.20\n```", "31041.20", "31041.20", FigureKind.NUMBER, None, 2),
    ],
)
def test_forms(text: str, raw: str, value: str, kind: FigureKind, currency: str | None, decimals: int) -> None:
    fig = one(text)
    assert (fig.raw, fig.value, fig.kind, fig.currency, fig.decimals) == (raw, Decimal(value), kind, currency, decimals)
    assert text[fig.start : fig.end] == fig.raw


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("NVDA fell 3%", -1), ("it dropped 3%", -1), ("it lost 3%", -1), ("declined by 3%", -1), ("is down 3%", -1),
        ("fell sharply by about 3%", -1), ("a drop of 3%", -1), ("a 3% drop", -1), ("3% lower", -1),
        ("an 11.8% monthly drop", -1), ("8.7% below the peak", -1),
        ("rose 3%", 1), ("gained 3%", 1), ("is up 3%", 1), ("climbed 3%", 1), ("a gain of 3%", 1), ("3% higher", 1),
        ("returned 3%", None), ("makes up 3%", None), ("fell to 3%", None), ("down to 3%", None),
    ],
)
def test_direction_words(text: str, direction: int | None) -> None:
    fig = one(text)
    assert fig.direction == direction
    assert fig.value == Decimal(3) or fig.value.copy_abs() in (Decimal("11.8"), Decimal("8.7"))


@pytest.mark.parametrize(
    ("text", "hedge", "unit"),
    [
        ("$31k", Hedge.NONE, "1000"), ("31.0k", Hedge.NONE, "100"), ("$31,041", Hedge.NONE, "1"),
        ("$31,000", Hedge.NONE, "1"), ("about $31,000", Hedge.APPROX, "1000"), ("~$31,000", Hedge.APPROX, "1000"),
        ("more than $1,800", Hedge.AT_LEAST, "100"), ("under 7%", Hedge.AT_MOST, "1"), ("up to 7%", Hedge.AT_MOST, "1"),
        ("6.8%", Hedge.NONE, "0.1"), ("25 bps", Hedge.NONE, "0.01"), ("1.2 bn", Hedge.NONE, "1E+8"),
    ],
)
def test_precision_and_hedges(text: str, hedge: Hedge, unit: str) -> None:
    fig = one(text)
    assert fig.hedge is hedge
    assert fig.unit == Decimal(unit)


def test_loss_context_and_labels() -> None:
    dd, var, sharpe = extract_figures("Max drawdown 19.4%; VaR 2.3%; Sharpe ratio of -3.04")
    assert dd.loss_context and var.loss_context and not sharpe.loss_context
    assert sharpe.kind is FigureKind.RATIO and sharpe.value == Decimal("-3.04")


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-08", "2026-03-08T16:00:00Z", "03/08/2026", "08.03.2026", "March 8", "Mar. 8, 2026", "8 March 2026",
        "8th of March", "Q3 2025", "FY2024", "in '24", "at 16:00", "at 9:30 am", "at 4 pm", "in 2025", "since 1999",
        "1. First item", "  2) second item", "> 3. quoted", "## 4. Heading", "issue #3", "No. 7", "see [12]",
        "BRK.B", "COVID-19", "0700.HK", "v1.2.3", "version 10.1.2", "192.168.0.1", "52-week high", "10-K filing",
        "S&P 500", "the Russell 2000", "1d 1w 1m returns", "3M return", "3M (the company)", "95% VaR", "the 3rd",
        "https://x.com/a/2024/12", "the top 10", "the 10 largest", "over the last 30 days", "5 of them", "1990s",
        "H1 results", "a 1-year window", "24/7",
    ],
)
def test_not_figures(text: str) -> None:
    assert extract_figures(text) == [], [f.raw for f in extract_figures(text)]


def test_figures_next_to_non_figures() -> None:
    text = "On 2026-03-08 (Q3 2025) at 16:00:\n1. NVDA fell 3% to $140.12\n2. 12 positions, #3 is 17.1%"
    assert [f.raw for f in extract_figures(text)] == ["3%", "$140.12", "12 positions", "17.1%"]


def test_ticker_like_names_can_be_ignored() -> None:
    assert [f.raw for f in extract_figures("3M shares")] == ["3M shares"]
    assert extract_figures("3M shares", ignore={"3M"}) == []
    assert [f.raw for f in extract_figures("$3M")] == ["$3M"]  # with a currency it is money


def test_markdown_table_columns_and_accounting() -> None:
    text = (
        "| # | Symbol | Weight | Value (EUR) | P&L |\n|---|:--|--:|--:|--:|\n"
        "| 1 | SAP | 19.18 | 9 246,00 | (120.50) |\n| 2 | ASML | 11.82 | 5 699,20 | 310.00 |\n"
    )
    figs = extract_figures(text)
    by_raw = {f.raw: f for f in figs}
    assert by_raw["19.18"].kind is FigureKind.PERCENT and by_raw["11.82"].kind is FigureKind.PERCENT
    assert by_raw["(120.50)"].value == Decimal("-120.50") and by_raw["(120.50)"].explicit_sign
    assert by_raw["310.00"].kind is FigureKind.AMOUNT
    assert "1" not in by_raw and "2" not in by_raw  # the rank column
    assert by_raw["19.18"].context[-1] == "SAP"


def test_parentheses_outside_tables_are_asides() -> None:
    fig = one("NVDA (6.8%) and cash ($1,871.40)".replace("NVDA (6.8%) and ", ""))
    assert fig.value == Decimal("1871.40")
    assert [f.value for f in extract_figures("NVDA (6.8%)")] == [Decimal("6.8")]


def test_offsets_in_code_points_and_utf16_with_emoji() -> None:
    text = "📉 NVDA −2.97% · 🚀👩‍💻 AMZN +1.88% · 𠀀 $31,041.20"
    figs = extract_figures(text)
    assert [f.raw for f in figs] == ["−2.97%", "+1.88%", "$31,041.20"]
    utf16 = text.encode("utf-16-le")
    for f in figs:
        assert text[f.start : f.end] == f.raw
        assert f.start_utf16 == len(text[: f.start].encode("utf-16-le")) // 2
        assert f.end_utf16 == len(text[: f.end].encode("utf-16-le")) // 2
        assert utf16[2 * f.start_utf16 : 2 * f.end_utf16].decode("utf-16-le") == f.raw
    first = figs[0]
    assert (first.start, first.start_utf16) == (7, 8)  # one emoji before it: two UTF-16 units, one code point
    assert figs[2].start_utf16 - figs[2].start == 5  # 📉 🚀 👩 💻 𠀀 are astral; U+200D (ZWJ) is not


def test_ascii_text_offsets_are_equal() -> None:
    fig = one("total $31,041.20")
    assert (fig.start, fig.end) == (fig.start_utf16, fig.end_utf16) == (6, 16)


@pytest.mark.parametrize("text, figures", [
    ("Diversification score 9.9/100 today.", [("9.9", "9.9")]),
    ("a rating of 4.5/5.", [("4.5", "4.5")]),
    ("scored 70/100", [("70", "70")]),
    ("on 8/10 the market opened", []),  # a date, not a score
    ("version 1.2/10/beta", []),
])
def test_a_score_out_of_a_scale_is_a_figure_and_its_scale_is_not(text: str, figures: list[tuple[str, str]]) -> None:
    """'9.9/100' read as a date or a path and no figure was found: an invented score passed as grounded
    (an auditor's test)."""
    assert [(f.raw, str(f.value)) for f in extract_figures(text)] == figures
