"""Health statuses for Kubernetes gRPC probes and Go client-side health checking.

- ``liveness``: SERVING while the event loop runs.
- ``readiness`` (and ``""``, the overall status, and every served service): SERVING only once
  the pool is open and migrations are at head; NOT_SERVING after sustained database failure
  (back to SERVING when it recovers, within the window :mod:`stack_cfo.telemetry.readiness`
  documents) and from the moment shutdown begins (for good).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import grpc
from grpc_health.v1 import health, health_pb2

from stack_cfo.telemetry.readiness import Readiness

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

LIVENESS = "liveness"
READINESS = "readiness"


class HealthServicer(health.aio.HealthServicer):
    """grpcio-health-checking's servicer, plus ``List`` (which it lacks: reflection advertises it
    and clients got UNIMPLEMENTED) and ``Watch`` streams that end when the server stops, instead
    of holding ``stop(grace)`` for the whole grace period."""

    def __init__(self) -> None:
        super().__init__()
        self._closing = False

    async def List(
        self, request: health_pb2.HealthListRequest, context: grpc.aio.ServicerContext
    ) -> health_pb2.HealthListResponse:
        return health_pb2.HealthListResponse(
            statuses={
                name: health_pb2.HealthCheckResponse(status=status)
                for name, status in sorted(self._server_status.items())
            }
        )

    async def Watch(self, request: health_pb2.HealthCheckRequest, context: grpc.aio.ServicerContext) -> None:
        condition = self._server_watchers[request.service]
        self._watcher_count_by_service[request.service] += 1
        last_status = None
        try:
            async with condition:
                while not self._closing:
                    status = self._server_status.get(request.service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
                    if status != last_status:
                        await context.write(health_pb2.HealthCheckResponse(status=status))
                    last_status = status
                    await condition.wait()
        finally:
            self._watcher_count_by_service[request.service] -= 1
            if self._watcher_count_by_service[request.service] == 0:
                del self._server_watchers[request.service]
                del self._watcher_count_by_service[request.service]

    async def end_watches(self) -> None:
        """End every open ``Watch`` stream (OK); clients re-watch elsewhere."""
        self._closing = True
        for condition in list(self._server_watchers.values()):
            async with condition:
                condition.notify_all()


class HealthState:
    """The gRPC health statuses, driven by the process's :class:`Readiness`."""

    def __init__(self, services: Sequence[str], *, report: Callable[[bool], None] | None = None) -> None:
        self.servicer = HealthServicer()
        self._services = list(services)
        self._report = report
        self.readiness = Readiness(self._publish)

    @property
    def ready(self) -> bool:
        return self.readiness.ready

    async def start(self) -> None:
        await self.servicer.set(LIVENESS, SERVING)
        await self._publish(False)

    async def _publish(self, ready: bool) -> None:
        status = SERVING if ready else NOT_SERVING
        for name in (READINESS, "", *self._services):
            await self.servicer.set(name, status)
        if self._report is not None:
            self._report(ready)

    async def mark_ready(self) -> None:
        await self.readiness.set(True)

    async def mark_unready(self) -> None:
        await self.readiness.set(False)

    async def begin_shutdown(self) -> None:
        """Readiness NOT_SERVING for good; liveness stays SERVING until the process exits."""
        await self.readiness.begin_shutdown()
