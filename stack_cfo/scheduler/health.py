"""What the scheduler's ``/livez`` and ``/readyz`` (on its metrics port) report.

- live: while the process starts (waiting for the database or the migrations counts as alive:
  restarting would not help), then while its ticker loop keeps turning (at least every
  :data:`LIVE_WITHIN` seconds).
- ready: once the database answers and its schema is at head, and the loop runs; not ready after
  sustained database failure (same window as the API's readiness) and from the moment it stops.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from stack_cfo.store.db import Database
from stack_cfo.telemetry.readiness import Readiness

LIVE_WITHIN = 30.0
"""Seconds without a turn of the ticker loop (it turns at least every 0.5 s) before /livez fails."""


@dataclass(frozen=True, slots=True)
class HealthTimings:
    """The database check cadence (the ``server.db_health_*`` keys, shared with the API)."""

    interval: float = 1.0
    timeout: float = 1.0
    failures_before_unready: int = 3


class SchedulerHealth:
    def __init__(self, timings: HealthTimings | None = None) -> None:
        self.timings = timings or HealthTimings()
        self.readiness = Readiness()
        self.waiting_for = "start-up"
        """Why the scheduler is not ready yet (shown by /readyz)."""
        self._running = False
        self._beat = time.monotonic()

    def running(self) -> None:
        """The ticker loop started: from now on liveness follows its beats."""
        self._running = True
        self.waiting_for = ""
        self.beat()

    def beat(self) -> None:
        self._beat = time.monotonic()

    @property
    def live(self) -> bool:
        return not self._running or time.monotonic() - self._beat < LIVE_WITHIN

    def describe(self) -> str:
        if self.readiness.ready:
            return "ready"
        if self.readiness.shutting_down:
            return "not ready: stopping"
        return f"not ready: {self.waiting_for or 'the database does not answer'}"

    async def watch(self, database: Database) -> None:
        """Follow the database until shutdown (ready at the first answer)."""
        t = self.timings
        await self.readiness.monitor(
            database.probe,
            interval=t.interval,
            timeout=t.timeout,
            failures_before_unready=t.failures_before_unready,
            recovered=database.revive_pool,
        )
