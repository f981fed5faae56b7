"""Which ticker symbols a company's name stands for: "Apple" is AAPL, "Mastercard" MA, never MSFT.

The data block names holdings by symbol only, but an answer may name a company ("Apple fell 2.84% today"). A figure
about a company may only cite the facts of the holding that company is; guessing from the spelling ("Apple" looks
like AAPL) also matched AppLovin, Amphenol or Apple Hospitality to AAPL, and Mastercard or MicroStrategy to MSFT. So
names are read from a table of listed companies (the ``pytickersymbols`` package: some 1,800 constituents of the
major US, European and Japanese indices, with their exchange symbols), by their first word ("Apple Inc." and "Apple
Hospitality REIT" under "apple", "Johnson & Johnson" and "Johnson Controls" under "johnson"): a name stands for the
held tickers among its companies' symbols. A name the table does not know falls back to the spelling, strictly:
every letter of the ticker in the name in order, starting with its first ("Google": GOOGL). Short or other names the
table lacks ("Exxon", "J&J", "Coke") are read first from a small table of their own (``ALIASES``). Names are
compared without their accents ("Nestle" is "Nestlé"). A name of several words ("Berkshire Hathaway", "Exxon Mobil",
"Deutsche Telekom") is the company whose name starts with them (:func:`named`), not every company of its first word.
A holding abroad may be written by its bare symbol ("AIR" for Airbus's "AIR.PA"); where a US listing in the table is
written so too (AAR Corp's "AIR"), the bare symbol is the listing abroad's only when the holding is priced in that
exchange's currency (:func:`held_among`). A name in capitals that is no listing's symbol ("LVMH") is read as a name
(:func:`spelled_company`).

The table is read once, when a text first names a capitalised word the facts do not hold (about 40 ms, 7 MB while
read; the index kept is about 1 MB).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
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
#: exchange symbols as the table keys them (folded: no accents, "munchener" for "Münchener Rück"). Read before the
#: table.
ALIASES: dict[str, frozenset[str]] = {
    name: frozenset(symbols.split())
    for name, symbols in {
        "exxon": "XOM", "exxonmobil": "XOM", "j&j": "JNJ", "johnson & johnson": "JNJ", "coke": "KO", "coca": "KO",
        "google": "GOOGL GOOG", "facebook": "META", "disney": "DIS", "mcdonalds": "MCD",
        "mcdonald": "MCD", "lilly": "LLY", "p&g": "PG", "procter & gamble": "PG", "wal-mart": "WMT", "pepsi": "PEP",
        "bofa": "BAC", "amex": "AXP", "tsmc": "TSM", "unitedhealthcare": "UNH", "telekom": "DTE.DE",
        "munchener": "MUV2.DE MUV2",
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


#: The currencies of the exchanges whose suffix a primary listing's symbol carries ("AIR.PA": Paris, euros).
_EXCHANGE_CURRENCIES = {
    "DE": "EUR", "PA": "EUR", "MC": "EUR", "AS": "EUR", "HE": "EUR", "BR": "EUR", "MI": "EUR", "F": "EUR",
    "SW": "CHF", "L": "GBP", "T": "JPY", "ST": "SEK",
}
_NAME_WORD = re.compile(r"[^\W\d_][\w'&.-]*")


@lru_cache(maxsize=16_384)  # the words of answers: the checks fold the same words many times per text
def fold(text: str) -> str:
    """``text`` casefolded without its accents ("Nestlé", "NESTLE": "nestle"; "Hermès": "hermes")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _letters(words: Iterable[str]) -> str:
    """The letters of a name's words, folded, run together ("Exxon Mobil" and "ExxonMobil": "exxonmobil")."""
    return "".join(ch for word in words for ch in fold(word) if ch.isalpha())


def preload() -> None:
    """Build the table of listed companies now (about 0.2 s of CPU), at a process's start, rather than in the first
    check, which would hold the event loop (and every call on it) that long."""
    _tables()


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], dict[str, tuple[str, str]]]:
    """The table of listed companies, read once: their names' first word (folded; for a generic first word, the
    first two) -> their symbols' keys; the letters of their names' leading words ("berkshirehathaway",
    "deutschetelekom") -> their symbols' keys; and, for a primary listing on an exchange abroad whose bare symbol a
    US listing in the table is written as ("AIR.PA": AAR Corp is "AIR"), its bare symbol and its exchange's
    currency (``"AIR.PA": ("AIR", "EUR")``), unless two such listings share both (Sanofi's "SAN.PA", Santander's
    "SAN.MC")."""
    stocks = _stocks()
    us = {_held_key(str(listed["yahoo"])) for stock in stocks for listed in stock.get("symbols") or ()  # type: ignore[attr-defined]
          if listed.get("yahoo") and "." not in str(listed["yahoo"])}
    found: dict[str, set[str]] = {}
    spelled: dict[str, set[str]] = {}
    abroad: dict[str, tuple[str, str]] = {}
    _stocks.cache_clear()  # read once: the index below is all that is kept
    for stock in stocks:
        name = str(stock.get("name") or "")
        words = _NAME_WORD.findall(fold(name))
        if words[:1] == ["the"]:
            words = words[1:]  # "The Coca-Cola Company", "The Home Depot"
        if not words:
            continue
        keys = _listing_keys(stock, us)
        key = " ".join(words[:2]) if words[0] in _GENERIC_FIRST and len(words) > 1 else words[0]
        found.setdefault(key.rstrip(".,"), set()).update(keys)
        for size in range(1, len(words) + 1):
            spelled.setdefault(_letters(words[:size]), set()).update(keys)
        main = str(stock.get("symbol") or "")
        base, _, suffix = main.upper().partition(".")
        if suffix in _EXCHANGE_CURRENCIES and _held_key(base) in us:
            abroad[_held_key(main)] = (_held_key(base), _EXCHANGE_CURRENCIES[suffix])
    bases = list(abroad.values())
    abroad = {k: pair for k, pair in abroad.items() if bases.count(pair) == 1}  # "SAN" in euros: Sanofi or Santander
    for alias_name, symbols in ALIASES.items():
        spelled.setdefault(_letters([alias_name]), set()).update(symbols)
    return (
        {k: frozenset(v) for k, v in found.items()}, {k: frozenset(v) for k, v in spelled.items() if k},
        abroad,
    )


def _table() -> dict[str, frozenset[str]]:
    """Company names' first word (folded; for a generic first word, the first two) -> their symbols' keys."""
    return _tables()[0]


@lru_cache(maxsize=16_384)
def known(first: str, second: str = "") -> frozenset[str] | None:
    """The symbol keys of the companies whose name starts with ``first`` (and ``second``, for a generic first word
    such as "Home Depot"), or ``None`` when the table knows no such company."""
    low = fold(first).removesuffix("'s").removesuffix("’s")
    if low in ALIASES:
        return ALIASES[low]
    table = _table()
    if low in _GENERIC_FIRST:
        return table.get(f"{low} {fold(second)}") if second else None
    return table.get(low)


def named(words: Iterable[str]) -> frozenset[str] | None:
    """The symbol keys of the companies whose name's leading words are ``words`` (two or more: "Exxon Mobil",
    "Berkshire Hathaway", "Procter Gamble", "Deutsche Telekom"; spaces, "&" and accents aside), or ``None``."""
    return _tables()[1].get(_letters(words)) or None


@lru_cache(maxsize=8192)
def alias(word: str) -> bool:
    """Whether ``word`` is a short or other name of a listed company (``ALIASES``: "Exxon", "J&J", "Coke")."""
    return fold(word).removesuffix("'s").removesuffix("’s") in ALIASES


def held_for(
    first: str, second: str, names: frozenset[str], currency_of: Callable[[str], str | None] | None = None,
) -> tuple[bool, str | None]:
    """Whether the table knows the company named ``first`` (``second``: the word after it), and the one held ticker
    among ``names`` it stands for (``None``: none held, or several); see :func:`held_among` for ``currency_of``."""
    keys = known(first, second)
    if keys is None:
        return False, None
    return True, held_among(keys, names, currency_of)


def held_among(
    keys: frozenset[str], names: frozenset[str], currency_of: Callable[[str], str | None] | None = None,
) -> str | None:
    """The one held ticker among ``names`` that is one of the symbol keys ``keys`` (``None``: none, or several). A
    held bare symbol that a US listing is written as ("AIR", AAR Corp) is also a primary listing abroad of the same
    bare symbol ("AIR.PA", Airbus) only when ``currency_of`` (a held ticker's price currency) gives that exchange's
    currency: "AIR" priced in euros is Airbus, in dollars AAR Corp."""
    listings = _tables()[2]
    abroad = {listings[k] for k in keys if k in listings}
    held = []
    for n in names:
        if n.upper() != n or not any(ch.isalpha() for ch in n):
            continue
        key = _held_key(n)
        if key in keys or (currency_of is not None and any(
            base == key and currency_of(n) == currency for base, currency in abroad
        )):
            held.append(n)
    return held[0] if len(held) == 1 else None


def spelled_company(word: str) -> frozenset[str] | None:
    """The symbol keys of the companies whose whole name (first word) is ``word`` in capitals ("LVMH"), when no
    listing is written ``word`` (not "GE", a ticker of its own); else ``None``."""
    if not word.isupper() or not word.isalpha():
        return None
    low = fold(word)
    keys = _tables()[0].get(low)
    if keys is None or word in _listed_symbols():
        return None
    return keys


@lru_cache(maxsize=1)
def _listed_symbols() -> frozenset[str]:
    """Every symbol key of the table, and every listing's bare symbol ("AIR" for "AIR.PA")."""
    every = {k for keys in _tables()[0].values() for k in keys}
    return frozenset(every | {k.split(".")[0] for k in every})


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
