"""A dedicated PostgreSQL LISTEN connection per process, reconnecting with backoff.

Subclasses name their ``channels`` and handle each notification in :meth:`PgListener._dispatch`;
:meth:`PgListener._on_connect` runs after every (re)connect, when anything may have been missed while
disconnected. Between notifications the connection is probed every ``probe_interval`` seconds so a
silently dead link is noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg

from stack_cfo.core.tasks import detached_task

log = logging.getLogger(__name__)

#: While the database stays unreachable, a listener says so this often (seconds).
_STILL_DOWN_EVERY = 60.0


class PgListener:
    channels: tuple[str, ...] = ()
    name = "pg-listen"

    def __init__(
        self,
        conninfo: str,
        *,
        reconnect_initial: float = 0.2,
        reconnect_max: float = 5.0,
        probe_interval: float = 5.0,
        connect_timeout: int = 5,
    ) -> None:
        self._conninfo = conninfo
        self._initial = reconnect_initial
        self._max = reconnect_max
        self._probe = probe_interval
        self._connect_timeout = connect_timeout
        self._healthy = False
        self._epoch = 0
        self._task: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    @property
    def healthy(self) -> bool:
        return self._healthy

    @property
    def epoch(self) -> int:
        return self._epoch

    def _start_task(self) -> None:
        if self._task is None:
            # often first asked for inside a request (the user-keys listener): not that request's
            self._task = detached_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._healthy = False

    def _dispatch(self, channel: str, payload: str) -> None:
        raise NotImplementedError

    def _on_connect(self) -> None:
        """After every (re)connect."""

    async def _run(self) -> None:
        delay = self._initial
        loop = asyncio.get_running_loop()
        # An outage is logged when it starts, then once a minute, and when it ends (not on every
        # attempt: a database down for an hour would otherwise write thousands of lines per process).
        failures = 0
        down_since = warned_at = 0.0
        while True:
            conn: psycopg.AsyncConnection[Any] | None = None
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, application_name="stack-cfo-listen",
                    connect_timeout=self._connect_timeout,
                )
                for channel in self.channels:
                    await conn.execute(f"LISTEN {channel}")
                self._epoch += 1
                self._healthy = True
                self.connected.set()
                self._on_connect()
                outage = {"attempts": failures, "down_s": round(loop.time() - down_since, 1)} if failures else {}
                log.info("listening for database notifications",
                         extra={"listener": self.name, "epoch": self._epoch, **outage})
                failures = 0
                delay = self._initial
                while True:
                    async for n in conn.notifies(timeout=self._probe):
                        self._dispatch(n.channel, n.payload)
                    await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                now = loop.time()
                failures += 1
                if failures == 1:
                    down_since = warned_at = now
                    log.warning("database listener lost its connection; reconnecting",
                                extra={"listener": self.name, "error": type(exc).__name__, "retry_in_s": delay})
                elif now - warned_at >= _STILL_DOWN_EVERY:
                    warned_at = now
                    log.warning("database listener still reconnecting",
                                extra={"listener": self.name, "error": type(exc).__name__, "attempts": failures,
                                       "down_s": round(now - down_since, 1)})
                else:
                    log.debug("database listener reconnect failed",
                              extra={"listener": self.name, "error": type(exc).__name__, "attempts": failures})
            finally:
                if self._healthy:
                    self._epoch += 1
                self._healthy = False
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max)
