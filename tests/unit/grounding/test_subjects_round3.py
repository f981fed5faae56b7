"""A company's name, an aside in brackets, a pronoun and a period word no longer let a figure cite another's fact.

On the auditor's portfolio (AAPL, MSFT, NVDA; cash $2,500; the portfolio fell 2.03 % today and 1.8 % this week),
these false statements were GROUNDED, each to a fact of equal value about something else:
- "Apple fell 2.84% today" (MSFT's day: a company the data does not name could cite any holding's fact), "Amazon fell
  2.64% today" (NVDA's: Amazon is not held);
- "Cash ($2,500) makes up 31.2% of your portfolio" (NVDA's weight) and "NVDA ($2,960.60) fell 2.84% today" (MSFT's
  day): the figure in brackets cut the clause, so the figure after it had no subject;
- "NVDA fell 2.64% today. It now makes up 21.6% of your portfolio" (MSFT's weight): "It" named nothing;
- "Your portfolio fell 2.03% this week", "Ihr Depot verlor diese Woche 2,03 %" (the current drawdown, a change of no
  period), "Today you gained €48.20" when only a key without a period suffix (``day_change``) said the day.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import GroundingStatus, check, extract_figures, facts_from_data
from stack_cfo.core.grounding.subjects import company_holding
from tests.unit.grounding.test_subjects_and_wording import FACTS


def _cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


@pytest.mark.parametrize(
    "text",
    [
        "Apple fell 2.84% today.",  # MSFT's day
        "Amazon fell 2.64% today.",  # NVDA's day; Amazon is not held
        "Microsoft makes up 31.2% of your portfolio.",  # NVDA's weight
        "Nvidia's weight is 21.58%.",  # MSFT's
        "Cash ($2,500) makes up 31.2% of your portfolio.",  # NVDA's weight
        "NVDA ($2,960.60) fell 2.84% today.",  # MSFT's day
        "Cash (about $2,500 today) makes up 21.6% of your portfolio.",
        "NVDA fell 2.64% today. It now makes up 21.6% of your portfolio.",  # MSFT's weight
        "NVDA fell 2.64% today, and it now makes up 21.6% of your portfolio.",
        "NVDA fell 2.64% today. Its weight is 21.6%.",
        "Your portfolio fell 2.03% this week.",  # the current drawdown; the week is 1.8 %
        "Your portfolio lost 2.03% this week.",
        "Ihr Depot verlor diese Woche 2,03 %.",
    ],
)
def test_false_statements_are_flagged(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED, _cited(text)


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("Apple fell 2.77% today.", ["positions[AAPL].return_1d"]),
        ("Microsoft fell 2.84% today.", ["positions[MSFT].return_1d"]),
        ("Nvidia's weight is 31.2%.", ["positions[NVDA].weight"]),
        ("Cash ($2,500) makes up 26.4% of your portfolio.", ["cash.value", "cash.weight"]),
        ("NVDA ($2,960.60) fell 2.64% today.", ["positions[NVDA].market_value", "positions[NVDA].return_1d"]),
        ("NVDA fell 2.64% today. It now makes up 31.2% of your portfolio.",
         ["positions[NVDA].return_1d", "positions[NVDA].weight"]),
        ("NVDA fell 2.64% today, and it now makes up 31.2% of your portfolio.",
         ["positions[NVDA].return_1d", "positions[NVDA].weight"]),
        ("Your portfolio fell 2.03% today. It is now worth $9,485.15.", ["performance.return_1d", "total_value"]),
        ("Your portfolio fell 1.8% this week.", ["performance.return_1w"]),
        ("Ihr Depot verlor diese Woche 1,8 %.", ["performance.return_1w"]),
        ("Your current drawdown is 2.03%.", ["risk.current_drawdown"]),
        # a pronoun with its own subject in the clause keeps it
        ("NVDA fell 2.64% today. It left your portfolio down 2.03%.", ["positions[NVDA].return_1d",
                                                                      "performance.return_1d"]),
    ],
)
def test_true_statements_stay_grounded(text: str, paths: list[str]) -> None:
    assert check(text, FACTS).status is GroundingStatus.GROUNDED, _cited(text)
    assert [p for _, p in _cited(text)] == paths


@pytest.mark.parametrize(
    ("name", "held", "expected"),
    [
        ("Apple", {"AAPL", "MSFT", "NVDA"}, "AAPL"),
        ("Microsoft", {"AAPL", "MSFT", "NVDA"}, "MSFT"),
        ("Nvidia", {"AAPL", "MSFT", "NVDA"}, "NVDA"),
        ("Amazon", {"AAPL", "AMZN"}, "AMZN"),
        ("Apple", {"AMZN", "MSFT"}, None),  # Apple is not held
        ("Amazon", {"AAPL"}, None),
        ("Mastercard", {"MSFT", "MA"}, "MA"),  # the table, not the spelling: never MSFT
        ("Mastercard", {"MSFT"}, None),
        ("MicroStrategy", {"MSFT"}, None),
        ("AppLovin", {"AAPL"}, None),
        ("Amphenol", {"AAPL"}, None),
        ("Adobe", {"AMD"}, None),
        ("Amgen", {"AMZN"}, None),
        ("Novartis", {"NVDA"}, None),
        ("Alphabet", {"GOOGL"}, "GOOGL"),
        ("Google", {"GOOGL"}, "GOOGL"),  # not in the table by this name: its spelling
        ("Berkshire", {"BRK.B"}, "BRK.B"),
        ("Coca-Cola", {"KO"}, "KO"),
        ("Visa", {"V", "VZ"}, "V"),
        ("SAP", {"SAP.DE"}, "SAP.DE"),
        ("Exxon", {"XOM"}, "XOM"),  # not the table's name (ExxonMobil): a short name of companies.ALIASES
        ("Initech", {"XOM"}, None),  # neither a listed company's name nor spelled like XOM: flagged
    ],
)
def test_a_company_name_stands_for_the_held_ticker_it_is(name: str, held: set[str], expected: str | None) -> None:
    assert company_holding((name, "fell"), 0, frozenset(held)) == expected


def test_a_day_key_without_a_suffix_is_the_days() -> None:
    facts = facts_from_data({"base_currency": "EUR", "day_change": "48.20", "unrealized_pnl": "215.30"},
                            currency="EUR")
    assert check("Today you gained €48.20.", facts).status is GroundingStatus.GROUNDED
    assert check("Today you gained €215.30.", facts).status is GroundingStatus.UNGROUNDED


def test_the_pronoun_reads_the_words_before_its_clause() -> None:
    first, second = extract_figures("NVDA fell 2.64% today. It now makes up 31.2% of your portfolio.")
    assert (first.antecedent, first.previous) == ((), ())
    assert (second.antecedent, second.previous) == ((), (("NVDA", "fell", "today"),))
    *_, third = extract_figures("Your portfolio fell 2.03%. Since the close, it is down $196.60.")
    assert (third.antecedent, third.previous) == (("Since", "the", "close"), (("Your", "portfolio", "fell"),))


def test_a_pronoun_in_brackets_is_the_name_nearest_before_it() -> None:
    text = ("Contributions to the Information Technology sector's return today: NVDA -1.12 percentage points (its own "
            "return -2.64%), MSFT -0.83 percentage points (its own return -2.84%).")
    assert _cited(text)[1::2] == [("-2.64%", "positions[NVDA].return_1d"), ("-2.84%", "positions[MSFT].return_1d")]
    swapped = text.replace("-2.64%", "-2.77%")  # AAPL's day
    assert check(swapped, FACTS).status is GroundingStatus.UNGROUNDED


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("NVDA and MSFT fell 2.64% and 2.84% respectively.",
         ["positions[NVDA].return_1d", "positions[MSFT].return_1d"]),  # was flagged: both read as MSFT's
        ("NVDA, MSFT and AAPL fell 2.64%, 2.84% and 2.77% respectively.",
         ["positions[NVDA].return_1d", "positions[MSFT].return_1d", "positions[AAPL].return_1d"]),
        ("Apple and Microsoft fell 2.77% and 2.84% respectively.",
         ["positions[AAPL].return_1d", "positions[MSFT].return_1d"]),
        ("NVDA et MSFT ont baissé de 2,64 % et 2,84 % respectivement.",
         ["positions[NVDA].return_1d", "positions[MSFT].return_1d"]),
        ("Your portfolio and SPY moved -2.03% and +0.53% respectively.",
         ["performance.return_1d", "benchmark.return_1d"]),
    ],
)
def test_respectively_pairs_the_figures_with_the_names_in_order(text: str, paths: list[str]) -> None:
    assert [p for _, p in _cited(text)] == paths


@pytest.mark.parametrize(
    "text",
    [
        "NVDA and MSFT fell 2.84% and 2.64% respectively.",  # swapped
        "NVDA, MSFT and AAPL fell 2.64%, 2.77% and 2.84% respectively.",  # MSFT's and AAPL's swapped
        "Apple and Microsoft fell 2.84% and 2.77% respectively.",
        "Your portfolio and SPY moved +0.53% and -2.03% respectively.",  # was GROUNDED: each to the other's
    ],
)
def test_respectively_with_the_figures_swapped_is_flagged(text: str) -> None:
    assert check(text, FACTS).status is GroundingStatus.UNGROUNDED, _cited(text)


_TABLE = "| Holding | Value |\n|---|---|\n| NVDA | $2,960.60 |\n| MSFT | $2,046.65 |\n| AAPL | $1,977.90 |\n"


def test_a_total_under_a_cash_row_is_not_the_invested_value() -> None:
    # the positions alone total the invested value; with the cash row above, the total holds the cash
    assert _cited(_TABLE + "| Total | $6,985.15 |")[-1] == ("$6,985.15", "invested_value")
    assert _cited(_TABLE + "| Cash | $2,500.00 |\n| Total | $9,485.15 |")[-1] == ("$9,485.15", "total_value")
    wrong = _TABLE + "| Cash | $2,500.00 |\n| Total | $6,985.15 |"
    assert check(wrong, FACTS).status is GroundingStatus.UNGROUNDED, _cited(wrong)
    short = "| Holding | Value |\n|---|---|\n| Cash | $2,500.00 |\n| Total | $6,985.15 |"
    assert check(short, FACTS).status is GroundingStatus.UNGROUNDED, _cited(short)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("You hold 6 positions, 2 of them in Health Care.", GroundingStatus.UNGROUNDED),  # Health Care holds 1
        ("You hold 6 positions, 2 of which are in Health Care.", GroundingStatus.UNGROUNDED),
        ("You hold 6 positions, 3 of them in Information Technology and 1 in Energy.", GroundingStatus.UNGROUNDED),
        ("You hold 6 positions, 1 of them in Health Care.", GroundingStatus.GROUNDED),
        ("You hold 6 positions, 2 of which are in Energy.", GroundingStatus.GROUNDED),
        ("You hold 6 positions, 3 of them in Information Technology and 2 in Energy.", GroundingStatus.GROUNDED),
    ],
)
def test_a_count_of_them_is_the_count_of_the_things_counted_before(text: str, status: GroundingStatus) -> None:
    from tests.unit.grounding.test_subjects_round2 import SIX

    result = check(text, SIX)
    assert result.status is status, [(c.figure.raw, c.fact_path) for c in result.checks]
    assert result.figure_count == text.count(" of ") + text.count(" and ") + 1  # every count read: none unchecked
