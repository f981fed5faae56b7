"""Markdown tables tied figures to the wrong fact (a tester's round 6): a column or row naming a period ("| Holding |
Today |", "| Ticker | Weight | 1D |", "| Heute |", "| This month |", "| Week | -0.61% |") was ignored, so a cell
cited whichever period's return was equal (MSFT's week under "Today"); a row label "YTD" hid the benchmark its column
names ("| Metric | Portfolio | SPY |": SPY's cell cited the portfolio's year); a Total row of a count column was any
portfolio fact of its size (6 the sector count under "Positions", 7 the effective position count 7.41), not the sum
of the column; a "Combined" row (or "Gesamt", "Summe") that sums the rows above it was flagged.

The layout (:mod:`stack_cfo.core.grounding.layout`) reads the period of a header or row label (``Column.period``,
``Layout.period``), leaves a period-only row label out of the row's words, reads a sum row's label as "Total", and
names the noun of a count column (``Column.noun``); extraction gives a table cell the layout's period and a count
column's Total its noun, and a Total of counts must be the column's exact sum.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import check, facts_from_data
from stack_cfo.core.grounding.layout import ColumnKind, Layout, classify_header


def _position(sym: str, weight: float, r1d: float, r1w: float, r1m: float, ytd: float, sector: str) -> dict:
    return {"symbol": sym, "weight": weight, "return_1d": r1d, "return_1w": r1w, "return_1m": r1m, "return_ytd": ytd,
            "sector": sector, "quantity": "10", "market_value": "1000.00"}


_SNAP = {
    "total_value": "52418.80", "invested_value": "48918.80", "cash": {"value": "3500.00", "weight": 0.0668},
    "performance": {"return_1d": -0.0061, "return_1w": 0.0052, "return_1m": 0.0213, "return_ytd": 0.0904},
    "benchmark": {"symbol": "SPY", "return_1d": -0.0042, "return_1w": 0.0087, "return_1m": 0.0150,
                  "return_ytd": 0.1020},
    "position_count": 9,
    "positions": [
        _position("AAPL", 0.1741, -0.0121, 0.0213, 0.0456, 0.1187, "Information Technology"),
        _position("MSFT", 0.1444, 0.0087, -0.0121, 0.0213, 0.0904, "Information Technology"),
        _position("NVDA", 0.1253, -0.0284, -0.0452, -0.0911, 0.2410, "Information Technology"),
        _position("XOM", 0.0895, 0.0133, 0.0284, -0.0211, 0.0541, "Energy"),
    ],
    "sectors": [
        {"name": "Information Technology", "weight": 0.4438, "position_count": 3},
        {"name": "Financials", "weight": 0.2318, "position_count": 2},
        {"name": "Energy", "weight": 0.0895, "position_count": 1},
        {"name": "Health Care", "weight": 0.0594, "position_count": 1},
        {"name": "Consumer Staples", "weight": 0.0595, "position_count": 1},
        {"name": "Consumer Discretionary", "weight": 0.0491, "position_count": 1},
    ],
    "diversification": {"score": 6.2, "position_count": 9, "effective_position_count": 7.41},
}
FACTS = facts_from_data(_SNAP, currency="USD")


def _cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


# --- the layout's own answers (layout.py) ---


@pytest.mark.parametrize(("header", "period"), [
    ("Today", "1d"), ("1D", "1d"), ("Heute", "1d"), ("Aujourd'hui", "1d"), ("Hoy", "1d"), ("Daily return", "1d"),
    ("1D (%)", "1d"), ("Week", "1w"), ("1W", "1w"), ("This week", "1w"), ("Woche", "1w"), ("Semaine", "1w"),
    ("This month", "1m"), ("1M", "1m"), ("MTD", "1m"), ("Monat", "1m"), ("Mes", "1m"), ("YTD", "ytd"),
    ("Year to date", "ytd"), ("Seit Jahresbeginn", "ytd"), ("Yesterday", "prior"), ("1Y", "span"), ("12M", "span"),
    ("Weight", None), ("Holding", None), ("SPY", None), ("Return", None), ("1D / 1W", None),
])
def test_a_header_names_the_period_of_its_column(header: str, period: str | None) -> None:
    assert classify_header(header).period == period


def test_a_period_header_keeps_its_kind_and_leaves_its_period_words_out() -> None:
    column = classify_header("Today (%)")
    assert (column.kind, column.period, column.words) == (ColumnKind.PERCENT, "1d", ())
    assert classify_header("This month").words == ()  # "This" would read as a pronoun
    assert classify_header("1D return").words == ()


@pytest.mark.parametrize(("header", "noun"), [
    ("Positions", "positions"), ("# Holdings", "holdings"), ("Anzahl Positionen", "positionen"), ("Count", None),
])
def test_a_count_column_names_its_noun(header: str, noun: str | None) -> None:
    column = classify_header(header)
    assert (column.kind, column.noun) == (ColumnKind.COUNT, noun)


def _cell(layout: Layout, text: str, needle: str) -> tuple[str | None, tuple[str, ...]]:
    pos = text.index(needle)
    layout.column(pos)
    return layout.period(pos), layout.row_label(pos)


def test_a_cell_takes_its_column_period_else_its_row_label_period() -> None:
    text = (
        "| Period | Return | 1W |\n|---|---|---|\n| Week | -0.61% | x |\n| Today | +0.52% | 1.5% |\n"
        "| AAPL | 4% | 3% |\n"
    )
    layout = Layout(text)
    assert _cell(layout, text, "-0.61%") == ("1w", ())  # the row label is the period, not a word of the cell
    assert _cell(layout, text, "+0.52%") == ("1d", ())
    assert _cell(layout, text, "1.5%") == ("1w", ())  # the column's period first
    assert _cell(layout, text, "4%") == (None, ("AAPL",))
    assert _cell(layout, text, "3%") == ("1w", ("AAPL",))


def test_a_row_label_3m_is_the_company_not_a_window() -> None:
    text = "| Holding | Weight |\n|---|---|\n| 3M | 2% |\n"
    layout = Layout(text)
    assert _cell(layout, text, "2%")[0] is None


@pytest.mark.parametrize("label", ["Combined", "Sum", "Gesamt", "Summe", "Insgesamt", "**Combined**",
                                   "Combined (AAPL + MSFT)"])
def test_a_sum_row_label_reads_as_total(label: str) -> None:
    text = f"| Holding | Weight |\n|---|---|\n| AAPL | 17.41% |\n| {label} | 31.85% |\n"
    layout = Layout(text)
    assert _cell(layout, text, "31.85%")[1][0] == "Total"


def test_a_combined_figure_of_its_own_is_no_sum_row() -> None:
    text = "| Metric | Value |\n|---|---|\n| Sharpe | 1.12 |\n| Combined weight of the top 5 | 72.40% |\n"
    layout = Layout(text)
    assert _cell(layout, text, "72.40%")[1][0] == "Combined"


# --- end to end: what layout.py alone fixes ---


def test_a_benchmark_column_keeps_its_subject_under_a_period_row() -> None:
    # was: +9.04% cited performance.return_ytd (the portfolio's year) though the column is SPY's
    assert _cited("| Metric | Portfolio | SPY |\n|---|---|---|\n| YTD | +10.20% | +9.04% |\n") == [
        ("+10.20%", None), ("+9.04%", None)]
    assert _cited("| Metric | Portfolio | SPY |\n|---|---|---|\n| YTD | +9.04% | +10.20% |\n") == [
        ("+9.04%", "performance.return_ytd"), ("+10.20%", "benchmark.return_ytd")]


@pytest.mark.parametrize("label", ["Combined", "Sum", "Gesamt", "Summe"])
def test_a_combined_row_is_the_sum_of_the_rows_above(label: str) -> None:
    # was: "Combined" flagged though 17.41% + 14.44% = 31.85%
    text = f"| Holding | Weight |\n|---|---|\n| AAPL | 17.41% |\n| MSFT | 14.44% |\n| {label} | 31.85% |"
    assert _cited(text)[-1] == ("31.85%", "sum(column)")
    assert _cited(text.replace("31.85%", "33.85%"))[-1] == ("33.85%", None)


# --- end to end: needs the extract.py / matching.py changes of this round's report ---


@pytest.mark.parametrize("text", [
    "| Holding | Today |\n|---|---|\n| MSFT | -1.21% |\n| XOM | +2.84% |\n",  # the week's returns
    "| Ticker | Weight | 1D |\n|---|---|---|\n| MSFT | 14.44% | -1.21% |\n",
    "| Titel | Gewicht | Heute |\n|---|---|---|\n| Microsoft | 14,44 % | −1,21 % |",
    "| Holding | This month |\n|---|---|\n| AAPL | +2.13% |\n",  # AAPL's week
    "| Period | Return |\n|---|---|\n| Week | -0.61% |\n",  # the portfolio's day
    "| Holding | 1W |\n|---|---|\n| MSFT | +0.87% |\n",  # MSFT's day
])
def test_a_cell_of_the_wrong_period_is_flagged(text: str) -> None:
    cited = _cited(text)
    assert cited[-1][1] is None, cited


@pytest.mark.parametrize(("text", "paths"), [
    ("| Holding | Today |\n|---|---|\n| MSFT | +0.87% |\n| XOM | +1.33% |\n",
     ["positions[MSFT].return_1d", "positions[XOM].return_1d"]),
    ("| Ticker | Weight | 1D |\n|---|---|---|\n| MSFT | 14.44% | +0.87% |\n",
     ["positions[MSFT].weight", "positions[MSFT].return_1d"]),
    ("| Titel | Gewicht | Heute |\n|---|---|---|\n| MSFT | 14,44 % | +0,87 % |",
     ["positions[MSFT].weight", "positions[MSFT].return_1d"]),
    ("| Holding | This month |\n|---|---|\n| AAPL | +4.56% |\n", ["positions[AAPL].return_1m"]),
    ("| Period | Return |\n|---|---|\n| Today | -0.61% |\n| Week | +0.52% |\n| MTD | +2.13% |\n",
     ["performance.return_1d", "performance.return_1w", "performance.return_1m"]),
])
def test_a_cell_of_its_period_is_grounded(text: str, paths: list[str]) -> None:
    assert [p for _, p in _cited(text)] == paths


_SECTORS = (
    "| Sector | Positions | Weight |\n|---|---|---|\n| Information Technology | 3 | 44.38% |\n"
    "| Financials | 2 | 23.18% |\n| Energy | 1 | 8.95% |\n| Health Care | 1 | 5.94% |\n"
)


def test_a_count_total_that_is_not_the_sum_of_its_column_is_flagged() -> None:
    # was: "6" cited sectors.count (6 sectors), though the column counts positions and adds up to 7
    assert _cited(_SECTORS + "| Total | 6 | 82.45% |")[-2:] == [("6", None), ("82.45%", "sum(column)")]


def test_a_count_total_is_the_sum_of_its_column() -> None:
    # was: "7" cited diversification.effective_position_count (7.41)
    assert _cited(_SECTORS + "| Total | 7 | 82.45% |")[-2:] == [("7", "sum(column)"), ("82.45%", "sum(column)")]
