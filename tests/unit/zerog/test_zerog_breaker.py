"""The seed's trip rule on purgatory's state model, driven by a fake clock."""

from __future__ import annotations

import pytest

from stack_cfo.zerog.breaker import ProviderBreaker
from stack_cfo.zerog.config import BreakerPolicy
from stack_cfo.zerog.errors import BreakerOpen


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def changes() -> list[str]:
    return []


@pytest.fixture
def breaker(clock: Clock, changes: list[str]) -> ProviderBreaker:
    return ProviderBreaker("0xP", BreakerPolicy(), now=clock, on_change=lambda _, s: changes.append(s))


def run(b: ProviderBreaker, *outcomes: bool) -> None:
    for ok in outcomes:
        t = b.acquire()
        if ok:
            b.success(t)
        else:
            b.failure(t, RuntimeError("x"))


def test_two_failures_are_not_enough(breaker: ProviderBreaker):
    run(breaker, False, False)
    assert breaker.state == "closed"  # fewer than min_requests


def test_trips_at_three_requests_and_sixty_percent(breaker: ProviderBreaker, changes: list[str]):
    run(breaker, True, False, False)  # 2/3 = 67 %
    assert breaker.state == "open"
    assert changes == ["closed", "open"]
    with pytest.raises(BreakerOpen) as info:
        breaker.acquire()
    assert info.value.reason == "ZEROG_BREAKER_OPEN" and info.value.metadata["breaker_state"] == "open"


def test_below_the_ratio_stays_closed(breaker: ProviderBreaker):
    run(breaker, True, True, False, False)  # 50 %
    assert breaker.state == "closed"


def test_old_outcomes_leave_the_window(breaker: ProviderBreaker, clock: Clock):
    run(breaker, False, False)
    clock.t += 61
    run(breaker, False, True, True)  # the two old failures no longer count: 1/3
    assert breaker.state == "closed"


def test_half_open_admits_three_trials_and_closes_after_three_successes(
    breaker: ProviderBreaker, clock: Clock, changes: list[str]
):
    run(breaker, False, False, False)
    clock.t += 29.9
    with pytest.raises(BreakerOpen):
        breaker.acquire()
    clock.t += 0.2
    tickets = [breaker.acquire() for _ in range(3)]
    assert breaker.state == "half_open"
    with pytest.raises(BreakerOpen) as info:
        breaker.acquire()  # a fourth concurrent trial
    assert info.value.metadata["breaker_state"] == "half_open"
    for t in tickets:
        breaker.success(t)
    assert breaker.state == "closed"
    assert changes == ["closed", "open", "half_open", "closed"]


def test_a_half_open_failure_reopens_for_another_period(breaker: ProviderBreaker, clock: Clock):
    run(breaker, False, False, False)
    clock.t += 31
    t = breaker.acquire()
    breaker.failure(t, RuntimeError("still down"))
    assert breaker.state == "open"
    clock.t += 29
    with pytest.raises(BreakerOpen):
        breaker.acquire()


def test_neutral_outcomes_free_trial_slots(breaker: ProviderBreaker, clock: Clock):
    run(breaker, False, False, False)
    clock.t += 31
    tickets = [breaker.acquire() for _ in range(3)]
    breaker.release(tickets[0])  # e.g. the caller cancelled
    breaker.acquire()  # the slot is free again
    assert breaker.state == "half_open"


def test_stale_outcomes_are_ignored(breaker: ProviderBreaker, clock: Clock):
    slow = breaker.acquire()  # admitted while closed
    run(breaker, False, False, False)
    clock.t += 31
    trial = breaker.acquire()
    breaker.success(slow)  # finishes late: must not count as a trial success
    breaker.failure(slow, RuntimeError("late"))  # nor re-open the breaker
    assert breaker.state == "half_open"
    breaker.success(trial)
    assert breaker.state == "half_open"  # one of three


def test_an_open_breaker_whose_period_is_over_reports_half_open_before_a_request_comes(
    breaker: ProviderBreaker, clock: Clock, changes: list[str]
):
    """GetComputeAccount showed BREAKER_STATE_OPEN ('requests go to the next provider ... at once') 32 s
    after a trip with a 30 s open period, when the next request would be let through as a trial
    (HALF_OPEN: 'Trial requests are let through to test recovery'); found by a contract tester."""
    run(breaker, False, False, False)
    clock.t += 29.9
    assert breaker.state == "open"
    clock.t += 0.2
    assert breaker.state == "half_open"
    assert changes == ["closed", "open"]  # nothing moved yet: the next request does
    trial = breaker.acquire()
    assert changes == ["closed", "open", "half_open"]
    breaker.failure(trial, RuntimeError("still down"))
    assert breaker.state == "open"


async def test_the_gauge_hears_of_half_open_when_the_open_period_ends_without_a_request() -> None:
    # zerog_compute_breaker_state said "open" 37 s after a 30 s open period, until the next request (fault tester)
    import asyncio
    import time

    changes: list[str] = []
    b = ProviderBreaker("0xP", BreakerPolicy(open_for=0.2), now=time.monotonic,
                        on_change=lambda _, s: changes.append(s))
    run(b, False, False, False)
    assert changes == ["closed", "open"]
    for _ in range(100):
        if changes[-1] == "half_open":
            break
        await asyncio.sleep(0.02)
    assert changes == ["closed", "open", "half_open"] and b.state == "half_open"
    run(b, True, True, True)  # the trials close it, as before
    assert changes[-1] == "closed"
