"""The database handle: an explicitly opened ``AsyncConnectionPool`` with error mapping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from stack_cfo.core import deadline as request_deadline
from stack_cfo.core.errors import DeadlineExceeded
from stack_cfo.store.errors import wrap_exceptions

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Pool sizing and timeouts (psycopg_pool semantics)."""

    min_size: int = 2
    """Connections kept open while idle."""
    max_size: int = 20
    """Upper bound on open connections."""
    timeout: float = 5.0
    """Seconds a caller waits for a connection before the request fails UNAVAILABLE."""
    max_waiting: int = 0
    """Callers allowed to queue for a connection (0 = unbounded)."""
    max_idle: float = 300.0
    """Seconds an idle connection is kept above ``min_size``."""
    max_lifetime: float = 1800.0
    """Seconds before a connection is recycled."""
    reconnect_timeout: float = 60.0
    """Seconds the pool keeps trying to reconnect in the background before reporting failure."""


class Database:
    """One pool, opened explicitly, every use wrapped in the domain error mapping."""

    def __init__(self, conninfo: str, settings: PoolSettings | None = None, *, name: str = "stack-cfo") -> None:
        s = settings or PoolSettings()
        self.conninfo = conninfo
        self.pool: AsyncConnectionPool[AsyncConnection[dict]] = AsyncConnectionPool(  # type: ignore[type-arg]
            conninfo,
            open=False,
            min_size=s.min_size,
            max_size=s.max_size,
            timeout=s.timeout,
            max_waiting=s.max_waiting,
            max_idle=s.max_idle,
            max_lifetime=s.max_lifetime,
            reconnect_timeout=s.reconnect_timeout,
            check=AsyncConnectionPool.check_connection,
            kwargs={"application_name": name, "row_factory": dict_row},
            name=name,
        )
        self._opened = False

    async def open(self, *, timeout: float = 30.0) -> None:
        """Open the pool and wait until ``min_size`` connections are ready (raises Unavailable)."""
        with wrap_exceptions():
            await self.pool.open(wait=True, timeout=timeout)
        self._opened = True

    async def close(self) -> None:
        if self._opened or not self.pool.closed:
            await self.pool.close()
        self._opened = False

    @property
    def is_open(self) -> bool:
        return self._opened and not self.pool.closed

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection[dict]]:  # type: ignore[type-arg]
        """A pooled connection; the pool commits on clean exit and rolls back on error.

        Inside a request the work is bounded by the caller's gRPC deadline: a statement still
        running then is cancelled on the server and the call fails DEADLINE_EXCEEDED.
        """
        remaining = request_deadline.remaining()
        scope = asyncio.timeout(remaining)
        try:
            async with scope:
                with wrap_exceptions():
                    async with self.pool.connection() as conn:
                        yield conn
        except TimeoutError:
            if remaining is not None and scope.expired():
                raise DeadlineExceeded(
                    "the caller's deadline passed during a database call", reason="DEADLINE_EXCEEDED"
                ) from None
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection[dict]]:  # type: ignore[type-arg]
        """A connection inside one transaction (all-or-nothing), bounded like :meth:`connection`."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def ping(self, timeout: float = 2.0) -> None:
        """Round-trip ``SELECT 1``; raises Unavailable when the database does not answer."""
        with wrap_exceptions():
            async with self.pool.connection(timeout=timeout) as conn:
                await conn.execute("SELECT 1")

    def stats(self) -> dict[str, int]:
        return dict(self.pool.get_stats())
