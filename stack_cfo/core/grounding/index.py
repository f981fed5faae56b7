"""Facts sorted by magnitude, so a figure is compared only with the facts near its value.

Each fact is entered in one or two *domains*: ``raw`` (its value as is) for every fact, and
``percent`` for facts a percent figure may cite (FRACTION values times 100, PERCENT values as is).
Within a domain, facts are grouped by their own precision (``Fact.unit`` converted to the domain,
``0`` for exact facts) and each group is a list sorted by absolute value. A look-up is two
bisections per group, then a walk over the facts inside the window; there are few groups (one,
plus one per distinct precision among facts taken from text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from stack_cfo.core.grounding.model import Fact, FactKind

_TOKEN = re.compile(r"[A-Za-z]+")
_NAME = re.compile(r"\[([^\]]+)\]")
_MEMBER = re.compile(r"([A-Za-z_]+)\[([^\]]+)\]")
RAW = "raw"
#: The key suffix of the count of a list's items left out for length (``positions_not_listed_count``).
_NOT_LISTED = "_not_listed_count"
PERCENT = "percent"
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Entry:
    """A fact as seen from one domain."""

    path: str
    order: int
    """Rank of ``path`` in sorted path order: the tie-breaker between equally good matches."""
    kind: FactKind
    currency: str | None
    value: Decimal
    """The fact's value in the domain's unit (FRACTION ``0.068`` is ``6.8`` in the percent domain)."""
    magnitude: Decimal
    sign: int
    half_unit: Decimal
    """Half the fact's own precision in the domain's unit; ``0`` for exact facts."""
    tokens: frozenset[str]
    """Lowercase words of the path (``positions[NVDA].return_1w``: positions, nvda, return, w)."""
    names: frozenset[str]
    """Bracketed names in the path (``NVDA``), digits-only indexes excluded."""
    own: frozenset[str]
    """Lowercase words of the fact's own key: the list of a ``<list>.count`` (``sectors[Tech].positions.count``:
    positions), else the last key (``position_count``: position, count); what a count fact counts."""
    from_text: bool
    """The fact came from text (it has a shown precision): the user's message, an article."""
    period: str | None = None
    """The period of its key's suffix (``return_1w``: ``1w``; ``1d``, ``1m``, ``ytd``), ``None`` for none."""


@dataclass(frozen=True, slots=True)
class Group:
    """Facts of one domain and one precision, sorted by magnitude."""

    half_unit: Decimal
    keys: tuple[Decimal, ...]
    entries: tuple[Entry, ...]


class FactIndex:
    """Look-up structure over a fixed set of facts (built once per :class:`~.facts.Facts`)."""

    __slots__ = ("_domains", "benchmarks", "group_members", "members", "memo", "name_sizes", "names",
                 "price_currencies", "siblings", "tokens", "truncated")

    def __init__(
        self,
        facts: Iterable[tuple[str, Fact]],
        *,
        benchmarks: frozenset[str] = frozenset(),
        owners: Mapping[str, str] | None = None,
    ) -> None:
        items = sorted(facts, key=lambda kv: kv[0])
        buckets: dict[tuple[str, Decimal], list[Entry]] = {}
        all_tokens: set[str] = set()
        all_names: set[str] = set()
        members: dict[str, set[str]] = {}
        siblings: dict[str, dict[str, Decimal]] = {}
        for order, (path, fact) in enumerate(items):
            parent, _, leaf = path.rpartition(".")
            siblings.setdefault(parent, {})[leaf] = fact.value
            tokens, names, own = _path_terms(path)
            if owners:
                names = names | _owned(path, owners)
            all_tokens |= tokens
            all_names |= names
            for key, name in _members(path):
                members.setdefault(key, set()).add(name)
            for domain, value, unit in _forms(fact):
                half = unit / 2 if unit is not None else _ZERO
                entry = Entry(path, order, fact.kind, fact.currency, value, abs(value), _sign(value), half,
                              tokens, names, own, fact.unit is not None, _period(path))
                buckets.setdefault((domain, half), []).append(entry)
        self.truncated: frozenset[str] = frozenset(
            f"{path.removesuffix(_NOT_LISTED)}.count" for path, fact in items
            if path.endswith(_NOT_LISTED) and fact.value > 0
        )
        """The ``<list>.count`` paths of lists cut for length (their ``<list>_not_listed_count`` is above 0): counts of
        the items listed, not of all the items (``positions.count`` 20 of 40 positions)."""
        self.siblings: dict[str, dict[str, Decimal]] = siblings
        """Each fact's value by its last path part, under the path before it (``insights[AAPL]``: ``invested_weight``:
        0.1316, ``threshold_invested_weight``: 0.1): what a limit is held against."""
        self.tokens: frozenset[str] = frozenset(all_tokens)
        """Every lowercase path word of every fact."""
        self.names: frozenset[str] = frozenset(all_names)
        """Every bracketed name (positions, sectors, baskets)."""
        self.name_sizes: tuple[int, ...] = tuple(sorted({n.count(" ") + 1 for n in all_names}, reverse=True))
        """The numbers of words the names have (spaces plus one), largest first: a run of words of no such size is
        no name."""
        self.benchmarks = benchmarks
        """The benchmark's ticker symbols the data names (``Facts.benchmarks``); none when it names none."""
        self.members: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in members.items()}
        """The bracketed names of each list, by its lowercase key (``positions``: ``AAPL``, ``MSFT``)."""
        self.memo: dict[tuple[str, ...], Decimal | None] = {}
        """Values derived from the facts by the checks, by a key of their own (bounded: the keys are names of the
        facts and words of the lexicon), so that a text repeating a figure does not walk the facts again."""
        self.group_members: dict[frozenset[str], str] | None = None
        """The sectors and baskets by their whole set of members (``{BND, AGG, TIP}``: ``Bonds``), read from the facts
        once, on first use, by ``subjects._listed_group``; ``None`` until then."""
        self.price_currencies: dict[str, str] | None = None
        """Each name's price currency (``positions[AIR].last_price`` in EUR: ``AIR``: ``EUR``), read from the facts
        once, on first use, by ``subjects._price_currency``; ``None`` until then."""
        domains: dict[str, list[Group]] = {RAW: [], PERCENT: []}
        for (domain, half), entries in sorted(buckets.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            entries.sort(key=lambda en: (en.magnitude, en.order))
            domains[domain].append(Group(half, tuple(en.magnitude for en in entries), tuple(entries)))
        self._domains = {k: tuple(v) for k, v in domains.items()}

    def groups(self, domain: str) -> tuple[Group, ...]:
        return self._domains[domain]


@lru_cache(maxsize=65_536)  # the same paths recur in every snapshot of a portfolio (and across users)
def _path_terms(path: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    tokens = frozenset(t.lower() for t in _TOKEN.findall(path))
    names = frozenset(n for n in _NAME.findall(path) if not n.isdigit())
    key = path.removesuffix(".count") if path.endswith(".count") else path
    key = _NAME.sub("", key.rsplit("].", 1)[-1]).rsplit(".", 1)[-1]
    own = frozenset(t.lower() for t in _TOKEN.findall(key))
    return tokens, names, own


def _owned(path: str, owners: Mapping[str, str]) -> frozenset[str]:
    """The owners of the list items ``path`` lies in that are keyed by something else than their owner's name (an
    index, an insight's code: ``Facts`` owners)."""
    return frozenset(owners[path[: m.end()]] for m in _INDEX_ITEM.finditer(path) if path[: m.end()] in owners)


_INDEX_ITEM = re.compile(r"\[[^\[\]]+\]")


@lru_cache(maxsize=65_536)
def _period(path: str) -> str | None:
    """The period a path's last key names (``performance.return_1w``: ``1w``; ``day_change``, ``weekly_return``,
    ``month_change_percent``, ``return_ytd``), if any."""
    m = _PERIOD.search(path)
    if m is not None:
        return m.group(1).lower()
    last = path.rsplit(".", 1)[-1].rsplit("]", 1)[-1]
    found = {_PERIOD_WORDS[w] for w in _WORDS.findall(last.lower()) if w in _PERIOD_WORDS}
    return found.pop() if len(found) == 1 else None


_PERIOD = re.compile(r"_(1d|1w|1m|ytd)$", re.IGNORECASE)
_WORDS = re.compile(r"[a-z0-9]+")
_PERIOD_WORDS = {"1d": "1d", "day": "1d", "daily": "1d", "today": "1d", "1w": "1w", "week": "1w", "weekly": "1w",
                 "1m": "1m", "month": "1m", "monthly": "1m", "ytd": "ytd"}


@lru_cache(maxsize=65_536)
def _members(path: str) -> tuple[tuple[str, str], ...]:
    """The (lowercase list key, bracketed name) pairs of ``path``, digits-only indexes excluded."""
    return tuple((key.lower(), name) for key, name in _MEMBER.findall(path) if not name.isdigit())


def _forms(fact: Fact) -> list[tuple[str, Decimal, Decimal | None]]:
    forms: list[tuple[str, Decimal, Decimal | None]] = [(RAW, fact.value, fact.unit)]
    if fact.kind is FactKind.FRACTION:
        unit = fact.unit * _HUNDRED if fact.unit is not None else None
        forms.append((PERCENT, fact.value * _HUNDRED, unit))
    elif fact.kind is FactKind.PERCENT:
        forms.append((PERCENT, fact.value, fact.unit))
    return forms


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)
