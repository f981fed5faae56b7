"""Matching figures to facts: rounding, derived forms, signs, subjects, the verdict."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import Fact, FactKind, Facts, GroundingStatus, check, facts_from_data, facts_from_text
from tests.unit.grounding.portfolios import USD

D = Decimal
PORTFOLIO = facts_from_data(USD)


def grounded(text: str, facts: Facts = PORTFOLIO) -> list[bool]:
    return [c.grounded for c in check(text, facts).checks]


def facts(**values: tuple[str, FactKind]) -> Facts:
    return Facts({path.replace("__", "."): Fact(D(v), kind) for path, (v, kind) in values.items()})


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("$31,041.20", True), ("$31,041.2", True), ("$31,041", True), ("$31k", True), ("31.0k", True),
        ("$31.04k", True), ("$31,041.21", False), ("$31,042", False), ("$32k", False), ("$31,000", False),
        ("about $31,000", True), ("$0.03M", True), ("$0.031M", True), ("$0.032M", False),
    ],
)
def test_rounding_to_the_shown_digits(text: str, ok: bool) -> None:
    assert grounded(text, facts(total_value=("31041.20", FactKind.AMOUNT))) == [ok]


@pytest.mark.parametrize(
    ("text", "ok"),
    [("6.8%", True), ("7%", True), ("6.77%", True), ("6.770%", True), ("6.78%", False), ("6.7%", False),
     ("0.0677", True), ("0.068", True), ("6.8 pp", True)],
)
def test_fraction_matches_percent(text: str, ok: bool) -> None:
    assert grounded(text, facts(weight=("0.0677", FactKind.FRACTION))) == [ok]


def test_half_a_unit_is_inclusive() -> None:
    f = facts(vol=("0.2235", FactKind.FRACTION))
    assert grounded("22.4%", f) == [True]  # 22.35 is exactly half a unit from 22.4
    assert grounded("22.3%", f) == [True]
    assert grounded("22.5%", f) == [False]


def test_direction_words_carry_the_sign() -> None:
    f = facts(return_1w=("-0.0297", FactKind.FRACTION))
    assert grounded("fell 3%", f) == [True]
    assert grounded("down 3%", f) == [True]
    assert grounded("−2.97%", f) == [True]
    assert grounded("rose 3%", f) == [False]
    assert grounded("+3%", f) == [False]
    assert grounded("returned 3%", f) == [False]  # an unsigned figure needs a fact that is not negative
    assert grounded("fell 3%", facts(return_1w=("0.03", FactKind.FRACTION))) == [False]


def test_drawdowns() -> None:
    f = facts(max_drawdown=("-0.194", FactKind.FRACTION), return_1d=("-0.03", FactKind.FRACTION))
    assert grounded("a drawdown of 19.4%", f) == [True]
    assert grounded("max drawdown 19.4%", f) == [True]
    assert grounded("max drawdown −19.4%", f) == [True]
    assert grounded("19.4%", f) == [False]
    # the brief: wrong even though another fact is -3%, because the figure is labelled a drawdown
    assert grounded("max drawdown −3%", f) == [False]
    assert grounded("max drawdown +19.4%", f) == [False]


def test_percent_and_points_for_a_difference() -> None:
    f = facts(excess_return_1w=("-0.0079", FactKind.FRACTION))
    assert grounded("lagged by 0.79 pp", f) == [True]
    assert grounded("lagged by 0.8%", f) == [True]
    assert grounded("lagged by 0.8 percentage points", f) == [True]
    assert grounded("beat it by 0.8 pp", f) == [False]


def test_percent_facts_already_in_points() -> None:
    f = facts(day_change_percent=("-1.31", FactKind.PERCENT))
    assert grounded("−1.31%", f) == [True]
    assert grounded("fell 1.3%", f) == [True]
    assert grounded("−0.0131", f) == [False]


def test_kinds_must_fit() -> None:
    f = facts(price=("2.10", FactKind.AMOUNT), sharpe=("-3.04", FactKind.RATIO), position_count=("12", FactKind.COUNT))
    assert grounded("Sharpe 2.10", f) == [False]  # a ratio is not a price
    assert grounded("$2.10", f) == [True]
    assert grounded("12 positions", f) == [True]
    assert grounded("12%", f) == [False]


def test_currency_must_not_differ() -> None:
    f = Facts({"total_value": Fact(D("31041.20"), FactKind.AMOUNT, "USD")})
    assert grounded("$31,041.20", f) == [True]
    assert grounded("31,041.20 USD", f) == [True]
    assert grounded("31,041.20", f) == [True]
    assert grounded("€31,041.20", f) == [False]


def test_bounds() -> None:
    f = facts(weight=("0.0677", FactKind.FRACTION), cash=("1871.40", FactKind.AMOUNT))
    assert grounded("under 7%", f) == [True]
    assert grounded("over 6%", f) == [True]
    assert grounded("over 7%", f) == [False]
    assert grounded("more than $1,800", f) == [True]
    assert grounded("less than $1,800", f) == [False]
    assert grounded("more than $1,000", f) == [True]  # true, if loose: up to two units of the shown thousands
    assert grounded("more than $5,000", f) == [False]


def test_subjects_keep_figures_to_their_names() -> None:
    assert grounded("NVDA is 6.8% of the portfolio") == [True]
    assert grounded("NVDA is 17.1% of the portfolio") == [False]  # AAPL's weight, not NVDA's
    assert grounded("AAPL is 17.1% of the portfolio") == [True]
    assert grounded("The portfolio fell 1.3% as NVDA dropped 3.1%") == [True, True]
    assert grounded("Sharpe −2.41") == [False]  # the Sortino ratio's value
    assert grounded("12 positions") == [True]
    assert grounded("15 positions") == [False]  # NVDA holds 15 shares, which is not a count of positions
    assert grounded("15 shares of NVDA") == [True]


def test_best_match_is_exact_first_then_path_order() -> None:
    f = Facts({
        "b.weight": Fact(D("0.068"), FactKind.FRACTION),
        "a.weight": Fact(D("0.0677"), FactKind.FRACTION),
        "c.weight": Fact(D("0.068"), FactKind.FRACTION),
    })
    (c,) = check("6.8%", f).checks
    assert (c.fact_path, c.exact) == ("b.weight", True)
    (c,) = check("7%", f).checks
    assert (c.fact_path, c.exact) == ("a.weight", False)


def test_status_and_counts() -> None:
    r = check("No numbers here, only words (and 2026-03-08).", PORTFOLIO)
    assert r.status is GroundingStatus.NO_FIGURES and r.figure_count == 0
    r = check("Worth $31,041.20 with 12 positions.", PORTFOLIO)
    assert r.status is GroundingStatus.GROUNDED and (r.grounded_count, r.ungrounded_count) == (2, 0)
    r = check("Worth $1,250,000 with 12 positions.", PORTFOLIO)
    assert r.status is GroundingStatus.UNGROUNDED and (r.grounded_count, r.ungrounded_count) == (1, 1)
    assert [f.raw for f in r.ungrounded] == ["$1,250,000"]
    assert [c.fact_path for c in r.checks] == [None, "positions.count"]


def test_numbers_from_the_user_and_an_article() -> None:
    user = facts_from_text("user[3]", "Should I sell? NVDA fell 3.1% and I have $5k spare.")
    assert dict(user) == {
        "user[3][0]": Fact(D("-3.1"), FactKind.PERCENT, None, D("0.1")),
        "user[3][0].abs": Fact(D("3.1"), FactKind.PERCENT, None, D("0.1")),
        "user[3][1]": Fact(D("5E+3"), FactKind.AMOUNT, "USD", D("1E+3")),
    }
    both = PORTFOLIO | user
    r = check("You mentioned $5,000 spare; NVDA's 3.1% drop matches the data.", both)
    # NVDA's drop is stated as the data's: the data's -3.11 grounds it, though the user's -3.1 equals it (the
    # investor's numbers ground a move of a holding only where the clause says whose number it is)
    assert [c.fact_path for c in r.checks] == ["user[3][1]", "positions[NVDA].return_1d"]
    r = check("You mentioned NVDA's 3.1% drop.", both)
    assert [c.fact_path for c in r.checks] == ["user[3][0]"]  # ... as here: exact wins
    article = facts_from_text("article", "Revenue was $35.1 billion, up 94%.")
    assert grounded("Revenue rose 94% to $35.1bn, beating $40bn.", article) == [True, True, False]


def test_ticker_names_from_facts_are_not_figures() -> None:
    f = facts_from_data({"positions": [{"symbol": "3M", "weight": 0.02}]})
    r = check("3M is 2.0% of the portfolio.", f)
    assert [c.figure.raw for c in r.checks] == ["2.0%"] and r.status is GroundingStatus.GROUNDED


def test_table_total_row_is_the_column_sum() -> None:
    table = "| Sector | Weight |\n|---|---|\n| Technology | 37.3% |\n| Financials | 11.1% |\n| **Total** | **{}** |\n"
    assert grounded(table.format("48.4%")) == [True, True, True]
    assert grounded(table.format("48.3%")) == [True, True, True]  # 37.26 + 11.07 = 48.33
    assert grounded(table.format("52.0%")) == [True, True, False]
    wrong_row = table.replace("11.1%", "14.1%")
    assert grounded(wrong_row.format("51.4%")) == [True, False, False]  # a total of invented rows is not grounded


def test_check_runs_on_the_completed_text_of_a_stream() -> None:
    text = "NVDA fell 3.1% today; the portfolio is worth $31,041.20."
    chunks = [text[i : i + 7] for i in range(0, len(text), 7)]
    start = text.index("$31,041.20")
    assert any(start < i < start + 10 for i in range(0, len(text), 7))  # a chunk boundary splits the figure
    assert check("".join(chunks), PORTFOLIO).status is GroundingStatus.GROUNDED
    per_chunk = [c.figure.raw for chunk in chunks for c in check(chunk, PORTFOLIO).checks]
    assert "$31,041.20" not in per_chunk  # checked chunk by chunk, the figure does not exist


def test_among_equal_facts_the_one_the_words_name_then_one_of_the_figures_kind_is_cited() -> None:
    f = facts(
        diversification__score=("0.0", FactKind.NUMBER),
        fees=("0.00", FactKind.AMOUNT),
        income=("0.00", FactKind.AMOUNT),
        realized_pnl=("0.00", FactKind.AMOUNT),
    )
    r = check("Realized P&L so far: $0.00; income $0.00; fees and taxes $0.00. Made $0.00.", f)
    # before: every one cited diversification.score, the first path in sorted order
    assert [c.fact_path for c in r.checks] == ["realized_pnl", "income", "fees", "fees"]
    de = check("Bisher realisierter Gewinn/Verlust: 0,00 $; Erträge 0,00 $.", f)
    assert [c.fact_path for c in de.checks] == ["fees", "fees"]  # money, not the score, in any language
    assert [c.fact_path for c in check("a score of 0.0", f).checks] == ["diversification.score"]


def test_equal_values_cite_the_portfolios_own_fact_and_british_spellings_name_it() -> None:
    # one sector holds everything: its unrealised P&L equals the portfolio's
    f = Facts({
        "sectors[Unknown].unrealized_pnl": Fact(D("966"), FactKind.AMOUNT),
        "realized_pnl": Fact(D("966"), FactKind.AMOUNT),
        "unrealized_pnl": Fact(D("966"), FactKind.AMOUNT),
    })
    (plain,) = check("Your gain so far: 966.00", f).checks
    assert plain.fact_path == "realized_pnl"  # equal depth: the earlier fact, as before
    (spelled,) = check("Unrealised P&L: +966.00", f).checks
    assert spelled.fact_path == "unrealized_pnl"
    f2 = Facts({"sectors[Unknown].unrealized_pnl": Fact(D("966"), FactKind.AMOUNT),
                "unrealized_pnl": Fact(D("966"), FactKind.AMOUNT)})
    (shallow,) = check("P&L: +966.00", f2).checks
    assert shallow.fact_path == "unrealized_pnl"  # not the sector's that happens to equal it


def test_the_recorded_figure_value_carries_the_sign_of_its_direction_word() -> None:
    """Figure.value is 'signed and scaled: "fell 3%" is -3' (common.proto); the record gave 3."""
    from stack_cfo.core.provenance.model import GroundingRecord

    facts = facts_from_data({"return_1w": -0.03, "total_value": "5124"})
    text = "The portfolio fell 3% this week and is worth $5,124.00."
    record = GroundingRecord.of(check(text, facts), facts)
    by_text = {f.text: f for f in record.figures}
    assert by_text["3%"].value == "-3" and by_text["3%"].grounded
    assert by_text["$5,124.00"].value == "5124.00"
