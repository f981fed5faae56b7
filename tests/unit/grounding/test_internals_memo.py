"""Work the check does once, not again for every figure or company named:

- a held name's price currency (``subjects._price_currency``: "AIR" priced in euros is Airbus) is read from the facts
  once per index (``FactIndex.price_currencies``), not once per company named in the text, with the same answers as
  a walk of the facts for every name;
- the words of time extraction finds (``extract.Extraction.times``) are the ones ``matching._with_spans`` reads, so
  ``check`` searches a text for them once; they are exactly what a search of the text finds.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from stack_cfo.core.grounding import Fact, FactKind, Facts, check, extract_figures, facts_from_data, matching, subjects
from stack_cfo.core.grounding import extract as ex
from stack_cfo.core.grounding import lexicon as lx
from stack_cfo.core.grounding.index import RAW, FactIndex
from stack_cfo.core.grounding.normalize import normalize


def _block(rows: list[tuple[str, str, str]], base: str) -> Facts:
    """Positions (symbol, price, 1d return) priced in ``base``."""
    positions: list[dict[str, object]] = [
        {"symbol": s, "quantity": "10", "last_price": price, "market_value": str(Decimal(price) * 10),
         "return_1d": float(r1d)}
        for s, price, r1d in rows
    ]
    return facts_from_data({"available": True, "base_currency": base, "positions": positions}, currency=base)


EU = _block([("AIR", "162.18", "0.0256"), ("MC", "698.40", "-0.0133"), ("DTE", "28.70", "0.0041")], "EUR")
US_SAME = _block([("AIR", "70.10", "0.0256"), ("MC", "60.40", "-0.0133"), ("DTE", "120.70", "0.0041")], "USD")
#: Names with several price facts (the first in the index's order wins), a price fact from text (not read), facts of
#: several names (not read), and a name with no price.
MIXED = Facts({
    "positions[AIR].last_price": Fact(Decimal("162.18"), FactKind.AMOUNT, "EUR"),
    "positions[AIR].avg_price": Fact(Decimal("150.00"), FactKind.AMOUNT, "USD"),
    "positions[NESN].price": Fact(Decimal("86.42"), FactKind.AMOUNT, "CHF"),
    "positions[NESN].price_base": Fact(Decimal("97.66"), FactKind.AMOUNT, "USD"),
    "positions[SAP].last_price": Fact(Decimal("240"), FactKind.AMOUNT, "EUR", unit=Decimal(1)),
    "pairs[SAP].legs[MC].price": Fact(Decimal("3"), FactKind.AMOUNT, "GBP"),
    "positions[MC].return_1d": Fact(Decimal("-0.0133"), FactKind.FRACTION),
    "positions[DTE].last_price": Fact(Decimal("28.70"), FactKind.AMOUNT),
    "positions[DTE].price_local": Fact(Decimal("31.10"), FactKind.AMOUNT, "EUR"),
})


def _walk(index: FactIndex, name: str) -> str | None:
    """The price currency of ``name`` as the check read it before it was kept per index: a walk of all the facts."""
    for group in index.groups(RAW):
        for entry in group.entries:
            if entry.names == {name} and entry.currency is not None and "price" in entry.tokens and not entry.from_text:
                return entry.currency
    return None


#: The functions of :mod:`.subjects` that walk the facts for a price currency (``currency_of``: before it was kept).
_CURRENCY_READERS = frozenset({"_price_currency", "currency_of"})


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The domains of the walks of an index's groups (``FactIndex.groups``) made to read price currencies while the
    test runs."""
    seen: list[str] = []
    original = FactIndex.groups

    def counted(self: FactIndex, domain: str) -> Any:
        caller = sys._getframe(1).f_code
        if caller.co_name in _CURRENCY_READERS and caller.co_filename == subjects.__file__:
            seen.append(domain)
        return original(self, domain)

    monkeypatch.setattr(FactIndex, "groups", counted)
    yield seen


@pytest.mark.parametrize("facts", [EU, US_SAME, MIXED], ids=["eur", "usd", "mixed"])
def test_price_currency_answers_as_a_walk_of_the_facts_does(facts: Facts) -> None:
    index = facts.index
    currency_of = subjects._price_currency(index)
    for name in (*sorted(index.names), "ZZZ", "", "AIR MC"):
        assert currency_of(name) == _walk(index, name), name


def test_price_currency_of_mixed_facts() -> None:
    currency_of = subjects._price_currency(MIXED.index)
    assert currency_of("AIR") == "USD"  # avg_price 150 comes before last_price 162.18 in the index's order
    assert currency_of("NESN") == "CHF"
    assert currency_of("SAP") is None  # its price came from text; the pair's price is of two names
    assert currency_of("MC") is None  # no price fact
    assert currency_of("DTE") == "EUR"  # the price fact with a currency


def test_price_currency_is_read_once_per_index(scans: list[str]) -> None:
    facts = _block([("AIR", "162.18", "0.0256"), ("MC", "698.40", "-0.0133")], "EUR")
    index = facts.index
    first = subjects._price_currency(index)
    assert [first(n) for n in ("AIR", "MC", "ZZZ", "AIR")] == ["EUR", "EUR", None, "EUR"]
    second = subjects._price_currency(index)
    assert [second(n) for n in ("MC", "AIR")] == ["EUR", "EUR"]
    assert scans == [RAW]  # one walk of the facts for both reads and all their names
    assert FactIndex(facts.items()).price_currencies is None  # until first read
    assert index.price_currencies == {"AIR": "EUR", "MC": "EUR"}


def test_a_check_naming_companies_walks_the_facts_for_their_currencies_once(scans: list[str]) -> None:
    facts = _block([("AIR", "162.18", "0.0256"), ("MC", "698.40", "-0.0133"), ("DTE", "28.70", "0.0041")], "EUR")
    text = (
        "Airbus rose 2.56% today. LVMH fell 1.33% today. Airbus is your largest holding. Deutsche Telekom rose 0.41%."
    )
    result = check(text, facts)
    assert [(c.figure.raw, c.fact_path) for c in result.checks] == [
        ("2.56%", "positions[AIR].return_1d"), ("1.33%", "positions[MC].return_1d"),
        ("0.41%", "positions[DTE].return_1d"),
    ]
    assert scans == [RAW]  # every company named, one walk
    assert facts.index.price_currencies == {"AIR": "EUR", "MC": "EUR", "DTE": "EUR"}
    assert check(text, facts) == result  # the same text again: no walk at all
    assert scans == [RAW]


def test_each_index_keeps_its_own_currencies() -> None:
    # "AIR" priced in euros is Airbus, in dollars AAR Corp: the currencies kept for one never answer for the other
    assert subjects._price_currency(EU.index)("AIR") == "EUR"
    assert subjects._price_currency(US_SAME.index)("AIR") == "USD"
    assert {c.figure.raw: c.fact_path for c in check("Airbus rose 2.56% today.", EU).checks} == {
        "2.56%": "positions[AIR].return_1d"
    }
    assert {c.figure.raw: c.fact_path for c in check("Airbus rose 2.56% today.", US_SAME).checks} == {"2.56%": None}
    merged = EU | {"positions[AIR].last_price": Fact(Decimal("70.10"), FactKind.AMOUNT, "USD")}
    assert subjects._price_currency(merged.index)("AIR") == "USD"  # a new Facts, a new index, read anew


# --- words of time: found once, at extraction

_TIME_TEXTS = [
    "Over the past 12 months the portfolio returned 9.04%, and 2.13% this month.",
    "Nvidia has returned 46% since you bought it; today it fell 2.84%.",
    "Since purchase, Apple is up 25.01%. This week it rose 1.2%, year to date 17.41%.",
    "Your portfolio fell 0.61% today and 3.7% this week.",
    "İstanbul: over the past 12 months the portfolio returned 9.04%, and 2.13% this month.",  # lowering lengthens
    "Ｄｉｅｓｅ Ｗｏｃｈｅ fiel NVDA um ４,５２ %, heute um 2,84 %.",  # full-width forms, normalised
    "No word of time: NVDA is 12.53% of the portfolio.",
]


def _searched(text: str) -> tuple[tuple[int, int], ...]:
    """The words of time a search of the text finds, as ``matching._with_spans`` searched for them itself."""
    norm = normalize(text)
    low = norm.lower()
    pattern, said = (lx.PERIOD_PHRASES_LOWER, low) if len(low) == len(norm) else (lx.PERIOD_PHRASES, norm)
    return tuple((m.start(), m.end()) for m in pattern.finditer(said))


@pytest.mark.parametrize("text", _TIME_TEXTS)
def test_extraction_keeps_the_words_of_time_a_search_finds(text: str) -> None:
    found = ex.extract_with_times(text)
    assert found.figures == extract_figures(text)
    assert found.norm == normalize(text)
    assert found.low == normalize(text).lower()
    assert found.times == _searched(text)


def test_no_figures_no_words_of_time() -> None:
    for text in ("", "today", "Nothing this week."):
        found = ex.extract_with_times(text)
        assert found.figures == [] and found.times == ()
    assert ex.extract_with_times("x").figures is not ex.extract_with_times("y").figures  # a new list each time


class _Counting:
    """A compiled pattern that counts the texts ``finditer`` reads."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self.reads = 0

    def finditer(self, text: str, *args: Any) -> Iterator[re.Match[str]]:
        self.reads += 1
        return self.pattern.finditer(text, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pattern, name)


def test_check_searches_a_text_for_words_of_time_once(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _TIME_TEXTS[0]  # a span ("the past 12 months") makes matching read the words of time
    facts = facts_from_data({"base_currency": "USD", "performance": {"return_1m": 0.0213, "return_ytd": 0.0904}},
                            currency="USD")
    expected = [(c.figure.raw, c.fact_path, c.figure.period) for c in check(text, facts).checks]
    lower, upper = _Counting(lx.PERIOD_PHRASES_LOWER), _Counting(lx.PERIOD_PHRASES)
    monkeypatch.setattr(lx, "PERIOD_PHRASES_LOWER", lower)
    monkeypatch.setattr(lx, "PERIOD_PHRASES", upper)
    monkeypatch.setattr(matching, "PERIOD_PHRASES_LOWER", lower, raising=False)  # where it was imported by name
    monkeypatch.setattr(matching, "PERIOD_PHRASES", upper)
    result = check(text, facts)
    assert [(c.figure.raw, c.fact_path, c.figure.period) for c in result.checks] == expected == [
        ("9.04%", None, lx.TRAILING_YEAR), ("2.13%", "performance.return_1m", "1m"),
    ]
    assert lower.reads + upper.reads == 1
