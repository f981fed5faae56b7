"""Readiness of a process (the API server or the scheduler): a flag fed by a database monitor.

``stack-cfo serve`` shows it as the gRPC health status ``readiness``; ``stack-cfo scheduler`` as
``/readyz`` on its metrics port. Both export it as ``stack_cfo_ready`` and count the flips in
``stack_cfo_readiness_changes_total``.

:meth:`Readiness.monitor` checks the database on a fixed cadence: a check starts every
``interval`` seconds however long the previous one took, and one that has not answered within
``timeout`` (<= ``interval``) fails. So readiness turns NOT ready at most
``failures_before_unready * interval + timeout`` seconds after the database goes silent, and ready
again at most ``interval + timeout`` seconds after it answers (``ServerConfig.unready_within`` and
``ready_within``; with the defaults 4 s and 2 s).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from stack_cfo.telemetry.metrics import READY, record_readiness

log = logging.getLogger(__name__)

Probe = Callable[[float], Awaitable[None]]
"""Checks the database within the given seconds; raises when it does not answer."""


class Readiness:
    """Not ready until :meth:`set` says so; not ready for good once :meth:`begin_shutdown` ran.

    ``on_change(ready)`` runs on every flip (the API sets its gRPC health statuses there).
    """

    def __init__(self, on_change: Callable[[bool], Awaitable[None]] | None = None) -> None:
        self._on_change = on_change
        self.ready = False
        self.shutting_down = False
        READY.set(0)

    async def set(self, ready: bool) -> None:
        if (self.shutting_down and ready) or ready == self.ready:
            return
        self.ready = ready
        if self._on_change is not None:
            await self._on_change(ready)
        record_readiness(ready)
        log.info("readiness changed", extra={"ready": ready})

    async def begin_shutdown(self) -> None:
        await self.set(False)
        self.shutting_down = True

    async def monitor(
        self,
        probe: Probe,
        *,
        interval: float,
        timeout: float,
        failures_before_unready: int,
        recovered: Probe | None = None,
        unready: Callable[[], None] | None = None,
    ) -> None:
        """Check the database until shutdown; not ready after ``failures_before_unready`` misses in
        a row, ready after one success. After failed checks, ``recovered(timeout)`` runs before
        readiness returns (the pool reconnects)."""
        loop = asyncio.get_running_loop()
        timeout = min(timeout, interval)
        failures = 0
        down_since = 0.0
        next_at = loop.time()
        while not self.shutting_down:
            try:
                # The probe answers within ``timeout`` itself; the margin only guards a faulty one.
                await asyncio.wait_for(probe(timeout), timeout=timeout + 1.0)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1:
                    down_since = loop.time()
                if failures == failures_before_unready:
                    log.warning("database unreachable; not ready", extra={"error": type(exc).__name__})
                    if unready is not None:
                        unready()
                if failures >= failures_before_unready:
                    await self.set(False)
            else:
                if failures >= failures_before_unready:
                    log.info("database reachable again", extra={"down_s": round(loop.time() - down_since, 1)})
                if failures and recovered is not None:
                    await recovered(timeout)
                failures = 0
                await self.set(True)
            next_at = max(next_at + interval, loop.time())
            await asyncio.sleep(next_at - loop.time())
