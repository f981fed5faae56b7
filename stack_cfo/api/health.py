"""Health statuses for Kubernetes gRPC probes and Go client-side health checking.

- ``liveness``: SERVING while the event loop runs.
- ``readiness`` (and ``""``, the overall status, and every served service): SERVING only once
  the pool is open and migrations are at head; NOT_SERVING after sustained database failure
  (back to SERVING when it recovers) and from the moment shutdown begins (for good).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from grpc_health.v1 import health, health_pb2

log = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

LIVENESS = "liveness"
READINESS = "readiness"


class HealthState:
    def __init__(self, services: Sequence[str]) -> None:
        self.servicer = health.aio.HealthServicer()
        self._services = list(services)
        self._ready = False
        self._shutting_down = False

    @property
    def ready(self) -> bool:
        return self._ready

    async def start(self) -> None:
        await self.servicer.set(LIVENESS, SERVING)
        await self._set_ready(False, force=True)

    async def _set_ready(self, ready: bool, *, force: bool = False) -> None:
        if self._shutting_down and ready:
            return
        if ready == self._ready and not force:
            return
        self._ready = ready
        status = SERVING if ready else NOT_SERVING
        for name in (READINESS, "", *self._services):
            await self.servicer.set(name, status)
        log.info("readiness changed", extra={"ready": ready})

    async def mark_ready(self) -> None:
        await self._set_ready(True)

    async def mark_unready(self) -> None:
        await self._set_ready(False)

    async def begin_shutdown(self) -> None:
        """Readiness NOT_SERVING for good; liveness stays SERVING until the process exits."""
        await self._set_ready(False)
        self._shutting_down = True

    async def monitor(
        self,
        probe: Callable[[], Awaitable[None]],
        *,
        interval: float,
        failures_before_unready: int,
    ) -> None:
        """Probe the database forever; flip readiness after ``failures_before_unready`` misses."""
        failures = 0
        while not self._shutting_down:
            try:
                await asyncio.wait_for(probe(), timeout=max(interval, 1.0))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == failures_before_unready:
                    log.warning("database unreachable; readiness NOT_SERVING", extra={"error": type(exc).__name__})
                if failures >= failures_before_unready:
                    await self.mark_unready()
            else:
                if failures >= failures_before_unready:
                    log.info("database reachable again")
                failures = 0
                await self.mark_ready()
            await asyncio.sleep(interval)
