"""The summary cache's bounds besides its entry count: a total weight (a summary weighs its
positions, so a few 10,000-position summaries cannot fill memory while the count stays low),
expiry of every entry past its TTL whether or not its key is read again, and a cap on one group's
entries (one user's summaries at distinct past instants). Before, only the count bounded it and an
expired entry stayed until its own key was read: 60 summaries of 10,000 positions held ~1.3 GB
past the TTL."""

from __future__ import annotations

import gc
import weakref

from stack_cfo.core.portfolio.cache import CacheSettings, TaggedCache


class _Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class _Big:
    """A value of some weight (and weakly referable, to see it go)."""

    def __init__(self, weight: int) -> None:
        self.weight = weight


def _cache(clock: _Clock, **kw: int) -> TaggedCache:
    return TaggedCache(kw.pop("entries", 100), 60.0, weigh=lambda v: v.weight, clock=clock, **kw)


def _put(cache: TaggedCache, key: object, value: object, group: object = None, user: str = "u") -> None:
    cache.put(key, value, user_id=user, symbols=frozenset({"ABC"}), epoch=1, group=group)


def test_the_defaults_bound_summaries_by_positions_and_by_user() -> None:
    cs = CacheSettings()
    assert cs.max_summary_positions == 200_000
    assert cs.max_as_of_per_user == 8


def test_total_weight_is_bounded_least_recently_used_first() -> None:
    clock = _Clock()
    cache = _cache(clock, max_weight=25_000)
    for i in range(3):
        _put(cache, ("at", i), _Big(10_001))
    # three of 10,001 do not fit in 25,000: the first went although the count bound (100) is far
    assert cache.get(("at", 0), 1) is None
    assert cache.get(("at", 1), 1) is not None and cache.get(("at", 2), 1) is not None
    assert cache.weight == 20_002 and len(cache) == 2
    # the one read last stays when a new one needs room
    assert cache.get(("at", 1), 1) is not None
    _put(cache, ("at", 3), _Big(5_000))
    assert cache.get(("at", 2), 1) is None and cache.get(("at", 1), 1) is not None
    assert cache.weight == 15_001
    # one heavier than the whole budget is not stored (and pushes nothing out)
    _put(cache, ("at", 4), _Big(25_001))
    assert cache.get(("at", 4), 1) is None and len(cache) == 2 and cache.weight == 15_001
    # replacing a key replaces its weight; drops and clear give it back
    _put(cache, ("at", 1), _Big(1))
    assert cache.weight == 5_001
    cache.drop_user("u")
    assert cache.weight == 0 and len(cache) == 0


def test_expired_entries_go_when_the_cache_is_next_used_not_only_when_read() -> None:
    clock = _Clock()
    cache = _cache(clock)
    big = _Big(10_001)
    ref = weakref.ref(big)
    _put(cache, ("at", "old"), big)
    del big
    clock.t += 30
    _put(cache, ("at", "newer"), _Big(1))
    clock.t += 31  # past the first entry's TTL, not the second's
    assert cache.get(("now", "someone else"), 1) is None  # any use of the cache
    gc.collect()
    assert ref() is None, "an expired entry stayed in memory"
    assert len(cache) == 1 and cache.weight == 1
    clock.t += 30
    _put(cache, "another", _Big(2))
    assert len(cache) == 1 and cache.weight == 2


def test_one_group_holds_at_most_its_cap_its_oldest_going_first() -> None:
    clock = _Clock()
    cache = _cache(clock, entries=50, max_per_group=8)
    for u in range(10):
        _put(cache, ("now", u), _Big(1), user=f"user{u}")
    for i in range(20):
        _put(cache, ("at", "mallory", i), _Big(1), group=("at", "mallory"), user="mallory")
    # everyone else's summaries stay: mallory's distinct instants only replace mallory's own
    assert all(cache.get(("now", u), 1) is not None for u in range(10))
    kept = [i for i in range(20) if cache.get(("at", "mallory", i), 1) is not None]
    assert kept == list(range(12, 20))
    assert len(cache) == 18
    # the group's count follows drops too
    cache.drop(("at", "mallory", 19))
    _put(cache, ("at", "mallory", 20), _Big(1), group=("at", "mallory"), user="mallory")
    assert cache.get(("at", "mallory", 12), 1) is not None
    cache.drop_symbols(frozenset({"ABC"}))
    assert len(cache) == 0 and cache.weight == 0
