"""An eighth round: true figures flagged because a company's name or a row label was not recognised. Now:

- a name of several words that starts a listed company's name is that company ("Exxon Mobil", "Berkshire
  Hathaway", "Meta Platforms", "JPMorgan Chase", "Procter & Gamble", "Deutsche Telekom"), before a verb or as a
  line's label; one that starts no listed company's name is still an unknown company (flagged);
- a holding abroad held by its bare symbol ("AIR", "MC", "DTE", "NESN") is its company's ("Airbus", "LVMH",
  "Deutsche Telekom", "Nestle") when it is priced in that exchange's currency, never when it is priced in dollars
  (then it is AAR Corp, Moelis, DTE Energy); names are compared without accents ("Nestle" is "Nestlé");
- a table row's label keeps its accented letters in every cell ("| Nestlé | 8.46% | -0.08% |", "L'Oréal",
  "Hermès", "Münchener");
- a currency's name ("Swiss francs:", "Schweizer Franken:") is no company's label.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from stack_cfo.core.grounding import check, companies, facts_from_data

_USD = [  # symbol, quantity, price, value, 1d, 1w, 1m, ytd
    ("XOM", 40, "117.30", "4692.00", 0.0183, 0.0284, -0.0211, 0.0541),
    ("BRK.B", 10, "470.10", "4701.00", 0.0045, 0.0102, 0.0233, 0.0911),
    ("META", 8, "590.20", "4721.60", 0.0121, 0.0377, 0.0823, 0.4021),
    ("JPM", 25, "236.40", "5910.00", -0.0042, 0.0166, 0.0320, 0.1250),
    ("PG", 30, "165.10", "4953.00", 0.0012, -0.0087, 0.0107, 0.0250),
    ("DBK", 100, "21.40", "2140.00", 0.0077, 0.0131, 0.0544, 0.3102),
]
_EUR = [  # symbol, quantity, price, value, 1d, 1w, 1m, ytd (priced in euros, the base currency)
    ("AIR", 25, "162.18", "4054.50", 0.0256, 0.0288, 0.0512, 0.1533),
    ("MC", 5, "698.40", "3492.00", -0.0133, -0.0212, -0.0444, -0.0615),
    ("DTE", 100, "28.70", "2870.00", 0.0041, 0.0105, 0.0222, 0.0721),
    ("OR", 8, "352.10", "2816.80", 0.0066, -0.0101, 0.0190, 0.0433),
    ("RMS", 1, "2410.00", "2410.00", -0.0118, 0.0077, 0.0321, 0.1144),
    ("MUV2", 6, "492.30", "2953.80", 0.0094, 0.0152, 0.0377, 0.0865),
]


def _facts(rows: list[tuple[object, ...]], base: str, extra: list[dict[str, object]] | None = None):  # type: ignore[no-untyped-def]
    total = sum(Decimal(str(r[3])) for r in rows)
    positions: list[dict[str, object]] = [
        {"symbol": s, "quantity": str(q), "last_price": price, "market_value": value,
         "weight": round(float(Decimal(value) / total), 4), "return_1d": r1d, "return_1w": r1w, "return_1m": r1m,
         "return_ytd": ytd}
        for s, q, price, value, r1d, r1w, r1m, ytd in rows
    ]
    positions += extra or []
    block = {"available": True, "base_currency": base, "total_value": f"{total:.2f}",
             "position_count": len(positions), "positions": positions}
    return facts_from_data(block, currency=base)


US = _facts(_USD, "USD")
EU = _facts(_EUR, "EUR")
CH = _facts([("AAPL", 10, "228.15", "2281.50", 0.0101, 0.0202, 0.0303, 0.0404)], "USD", extra=[
    {"symbol": "NESN", "quantity": "30", "last_price": "86.42", "price_currency": "CHF", "exchange_rate": 1.1301,
     "local_market_value": "2592.60", "market_value": "2929.90", "weight": 0.5622, "return_1d": -0.0008,
     "return_ytd": 0.0512},
])
#: The same bare symbols held in dollars: AAR Corp, Moelis, DTE Energy; not Airbus, LVMH, Deutsche Telekom.
US_SAME = _facts([
    ("AIR", 25, "70.10", "1752.50", 0.0256, 0.0288, 0.0512, 0.1533),
    ("MC", 5, "60.40", "302.00", -0.0133, -0.0212, -0.0444, -0.0615),
    ("DTE", 10, "120.70", "1207.00", 0.0041, 0.0105, 0.0222, 0.0721),
], "USD")


def _cited(text: str, facts) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {c.figure.raw: c.fact_path for c in check(text, facts).checks}


@pytest.mark.parametrize(
    ("text", "raw", "path"),
    [
        # FF4: names of several words (all flagged before)
        ("Exxon Mobil rose 1.83% today.", "1.83%", "positions[XOM].return_1d"),
        ("Berkshire Hathaway rose 0.45% today.", "0.45%", "positions[BRK.B].return_1d"),
        ("Meta Platforms rose 8.23% this month.", "8.23%", "positions[META].return_1m"),
        ("JPMorgan Chase rose 1.66% this week.", "1.66%", "positions[JPM].return_1w"),
        ("Procter & Gamble rose 0.12% today.", "0.12%", "positions[PG].return_1d"),
        ("Exxon Mobil: +1.83% today", "+1.83%", "positions[XOM].return_1d"),
        ("- Berkshire Hathaway: +0.45% today", "+0.45%", "positions[BRK.B].return_1d"),
        # a name starting no listed company's name is still an unknown company's, never a held one's
        ("Exxon Initech rose 1.83% today.", "1.83%", None),
        # "Deutsche Bank" is DBK, not the other "Deutsche" companies
        ("Deutsche Bank rose 0.77% today.", "0.77%", "positions[DBK].return_1d"),
    ],
)
def test_names_of_several_words_are_their_company(text: str, raw: str, path: str | None) -> None:
    assert _cited(text, US)[raw] == path


@pytest.mark.parametrize(
    ("text", "raw", "path"),
    [
        # FF5: a holding abroad by its bare symbol, priced in its exchange's currency
        ("Airbus rose 2.56% today.", "2.56%", "positions[AIR].return_1d"),
        ("LVMH fell 6.15% this year.", "6.15%", "positions[MC].return_ytd"),
        ("Deutsche Telekom is up 7.21% this year.", "7.21%", "positions[DTE].return_ytd"),
        ("Telekom is up 7.21% this year.", "7.21%", "positions[DTE].return_ytd"),
        ("L'Oreal rose 0.66% today.", "0.66%", "positions[OR].return_1d"),
        # FF6: accented row labels keep their letters in every cell
        ("| Holding | Weight | Today |\n|---|---|---|\n| L'Oréal | 5.39% | +0.66% |", "+0.66%",
         "positions[OR].return_1d"),
        ("| Holding | Weight | Today |\n|---|---|---|\n| Hermès | 4.61% | -1.18% |", "-1.18%",
         "positions[RMS].return_1d"),
        ("| Holding | Weight | Today |\n|---|---|---|\n| Münchener Rück | 5.65% | +0.94% |", "+0.94%",
         "positions[MUV2].return_1d"),
    ],
)
def test_holdings_abroad_by_name(text: str, raw: str, path: str | None) -> None:
    assert _cited(text, EU)[raw] == path


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("Airbus rose 2.56% today.", "2.56%"),  # "AIR" in dollars is AAR Corp
        ("LVMH fell 6.15% this year.", "6.15%"),  # "MC" in dollars is Moelis
        ("Deutsche Telekom is up 7.21% this year.", "7.21%"),  # "DTE" in dollars is DTE Energy
    ],
)
def test_bare_symbols_in_dollars_are_not_the_listing_abroad(text: str, raw: str) -> None:
    assert _cited(text, US_SAME)[raw] is None


@pytest.mark.parametrize(
    ("text", "raw", "path"),
    [
        ("Nestle rose 5.12% this year.", "5.12%", "positions[NESN].return_ytd"),
        ("| Holding | Weight | Today |\n|---|---|---|\n| Nestlé | 56.22% | -0.08% |", "-0.08%",
         "positions[NESN].return_1d"),
        # FF12: a currency's name is no company's label
        ("Nestlé is held in Swiss francs: 30 shares at CHF 86.42, worth CHF 2,592.60.", "CHF 86.42",
         "positions[NESN].last_price"),
        ("Nestlé is held in Swiss francs: 30 shares at CHF 86.42, worth CHF 2,592.60.", "CHF 2,592.60",
         "positions[NESN].local_market_value"),
        ("Nestlé notiert in Schweizer Franken: 30 Aktien zu CHF 86.42.", "CHF 86.42", "positions[NESN].last_price"),
    ],
)
def test_nestle_in_swiss_francs(text: str, raw: str, path: str | None) -> None:
    assert _cited(text, CH)[raw] == path


def test_companies_fold_accents_and_read_names_of_several_words() -> None:
    assert companies.known("Nestle") == companies.known("Nestlé") is not None
    assert companies.named(["Berkshire", "Hathaway"]) == companies.known("Berkshire")
    assert "XOM" in (companies.named(["Exxon", "Mobil"]) or ())
    assert companies.named(["Exxon", "Initech"]) is None
    held = frozenset({"AIR", "SAP"})
    assert companies.held_among(companies.known("Airbus") or frozenset(), held, lambda n: "EUR") == "AIR"
    assert companies.held_among(companies.known("Airbus") or frozenset(), held, lambda n: "USD") is None
    assert companies.held_among(companies.known("Airbus") or frozenset(), held) is None
    assert companies.spelled_company("LVMH") is not None
    assert companies.spelled_company("GE") is None  # a ticker of its own
