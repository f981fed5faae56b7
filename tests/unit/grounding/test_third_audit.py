"""Cases of the third grounding audit (341 labelled answers: pushes, digests, tables, six languages)."""

from __future__ import annotations

import pytest

from tests.unit.grounding.seed import FACTS, assert_flagged, assert_grounded


@pytest.mark.parametrize("text", [
    "Your portfolio is worth $9.8.",  # the diversification score is 9.8
    "NVDA is worth $10.",  # NVDA's quantity is 10
    "AAPL is worth $20.",
    "Today: XOM +$20, AAPL +$20.",  # AAPL's day change is -20.00 (its quantity is 20)
])
def test_an_amount_in_a_currency_is_never_a_share_count_nor_a_score(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize(("text", "paths"), [
    ("You own 20 AAPL shares.", ["positions[AAPL].quantity"]),
    ("Your diversification score is 9.8.", ["diversification.score"]),
    ("Today: XOM +$20.", ["positions[XOM].change_1d"]),
])
def test_counts_scores_and_money_still_ground(text: str, paths: list[str]) -> None:
    assert_grounded(text, paths)


@pytest.mark.parametrize(("text", "paths"), [
    ("Il tuo portafoglio vale 10.180 $.", ["total_value"]),
    ("Il tuo portafoglio vale circa 10.000 $.", ["total_value"]),
    ("Al 6 marzo 2026 il tuo portafoglio vale 10.180 $ e conta 4 posizioni.", ["total_value", "position_count"]),
    ("Sua carteira vale cerca de US$ 10.000.", ["total_value"]),
    ("Em 6 de março de 2026, sua carteira vale US$ 10.180, com 4 posições.", ["total_value", "position_count"]),
])
def test_italian_and_portuguese_group_thousands_with_dots(text: str, paths: list[str]) -> None:
    """'10.180 $' was read as 10.18 unless another number of the text had a decimal comma."""
    assert_grounded(text, paths)


@pytest.mark.parametrize("text", [
    "Since 1 January, NVDA has gained 80%.",
    "Since 1st January, NVDA has gained 80%.",
    "Desde el 1 de enero, NVDA ha subido un 80 %.",
    "Seit dem 1. Januar ist NVDA um 80 % gestiegen.",
])
def test_the_first_of_january_written_day_first_is_the_year_to_date(text: str) -> None:
    assert_grounded(text, ["positions[NVDA].return_ytd"])


@pytest.mark.parametrize("text", [
    "Since 1 January, NVDA has gained 50%.",  # NVDA's month: 50%, its year: 80%
    "Desde el 1 de enero, NVDA ha subido un 50 %.",
])
def test_a_month_is_not_the_year_since_the_first_of_january(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize("text", [
    "Tech basket -4.2% this week vs SPY +1.0%.",  # Tech's week: -3.24%; -4.24 points is its gap to SPY
    "Your Tech basket returned -4.2% this week compared with SPY's +1.0%.",
])
def test_a_figure_set_against_the_benchmarks_is_its_subjects_own_not_the_gap(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize(("text", "paths"), [
    ("Tech basket -3.2% this week vs SPY +1.0%.", ["baskets[Tech].return_1w", "benchmark.return_1w"]),
    ("Your portfolio is up 13.11% this year vs 5.04% for SPY.", ["performance.return_ytd", "benchmark.return_ytd"]),
    ("Votre panier Tech a reculé de 3,24 % cette semaine, contre +1,00 % pour SPY.",
     ["baskets[Tech].return_1w", "benchmark.return_1w"]),
    ("Your Tech basket trailed SPY by 4.24 points this week.", ["baskets[Tech].excess_return_1w"]),
    ("Tech basket -4.24 pts vs SPY this week.", ["baskets[Tech].excess_return_1w"]),
])
def test_returns_set_against_each_other_and_gaps_still_ground(text: str, paths: list[str]) -> None:
    assert_grounded(text, paths)


@pytest.mark.parametrize("text", [
    "Ihr Bargeld beträgt 2.000 $, das sind 10 % Ihres Depots.",  # the cash is 19.65%; XOM's weight 10.02%
    "La tua liquidità è di 2.000 $, pari al 12,5% del portafoglio.",  # XOM's share of the invested value: 12.47%
    "O seu caixa é de US$ 2.000, ou 12,5% da carteira.",
])
def test_a_share_after_the_cash_is_the_cashs_in_german_italian_and_portuguese(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize("text", [
    "Ihr Bargeld beträgt 2.000 $, das sind 19,65 % Ihres Depots.",
    "La tua liquidità è di 2.000 $, pari al 19,65% del portafoglio.",
    "O seu caixa é de US$ 2.000, ou 19,65% da carteira.",
])
def test_the_cashs_share_grounds(text: str) -> None:
    assert_grounded(text, ["cash.value", "cash.weight"])


@pytest.mark.parametrize(("text", "paths"), [
    ("Portfolio -1.2% today ($120).", ["performance.return_1d", "performance.change_1d"]),
    ("AAPL -0.6% today; portfolio -1.2% ($120).",
     ["positions[AAPL].return_1d", "performance.return_1d", "performance.change_1d"]),
])
def test_a_signed_percent_gives_its_sign_to_the_amount_it_restates(text: str, paths: list[str]) -> None:
    """The day's change is -120.00: '$120' in brackets after '-1.2%' is that fall (it was read as a rise, flagged)."""
    assert_grounded(text, paths)


def test_a_rise_restated_is_not_the_fall() -> None:
    assert_flagged("Portfolio +1.2% today ($120).")


def test_a_list_of_companies_with_their_tickers_shares_its_verb() -> None:
    assert_grounded("Apple (AAPL) slipped 0.58% today, Microsoft (MSFT) 1.01%, and Nvidia (NVDA) 5.26%.",
                    ["positions[AAPL].return_1d", "positions[MSFT].return_1d", "positions[NVDA].return_1d"])
    assert_flagged("Apple (AAPL) slipped 0.58% today, Microsoft (MSFT) 1.01%, and Nvidia (NVDA) 4.26%.")


@pytest.mark.parametrize(("text", "paths"), [
    ("About 88% of your invested money is in Tech.", ["baskets[Tech].invested_weight"]),
    ("About 20% of your money is in cash.", ["cash.weight"]),
])
def test_a_share_of_your_money_is_a_weight(text: str, paths: list[str]) -> None:
    assert_grounded(text, paths)


def test_a_share_of_your_money_is_no_return() -> None:
    assert_flagged("About 80% of your invested money is in Tech.")  # NVDA's year: +80%; Tech: 87.53% invested


def test_a_bracketed_figure_after_a_share_of_the_invested_capital_is_that_share() -> None:
    assert_flagged("AAPL is about a third of your invested capital (33%).")  # 41.56% of the invested; 33.4% of all
    assert_grounded("AAPL is about two fifths of your invested capital (41.6%).", ["insights[AAPL].invested_weight"])
    assert_grounded("Tech is most of your portfolio (70%).", ["baskets[Tech].weight"])


@pytest.mark.parametrize("text", [
    "MSFT is 24.0% of invested capital, above the 25% guideline.",  # 25% is AAPL's line; MSFT's 23.96% is not above
    "NVDA is 22.0% of invested capital, above the 35% limit.",  # the sectors' line: NVDA's 22% is not above it
    "MSFT is 24.0% of invested capital, above the guideline of 25%.",
    "MSFT pesa il 24,0% del capitale investito, sopra la soglia del 25%.",
])
def test_a_bound_on_a_limit_is_true_of_the_holding_the_sentence_names(text: str) -> None:
    assert_flagged(text)


@pytest.mark.parametrize("text", [
    "AAPL is 41.6% of invested capital, above the 25% guideline.",
    "AAPL is 41.6% of invested capital, above the guideline of 25%.",
    "AAPL pesa il 41,6% del capitale investito, sopra la soglia del 25%.",
    "Your Technology sector is 87.5% of invested capital, above the 35% limit.",
])
def test_a_true_bound_on_a_limit_grounds(text: str) -> None:
    assert_grounded(text)


@pytest.mark.parametrize("tag", ["en", "de", "fr", "es", "zh-Hans"])
def test_the_offline_writers_lagging_benchmark_line_grounds_in_every_language(tag: str) -> None:
    """"Your Tech basket returned -3.24% over the past week against +1.00% for SPY (an excess return of -4.24
    percentage points)": the gap was read as the benchmark's ("for SPY") and the server's own text flagged (an i18n
    tester, en/de/fr/es; docs/api.md: the server's own texts "ground in every language they are written in")."""
    from stack_cfo.core.chat.data_block import context_document
    from stack_cfo.core.chat.offline import _insight_line, _Writer
    from stack_cfo.core.chat.question import read_question
    from stack_cfo.core.grounding import GroundingStatus, check
    from stack_cfo.core.i18n import localizer
    from tests.unit.chat.seed_portfolio import NOW, seed_context

    doc = context_document(seed_context(), NOW)
    insight = next(i for i in doc["insights"] if i["code"] == "BASKET_LAGGING_BENCHMARK")
    writer = _Writer(doc, read_question("How is my Tech basket doing?", symbols=["AAPL", "MSFT", "NVDA", "XOM"]),
                     localizer(tag))
    line = _insight_line(insight, writer.bench, writer)
    result = check(line, FACTS)
    assert result.status is GroundingStatus.GROUNDED, (line, [(c.figure.raw, c.fact_path) for c in result.checks])
    assert "baskets[Tech].excess_return_1w" in [c.fact_path for c in result.checks], line


def test_an_amount_with_a_currency_may_restate_a_number_the_investor_wrote_without_one() -> None:
    """"If I invest 5000 more in MSFT" answered "If you invest $5,000 more": the investor's number (a review of the
    rule that keeps "$10" off the data's share counts)."""
    from stack_cfo.core.grounding import GroundingStatus, check
    from stack_cfo.core.provenance.audit import text_facts

    facts = FACTS | text_facts("user", ["If I invest 5000 more in MSFT, what happens?"])
    result = check("If you invest $5,000 more in MSFT, it becomes your largest holding.", facts)
    assert result.status is GroundingStatus.GROUNDED and [c.fact_path for c in result.checks] == ["user[0][0]"]


def test_a_bound_is_held_against_the_name_of_its_own_clause_first() -> None:
    assert_grounded("Unlike XOM, your Technology sector is above the 35% limit.",
                    ["insights[SECTOR_CONCENTRATION].threshold_invested_weight"])
