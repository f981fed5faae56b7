"""The portfolio service's cache: an LRU whose entries are tagged with the user and the symbols
they depend on, so a change drops exactly the entries it affects (the service decides when an
entry may be trusted; see :mod:`.service`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CacheSettings:
    ttl: float = 60.0
    """Seconds a computed summary may be served (it is dropped earlier by any relevant change)."""
    max_summaries: int = 4096
    max_portfolios: int = 4096
    max_series: int = 20_000


@dataclass(slots=True)
class _Entry:
    value: Any
    user_id: str | None
    symbols: frozenset[str]
    epoch: int
    expires: float


class TaggedCache:
    """LRU of values tagged with the user and symbols they depend on."""

    def __init__(self, max_entries: int, ttl: float) -> None:
        self._data: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: Hashable, epoch: int) -> Any | None:
        e = self._data.get(key)
        if e is None:
            return None
        if e.epoch != epoch or e.expires < time.monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return e.value

    def put(self, key: Hashable, value: Any, *, user_id: str | None, symbols: frozenset[str], epoch: int) -> None:
        self._data[key] = _Entry(value, user_id, symbols, epoch, time.monotonic() + self._ttl)
        self._data.move_to_end(key)
        while len(self._data) > self._max:
            self._data.popitem(last=False)

    def tags_of(self, key: Hashable, value: Any) -> frozenset[str] | None:
        """The symbols ``key``'s entry is tagged with, if that entry holds ``value`` (None otherwise)."""
        e = self._data.get(key)
        return e.symbols if e is not None and e.value is value else None

    def drop(self, key: Hashable) -> None:
        self._data.pop(key, None)

    def drop_user(self, user_id: str) -> None:
        for k in [k for k, e in self._data.items() if e.user_id == user_id]:
            del self._data[k]

    def drop_symbols(self, symbols: frozenset[str]) -> None:
        for k in [k for k, e in self._data.items() if not e.symbols.isdisjoint(symbols)]:
            del self._data[k]

    def clear(self) -> None:
        self._data.clear()
