"""compute_pool.Lane: computations one at a time, with what became ready running in between.

After a price change every watched portfolio's load resumes in the same turn of the loop; computed
straight away, each finished portfolio's watchers waited behind every other computation. Through
the lane, the ones woken by a finished computation run before the next computation starts.
"""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from stack_cfo.core.portfolio.compute_pool import Lane

_who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


async def test_what_a_computation_woke_runs_before_the_next_computation() -> None:
    lane = Lane()
    order: list[str] = []

    async def watcher_of(i: int) -> None:
        await lane.run(lambda: order.append(f"compute {i}"))
        order.append(f"send {i}")

    await asyncio.gather(*(watcher_of(i) for i in range(3)))
    assert order == ["compute 0", "send 0", "compute 1", "send 1", "compute 2", "send 2"]


async def test_in_the_callers_context_with_its_errors() -> None:
    lane = Lane()

    async def as_user(name: str) -> str:
        _who.set(name)
        return await lane.run(_who.get)

    assert await asyncio.gather(as_user("ann"), as_user("bob")) == ["ann", "bob"]

    def boom() -> None:
        raise ValueError("bad figures")

    with pytest.raises(ValueError, match="bad figures"):
        await lane.run(boom)
    assert await lane.run(lambda: 7) == 7  # the lane goes on after an error


async def test_a_caller_gone_before_its_turn_is_skipped() -> None:
    lane = Lane()
    ran: list[int] = []
    first = asyncio.ensure_future(lane.run(lambda: ran.append(1)))
    second = asyncio.ensure_future(lane.run(lambda: ran.append(2)))
    await asyncio.sleep(0)  # both queued
    second.cancel()
    await first
    await asyncio.sleep(0.01)
    assert ran == [1]
