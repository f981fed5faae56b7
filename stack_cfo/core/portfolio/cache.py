"""The portfolio service's cache: an LRU whose entries are tagged with the user and the symbols
they depend on, so a change drops exactly the entries it affects (the service decides when an
entry may be trusted; see :mod:`.service`).

Besides its entry count, a cache may be bounded by the total *weight* of its entries (summaries
weigh their positions: one summary of 10,000 positions is not one entry's worth of memory) and by
how many entries of one *group* it holds (one user's summaries at distinct past instants must not
push everyone else's out). Expired entries are dropped whenever the cache is used, not only when
their own key is read again, so a big entry does not outlive its TTL in an active process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CacheSettings:
    ttl: float = 60.0
    """Seconds a computed summary may be served (it is dropped earlier by any relevant change)."""
    max_summaries: int = 4096
    max_summary_positions: int = 200_000
    """The cached summaries' total weight, a summary weighing its positions + 1 (about 2 KB a
    position with the message and bytes the API keeps beside it): the least recently used go first."""
    max_as_of_per_user: int = 8
    """Summaries at a past instant (``as_of_time``) one user may have cached: that user's oldest go first."""
    max_portfolios: int = 4096
    max_series: int = 20_000


@dataclass(slots=True)
class _Entry:
    value: Any
    user_id: str | None
    symbols: frozenset[str]
    epoch: int
    expires: float
    weight: int
    group: Hashable | None


class TaggedCache:
    """LRU of values tagged with the user and symbols they depend on.

    ``max_weight`` / ``weigh``: the entries' total weight (``weigh(value)``, 1 by default) is kept
    within ``max_weight``, least recently used first; a value heavier than that alone is not stored.
    ``max_per_group``: at most this many entries ``put`` with the same ``group``, the group's oldest
    going first. Every entry lives ``ttl`` seconds at most: expired entries are dropped at the next
    ``get`` or ``put`` of any key (one TTL for all, so they are the oldest put: O(1) when none is due).
    """

    def __init__(
        self,
        max_entries: int,
        ttl: float,
        *,
        max_weight: int | None = None,
        weigh: Callable[[Any], int] | None = None,
        max_per_group: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: Least recently used first.
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        #: The same keys, put first first: the order they expire in.
        self._by_age: OrderedDict[Hashable, None] = OrderedDict()
        #: The keys of each group, put first first.
        self._groups: dict[Hashable, OrderedDict[Hashable, None]] = {}
        self._max = max_entries
        self._ttl = ttl
        self._max_weight = max_weight
        self._weigh = weigh
        self._max_per_group = max_per_group
        self._clock = clock
        self._weight = 0

    def __len__(self) -> int:
        return len(self._data)

    @property
    def weight(self) -> int:
        """The entries' total weight."""
        return self._weight

    def get(self, key: Hashable, epoch: int) -> Any | None:
        now = self._clock()
        self._expire(now)
        e = self._data.get(key)
        if e is None:
            return None
        if e.epoch != epoch or e.expires < now:
            self._remove(key)
            return None
        self._data.move_to_end(key)
        return e.value

    def put(
        self,
        key: Hashable,
        value: Any,
        *,
        user_id: str | None,
        symbols: frozenset[str],
        epoch: int,
        group: Hashable | None = None,
    ) -> None:
        now = self._clock()
        self._expire(now)
        if key in self._data:
            self._remove(key)
        weight = self._weigh(value) if self._weigh is not None else 1
        if self._max_weight is not None and weight > self._max_weight:
            return  # it would push everything else out and still not fit
        self._data[key] = _Entry(value, user_id, symbols, epoch, now + self._ttl, weight, group)
        self._by_age[key] = None
        self._weight += weight
        if group is not None:
            members = self._groups.setdefault(group, OrderedDict())
            members[key] = None
            if self._max_per_group is not None:
                while len(members) > self._max_per_group:
                    self._remove(next(iter(members)))
        while len(self._data) > self._max or (self._max_weight is not None and self._weight > self._max_weight):
            self._remove(next(iter(self._data)))

    def tags_of(self, key: Hashable, value: Any) -> frozenset[str] | None:
        """The symbols ``key``'s entry is tagged with, if that entry holds ``value`` (None otherwise)."""
        e = self._data.get(key)
        return e.symbols if e is not None and e.value is value else None

    def drop(self, key: Hashable) -> None:
        if key in self._data:
            self._remove(key)

    def drop_user(self, user_id: str) -> None:
        for k in [k for k, e in self._data.items() if e.user_id == user_id]:
            self._remove(k)

    def drop_symbols(self, symbols: frozenset[str]) -> None:
        for k in [k for k, e in self._data.items() if not e.symbols.isdisjoint(symbols)]:
            self._remove(k)

    def clear(self) -> None:
        self._data.clear()
        self._by_age.clear()
        self._groups.clear()
        self._weight = 0

    def _expire(self, now: float) -> None:
        by_age, data = self._by_age, self._data
        while by_age:
            key = next(iter(by_age))
            if data[key].expires >= now:
                return
            self._remove(key)

    def _remove(self, key: Hashable) -> None:
        e = self._data.pop(key)
        del self._by_age[key]
        self._weight -= e.weight
        if e.group is not None:
            members = self._groups[e.group]
            del members[key]
            if not members:
                del self._groups[e.group]
