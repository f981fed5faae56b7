"""Concurrent heavy writes per user: at most :data:`MAX_CONCURRENT_IMPORTS` ``ImportHoldingsHistory``
calls of one user run at once in a server process; another is RESOURCE_EXHAUSTED
(``TOO_MANY_CONCURRENT_IMPORTS``, ``RetryInfo`` 1 s).

The write rate counts calls, not their size: an import of 200 snapshots counts as one write, like a
settings update, and holds a database connection for its whole transaction. A user sending many at
once took the pool from every other user (their calls failed with DATABASE_UNAVAILABLE). The gate
is per process (a replica serves a user's calls with its own pool), held from validation to commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from stack_cfo.api.limits import THROTTLED
from stack_cfo.api.stream_slots import LocalStreamSlots
from stack_cfo.core.errors import ResourceExhausted

MAX_CONCURRENT_IMPORTS = 2
"""``ImportHoldingsHistory`` calls of one user running at once in one server process."""
RETRY_AFTER = timedelta(seconds=1)

REASON = "TOO_MANY_CONCURRENT_IMPORTS"
THROTTLED.labels(REASON, "writes")  # exported at 0, as the limits' other refusals are


class PerUserGate:
    """At most ``limit`` holders per user at once (counted as the per-process stream slots are); the
    next is refused, never queued (a queue would keep the request bodies in memory and the client's
    deadline running), and counted in ``stack_cfo_rpc_throttled_total{reason, class="writes"}``."""

    def __init__(self, method: str, limit: int) -> None:
        self.method = method
        self.limit = limit
        self._slots = LocalStreamSlots()

    @asynccontextmanager
    async def hold(self, user_id: str) -> AsyncIterator[None]:
        slot = await self._slots.acquire(user_id, self.limit)
        if slot is None:
            THROTTLED.labels(REASON, "writes").inc()
            raise ResourceExhausted(
                f"{self.method}: at most {self.limit} of your imports run at once; retry when one has finished",
                reason=REASON,
                retry_after=RETRY_AFTER,
                metadata={"limit": str(self.limit), "method": self.method,
                          "retry_after_seconds": f"{RETRY_AFTER.total_seconds():g}"},
            )
        try:
            yield
        finally:
            await self._slots.release(user_id, slot)


IMPORTS = PerUserGate("ImportHoldingsHistory", MAX_CONCURRENT_IMPORTS)
