"""Which ticker symbols a company's name stands for: "Apple" is AAPL, "Mastercard" MA, never MSFT.

The data block names holdings by symbol only, but an answer may name a company ("Apple fell 2.84% today"). A figure
about a company may only cite the facts of the holding that company is; guessing from the spelling ("Apple" looks
like AAPL) also matched AppLovin, Amphenol or Apple Hospitality to AAPL, and Mastercard or MicroStrategy to MSFT. So
names are read from a table of listed companies (the ``pytickersymbols`` package: some 1,800 constituents of the
major US, European and Japanese indices, with their exchange symbols), by their first word ("Apple Inc." and "Apple
Hospitality REIT" under "apple", "Johnson & Johnson" and "Johnson Controls" under "johnson"): a name stands for the
held tickers among its companies' symbols. A name the table does not know falls back to the spelling, strictly:
every letter of the ticker in the name in order, starting with its first ("Google": GOOGL).

The table is read once, when a text first names a capitalised word the facts do not hold (about 40 ms, 7 MB while
read; the index kept is about 1 MB).
"""

from __future__ import annotations

import re
from functools import lru_cache

_SYMBOL_PART = re.compile(r"[A-Z0-9]+")
#: First words of company names that are ordinary words of a sentence, not names on their own ("The Home Depot",
#: "General Motors"): a company is read from them only with the word after ("Home Depot").
_GENERIC_FIRST = frozenset({
    "a", "an", "first", "general", "american", "united", "national", "international", "global", "public", "best",
    "live", "block", "target", "progressive", "digital", "new", "old", "royal", "real", "eagle", "energy", "data",
    "sun", "home",
})


def _symbol_keys(symbol: str) -> set[str]:
    """The forms a symbol takes in a portfolio: "BRK-B" and "NYSE:BRK.B" are BRKB and BRK; "SAP.DE" is SAP."""
    text = symbol.split(":")[-1].upper()
    base = re.split(r"[.\-]", text)[0]
    keys = {"".join(_SYMBOL_PART.findall(text))}
    if base:
        keys.add(base)
    return {k for k in keys if k}


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    """Company names' first word (casefolded; for a generic first word, the first two) -> their symbols' keys."""
    from pytickersymbols import PyTickerSymbols

    found: dict[str, set[str]] = {}
    for stock in PyTickerSymbols().get_all_stocks():
        name = str(stock.get("name") or "")
        words = re.findall(r"[^\W\d_][\w'&.-]*", name.casefold())
        if words[:1] == ["the"]:
            words = words[1:]  # "The Coca-Cola Company", "The Home Depot"
        if not words:
            continue
        key = " ".join(words[:2]) if words[0] in _GENERIC_FIRST and len(words) > 1 else words[0]
        keys = found.setdefault(key.rstrip(".,"), set())
        if stock.get("symbol"):
            keys |= _symbol_keys(str(stock["symbol"]))
        for listed in stock.get("symbols") or ():
            for field in ("yahoo", "google"):
                if listed.get(field):
                    keys |= _symbol_keys(str(listed[field]))
    return {k: frozenset(v) for k, v in found.items()}


def known(first: str, second: str = "") -> frozenset[str] | None:
    """The symbol keys of the companies whose name starts with ``first`` (and ``second``, for a generic first word
    such as "Home Depot"), or ``None`` when the table knows no such company."""
    table = _table()
    low = first.casefold().removesuffix("'s").removesuffix("’s")
    if low in _GENERIC_FIRST:
        return table.get(f"{low} {second.casefold()}") if second else None
    return table.get(low)


def held_for(first: str, second: str, names: frozenset[str]) -> tuple[bool, str | None]:
    """Whether the table knows the company named ``first`` (``second``: the word after it), and the one held ticker
    among ``names`` it stands for (``None``: none held, or several)."""
    keys = known(first, second)
    if keys is None:
        return False, None
    held = [n for n in names if _symbol_keys(n) & keys and any(ch.isupper() for ch in n) and n.upper() == n]
    return True, held[0] if len(held) == 1 else None


def spelled_like(word: str, names: frozenset[str]) -> str | None:
    """The one held ticker ``word`` (a name the table does not know) is spelled like: every letter of the ticker in
    it in order, the first first ("Google": GOOGL); ``None`` for none or several."""
    letters = "".join(ch for ch in word.casefold() if ch.isalpha())
    if not letters:
        return None
    found = []
    for name in names:
        if not name.isupper() or not _SYMBOL_PART.fullmatch(name.replace(".", "").replace("-", "")):
            continue
        ticker = "".join(ch for ch in name.casefold() if ch.isalpha())
        if not ticker or ticker[0] != letters[0]:
            continue
        rest = iter(letters[1:])
        if all(ch in rest for ch in ticker[1:]):
            found.append(name)
    return found[0] if len(found) == 1 else None
