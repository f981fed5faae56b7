"""Database work inside a request is bounded by the caller's deadline: the statement is
cancelled on the server, the call fails DEADLINE_EXCEEDED, and the pool stays healthy.
Background tasks spawned by the request are not bounded by it."""

from __future__ import annotations

import asyncio
import time

import pytest

from stack_cfo.core.deadline import deadline_scope
from stack_cfo.core.errors import DeadlineExceeded
from stack_cfo.store.db import Database


async def _sleeping(db: Database) -> int:
    async with db.connection() as conn:
        cur = await conn.execute(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(5)%%' AND state = 'active'"
        )
        row = await cur.fetchone()
    return int(row["n"]) if row else 0


async def test_statement_past_the_deadline_is_cancelled(database: Database) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded), deadline_scope(time.monotonic() + 0.3):
        async with database.connection() as conn:
            await conn.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 2.0
    assert await _sleeping(database) == 0  # cancelled on the server, not left running
    async with database.connection() as conn:  # the pool still works
        assert (await (await conn.execute("SELECT 1 AS one")).fetchone())["one"] == 1


async def test_a_deadline_already_past_fails_before_touching_the_database(database: Database) -> None:
    with pytest.raises(DeadlineExceeded), deadline_scope(time.monotonic() - 1):
        async with database.transaction():
            pass


async def test_background_tasks_spawned_by_a_request_are_not_bounded(database: Database) -> None:
    async def background() -> int:
        await asyncio.sleep(0.4)  # outlives the request's deadline
        async with database.connection() as conn:
            row = await (await conn.execute("SELECT 7 AS n")).fetchone()
        return int(row["n"])

    with deadline_scope(time.monotonic() + 0.2):
        task = asyncio.create_task(background())
    assert await task == 7
