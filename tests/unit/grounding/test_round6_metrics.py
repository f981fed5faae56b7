"""Round 6: words that name one metric among several equal figures (weights, drawdowns, scores, effective counts,
spans of time, losses): a figure is tied to the fact its words name, or flagged, never to an equal other fact."""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import check, facts_from_data

FACTS = facts_from_data(
    {
        "base_currency": "USD",
        "total_value": "1000.00",
        "position_count": 3,
        "cash": {"value": "50.00", "weight": 0.0668},
        "performance": {"return_1d": -0.0061, "excess_return_1d": -0.0019, "return_ytd": 0.0904,
                        "excess_return_1m": 0.0063, "return_1m": 0.0213},
        "positions": [
            {"symbol": "AMZN", "market_value": "49.10", "weight": 0.0491, "return_ytd": 0.1741, "return_1d": 0.0311},
            {"symbol": "AAPL", "market_value": "174.10", "weight": 0.1741, "return_1d": -0.0121, "quantity": "40",
             "return_1m": 0.0456, "unrealized_return": 0.2501, "invested_weight": 0.1866},
            {"symbol": "NVDA", "market_value": "131.40", "weight": 0.1253, "return_1d": -0.0284, "return_1w": -0.0452,
             "return_ytd": 0.2410, "unrealized_return": 0.46, "change_1d": "-192.05"},
        ],
        "risk": {"max_drawdown": -0.1132, "current_drawdown": -0.0284},
        "diversification": {"score": 6.2, "effective_position_count": 7.41, "effective_sector_count": 3.9},
    },
    currency="USD",
)


def cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


# 1. a share of the portfolio cites a weight only


@pytest.mark.parametrize(
    "text",
    [
        "Amazon makes up 17.41% of your portfolio.",
        "AMZN makes up 17.41% of your portfolio.",
        "Apple's weight is 4.56%.",
        "Apple accounts for 25.01% of your portfolio.",
        "Nvidia's weight is 46%.",
        "Nvidia is 24.1% of the portfolio.",
        "Amazon was the best performer today. Its weight is 17.41%.",
        "Amazon macht 17,41 % Ihres Depots aus.",
        "Amazon pèse 17,41 % de votre portefeuille.",
        "Amazon representa el 17,41 % de su cartera.",
    ],
)
def test_a_share_of_the_portfolio_is_never_a_return(text: str) -> None:
    [(_, path)] = cited(text)
    assert path is None


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("Amazon makes up 4.91% of your portfolio.", "positions[AMZN].weight"),
        ("Apple's weight is 17.41%.", "positions[AAPL].weight"),
        ("Amazon macht 4,91 % Ihres Depots aus.", "positions[AMZN].weight"),
        ("Amazon pèse 4,91 % de votre portefeuille.", "positions[AMZN].weight"),
        ("Amazon representa el 4,91 % de su cartera.", "positions[AMZN].weight"),
        ("Apple accounts for 18.66% of your invested capital.", "positions[AAPL].invested_weight"),
        ("Cash is 6.68% of the portfolio.", "cash.weight"),
        ("Amazon rose 3.11% today and makes up 4.91% of your portfolio.", "positions[AMZN].weight"),
    ],
)
def test_a_true_share_cites_its_weight(text: str, path: str) -> None:
    assert cited(text)[-1] == (cited(text)[-1][0], path)


def test_a_change_word_keeps_a_share_clause_a_change() -> None:
    # the old reading stays: a return in the clause is a return
    assert cited("Amazon is up 17.41% this year.") == [("17.41%", "positions[AMZN].return_ytd")]
    assert cited("Amazon gained 17.41% this year, the most of your portfolio.")[0][1] == "positions[AMZN].return_ytd"


# 2. max and current drawdown


@pytest.mark.parametrize(
    "text",
    [
        "Max drawdown was 2.8%.",
        "Maximum drawdown: -2.84%.",
        "Der maximale Drawdown beträgt 2,84 %.",
        "Le drawdown maximal est de 2,84 %.",
        "La caída máxima fue del 2,84 %.",
    ],
)
def test_max_drawdown_is_never_the_current_one(text: str) -> None:
    [(_, path)] = cited(text)
    assert path is None


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("Max drawdown was 11.32%.", "risk.max_drawdown"),
        ("Der maximale Drawdown beträgt 11,32 %.", "risk.max_drawdown"),
        ("La caída máxima fue del 11,32 %.", "risk.max_drawdown"),
        ("Your current drawdown is -2.84%.", "risk.current_drawdown"),
        ("Drawdown: -2.84%.", "risk.current_drawdown"),
        ("Drawdown: -11.32%.", "risk.max_drawdown"),
    ],
)
def test_a_named_drawdown_cites_that_drawdown(text: str, path: str) -> None:
    assert [p for _, p in cited(text)] == [path]


def test_current_drawdown_is_never_the_max() -> None:
    assert cited("Your current drawdown is -11.32%.") == [("-11.32%", None)]
    assert cited("Max drawdown was -11.32% and the current drawdown is -2.84%.") == [
        ("-11.32%", "risk.max_drawdown"),
        ("-2.84%", "risk.current_drawdown"),
    ]


# 3. scores and effective counts


def test_a_score_cites_only_a_score() -> None:
    assert cited("Your diversification score is 7.41 out of 10.")[0] == ("7.41", None)
    assert cited("Your diversification score is 6.2 out of 10.")[0] == ("6.2", "diversification.score")


def test_an_effective_number_of_sectors_is_no_effective_number_of_positions() -> None:
    assert cited("Your effective number of sectors is 7.41.") == [("7.41", None)]
    assert cited("Your effective number of sectors is 3.9.") == [("3.9", "diversification.effective_sector_count")]
    assert cited("Your effective number of positions is 7.41.") == [
        ("7.41", "diversification.effective_position_count")
    ]


# 4. periods


def test_the_last_24_hours_is_the_day() -> None:
    assert cited("In the last 24 hours Nvidia fell 4.52%.") == [("4.52%", None)]
    assert cited("In the last 24 hours Nvidia fell 2.84%.") == [("2.84%", "positions[NVDA].return_1d")]


@pytest.mark.parametrize(
    "text",
    [
        "Over the past 12 months the portfolio returned 9.04%.",
        "Over the past year the portfolio returned 9.04%.",
        "Nvidia is up 24.1% over the last twelve months.",
        "Nvidia returned 24.1% over the trailing twelve months.",
    ],
)
def test_a_trailing_year_is_no_year_to_date(text: str) -> None:
    [(_, path)] = cited(text)
    assert path is None


def test_a_year_to_date_word_after_a_trailing_year_still_reads() -> None:
    assert cited("Over the past 12 months the portfolio returned 9.04%, and 2.13% this month.") == [
        ("9.04%", None),
        ("2.13%", "performance.return_1m"),
    ]
    assert cited("This year the portfolio returned 9.04%.") == [("9.04%", "performance.return_ytd")]


def test_since_purchase_is_the_unrealised_return() -> None:
    assert cited("Nvidia has returned 24.1% since you bought it.") == [("24.1%", None)]
    assert cited("Nvidia has returned 46% since you bought it.") == [("46%", "positions[NVDA].unrealized_return")]
    assert cited("Since purchase, Apple is up 25.01%.") == [("25.01%", "positions[AAPL].unrealized_return")]


# 5. comparisons and losses


@pytest.mark.parametrize(
    "text",
    [
        "Your portfolio fell 0.61% today, underperforming the S&P 500 by 0.19 percentage points.",
        "You underperformed the S&P 500 by 0.19 points today.",
    ],
)
def test_underperforming_by_points_cites_the_excess(text: str) -> None:
    assert cited(text)[-1][1] == "performance.excess_return_1d"


def test_outperforming_by_points_needs_a_positive_excess() -> None:
    assert cited("You outperformed the S&P 500 by 0.63 points this month.") == [
        ("0.63 points", "performance.excess_return_1m")
    ]
    assert cited("You outperformed the S&P 500 by 0.19 points today.") == [("0.19 points", None)]


def test_giving_back_and_costing_are_losses() -> None:
    assert cited("Nvidia gave back 2.84% today.") == [("2.84%", "positions[NVDA].return_1d")]
    assert cited("Nvidia cost you $192.05 today.") == [("$192.05", "positions[NVDA].change_1d")]
    assert cited("Amazon gave back 3.11% today.") == [("3.11%", None)]  # it rose
