"""A PostgreSQL that stalls (its processes stopped, then continued: sockets stay open, nothing
answers) must cost the service no server connections, and calls made while the health checks know
it is down fail at once. The server here is an embedded one of this module's own (never the shared
one): only it is stopped."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import secrets
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from stack_cfo.core.errors import Unavailable
from stack_cfo.store.db import Database, PoolSettings
from stack_cfo.telemetry.readiness import Readiness

INTERVAL = 0.2  # health check cadence, as the server tests run it
FAILURES = 2


@dataclass
class OwnPostgres:
    uri: str
    postmaster: int

    def _pids(self) -> list[int]:
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.postmaster)],
                                  capture_output=True, text=True, check=False).stdout.split()
        return [self.postmaster, *map(int, children)]

    @contextlib.contextmanager
    def stalled(self) -> Iterator[None]:
        """Every process of this server stopped (SIGSTOP) inside the block, continued after it."""
        pids = self._pids()
        try:
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)
            yield
        finally:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)

    def backends(self, application_prefix: str) -> int:
        with psycopg.connect(self.uri, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                " AND application_name LIKE %s", (application_prefix + "%",)).fetchone()
        return int(row[0]) if row else 0


@pytest.fixture(scope="module")
def own_pg() -> Iterator[OwnPostgres]:
    from stack_cfo.store.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="stack-cfo-stall-pg-") as tmp:
        uri, server = start_embedded(tmp)
        try:
            pid = int((Path(tmp) / "pgdata" / "postmaster.pid").read_text().split()[0])
            yield OwnPostgres(uri, pid)
        finally:
            server.cleanup()


@contextlib.asynccontextmanager
async def _monitored(
    own_pg: OwnPostgres, settings: PoolSettings | None = None
) -> AsyncIterator[tuple[Database, Readiness, str]]:
    """A pool and the readiness monitor the server runs on it (same wiring: revive_pool,
    mark_down), checking every INTERVAL."""
    name = f"stall-{secrets.token_hex(3)}"
    db = Database(own_pg.uri, settings or PoolSettings(min_size=1, max_size=4, timeout=2.0), name=name, role=None)
    await db.open()
    readiness = Readiness()
    monitor = asyncio.create_task(readiness.monitor(
        db.probe, interval=INTERVAL, timeout=INTERVAL, failures_before_unready=FAILURES,
        recovered=db.revive_pool, unready=db.mark_down))
    try:
        await _until(lambda: readiness.ready, 5)
        yield db, readiness, name
    finally:
        monitor.cancel()
        await asyncio.gather(monitor, return_exceptions=True)
        await db.close()


async def _until(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_stalls_leak_no_connections_and_readiness_comes_back(own_pg: OwnPostgres) -> None:
    """Before: each health check of a stall that was abandoned while connecting left its socket
    open, unread, until a full garbage collection (the tester saw ~6 server connections per stall
    stay for good, max_connections used up after five stalls and readiness NOT_SERVING with the
    database back). The collector is off here so that nothing it might do hides a leak."""
    gc.disable()
    try:
        async with _monitored(own_pg) as (db, readiness, name):
            for _ in range(3):
                with own_pg.stalled():
                    await _until(lambda: not readiness.ready, 5)
                    assert db.down
                    await asyncio.sleep(1.0)  # more checks, each abandoned mid-connect
                await _until(lambda: readiness.ready, 3)  # interval + timeout, and slack
                assert not db.down
                # The pool (max 4) and the health check's own connection, nothing else; backends
                # of sockets the service closed during the stall go away as soon as they start.
                deadline = time.monotonic() + 5
                while (count := await asyncio.to_thread(own_pg.backends, name)) > 4 + 1:
                    assert time.monotonic() < deadline, f"{count} server connections after the stall"
                    await asyncio.sleep(0.1)
                health = await asyncio.to_thread(own_pg.backends, f"{name}-health")
                assert health <= 1, f"{health} health check connections after the stall"
            async with db.connection() as conn:
                assert (await (await conn.execute("SELECT 1 AS one")).fetchone()) == {"one": 1}
        assert await asyncio.to_thread(own_pg.backends, name) == 0  # close() closed them all
    finally:
        gc.enable()


async def test_calls_fail_at_once_while_the_database_is_known_down(own_pg: OwnPostgres) -> None:
    """Before: the pool lent its connections to the stalled server (one given back moments ago
    is lent unchecked, others are checked with a query that never answers) and the call hung until
    its caller's deadline, or for good without one, though readiness said the database was down."""
    async with _monitored(own_pg) as (db, readiness, _):
        for _ in range(3):  # connections given back to the pool just now
            async with db.connection() as conn:
                await conn.execute("SELECT 1")
        with own_pg.stalled():
            await _until(lambda: not readiness.ready, 5)
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(Unavailable) as err:
                    async with asyncio.timeout(5):  # a caller's deadline
                        async with db.transaction() as conn:
                            await conn.execute("SELECT 1")
                assert err.value.reason == "DATABASE_UNAVAILABLE"
                assert time.monotonic() - started < 0.5
        await _until(lambda: readiness.ready, 3)
        async with db.transaction() as conn:  # back to normal with the database
            assert (await (await conn.execute("SELECT 1 AS one")).fetchone()) == {"one": 1}


async def _call(db: Database, query: str = "SELECT 1") -> None:
    """A call without a deadline."""
    async with db.transaction() as conn:
        await conn.execute(query)


async def test_calls_in_flight_end_when_readiness_marks_the_database_down(own_pg: OwnPostgres) -> None:
    """Before: a call already waiting on the stalled database when readiness flipped was not
    released: it hung until the database answered again (the tester's 24.5 s) and then failed
    UNAVAILABLE anyway. Now the flip ends it at once: a query in flight on a connection given
    back moments ago (lent unchecked), one whose connection the pool was checking (idle longer),
    and one waiting for a connection of a pool used up."""
    settings = PoolSettings(min_size=2, max_size=3, timeout=60.0)
    async with _monitored(own_pg, settings) as (db, readiness, name):
        await _until(lambda: db.stats().get("pool_available") == 2, 5)
        await asyncio.sleep(1.0)  # both idle: checked when lent...
        async with db.connection() as conn:  # ...but this one, given back just before the stall
            await conn.execute("SELECT 1")
        with own_pg.stalled():
            calls = [asyncio.create_task(_call(db)) for _ in range(3)]
            await asyncio.sleep(0.1)
            assert readiness.ready
            # one checking its connection, one in its first statement, one waiting for the pool to grow
            assert sorted(scope.conn is not None for scope in db._scopes) == [False, True, True]
            await _until(lambda: not readiness.ready, 5)
            flipped = time.monotonic()
            results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 5)
            done_at = time.monotonic()
            assert all(isinstance(r, Unavailable) and r.reason == "DATABASE_UNAVAILABLE" for r in results), results
            assert done_at - flipped < 1.0, f"calls ended {done_at - flipped:.1f}s after the flip"
        await _until(lambda: readiness.ready, 3)
        for _ in range(3):  # the connections the flip shut were discarded, not lent again
            async with db.transaction() as conn:
                assert (await (await conn.execute("SELECT 1 AS one")).fetchone()) == {"one": 1}
        deadline = time.monotonic() + 5
        while (count := await asyncio.to_thread(own_pg.backends, name)) > 3 + 1:  # the pool, the check
            assert time.monotonic() < deadline, f"{count} server connections after the stall"
            await asyncio.sleep(0.1)


async def test_marking_down_ends_a_running_query_and_the_pool_recovers(db_dsn: str) -> None:
    """Without a stall: mark_down ends a statement in flight (the pool then discards its
    connection), refuses new calls until the database is found up, and the pool serves again."""
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=2, timeout=10.0), name="markdown", role=None)
    await db.open()
    try:
        for query in ("SELECT pg_sleep(30)", "BEGIN"):
            call = asyncio.create_task(_call(db, query) if query != "BEGIN" else _idle_in_body(db))
            await asyncio.sleep(0.3)
            assert not call.done()
            started = time.monotonic()
            db.mark_down()
            with pytest.raises(Unavailable) as err:
                await asyncio.wait_for(call, 5)
            assert err.value.reason == "DATABASE_UNAVAILABLE"
            assert time.monotonic() - started < 1.0
            await db.revive_pool(5.0)
            async with db.transaction() as conn:
                assert (await (await conn.execute("SELECT 1 AS one")).fetchone()) == {"one": 1}
    finally:
        await db.close()


async def _idle_in_body(db: Database) -> None:
    """Holds a transaction doing no database work when marked down; its commit then fails."""
    async with db.transaction() as conn:
        await conn.execute("SELECT 1")
        await asyncio.sleep(1.0)


async def test_a_callers_own_cancellation_is_not_turned_into_unavailable(db_dsn: str) -> None:
    """A call waiting for a connection when marked down fails UNAVAILABLE; one its caller cancels
    at the same moment is still cancelled (the flip's own cancellation is not mistaken for it)."""
    db = Database(db_dsn, PoolSettings(min_size=1, max_size=1, timeout=30.0), name="markdown-cancel", role=None)
    await db.open()
    release = asyncio.Event()

    async def hold() -> None:
        async with db.transaction() as conn:
            await conn.execute("SELECT 1")
            await release.wait()

    try:
        holder = asyncio.create_task(hold())
        await asyncio.sleep(0.2)
        waiting, cancelled = asyncio.create_task(_call(db)), asyncio.create_task(_call(db))
        await asyncio.sleep(0.2)
        assert not waiting.done() and not cancelled.done()
        cancelled.cancel()
        db.mark_down()
        release.set()
        results = await asyncio.wait_for(asyncio.gather(holder, waiting, cancelled, return_exceptions=True), 5)
        assert isinstance(results[0], Unavailable)  # its connection was shut: the commit fails
        assert isinstance(results[1], Unavailable) and results[1].reason == "DATABASE_UNAVAILABLE"
        assert isinstance(results[2], asyncio.CancelledError), results
    finally:
        await db.close()
