"""This process's replica heartbeat (migration 22): how another replica knows it has crashed.

A ``stack-cfo serve`` process has a replica id (a new one at every start) and upserts its row in
``server_replicas`` every :data:`HEARTBEAT_EVERY` seconds. The turn leases it takes record that id
(``chat_sessions.lease_replica``). A lease whose replica has not been seen for
:data:`REPLICA_STALE_AFTER` seconds is free to a taker whose own heartbeat has succeeded without a
break for at least that long (:meth:`ReplicaHeartbeat.lease_params`): a crashed replica's leases
are free within seconds instead of their 30 s TTL, while after a database outage, when every row
is stale, a live holder (still retrying to store its answer) is seen again one interval after the
database is back, before any taker qualifies.

The beat runs on a connection of its own, not the pool: a replica whose pool is busy (callers
queueing for a connection) is alive, and must not look dead because its heartbeat waited in that
queue. Each beat is bounded by the interval; a failed one breaks the run (and closes the
connection, made again at the next beat).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from psycopg.pq import ConnStatus
from psycopg.pq.abc import PGconn

from stack_cfo.core.tasks import detached_task
from stack_cfo.store.db import connect_raw, finish_raw, run_raw  # the readiness probe's bare libpq connection
from stack_cfo.store.queries import load_queries

log = logging.getLogger(__name__)

Q = load_queries("chat")

HEARTBEAT_EVERY = 2.0
"""Seconds between a replica's heartbeats (each beat must finish within this, or counts as failed)."""
REPLICA_STALE_AFTER = 6.0
"""A replica not seen for this long holds its turn leases no more (three missed beats), for a taker
whose own heartbeat has beaten without a break for this long."""
REPLICA_FORGET_AFTER = 3600.0
"""Rows of replicas not seen for this long are deleted (their leases expired by TTL long before)."""


class ReplicaHeartbeat:
    """The heartbeat of one process (:meth:`start` once the database is ready, :meth:`stop` at
    shutdown). Not started, it records no replica on the leases taken and takes no stale ones: the
    TTL rule alone, as before migration 22."""

    def __init__(
        self,
        conninfo: str,
        *,
        role: str | None = None,
        every: float = HEARTBEAT_EVERY,
        stale_after: float = REPLICA_STALE_AFTER,
        forget_after: float = REPLICA_FORGET_AFTER,
    ) -> None:
        self.id = str(uuid.uuid4())
        self._conninfo = conninfo
        self._role = role
        self.every = every
        self.stale_after = stale_after
        self._forget_after = forget_after
        self._task: asyncio.Task[None] | None = None
        self._conn: PGconn | None = None
        self._since: float | None = None
        """Event-loop time of the first beat of the current unbroken run (None: the last beat failed)."""
        self._last = 0.0
        """Event-loop time of the last beat that succeeded."""

    @property
    def started(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = detached_task(self._run(), name="chat-replica-heartbeat")

    def continuous(self) -> bool:
        """This replica's heartbeat has succeeded without a break for at least ``stale_after``."""
        if self._since is None:
            return False
        now = asyncio.get_running_loop().time()
        return now - self._since >= self.stale_after and now - self._last <= 2 * self.every

    def lease_params(self) -> dict[str, Any]:
        """``replica`` and ``stale_after`` of the lease statements (chat.sql acquire_lease)."""
        return {
            "replica": self.id if self._task is not None else None,
            "stale_after": self.stale_after if self._task is not None and self.continuous() else None,
        }

    async def _connection(self) -> PGconn:
        """The heartbeat's connection, made again when it broke. A bare libpq connection, as the
        readiness probe's (:meth:`stack_cfo.store.db.Database.probe`): a beat abandoned mid-connect
        (a stalled server) closes its socket at once, where psycopg's would stay open until the
        garbage collector finds it, and a stalled server that resumes would give each a backend."""
        if self._conn is None or self._conn.status != ConnStatus.OK:
            self._close()
            conn = await connect_raw(self._conninfo, "stack-cfo-replica")
            try:
                if self._role:  # as the pool's connections (the grants are the role's)
                    await run_raw(conn, 'SET ROLE "{}"'.format(self._role.replace('"', '""')), [])
            except BaseException:
                finish_raw(conn)
                raise
            self._conn = conn
        return self._conn

    async def _beat(self) -> None:
        await run_raw(await self._connection(), Q.replica_beat,
                       [self.id, str(self._forget_after), socket.gethostname(), str(os.getpid())])

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        finish_raw(conn)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            began = loop.time()
            try:
                async with asyncio.timeout(self.every):
                    await self._beat()
            except BaseException as exc:
                self._since = None
                self._close()  # closed at once, whatever the beat was doing (cancelled ones too)
                if isinstance(exc, asyncio.CancelledError) or not isinstance(exc, Exception):
                    raise
                failures += 1
                if failures == 1:
                    log.warning("replica heartbeat failed; while it fails this replica takes no crashed "
                                "replica's chat sessions, and after 6 s others may take its own",
                                extra={"replica": self.id, "error": type(exc).__name__})
            else:
                self._last = loop.time()
                if self._since is None:
                    self._since = self._last
                    log.info("replica heartbeat running", extra={"replica": self.id, "after_failures": failures})
                failures = 0
            await asyncio.sleep(max(0.0, began + self.every - loop.time()))

    async def stop(self) -> None:
        """Stop beating and delete this replica's row (best effort, bounded)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        self._since = None
        try:
            async with asyncio.timeout(self.every):
                await run_raw(await self._connection(), Q.replica_gone, [self.id])
        except Exception as exc:
            log.warning("could not delete the replica heartbeat row", extra={"replica": self.id,
                                                                             "error": type(exc).__name__})
        finally:
            self._close()
