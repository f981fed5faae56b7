"""A sixth round: false grounds of a figure to another holding's fact (or a part's to the wrong count). Now:

- short names of listed companies ("Exxon", "J&J", "Coke", "Johnson & Johnson" after "shares of") are theirs
  (``companies.ALIASES``), and a capitalised name labelling a line that is no held ticker nor a known company
  ("Initech: +3.11%") makes its figure an unknown company's: flagged, never free to match any holding;
- a noun phrase standing for a holding named before ("The stock rose", "Shares rose", "The latter fell") is read as
  a pronoun is; "the former"/"the latter" are the first/last of those listed;
- a comparison verb's object ("Microsoft lagged Apple, losing 1.21%") is not the figure's subject;
- the clause after an em-dash continues the cash ("Your cash is $3,500 — just over 7% of the portfolio");
- a share count labelled by a name ("Microsoft: 40 shares", "Microsoft position: $9,126 (40 shares × ...)") is
  that name's;
- "N of your M positions" that the sentence gives a sector ("are tech stocks", "Tech accounts for") checks N as the
  sector's count and M as the portfolio's.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import check, companies, facts_from_data

_P = [  # symbol, quantity, price, value, 1d, 1w, 1m, ytd, sector
    ("AAPL", 40, "228.15", "9126.00", -0.0121, 0.0213, 0.0456, 0.1187, "Information Technology"),
    ("MSFT", 18, "420.50", "7569.00", 0.0087, -0.0121, 0.0213, 0.0904, "Information Technology"),
    ("NVDA", 50, "131.40", "6570.00", -0.0284, -0.0452, -0.0911, 0.2410, "Information Technology"),
    ("MA", 12, "520.10", "6241.20", 0.0051, 0.0087, 0.0133, 0.0667, "Financials"),
    ("JPM", 25, "236.40", "5910.00", -0.0042, 0.0156, 0.0320, 0.1250, "Financials"),
    ("XOM", 40, "117.30", "4692.00", 0.0133, 0.0284, -0.0211, 0.0541, "Energy"),
    ("JNJ", 20, "155.80", "3116.00", 0.0021, -0.0087, -0.0350, -0.0120, "Health Care"),
    ("KO", 50, "62.40", "3120.00", -0.0005, 0.0066, 0.0107, 0.0050, "Consumer Staples"),
    ("AMZN", 12, "214.55", "2574.60", 0.0311, 0.0540, 0.0811, 0.1741, "Consumer Discretionary"),
]
_CASH = Decimal("3500.00")
_TOTAL = sum(Decimal(p[3]) for p in _P) + _CASH


def _block() -> dict[str, object]:
    positions = [
        {"symbol": s, "quantity": str(q), "last_price": price, "market_value": value,
         "weight": round(float(Decimal(value) / _TOTAL), 4), "return_1d": r1d, "return_1w": r1w, "return_1m": r1m,
         "return_ytd": ytd, "sector": sector}
        for s, q, price, value, r1d, r1w, r1m, ytd, sector in _P
    ]
    sectors: dict[str, list[str]] = {}
    for p in _P:
        sectors.setdefault(p[8], []).append(p[3])
    return {
        "available": True, "base_currency": "USD", "total_value": f"{_TOTAL:.2f}",
        "cash": {"value": "3500.00", "weight": round(float(_CASH / _TOTAL), 4)},
        "position_count": len(_P), "positions": positions,
        "sectors": [
            {"name": name, "market_value": f"{sum(Decimal(v) for v in values):.2f}",
             "weight": round(float(sum(Decimal(v) for v in values) / _TOTAL), 4), "position_count": len(values)}
            for name, values in sectors.items()
        ],
    }


FACTS = facts_from_data(_block(), currency="USD")


def _cited(text: str) -> list[tuple[str, str | None]]:
    return [(c.figure.raw, c.fact_path) for c in check(text, FACTS).checks]


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        # 1. a name labelling a line: a known company's, else an unknown company's (flagged)
        ("Exxon: +3.11%", [("+3.11%", None)]),  # was AMZN's day
        ("- Exxon: +1.33%", [("+1.33%", "positions[XOM].return_1d")]),  # was MA's month
        ("Exxon Mobil: +3.11% today", [("+3.11%", None)]),
        ("Exxon: 40 shares.", [("40 shares", "positions[XOM].quantity")]),  # was AAPL's quantity
        ("Initech: +3.11%", [("+3.11%", None)]),
        ("- Initech: +1.33%", [("+1.33%", None)]),
        ("Initech: 40 shares.", [("40 shares", None)]),
        ("Initech position: $9,126 (40 shares × $228.15).",
         [("$9,126", None), ("40 shares", None), ("$228.15", None)]),
        ("Exxon gained 2.84% this week.", [("2.84%", "positions[XOM].return_1w")]),
        ("Exxon is your energy holding. It rose 2.84% this week.", [("2.84%", "positions[XOM].return_1w")]),
        # 2. J&J, Johnson & Johnson, Coke, Coca-Cola
        ("J&J is 5.95% of the portfolio.", [("5.95%", None)]),  # was KO's weight
        ("J&J is 5.94% of the portfolio.", [("5.94%", "positions[JNJ].weight")]),
        ("You own 50 shares of Johnson & Johnson.", [("50 shares", None)]),  # was KO's quantity
        ("You own 20 shares of Johnson & Johnson.", [("20 shares", "positions[JNJ].quantity")]),
        ("You own 50 shares of Coca-Cola.", [("50 shares", "positions[KO].quantity")]),
        ("Coke fell 0.05% today.", [("0.05%", "positions[KO].return_1d")]),
        # 3. a noun phrase for the holding named before
        ("Look at Mastercard. The stock rose 0.87% today.", [("0.87%", None)]),  # was MSFT's day
        ("Mastercard stands out. The company rose 0.87% today.", [("0.87%", None)]),
        ("Mastercard stands out. Shares rose 0.87% today.", [("0.87%", None)]),
        ("Look at Mastercard. The stock rose 0.51% today.", [("0.51%", "positions[MA].return_1d")]),
        ("Apple and Microsoft are your two largest holdings. The latter fell 1.21% today.", [("1.21%", None)]),
        ("Apple and Microsoft are your two largest holdings. The latter rose 0.87% today.",
         [("0.87%", "positions[MSFT].return_1d")]),
        ("Apple and Microsoft are your two largest holdings. The former fell 1.21% today.",
         [("1.21%", "positions[AAPL].return_1d")]),
        # 4. the object of a comparison verb
        ("Microsoft lagged Apple, losing 1.21% today.", [("1.21%", None)]),  # was AAPL's day
        ("Apple lagged Microsoft today, losing 1.21%.", [("1.21%", "positions[AAPL].return_1d")]),
        ("Apple outperformed Microsoft, gaining 2.13% this week.", [("2.13%", "positions[AAPL].return_1w")]),
        ("Microsoft underperformed Apple, losing 1.21% this week.", [("1.21%", "positions[MSFT].return_1w")]),
        ("Microsoft trailed Apple by 2.08% today.", [("2.08%", None)]),  # the gap: no one's fact
        # 5. the cash after an em-dash
        ("Your cash is $3,500 — just over 7% of the portfolio.", [("$3,500", "cash.value"), ("7%", None)]),
        ("Your cash is $3,500 — about 6.7% of the portfolio.", [("$3,500", "cash.value"), ("6.7%", "cash.weight")]),
        # 6. a share count a name labels
        ("Microsoft position: $9,126 (40 shares × $228.15).",
         [("$9,126", None), ("40 shares", None), ("$228.15", None)]),  # was AAPL's quantity
        ("Microsoft: 40 shares worth $9,126.00.", [("40 shares", None), ("$9,126.00", None)]),
        ("Microsoft: 18 shares worth $7,569.00.",
         [("18 shares", "positions[MSFT].quantity"), ("$7,569.00", "positions[MSFT].market_value")]),
        ("Microsoft position: $7,569 (18 shares × $420.50).",
         [("$7,569", "positions[MSFT].market_value"), ("18 shares", "positions[MSFT].quantity"),
          ("$420.50", "positions[MSFT].last_price")]),
        # 7. the part of a whole count the sentence gives a sector
        ("3 of your 9 positions are in Information Technology.",
         [("3", "sectors[Information Technology].position_count"), ("9 positions", "position_count")]),
        ("Tech accounts for 4 of your 9 positions.", [("4", None), ("9 positions", "position_count")]),
        ("4 of your 9 positions are tech stocks.", [("4", None), ("9 positions", "position_count")]),
        ("3 of your 9 positions are tech stocks.",
         [("3", "sectors[Information Technology].position_count"), ("9 positions", "position_count")]),
        ("4 Ihrer 9 Positionen gehören zum Technologiesektor.", [("4", None), ("9 Positionen", "position_count")]),
        ("4 de vos 9 lignes sont dans la technologie.", [("4", None), ("9 lignes", "position_count")]),
        ("4 de tus 9 posiciones están en tecnología.", [("4", None), ("9 posiciones", "position_count")]),
        ("2 of your 9 positions are up today.", [("9 positions", "position_count")]),  # a part named nothing
    ],
)
def test_round6(text: str, cited: list[tuple[str, str | None]]) -> None:
    assert _cited(text) == cited


def test_short_names_of_listed_companies() -> None:
    assert companies.known("Exxon") == frozenset({"XOM"})
    assert companies.known("J&J") == frozenset({"JNJ"})
    assert companies.known("Coke") == frozenset({"KO"})
    assert companies.alias("johnson & johnson")
    assert companies.known("Initech") is None


@pytest.mark.parametrize(
    "text",
    ["Over 17.41% of your portfolio is in AAPL.", "Nearly 17.41% of your portfolio is in AAPL."],
)
def test_a_hedge_word_is_no_label(text: str) -> None:
    assert _cited(text) == [("17.41%", "positions[AAPL].weight")]
