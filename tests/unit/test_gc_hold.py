"""The collector hold around watch fan-outs: off while a burst is in flight, on again when it is
out, bounded in time, and never turning on a collector someone else turned off."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from stack_cfo.core.gc_hold import GcHold
from stack_cfo.core.portfolio.watch import WatchHub


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


async def test_holders_keep_the_collector_off_until_the_last_release() -> None:
    hold = GcHold()
    hold.acquire()
    assert not gc.isenabled() and hold.holding
    hold.acquire()
    hold.release()
    assert not gc.isenabled()
    hold.release()
    assert gc.isenabled() and not hold.holding
    hold.release()  # an extra release changes nothing
    assert gc.isenabled()
    assert hold.holds == 1


async def test_a_hold_that_does_not_end_expires_and_cools_down() -> None:
    now = [100.0]
    hold = GcHold(max_hold=0.05, cooldown=10.0, clock=lambda: now[0])
    hold.acquire()
    assert not gc.isenabled()
    await asyncio.sleep(0.1)
    assert gc.isenabled() and hold.expired == 1
    hold.release()
    assert gc.isenabled()
    hold.acquire()  # within the cool-down: no new hold
    assert gc.isenabled()
    hold.release()
    now[0] += 11
    hold.acquire()
    assert not gc.isenabled()
    hold.release()
    assert gc.isenabled() and hold.holds == 2


async def test_a_collector_turned_off_elsewhere_stays_off() -> None:
    gc.disable()
    hold = GcHold()
    hold.acquire()
    hold.release()
    assert not gc.isenabled() and hold.holds == 0


def test_without_an_event_loop_nothing_is_held() -> None:
    hold = GcHold()
    hold.acquire()
    assert gc.isenabled()
    hold.release()
    assert gc.isenabled()


async def test_a_price_fan_out_holds_until_every_woken_watcher_is_back() -> None:
    hub = WatchHub(GcHold())
    a, b, other = hub.subscribe("u1"), hub.subscribe("u1"), hub.subscribe("u2")
    for s in (a, b, other):
        s.symbols = frozenset({"AAPL"})
    hub.dispatch_prices("u1", frozenset({"AAPL"}))
    assert hub.in_flight == 2 and not gc.isenabled()
    hub.dispatch_prices("u1", frozenset({"AAPL"}))  # woken again before sending: counted once
    assert hub.in_flight == 2
    a.take()
    a.settle()  # sent
    assert hub.in_flight == 1 and not gc.isenabled()
    b.settle()  # not taken yet: its change is still pending, still in flight
    assert hub.in_flight == 1
    hub.unsubscribe(b)  # gone before sending
    assert hub.in_flight == 0 and gc.isenabled()


async def test_a_watcher_waiting_out_its_interval_is_not_in_flight() -> None:
    hub = WatchHub(GcHold())
    sub = hub.subscribe("u1")
    sub.symbols = frozenset({"AAPL"})
    hub.dispatch_prices("u1", frozenset({"AAPL"}))
    assert not gc.isenabled()
    sub.settle(pausing=True)
    assert hub.in_flight == 0 and gc.isenabled()
    hub.dispatch_prices("u1", frozenset({"AAPL"}))  # a change while it waits: coalesced, not a fan-out
    assert hub.in_flight == 0 and gc.isenabled()
    sub.resume()
    sub.take()
    sub.settle()
    assert hub.in_flight == 0
    hub.dispatch_prices("u1", frozenset({"AAPL"}))
    assert hub.in_flight == 1 and not gc.isenabled()
    hub.close()
    hub.unsubscribe(sub)
    assert hub.in_flight == 0 and gc.isenabled()


async def test_closing_the_hub_turns_the_collector_back_on_for_good() -> None:
    hold = GcHold()
    hub = WatchHub(hold)
    sub = hub.subscribe("u1")
    sub.symbols = frozenset({"AAPL"})
    hub.dispatch_prices("u1", frozenset({"AAPL"}))
    assert not gc.isenabled()
    hub.close()  # shutdown while the fan-out is in flight
    assert gc.isenabled()
    hold.acquire()
    assert gc.isenabled(), "a closed hold holds nothing"


async def test_a_watcher_that_never_sends_does_not_disable_later_holds() -> None:
    """A client that stopped reading keeps its watcher woken for good: once the hold expired, the
    next change starts a fan-out of its own, held again, and the stuck watcher's late settling
    changes nothing."""
    now = [0.0]
    hold = GcHold(max_hold=0.05, cooldown=1.0, clock=lambda: now[0])
    hub = WatchHub(hold)
    stuck, other = hub.subscribe("u1"), hub.subscribe("u2")
    stuck.symbols = other.symbols = frozenset({"AAPL"})
    hub.dispatch_prices("u1", frozenset({"AAPL"}))
    assert not gc.isenabled()
    await asyncio.sleep(0.1)  # the stuck watcher never sends: the cap ends the hold
    assert gc.isenabled() and hold.expired == 1
    now[0] += 2  # past the cool-down
    hub.dispatch_prices("u2", frozenset({"AAPL"}))
    assert not gc.isenabled() and hub.in_flight == 1, "a new episode, held"
    stuck.take()
    stuck.settle()  # from the old episode: ignored
    assert hub.in_flight == 1 and not gc.isenabled()
    other.take()
    other.settle()
    assert hub.in_flight == 0 and gc.isenabled()
    assert hold.holds == 2
