"""``Facts``: the named numbers a text may cite, and builders from data snapshots and text.

Paths are stable strings: dict keys that are lowercase identifiers join with dots
(``risk.sharpe_ratio``); other keys go in brackets (``sectors[Energy].weight`` of a dict keyed by
sector). A list item goes in brackets by its *key* when no other item of its list has the same key
(``positions[AAPL].weight``, ``baskets[Tech].return_1w``, ``insights[IDLE_CASH].weight``), else by its
0-based index (``history[3]``; two ``POSITION_CONCENTRATION`` insights are ``insights[0]`` and
``insights[1]``). An item's key is the first of its fields :data:`KEY_FIELDS` (``symbol``, ``name``,
``code``, ``sector``, ``basket``) holding a non-empty string that is not all digits and has no ``[``
or ``]``; so a bracket of digits is always an index, and any other bracket names exactly one item.
Every list (and every dict of named items) also yields a ``.count`` fact.

Paths of earlier versions stay readable (``facts[old_path]``, ``facts.get(old_path)``; not listed by
iteration): the first of items sharing a key, and items keyed by ``ticker``, ``id``, ``key`` or
``label``, were bracketed by that key; stored receipts cite them so.

Kinds come from the key's words (``weight``, ``return_1w``, ``max_drawdown`` are FRACTION;
``*_percent``/``*_pct`` PERCENT; ``value``, ``amount``, ``price``, ``pnl``, ``cash`` AMOUNT;
``sharpe``, ``beta``, ``*_ratio`` RATIO; ``count``, ``observations`` COUNT; anything else NUMBER),
unless the caller passes ``kinds`` or a :class:`Fact` directly. A dict's ``currency`` or
``base_currency`` applies to the AMOUNT facts inside it; its ``price_currency`` applies to its own
prices per unit only (keys naming a ``price``, and ``average_cost``): a foreign position quoted in
its currency whose money is in the base currency (its ``local_*`` amounts are in the former too). An
``exchange_rate`` is an AMOUNT in the enclosing currency (base per unit: "1.10 dollars per euro").

The benchmark's ticker symbols are kept apart (``Facts.benchmarks``, no fact): a string under ``benchmark_symbol``
or ``benchmark`` (``risk.benchmark``), or under ``symbol`` in a benchmark's dict (``benchmark.symbol``). A ticker a
text names that the facts do not hold is the benchmark only when it is one of them (see :mod:`.subjects`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from stack_cfo.core.grounding.extract import extract_figures, extract_with_times
from stack_cfo.core.grounding.index import FactIndex
from stack_cfo.core.grounding.lexicon import words
from stack_cfo.core.grounding.model import Fact, FactKind, FigureKind

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
_NUMERIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_CURRENCY = re.compile(r"[A-Z]{3,4}")
_KEY_WORDS = re.compile(r"[a-z0-9]+")
_BENCHMARK_SYMBOL = re.compile(r"[A-Z0-9^][A-Z0-9.^=&-]{0,15}")
KEY_FIELDS = ("symbol", "name", "code", "sector", "basket")
"""The fields that key a list item in a fact path, first present first (see the module docstring)."""
_LEGACY_KEY_FIELDS = ("symbol", "ticker", "name", "id", "code", "key", "label", "sector", "basket")
#: The key fields that name a holding or a group of them: a list item keyed by its index still belongs to it.
_OWNER_FIELDS = ("symbol", "sector", "basket")
_MAX_DEPTH = 32
_MAX_EXPONENT = 100  # no portfolio figure needs more; far from the decimal context's limits
_UNIT_PRICE_WORDS = frozenset({"price"})
_UNIT_PRICE_KEYS = frozenset({"average_cost", "avg_cost", "unit_cost"})

_PERCENT_WORDS = frozenset({"percent", "pct", "percentage", "pp"})
_AMOUNT_WORDS = words("""amount value price cost pnl balance cash proceeds income dividend dividends fee fees basis gain
    loss change notional equity nav""")
_RATIO_WORDS = frozenset({"sharpe", "sortino", "calmar", "treynor", "beta", "ratio", "correlation", "leverage"})
_FRACTION_WORDS = words("""weight weights return returns ret yield volatility
    vol drawdown cagr rate allocation share alpha var
    cvar excess twr""")
_COUNT_WORDS = frozenset({"count", "observations", "num", "n"})


class Facts(Mapping[str, Fact]):
    """An immutable mapping ``path -> Fact`` with a magnitude index built on first use."""

    __slots__ = ("_aliases", "_benchmarks", "_facts", "_index", "_owners", "_symbols", "year", "yesterday_is_day")

    def __init__(
        self,
        facts: Mapping[str, Fact] | Iterable[tuple[str, Fact]] = (),
        *,
        aliases: Mapping[str, str] | None = None,
        benchmarks: Iterable[str] = (),
        owners: Mapping[str, str] | None = None,
        yesterday_is_day: bool = False,
        year: int | None = None,
    ) -> None:
        items = dict(facts.items() if isinstance(facts, Mapping) else facts)
        for path, fact in items.items():
            if not isinstance(fact, Fact) or not _usable(fact.value):
                raise ValueError(f"fact {path!r} is not a Fact with a finite Decimal value within 1e±{_MAX_EXPONENT}")
        self._facts: dict[str, Fact] = items
        self._aliases: dict[str, str] = dict(aliases or {})
        self._benchmarks: frozenset[str] = frozenset(benchmarks)
        """The benchmark's ticker symbols the data names (``benchmark.symbol``, ``benchmark_symbol``): a ticker of the
        text absent from the facts is the benchmark only when it is one of these (see :mod:`.subjects`)."""
        """An earlier version's path of a list item -> its path now (``insights[CODE]`` -> ``insights[0]``)."""
        self._owners: dict[str, str] = dict(owners or {})
        """The owner of a list item keyed by something else than its owner's name: by its index because its name is
        not unique in the list (``insights[6]``, NVDA's second insight -> ``NVDA``), or by another field
        (``insights[BASKET_LAGGING_BENCHMARK]`` -> its basket): its facts are that name's, as a named item's are."""
        self.yesterday_is_day = yesterday_is_day
        """Whether "yesterday" names the facts' day (``_1d``): they were taken before the session of their day opened
        and the day before was the last session (a morning digest's data). Otherwise "yesterday" is no fact's period."""
        self.year = year
        """The calendar year the facts are of (their data's date), if it says one: a year named in a text ("em 2026",
        "in 2026") is the year to date when it is this one, else a span no fact covers."""
        self._index: FactIndex | None = None
        self._symbols: frozenset[str] | None = None

    def __getitem__(self, path: str) -> Fact:
        try:
            return self._facts[path]
        except KeyError:
            if not self._aliases:
                raise
        return self._facts[self._current(path)]

    def _current(self, path: str) -> str:
        """``path`` with the list items an earlier version named differently renamed, outermost first."""
        end = path.find("]")
        while end >= 0:
            now = self._aliases.get(path[: end + 1])
            if now is not None:
                path = now + path[end + 1 :]
                end = len(now) - 1
            end = path.find("]", end + 1)
        return path

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def __repr__(self) -> str:
        return f"Facts({len(self._facts)} facts)"

    def merged(self, *others: Mapping[str, Fact]) -> Facts:
        """A new ``Facts`` with the facts of ``others`` added (a later path replaces an earlier one)."""
        combined = dict(self._facts)
        aliases = dict(self._aliases)
        benchmarks = set(self._benchmarks)
        owners = dict(self._owners)
        for other in others:
            combined.update(other)
            if isinstance(other, Facts):
                aliases.update(other._aliases)
                benchmarks |= other._benchmarks
                owners.update(other._owners)
        return Facts(combined, aliases=aliases, benchmarks=benchmarks, owners=owners,
                     yesterday_is_day=self.yesterday_is_day, year=self.year)

    def __or__(self, other: Mapping[str, Fact]) -> Facts:
        return self.merged(other)

    @property
    def index(self) -> FactIndex:
        if self._index is None:
            self._index = FactIndex(self._facts.items(), benchmarks=self._benchmarks, owners=self._owners)
        return self._index

    @property
    def benchmarks(self) -> frozenset[str]:
        """The benchmark's ticker symbols the data names (``SPY`` of ``benchmark: {symbol: SPY}``)."""
        return self._benchmarks

    @property
    def symbols(self) -> frozenset[str]:
        """Bracketed names and benchmark symbols that contain a digit (``positions[3M]``, ``positions[8306]``, a
        benchmark ``1306``): tokens to read as names, not figures."""
        if self._symbols is None:
            names = {n for n in self.index.names | self._benchmarks if any(ch.isdigit() for ch in n)}
            self._symbols = frozenset(names)
        return self._symbols


@lru_cache(maxsize=1024)  # snapshots repeat the same few keys (weight, return_1w...) per position
def kind_for_key(key: str) -> FactKind:
    """The kind a value stored under ``key`` most likely has (see the module docstring)."""
    found = _KEY_WORDS.findall(key.lower())
    words = set(found)
    if "exchange" in words:
        return FactKind.AMOUNT  # units of one currency per unit of another: "1.10 dollars per euro"
    if words & _PERCENT_WORDS:
        return FactKind.PERCENT
    if found and found[-1] in _FRACTION_WORDS:
        return FactKind.FRACTION  # a share of money is a fraction: "cash_weight", "dividend_yield"
    if words & _AMOUNT_WORDS:
        return FactKind.AMOUNT
    if words & _RATIO_WORDS:
        return FactKind.RATIO
    if words & _FRACTION_WORDS:
        return FactKind.FRACTION
    if words & _COUNT_WORDS:
        return FactKind.COUNT
    return FactKind.NUMBER


def facts_from_data(
    data: object,
    *,
    prefix: str = "",
    currency: str | None = None,
    kinds: Mapping[str, FactKind] | None = None,
) -> Facts:
    """Facts from nested plain data (dicts, lists, Decimal/int/float/numeric str, or ``Fact``).

    Booleans, ``None``, non-numeric strings, NaN and infinities are skipped. ``kinds`` maps a key
    name to a kind, overriding :func:`kind_for_key`. ``currency`` is the default for AMOUNT facts.
    """
    out: dict[str, Fact] = {}
    aliases: dict[str, str] = {}
    benchmarks: set[str] = set()
    owners: dict[str, str] = {}
    _walk(data, prefix, "", currency, kinds or {}, out, (aliases, benchmarks, owners), 0)
    return Facts(out, aliases={old: new for old, new in aliases.items() if old not in out}, benchmarks=benchmarks,
                 owners=owners, year=_year_of(data))


#: Keys of a data block that date it, the session it reports first: their year is ``Facts.year``.
_DATE_KEYS = ("market_date", "snapshot_time", "as_of", "written_on", "date")
_YEAR = re.compile(r"(19|20)[0-9]{2}(?=-[0-9]{2}-[0-9]{2})")


def _year_of(data: object) -> int | None:
    """The year of the first date of ``_DATE_KEYS`` at the top of ``data`` (an ISO date or instant)."""
    if not isinstance(data, Mapping):
        return None
    for key in _DATE_KEYS:
        value = data.get(key)
        if isinstance(value, str) and (m := _YEAR.match(value.strip())) is not None:
            return int(m.group())
    return None


def facts_from_text(prefix: str, text: str, *, skip: Collection[int] = ()) -> Facts:
    """Facts for the figures in a text the answer may repeat: the user's message, a source article.

    Each figure becomes ``{prefix}[i]`` (``user[3][0]``, ``article[12]``) with the precision it was
    written with, its direction applied (``fell 3%`` is ``-3`` percent); a negative one also yields
    ``{prefix}[i].abs``, so an answer may repeat the magnitude. ``skip``: the offsets (``Figure.start``)
    of figures left out (their indexes are kept: the others' paths do not change).
    """
    out: dict[str, Fact] = {}
    figures = extract_figures(text)
    read = {(f.start, f.value) for f in figures}
    # A short message says too little of its language to tell "5.000 €" (5,000 in German) from 5.0, or "5 000 €"
    # (French) from 5 and 0: a number that reads otherwise as grouped thousands is a fact both ways, numbered after
    # the others, so an answer may repeat it as it reads it ("Mit Ihren 5.000 €": 5000).
    regrouped = [
        f for f in extract_with_times(text, grouped=True).figures if (f.start, f.value) not in read
    ] if _GROUPABLE.search(text) is not None else []
    for i, fig in enumerate([*figures, *regrouped]):
        if not _usable(fig.value) or fig.start in skip:  # "1e200", "9e305" in an id: no fact (Facts refuses them)
            continue
        value = fig.value if fig.direction is None else fig.direction * abs(fig.value)
        kind = _TEXT_KINDS[fig.kind]
        out[f"{prefix}[{i}]"] = Fact(value, kind, fig.currency, fig.unit)
        if value < 0:
            out[f"{prefix}[{i}].abs"] = Fact(-value, kind, fig.currency, fig.unit)
    return Facts(out)


#: A digit, a dot or a space, and three digits: a number that may be read as grouped thousands.
_GROUPABLE = re.compile(r"[0-9][. \u00a0\u202f][0-9]{3}(?![0-9])")

_TEXT_KINDS = {
    FigureKind.AMOUNT: FactKind.AMOUNT,
    FigureKind.PERCENT: FactKind.PERCENT,
    FigureKind.RATIO: FactKind.RATIO,
    FigureKind.COUNT: FactKind.COUNT,
    FigureKind.NUMBER: FactKind.NUMBER,
}


def _join(path: str, key: object) -> str:
    text = str(key)
    if isinstance(key, str) and _IDENT.fullmatch(text):
        return f"{path}.{text}" if path else text
    return f"{path}[{text}]"


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    number: Decimal | None = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value) if abs(value) < 10**_MAX_EXPONENT else None
    elif isinstance(value, float):
        number = Decimal(repr(value)) if math.isfinite(value) else None
    elif isinstance(value, str) and len(value) <= 64 and _NUMERIC.fullmatch(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
            return None
    return number if number is not None and _usable(number) else None


def _usable(value: object) -> bool:
    """A finite Decimal of sane size: scaling it by 100 or comparing it cannot overflow a context."""
    return isinstance(value, Decimal) and value.is_finite() and (value == 0 or abs(value.adjusted()) <= _MAX_EXPONENT)


def _walk(
    node: object,
    path: str,
    key: str,
    currency: str | None,
    kinds: Mapping[str, FactKind],
    out: dict[str, Fact],
    found: tuple[dict[str, str], set[str], dict[str, str]],
    depth: int,
) -> None:
    """Enter the facts of ``node`` at ``path`` into ``out``; ``found`` collects the aliases of list items, the
    benchmark's symbols (a string under ``benchmark_symbol``, ``benchmark``, or ``symbol`` in a benchmark's dict) and
    the owners (symbol, sector, basket) of list items keyed by something else: an index, because their name is not
    unique, or another field (an insight's code) (``Facts`` owners)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, Fact):
        out[path] = node
        return
    if isinstance(node, Mapping):
        own = node.get("currency", node.get("base_currency"))
        if isinstance(own, str) and _CURRENCY.fullmatch(own):
            currency = own
        unit = node.get("price_currency")
        unit_currency = unit if isinstance(unit, str) and _CURRENCY.fullmatch(unit) else None
        named = bool(node) and all(isinstance(v, Mapping) for v in node.values())
        for k, v in node.items():
            own_currency = currency
            if unit_currency is not None and _is_unit_price(str(k)):
                own_currency = unit_currency
            _walk(v, _join(path, k), str(k), own_currency, kinds, out, found, depth + 1)
        if named and path and not any(isinstance(k, str) and _IDENT.fullmatch(k) for k in node):
            out.setdefault(f"{path}.count", Fact(Decimal(len(node)), FactKind.COUNT))
        return
    if isinstance(node, list | tuple):
        if path:
            out.setdefault(f"{path}.count", Fact(Decimal(len(node)), FactKind.COUNT))
        aliases = found[0]
        digit_symbols = [_digit_symbol(item) for item in node]
        names = [_item_name(item, KEY_FIELDS, own=digit_symbols[i] is not None) for i, item in enumerate(node)]
        seen = Counter(names)
        used: set[str] = set()
        for i, item in enumerate(node):
            name = names[i]
            item_path = f"{path}[{name if name is not None and seen[name] == 1 else i}]"
            owner = _item_name(item, _OWNER_FIELDS)
            digit_symbol = digit_symbols[i]
            if digit_symbol is not None:
                # a holding whose symbol is all digits (a Tokyo code: "8306"), which would read as an index in a path:
                # bracketed by its index (not by its sector: ``positions[Financials]`` would be the sector's), its
                # facts that symbol's as a named item's are
                found[2][item_path] = digit_symbol
            elif owner is not None and (owner != name or seen[name] > 1):
                # NVDA's two insights: insights[0] and insights[6], both NVDA's; the Dividend basket's insight
                # (insights[5] or insights[BASKET_LAGGING_BENCHMARK], named by its code): the basket's
                found[2][item_path] = owner
            # the label an earlier version gave it: the first present of more key fields, unless taken before
            old = _item_name(item, _LEGACY_KEY_FIELDS, digits=True)
            old = old if old is not None and old not in used else str(i)
            used.add(old)
            if f"{path}[{old}]" != item_path:
                aliases.setdefault(f"{path}[{old}]", item_path)
            _walk(item, item_path, key, currency, kinds, out, found, depth + 1)
        return
    if isinstance(node, str) and _BENCHMARK_SYMBOL.fullmatch(node) and _names_benchmark(path, key):
        found[1].add(node)
    value = _number(node)
    if value is None or not path:
        return
    kind = kinds.get(key) or kind_for_key(key)
    out[path] = Fact(value, kind, currency if kind is FactKind.AMOUNT else None)


def _names_benchmark(path: str, key: str) -> bool:
    """Whether a string at ``path`` (its key ``key``) is the benchmark's symbol: ``benchmark_symbol``, ``benchmark``
    (``risk.benchmark``), or ``symbol`` in a benchmark's dict (``benchmark.symbol``)."""
    low = key.lower()
    if low in ("benchmark", "benchmark_symbol"):
        return True
    return low == "symbol" and not {"benchmark", "benchmarks"}.isdisjoint(
        _KEY_WORDS.findall(path.lower().rsplit(".", 1)[0].rsplit(".", 1)[-1])  # the dict's own key
    )


def _is_unit_price(key: str) -> bool:
    """A price per unit (``last_price``, ``average_cost``), in a dict's ``price_currency``."""
    lowered = key.lower()
    return (lowered in _UNIT_PRICE_KEYS or lowered.startswith("local_")
            or bool(set(_KEY_WORDS.findall(lowered)) & _UNIT_PRICE_WORDS))


#: Keys of a ticker symbol: one all of digits (a Tokyo code: "8306") is a name, not a figure (``Facts.symbols``).
_SYMBOL_KEYS = ("symbol", "ticker")
#: The key fields that name a group of holdings, not the item itself.
_GROUP_FIELDS = frozenset({"sector", "basket"})


def _digit_symbol(item: object) -> str | None:
    """The ticker symbol of a list item when it is all digits ("8306")."""
    if not isinstance(item, Mapping):
        return None
    for k in _SYMBOL_KEYS:
        v = item.get(k)
        if isinstance(v, str) and v.isdigit():
            return v
    return None


def _item_name(item: object, fields: tuple[str, ...], *, digits: bool = False, own: bool = False) -> str | None:
    """The key of a list item: the first of ``fields`` holding a non-empty string without brackets (nor all digits,
    which would read as an index, unless ``digits``: earlier versions allowed it); with ``own`` (an item whose symbol
    is all digits), none of a group's fields (``sector``, ``basket``), which would name the item as its group."""
    if not isinstance(item, Mapping):
        return None
    for k in fields:
        if own and k in _GROUP_FIELDS:
            return None
        v = item.get(k)
        if isinstance(v, str) and v and "[" not in v and "]" not in v and (digits or not v.isdigit()):
            return v
    return None
