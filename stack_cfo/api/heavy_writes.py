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

from prometheus_client import Counter

from stack_cfo.core.errors import ResourceExhausted

MAX_CONCURRENT_IMPORTS = 2
"""``ImportHoldingsHistory`` calls of one user running at once in one server process."""
RETRY_AFTER = timedelta(seconds=1)

REFUSED = Counter(
    "stack_cfo_heavy_writes_refused",
    "Heavy writes refused because the same user already had the maximum running, by method.",
    ["method"],
)


class PerUserGate:
    """At most ``limit`` holders per user at once; the next is refused, never queued (a queue would
    keep the request bodies in memory and the client's deadline running)."""

    def __init__(self, method: str, limit: int) -> None:
        self.method = method
        self.limit = limit
        self._running: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, user_id: str) -> AsyncIterator[None]:
        running = self._running.get(user_id, 0)
        if running >= self.limit:
            REFUSED.labels(self.method).inc()
            raise ResourceExhausted(
                f"{self.method}: at most {self.limit} of your imports run at once; retry when one has finished",
                reason="TOO_MANY_CONCURRENT_IMPORTS",
                retry_after=RETRY_AFTER,
                metadata={"limit": str(self.limit), "method": self.method,
                          "retry_after_seconds": f"{RETRY_AFTER.total_seconds():g}"},
            )
        self._running[user_id] = running + 1
        try:
            yield
        finally:
            left = self._running[user_id] - 1
            if left:
                self._running[user_id] = left
            else:
                del self._running[user_id]


IMPORTS = PerUserGate("ImportHoldingsHistory", MAX_CONCURRENT_IMPORTS)
