"""The database answers again after an outage: the pool is renewed (``Database.revive_pool``), and no
call waits on the old pool (still backing off its reconnections) for the pool's timeout.

Before: ``revive_pool`` cleared ``down`` before trying the old pool and opening a fresh one, so calls
arriving in that window (about 0.2 s, readiness still NOT_SERVING) queued on the old pool, and the
old pool was kept open for the pool's timeout after the swap: the tester's calls ended UNAVAILABLE
after 5.0 s (the pool timeout), or DEADLINE_EXCEEDED at a 3 s deadline. Calls waiting on the old pool
when it was replaced were held the same way.

The pool timeout here is 30 s and every bound 10 s, so the old behaviour cannot pass for a slow one.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from stack_cfo.core.errors import Unavailable
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.telemetry.readiness import Readiness
from tests.support.tcp_proxy import PgProxy

POOL_TIMEOUT = 30.0
BOUND = 10.0
"""Every call here ends within this, a third of the pool's timeout."""


async def _call(db: Database) -> Any:
    """A call without a deadline of its own: its row."""
    async with db.transaction() as conn:
        return await (await conn.execute("SELECT 1 AS one")).fetchone()


async def _one_connection_pool(db_dsn: str, name: str) -> tuple[Database, Any]:
    """A pool of one connection, held outside any call (mark_down leaves it alone): the pool
    cannot lend, as one still backing off its reconnections after an outage, so revive_pool's
    trial of it fails and a fresh pool takes its place. Returns the database and the held connection."""
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=1, timeout=POOL_TIMEOUT), name=name, role=None)
    await db.open()
    return db, await db.pool.getconn()


async def test_calls_during_the_revival_of_a_database_marked_down_fail_fast(db_dsn: str) -> None:
    db, held = await _one_connection_pool(db_dsn, "revival-down")
    old = db.pool
    try:
        db.mark_down()
        revival = asyncio.create_task(db.revive_pool(5.0))
        await asyncio.sleep(0)  # under way: trying the old pool
        assert not revival.done()
        calls = [asyncio.create_task(_call(db)) for _ in range(3)]
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), BOUND)
        # before: each queued on the old pool (down already cleared) and waited for its timeout
        assert all(isinstance(r, Unavailable) and r.reason == "DATABASE_UNAVAILABLE" for r in results), results
        await asyncio.wait_for(revival, BOUND)
        assert db.pool is not old and not db.down
        assert await asyncio.wait_for(_call(db), BOUND) == {"one": 1}  # the fresh pool serves
    finally:
        await old.putconn(held)
        await db.close()


async def test_calls_waiting_on_the_replaced_pool_get_a_connection_of_the_fresh_one(db_dsn: str) -> None:
    """Not marked down (the scheduler's monitor never does; nor does the API's after fewer failed
    checks than readiness needs): calls wait on the old pool, and when the fresh pool takes its place
    they are served by it at once. The old pool's one connection stays held throughout, so a row can
    only come from the fresh pool."""
    db, held = await _one_connection_pool(db_dsn, "revival-waiting")
    old = db.pool
    try:
        calls = [asyncio.create_task(_call(db)) for _ in range(3)]
        await asyncio.sleep(0.2)
        assert not any(call.done() for call in calls)
        assert len(db._acquiring) == 3  # all three waiting on the old pool
        await asyncio.wait_for(db.revive_pool(5.0), BOUND)
        assert db.pool is not old
        # before: held on the old pool until it closed, the pool's timeout after the swap
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), BOUND)
        assert results == [{"one": 1}] * 3, results
        assert not db._acquiring and not db._scopes
    finally:
        await old.putconn(held)
        await db.close()


async def test_a_caller_cancelling_while_its_call_is_moved_is_still_cancelled(db_dsn: str) -> None:
    """The move to the fresh pool is a cancellation of the wait on the old one: a cancellation of
    the caller's own at the same moment is not swallowed by it (the call does not go on to the
    fresh pool)."""
    db, held = await _one_connection_pool(db_dsn, "revival-cancel")
    old = db.pool
    try:
        call = asyncio.create_task(_call(db))
        await asyncio.sleep(0.2)
        move = db._move_requests

        def move_and_cancel() -> int:
            moved = move()
            call.cancel()  # the caller's own, in the same step as the move's
            return moved

        db._move_requests = move_and_cancel  # type: ignore[method-assign]
        await asyncio.wait_for(db.revive_pool(5.0), BOUND)
        assert db.pool is not old
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(call, BOUND)
        assert await asyncio.wait_for(_call(db), BOUND) == {"one": 1}
    finally:
        await old.putconn(held)
        await db.close()


async def test_calls_as_the_database_comes_back_do_not_wait_for_the_pool_timeout(db_dsn: str) -> None:
    """The tester's case end to end, wired as the server wires it (readiness monitor, revive_pool,
    mark_down): the database unreachable (connections refused and reset), then back; calls made the
    moment it answers, while the pool is renewed and readiness is still NOT ready, fail at once
    (UNAVAILABLE DATABASE_UNAVAILABLE, as while down), and calls after the flip are served."""
    proxy = PgProxy(db_dsn)
    await proxy.start()
    db = Database(proxy.dsn(), PoolSettings(min_size=2, max_size=4, timeout=POOL_TIMEOUT), name="revival-e2e",
                  role=None)
    await db.open()
    window: list[asyncio.Task[Any]] = []
    ready_during_window: list[bool] = []
    readiness = Readiness()

    async def recovered(timeout: float) -> None:
        revival = asyncio.create_task(db.revive_pool(timeout))
        await asyncio.sleep(0)  # the pool is being renewed
        ready_during_window.append(readiness.ready)
        window.extend(asyncio.create_task(_call(db)) for _ in range(4))
        await revival

    monitor = asyncio.create_task(readiness.monitor(
        db.probe, interval=0.2, timeout=0.2, failures_before_unready=2, recovered=recovered, unready=db.mark_down))
    try:
        await _until_ready(readiness, True)
        assert await _call(db) == {"one": 1}
        proxy.cut()
        await _until_ready(readiness, False)
        await asyncio.sleep(1.5)  # the pool's reconnections fail and back off
        proxy.restore()
        await _until_ready(readiness, True)
        assert ready_during_window == [False] and len(window) == 4
        results = await asyncio.wait_for(asyncio.gather(*window, return_exceptions=True), BOUND)
        # before: each waited on the old pool, for its reconnection or its timeout
        assert all(isinstance(r, Unavailable) and r.reason == "DATABASE_UNAVAILABLE" for r in results), results
        assert await asyncio.wait_for(_call(db), BOUND) == {"one": 1}
    finally:
        monitor.cancel()
        await asyncio.gather(monitor, return_exceptions=True)
        await db.close()
        await proxy.close()


async def _until_ready(readiness: Readiness, ready: bool) -> None:
    give_up = time.monotonic() + BOUND
    while readiness.ready != ready:
        assert time.monotonic() < give_up, f"readiness not {ready} in time"
        await asyncio.sleep(0.02)


async def test_a_pool_of_dead_connections_that_still_look_fine_is_replaced(db_dsn: str) -> None:
    """A connection returned just before the outage skips the pool's check (CHECK_BYPASS_WINDOW) and its socket
    looks fine until used: revive_pool's trial took it as proof the old pool worked, kept the pool, and the first
    call after readiness came back failed on it (a CI run's test_outage failure). The trial now runs a query."""
    proxy = PgProxy(db_dsn)
    await proxy.start()
    db = Database(proxy.dsn(), PoolSettings(min_size=1, max_size=1, timeout=POOL_TIMEOUT), name="revival-stale",
                  role=None)
    await db.open()
    try:
        assert await _call(db) == {"one": 1}  # its one connection returned now: the check is bypassed next
        old = db.pool
        proxy.cut()
        proxy.restore()  # back at once: the old connection is dead, but nothing has used it yet
        await asyncio.wait_for(db.revive_pool(0.5), BOUND)
        assert db.pool is not old, "the pool of a dead connection was kept"
        assert await asyncio.wait_for(_call(db), BOUND) == {"one": 1}
    finally:
        await db.close()
        await proxy.close()
