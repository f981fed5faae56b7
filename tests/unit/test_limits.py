"""The in-memory sliding-window counters behind the per-principal limits (no server, a fake clock)."""

from __future__ import annotations

import math

import pytest

from stack_cfo.api.auth import Principal
from stack_cfo.api.limits import CallLimiter
from stack_cfo.api.rate_windows import SlidingWindows
from stack_cfo.config import build_config
from stack_cfo.core.errors import ResourceExhausted


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_window_admits_its_limit_then_refuses() -> None:
    clock = Clock()
    w = SlidingWindows(clock)
    assert all(w.hit("k", 5, 60) for _ in range(5))
    assert not w.hit("k", 5, 60)
    assert w.hit("other", 5, 60), "keys are counted apart"


def test_the_previous_window_counts_by_how_much_of_it_the_sliding_window_still_covers() -> None:
    clock = Clock(600.0)  # the start of a 60 s window
    w = SlidingWindows(clock)
    for _ in range(10):
        assert w.hit("k", 10, 60)
    clock.now = 660.0 + 15  # a quarter into the next window: 3/4 of the previous 10 still count
    admitted = sum(w.hit("k", 10, 60) for _ in range(10))
    assert admitted == 10 - math.floor(7.5)  # as the limits library counts: floor(weighted) + 1 <= limit
    clock.now = 720.0 + 1  # the next window: the 3 just admitted weigh 59/60 (2.95)
    assert sum(w.hit("k", 10, 60) for _ in range(10)) == 8
    clock.now = 900.0  # windows later nothing weighs
    assert sum(w.hit("k", 10, 60) for _ in range(12)) == 10


def test_retry_after_is_when_the_next_call_is_admitted() -> None:
    clock = Clock(6000.0)
    w = SlidingWindows(clock)
    for _ in range(4):
        w.hit("k", 4, 10)
    clock.now += 3
    assert not w.hit("k", 4, 10)
    wait = w.retry_after("k", 4, 10)
    assert 0 < wait <= 20
    clock.now += wait - 0.01
    assert not w.hit("k", 4, 10), "refused just before the time given"
    clock.now += 0.02
    assert w.hit("k", 4, 10), "admitted just after it"


def test_idle_keys_are_swept() -> None:
    clock = Clock()
    w = SlidingWindows(clock)
    for i in range(5000):
        w.hit(f"u{i}", 100, 1)
    assert len(w) == 5000
    clock.now += 2.5
    w.hit("hot", 100, 1)
    assert len(w) == 1


async def test_the_limiter_refuses_with_the_time_to_wait() -> None:
    cfg = build_config({"rate_limits": {"user": {"reads": "3/minute"}}}).rate_limits
    limiter = CallLimiter(cfg)
    await limiter.start()
    method = "/stack.cfo.v1.ChatService/GetSession"
    alice, bob = Principal(user_id="a"), Principal(user_id="b")
    for _ in range(3):
        await limiter.admit(alice, method)
    with pytest.raises(ResourceExhausted) as refused:
        await limiter.admit(alice, method)
    assert refused.value.reason == "RATE_LIMITED"
    assert 0 < refused.value.retry_after.total_seconds() <= 60
    await limiter.admit(bob, method)  # another principal is not affected
