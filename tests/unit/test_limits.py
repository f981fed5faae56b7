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


async def _burst(limiter: CallLimiter, principal: Principal, method: str, n: int) -> list[ResourceExhausted]:
    refusals = []
    for _ in range(n):
        try:
            await limiter.admit(principal, method)
        except ResourceExhausted as exc:
            refusals.append(exc)
    return refusals


async def test_a_call_the_burst_window_refuses_does_not_use_up_the_longer_window() -> None:
    """A client that waits the RetryInfo delay of a burst refusal is admitted (the minute window
    holds only the calls that were served, not the refused ones)."""
    cfg = build_config({"rate_limits": {"user": {"reads": "2/second;5/minute"}}}).rate_limits
    limiter = CallLimiter(cfg)
    await limiter.start()
    clock = Clock(60_000.0)
    limiter._local = SlidingWindows(clock)
    alice, method = Principal(user_id="a"), "/stack.cfo.v1.ChatService/GetSession"
    refusals = await _burst(limiter, alice, method, 10)
    assert len(refusals) == 8
    first = refusals[0]
    assert first.metadata["window_limit"] == "2 per 1 second"
    clock.now += first.retry_after.total_seconds() + 0.001
    await limiter.admit(alice, method)  # old code: refused for ~59 s by a minute window full of refusals


async def test_a_refusal_names_the_window_that_keeps_the_call_out_longest() -> None:
    cfg = build_config({"rate_limits": {"user": {"reads": "2/second;3/minute"}}}).rate_limits
    limiter = CallLimiter(cfg)
    await limiter.start()
    clock = Clock(60_000.0)
    limiter._local = SlidingWindows(clock)
    alice, method = Principal(user_id="a"), "/stack.cfo.v1.ChatService/GetSession"
    assert await _burst(limiter, alice, method, 2) == []
    clock.now += 1.5
    assert await _burst(limiter, alice, method, 1) == []  # the third of the minute
    [refused] = await _burst(limiter, alice, method, 1)  # both windows are full now
    assert refused.metadata["window_limit"] == "3 per 1 minute"
    assert refused.retry_after.total_seconds() > 1


async def test_a_call_of_two_classes_refused_by_one_counts_in_neither() -> None:
    cfg = build_config({"rate_limits": {"user": {"paid_ai": "1/minute", "streams": "2/minute"}}}).rate_limits
    limiter = CallLimiter(cfg)
    await limiter.start()
    alice, method = Principal(user_id="a"), "/stack.cfo.v1.ChatService/SendMessage"  # streams + paid_ai
    refusals = await _burst(limiter, alice, method, 5)
    assert len(refusals) == 4 and {r.metadata["class"] for r in refusals} == {"paid_ai"}
    # The refused SendMessages took no stream opening: a watch (streams only) is still admitted.
    await limiter.admit(alice, "/stack.cfo.v1.PortfolioSummaryService/WatchPortfolio")
