"""Which ticker symbols a company's name stands for: "Apple" is AAPL, "Mastercard" MA, never MSFT.

The data block names holdings by symbol only, but an answer may name a company ("Apple fell 2.84% today"). A figure
about a company may only cite the facts of the holding that company is; guessing from the spelling ("Apple" looks
like AAPL) also matched AppLovin, Amphenol or Apple Hospitality to AAPL, and Mastercard or MicroStrategy to MSFT. So
names are read from a table of listed companies (the ``pytickersymbols`` package: some 1,800 constituents of the
major US, European and Japanese indices, with their exchange symbols), by their first word ("Apple Inc." and "Apple
Hospitality REIT" under "apple", "Johnson & Johnson" and "Johnson Controls" under "johnson"): a name stands for the
held tickers among its companies' symbols. A name the table does not know falls back to the spelling, strictly:
every letter of the ticker in the name in order, starting with its first ("Google": GOOGL). Short or other names the
table lacks ("Exxon", "J&J", "Coke") are read first from a small table of their own (``ALIASES``).

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
    "sun", "home", "bank",
})
#: Short or other names of listed companies that the table lacks or files under another first word ("Exxon" for
#: "ExxonMobil", "Coke" for "The Coca-Cola Company", "J&J"), casefolded (one word, or a name with "&"), by their
#: exchange symbols as the table keys them. Read before the table.
ALIASES: dict[str, frozenset[str]] = {
    name: frozenset(symbols.split())
    for name, symbols in {
        "exxon": "XOM", "exxonmobil": "XOM", "j&j": "JNJ", "johnson & johnson": "JNJ", "coke": "KO", "coca": "KO",
        "google": "GOOGL GOOG", "facebook": "META", "disney": "DIS", "mcdonalds": "MCD",
        "mcdonald": "MCD", "lilly": "LLY", "p&g": "PG", "procter & gamble": "PG", "wal-mart": "WMT", "pepsi": "PEP",
        "bofa": "BAC", "amex": "AXP", "tsmc": "TSM", "unitedhealthcare": "UNH",
    }.items()
}


def _held_key(symbol: str) -> str:
    """A symbol as compared: capitals, class shares with a dot ("BRK-B" and "brk.b" are BRK.B)."""
    return symbol.strip().upper().replace("-", ".")


def _listing_keys(stock: dict[str, object], us: set[str]) -> set[str]:
    """The symbols a holding of ``stock`` may carry, as Yahoo writes them: a US listing bare ("AAPL", "BRK-B"), any
    other with its exchange's suffix, kept (Verizon's Frankfurt "BAC.F" is not Bank of America); and the primary
    listing bare too when no US listing in the table is written so ("SIE.DE" as "SIE"; not Tesco's "TSCO.L").
    The package's Google symbols are not read: some name another company (Axa's "OTCMKTS:AXP")."""
    listings = stock.get("symbols") or ()
    keys = {_held_key(str(listed["yahoo"])) for listed in listings if listed.get("yahoo")}  # type: ignore[attr-defined]
    main = str(stock.get("symbol") or "")
    if main:
        keys.add(_held_key(main))  # "SAP.DE"; and as a portfolio may write it, "SIE" for "SIE.DE", unless a US
        base = _held_key(main.split(".")[0])  # listing is written so ("TSCO" is Tractor Supply, not Tesco's "TSCO.L")
        if base not in us:
            keys.add(base)
    return keys


@lru_cache(maxsize=1)
def _stocks() -> list[dict[str, object]]:
    from pytickersymbols import PyTickerSymbols

    return list(PyTickerSymbols().get_all_stocks())


@lru_cache(maxsize=1)
def _table() -> dict[str, frozenset[str]]:
    """Company names' first word (casefolded; for a generic first word, the first two) -> their symbols' keys."""
    stocks = _stocks()
    us = {_held_key(str(listed["yahoo"])) for stock in stocks for listed in stock.get("symbols") or ()  # type: ignore[attr-defined]
          if listed.get("yahoo") and "." not in str(listed["yahoo"])}
    found: dict[str, set[str]] = {}
    _stocks.cache_clear()  # read once: the index below is all that is kept
    for stock in stocks:
        name = str(stock.get("name") or "")
        words = re.findall(r"[^\W\d_][\w'&.-]*", name.casefold())
        if words[:1] == ["the"]:
            words = words[1:]  # "The Coca-Cola Company", "The Home Depot"
        if not words:
            continue
        key = " ".join(words[:2]) if words[0] in _GENERIC_FIRST and len(words) > 1 else words[0]
        found.setdefault(key.rstrip(".,"), set()).update(_listing_keys(stock, us))
    return {k: frozenset(v) for k, v in found.items()}


def known(first: str, second: str = "") -> frozenset[str] | None:
    """The symbol keys of the companies whose name starts with ``first`` (and ``second``, for a generic first word
    such as "Home Depot"), or ``None`` when the table knows no such company."""
    low = first.casefold().removesuffix("'s").removesuffix("’s")
    if low in ALIASES:
        return ALIASES[low]
    table = _table()
    if low in _GENERIC_FIRST:
        return table.get(f"{low} {second.casefold()}") if second else None
    return table.get(low)


def alias(word: str) -> bool:
    """Whether ``word`` is a short or other name of a listed company (``ALIASES``: "Exxon", "J&J", "Coke")."""
    return word.casefold().removesuffix("'s").removesuffix("’s") in ALIASES


def held_for(first: str, second: str, names: frozenset[str]) -> tuple[bool, str | None]:
    """Whether the table knows the company named ``first`` (``second``: the word after it), and the one held ticker
    among ``names`` it stands for (``None``: none held, or several)."""
    keys = known(first, second)
    if keys is None:
        return False, None
    held = [n for n in names if n.upper() == n and any(ch.isalpha() for ch in n) and _held_key(n) in keys]
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
