"""Round 8: a restated figure's subject, a gap to the benchmark, a sector's list of members, spans and spread counts.

- A percent in brackets or after ", or" right after an amount restates it ("Apple gained $1,781.23 (27.12%)"): it keeps
  the amount's subject, period and direction, and the other way round ("lost 1.21% ($425.41)").
- A gap to the benchmark ("trailing the S&P 500 by 2.2 percentage points", "behind ... by", "an underperformance of
  0.77 points", "3,23 Prozentpunkte hinter der Benchmark") cites only an excess return, of the comparison's sign.
- A bracket or a relative clause listing a sector's members ("Consumer Discretionary (Amazon and Tesla)", ", which
  includes Amazon and Tesla,") is no subject of a figure after it.
- A metric over "the past year" may cite the metric (a drawdown spans no period of the facts).
- A count after "across", "through", "umfasst" is of what its sentence names before it.
- "has fallen" is a fall; "costing you $X" after a day's fall is a loss.
"""

from __future__ import annotations

import pytest

from stack_cfo.core.grounding import check, facts_from_data


def _pos(symbol: str, sector: str, **values: object) -> dict[str, object]:
    return {"symbol": symbol, "sector": sector, **values}


FACTS = facts_from_data(
    {
        "available": True,
        "base_currency": "USD",
        "total_value": "52418.80",
        "position_count": 10,
        "positions": [
            _pos("AAPL", "Information Technology", unrealized_pnl="3073.50", unrealized_return=0.365,
                 return_ytd=0.1834, change_ytd="1781.23"),
            _pos("GOOGL", "Communication Services", return_ytd=0.2712),
            _pos("JPM", "Financials", unrealized_return=0.4283),
            _pos("META", "Communication Services", return_ytd=0.4021),
            _pos("AMZN", "Consumer Discretionary", return_ytd=-0.051),
            _pos("TSLA", "Consumer Discretionary", return_ytd=-0.3361),
            _pos("NVDA", "Information Technology", return_1m=-0.0833, return_1d=-0.0312, change_1d="-156.44"),
            _pos("PEP", "Consumer Staples", unrealized_pnl="-410.00", unrealized_return=-0.0975),
        ],
        "sectors": [
            {"name": "Information Technology", "weight": 0.358, "position_count": 3},
            {"name": "Financials", "weight": 0.1699, "position_count": 2},
            {"name": "Communication Services", "weight": 0.185, "position_count": 2, "return_ytd": 0.3235},
            {"name": "Consumer Discretionary", "weight": 0.2289, "position_count": 2, "return_ytd": -0.117},
        ],
        "performance": {
            "return_1w": -0.0121, "change_1w": "-425.41", "return_1m": 0.0138, "return_ytd": 0.142,
            "excess_return_1m": -0.0077, "excess_return_ytd": -0.0221,
        },
        "benchmark": {"symbol": "SPY", "return_1m": 0.022, "return_ytd": 0.164},
        "risk": {"max_drawdown": -0.1247},
    }
)


def _path(text: str, raw: str) -> str | None:
    found = [c for c in check(text, FACTS).checks if c.figure.raw == raw]
    assert found, f"{raw!r} not extracted from {text!r}"
    return found[-1].fact_path


@pytest.mark.parametrize(
    ("text", "raw", "want"),
    [
        # FG1: a restating percent keeps the amount's subject (Apple's YTD is 18.34%, GOOGL's 27.12%)
        ("Apple gained $1,781.23 (27.12%) this year.", "27.12%", None),
        ("Apple gained $1,781.23 (18.34%) this year.", "18.34%", "positions[AAPL].return_ytd"),
        ("Apple has an unrealized gain of $3,073.50 (42.83%).", "42.83%", None),
        ("Apple's unrealized gain is $3,073.50, or 42.83%.", "42.83%", None),
        ("Apple: unrealized gain of $3,073.50 (+42.83%)", "+42.83%", None),
        ("Apple has an unrealized gain of $3,073.50 (36.5%).", "36.5%", "positions[AAPL].unrealized_return"),
        # FF8: and its direction and period
        ("This week the portfolio lost 1.21% ($425.41).", "$425.41", "performance.change_1w"),
        ("Nvidia dropped 3.12% today, costing you $156.44.", "$156.44", "positions[NVDA].change_1d"),
        ("PepsiCo is underwater by $410.00, or 9.75%.", "9.75%", "positions[PEP].unrealized_return"),
    ],
)
def test_restated_figure_keeps_subject_direction_and_period(text: str, raw: str, want: str | None) -> None:
    assert _path(text, raw) == want


@pytest.mark.parametrize(
    ("text", "raw", "want"),
    [
        # FG2: the gap is no benchmark return (SPY 1m is 2.2%; the excess 1m is -0.77)
        ("Your portfolio is up 1.38% this month, trailing the S&P 500 by 2.2 percentage points.",
         "2.2 percentage points", None),
        ("You're behind the S&P 500 by 2.2 points this month.", "2.2 points", None),
        ("Your portfolio is up 1.38% this month, trailing the S&P 500 by 0.77 percentage points.",
         "0.77 percentage points", "performance.excess_return_1m"),
        ("Your portfolio trailed the S&P 500's 16.4% gain by 2.2 percentage points.",
         "2.2 percentage points", "performance.excess_return_ytd"),
        # FF1/FF10
        ("Your portfolio is up 14.2%, trailing the S&P 500 by about 2.2 percentage points.",
         "2.2 percentage points", "performance.excess_return_ytd"),
        ("Over the past month, the portfolio returned 1.38% versus 2.2% for the benchmark, an underperformance of "
         "0.77 points.", "0.77 points", "performance.excess_return_1m"),
        ("Sie liegen also 2,21 Prozentpunkte hinter der Benchmark.", "2,21 Prozentpunkte",
         "performance.excess_return_ytd"),
        # a gap ahead is a positive excess: none here
        ("You're ahead of the S&P 500 by 2.21 points.", "2.21 points", None),
    ],
)
def test_gap_to_benchmark_cites_only_an_excess_return(text: str, raw: str, want: str | None) -> None:
    assert _path(text, raw) == want


@pytest.mark.parametrize(
    ("text", "raw", "want"),
    [
        ("Your Communication Services holdings (Alphabet and Meta) account for 18.5% of the portfolio and are up "
         "40.21% year to date.", "40.21%", None),
        ("Your Communication Services holdings (Alphabet and Meta) account for 18.5% of the portfolio and are up "
         "32.35% year to date.", "32.35%", "sectors[Communication Services].return_ytd"),
        ("Consumer Discretionary (Amazon and Tesla) is 22.89% of your portfolio and has lost 33.6% this year.",
         "33.6%", None),
        ("Consumer Discretionary (Amazon and Tesla) is 22.89% of your portfolio and has lost 11.7% this year.",
         "11.7%", "sectors[Consumer Discretionary].return_ytd"),
        ("Consumer Discretionary, which includes Amazon and Tesla, has lost 33.6% this year.", "33.6%", None),
    ],
)
def test_list_of_members_is_no_subject(text: str, raw: str, want: str | None) -> None:
    assert _path(text, raw) == want


@pytest.mark.parametrize(
    ("text", "raw", "want"),
    [
        ("Its maximum drawdown over the past year was 12.47%.", "12.47%", "risk.max_drawdown"),
        ("Nvidia has fallen 8.33% this month.", "8.33%", "positions[NVDA].return_1m"),
        ("The Information Technology sector makes up 35.8% of your portfolio across 3 positions.", "3 positions",
         "sectors[Information Technology].position_count"),
        ("Financials represent 16.99% of your portfolio through 2 positions.", "2 positions",
         "sectors[Financials].position_count"),
        ("Financials represent 16.99% of your portfolio, spread across 3 positions.", "3 positions", None),
        ("Der Technologiesektor macht 35,8 % Ihres Depots aus und umfasst 3 Positionen.", "3 Positionen",
         "sectors[Information Technology].position_count"),
    ],
)
def test_spans_falls_and_spread_counts(text: str, raw: str, want: str | None) -> None:
    assert _path(text, raw) == want
