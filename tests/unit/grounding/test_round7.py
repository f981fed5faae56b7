"""Round 7: a figure's day, basis, heading and range end (a tester's false grounds on a nine-position portfolio).

- Words of the day ("today's", "daily", "the day's", "today" after a list of figures) make a figure the day's: never
  the current drawdown that happens to equal it; a name in brackets right after a figure ("-2.84% (Amazon)") makes it
  that name's, and is no aside of the next figure.
- A share's basis: "of your invested capital" cites only an invested weight, "including cash" only a weight of the
  total (and a worth "including cash" is the total value, not the invested value); "your five largest positions"
  only a share of the top five; "your tech holdings" only the sector's share.
- A heading's words qualify the list under it ("### Allocation" makes its items weights).
- The lower end of a range takes the words after the upper end ("12-18% of the portfolio": both ends are weights).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import check, extract_figures, facts_from_data

_P = [  # symbol, qty, price, value, r1d, r1w, r1m, ytd, sector, pnl
    ("AAPL", 40, "228.15", "9126.00", -0.0121, 0.0213, 0.0456, 0.1187, "Information Technology", "1826.00"),
    ("MSFT", 18, "420.50", "7569.00", 0.0087, -0.0121, 0.0213, 0.0904, "Information Technology", "969.00"),
    ("NVDA", 50, "131.40", "6570.00", -0.0284, -0.0452, -0.0911, 0.2410, "Information Technology", "2070.00"),
    ("MA", 12, "520.10", "6241.20", 0.0051, 0.0087, 0.0133, 0.0667, "Financials", "741.20"),
    ("JPM", 25, "236.40", "5910.00", -0.0042, 0.0156, 0.0320, 0.1250, "Financials", "910.00"),
    ("XOM", 40, "117.30", "4692.00", 0.0133, 0.0284, -0.0211, 0.0541, "Energy", "-208.00"),
    ("JNJ", 20, "155.80", "3116.00", 0.0021, -0.0087, -0.0350, -0.0120, "Health Care", "-84.00"),
    ("KO", 50, "62.40", "3120.00", -0.0005, 0.0066, 0.0107, 0.0050, "Consumer Staples", "120.00"),
    ("AMZN", 12, "214.55", "2574.60", 0.0311, 0.0540, 0.0811, 0.1741, "Consumer Discretionary", "334.60"),
]
_INV = sum(Decimal(p[3]) for p in _P)  # 48,918.80
_TOT = _INV + Decimal("3500.00")  # 52,418.80


def _position(p: tuple) -> dict:  # type: ignore[type-arg]
    symbol, qty, price, value, r1d, r1w, r1m, ytd, sector, pnl = p
    mv = Decimal(value)
    return {
        "symbol": symbol, "quantity": str(qty), "last_price": price, "market_value": value,
        "weight": round(float(mv / _TOT), 4), "invested_weight": round(float(mv / _INV), 4),
        "unrealized_pnl": pnl, "unrealized_return": round(float(Decimal(pnl) / (mv - Decimal(pnl))), 4),
        "return_1d": r1d, "return_1w": r1w, "return_1m": r1m, "return_ytd": ytd, "sector": sector,
    }


def _sectors() -> list[dict]:  # type: ignore[type-arg]
    groups: dict[str, list[Decimal]] = {}
    for p in _P:
        groups.setdefault(p[8], []).append(Decimal(p[3]))
    return [
        {"name": name, "market_value": f"{sum(vs):.2f}", "weight": round(float(sum(vs) / _TOT), 4),
         "invested_weight": round(float(sum(vs) / _INV), 4), "position_count": len(vs)}
        for name, vs in sorted(groups.items(), key=lambda kv: -sum(kv[1]))
    ]


FACTS = facts_from_data(
    {
        "available": True, "base_currency": "USD", "total_value": f"{_TOT:.2f}", "invested_value": f"{_INV:.2f}",
        "cash": {"value": "3500.00", "weight": round(float(Decimal(3500) / _TOT), 4)},
        "performance": {"return_1d": -0.0061, "return_1w": 0.0052, "return_1m": 0.0213, "return_ytd": 0.0904},
        "benchmark": {"symbol": "SPY", "return_1d": -0.0042, "return_ytd": 0.1020},
        "position_count": len(_P),
        "positions": [_position(p) for p in _P],
        "sectors": _sectors(),
        "risk": {"observations": 252, "volatility": 0.1874, "max_drawdown": -0.1132, "current_drawdown": -0.0284},
        "diversification": {"score": 6.2, "top5_invested_weight": round(float(Decimal("35416.2") / _INV), 4)},
    },
    currency="USD",
)


def cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


def test_the_portfolio_is_the_testers() -> None:
    assert cited("The current drawdown is -2.84%.") == [("-2.84%", "risk.current_drawdown")]
    assert cited("Nvidia fell 2.84% today.") == [("2.84%", "positions[NVDA].return_1d")]


# 1. a word of the day never cites a drawdown; a name in brackets after a figure is its subject


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Your tech names moved between -2.84% and +0.87% today.",
            [("-2.84%", "positions[NVDA].return_1d"), ("+0.87%", "positions[MSFT].return_1d")],
        ),
        ("Today's worst performer dropped 2.84%.", [("2.84%", "positions[NVDA].return_1d")]),
        ("The biggest daily loss in your portfolio was -2.84%.", [("-2.84%", "positions[NVDA].return_1d")]),
        ("NVDA was the day's worst performer, down 2.84%.", [("2.84%", "positions[NVDA].return_1d")]),
        ("AMZN rose 3.11% on the day.", [("3.11%", "positions[AMZN].return_1d")]),
        # the range's lower end is the day's too (not XOM's week of +2.84%)
        ("Your holdings moved 2.84-3.11% today.", [("2.84", None), ("3.11%", "positions[AMZN].return_1d")]),
    ],
)
def test_a_figure_of_the_day_is_never_the_current_drawdown(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert cited(text) == expected


def test_a_name_in_brackets_after_a_figure_is_its_subject() -> None:
    # names swapped: -2.84% is Nvidia's day and +3.11% Amazon's
    assert cited("Daily moves ranged from -2.84% (Amazon) to +3.11% (Nvidia).") == [("-2.84%", None), ("+3.11%", None)]
    assert cited("Daily moves ranged from -2.84% (Nvidia) to +3.11% (Amazon).") == [
        ("-2.84%", "positions[NVDA].return_1d"),
        ("+3.11%", "positions[AMZN].return_1d"),
    ]
    # the bracket is the number's, not an aside of the figure after it
    fig = extract_figures("Daily moves ranged from -2.84% (Nvidia) to +3.11%.")[1]
    assert (fig.bracket, fig.aside) == ((), ())
    fig = extract_figures("Daily moves ranged from -2.84% (Amazon) to +3.11% (Nvidia).")[1]
    assert (fig.bracket, fig.aside) == (("Nvidia",), ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Based on 252 daily returns, your max drawdown is -11.32%.", "risk.max_drawdown"),
        ("The portfolio's daily volatility is 18.74%.", "risk.volatility"),
        ("NVDA fell 2.84% today (its worst day).", "positions[NVDA].return_1d"),
        ("Technology is 44.38% (AAPL, MSFT, NVDA).", "sectors[Information Technology].weight"),
        ("Your largest holding is 17.41% (Apple) of the portfolio.", "positions[AAPL].weight"),
    ],
)
def test_day_words_and_brackets_leave_other_figures_alone(text: str, expected: str) -> None:
    assert cited(text)[-1] == (cited(text)[-1][0], expected)


# 2. the basis of a share or a worth


@pytest.mark.parametrize(
    "text",
    [
        "Your five largest positions make up 44.38% of your invested capital.",  # IT's weight, not the top five's
        "Your three largest positions make up 72.4% of your invested capital.",  # the top five's, not three
        "Technology is 47.56% of your total portfolio including cash.",  # IT's invested weight
        "Apple is 17.41% of your invested capital.",  # its weight of the total
        "Your total portfolio, including cash, is worth $48,918.80.",  # the invested value
        "Each of your tech holdings is 12-18% of the portfolio.",  # no holding's fact: "tech" is the sector
    ],
)
def test_a_share_or_worth_of_another_basis_is_flagged(text: str) -> None:
    assert all(path is None for _, path in cited(text)), cited(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Your five largest positions make up 72.4% of your invested capital.", "diversification.top5_invested_weight"),
        ("Your top 5 holdings make up 72.4% of your invested capital.", "diversification.top5_invested_weight"),
        ("Technology is 44.38% of your total portfolio including cash.", "sectors[Information Technology].weight"),
        ("Apple is 18.66% of your invested capital.", "positions[AAPL].invested_weight"),
        ("Your total portfolio, including cash, is worth $52,418.80.", "total_value"),
        ("Your portfolio is worth $52,418.80 including cash.", "total_value"),
        ("Your energy stocks make up 8.95% of the portfolio.", "sectors[Energy].weight"),
        ("Cash is 6.68% of your total portfolio including cash.", "cash.weight"),
    ],
)
def test_a_share_or_worth_of_its_basis_is_grounded(text: str, expected: str) -> None:
    assert [path for _, path in cited(text)] == [expected]


# 3. a heading qualifies the list under it


def test_an_allocation_heading_makes_its_list_weights() -> None:
    assert cited("### Allocation\n* **Amazon** – 17.4%\n* **JPMorgan** – 12.5%") == [("17.4%", None), ("12.5%", None)]
    assert cited("### Allocation\n- Apple: 17.41%\n- Cash: 6.68%") == [
        ("17.41%", "positions[AAPL].weight"),
        ("6.68%", "cash.weight"),
    ]
    assert [p for _, p in cited("**Gewichtung**\n- Amazon: 17,41 %")] == [None]
    assert [p for _, p in cited("Répartition :\n- Amazon : 17,41 %")] == [None]
    # a heading of changes, or a paragraph between, leaves the list as it was
    assert cited("### Performance & Allocation\n- Apple: +11.87% YTD") == [("+11.87%", "positions[AAPL].return_ytd")]
    assert cited("### Allocation\nSome notes.\n- Amazon: 17.41% YTD") == [("17.41%", "positions[AMZN].return_ytd")]


def test_a_heading_gives_its_list_a_period() -> None:
    assert cited("### Today's movers\n- NVDA: -2.84%\n- AMZN: +3.11%") == [
        ("-2.84%", "positions[NVDA].return_1d"),
        ("+3.11%", "positions[AMZN].return_1d"),
    ]
    fig = extract_figures("### Allocation\n* **Amazon** – 17.4%")[0]
    assert fig.heading == ("Allocation",)


# 4. the lower end of a range takes the words after the upper end


def test_the_lower_end_of_a_range_is_qualified_as_the_upper_end() -> None:
    low, high = extract_figures("Each of your tech holdings is 12-18% of the portfolio.")
    assert low.tail == high.tail == ("of", "the", "portfolio")
    # 12.5% would be JPM's YTD return: as a share of the portfolio it is no return
    assert cited("Your holdings are each 12.50-17.40% of the portfolio.") == [("12.50", None), ("17.40%", None)]
