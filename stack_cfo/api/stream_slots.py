"""Concurrent-stream slots per principal: in this process, or shared by every replica in Redis.

In Redis a principal's open streams are the members of one sorted set scored by the time their
lease ends. Taking a slot drops expired members, counts the rest and adds one in one Lua script
(atomic across replicas); each replica renews the leases of its own open streams every third of
the lease and removes a member when its stream ends. A replica that dies without closing its
streams frees their slots when their leases run out.

If Redis cannot be reached the slots fall back to this process's own count, so a principal is
still capped per replica during the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import time
from collections import Counter
from typing import Protocol

import redis.asyncio as aioredis

log = logging.getLogger("stack_cfo.api.limits")

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


class StreamSlots(Protocol):
    async def start(self) -> None: ...

    async def aclose(self) -> None: ...

    async def acquire(self, principal: str, limit: int) -> str | None:
        """A slot id, or None when ``principal`` already holds ``limit`` streams."""
        ...

    async def release(self, principal: str, slot: str) -> None: ...


class LocalStreamSlots:
    """Slots counted in this process only."""

    def __init__(self) -> None:
        self._open: Counter[str] = Counter()
        self._ids = itertools.count()

    async def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def held(self, principal: str) -> int:
        return self._open[principal]

    async def acquire(self, principal: str, limit: int) -> str | None:
        if self._open[principal] >= limit:
            return None
        self._open[principal] += 1
        return f"local-{next(self._ids)}"

    async def release(self, principal: str, slot: str) -> None:
        self._open[principal] -= 1
        if self._open[principal] <= 0:
            del self._open[principal]


#: Connections to Redis per pool, and how long a check waits for a free one. Calls beyond the pool
#: wait their turn (a burst of 1,300 calls from one user must not look like a Redis outage, which
#: lets calls through: redis-py's plain pool raises MaxConnectionsError past its 100 connections).
REDIS_POOL_SIZE = 64
REDIS_POOL_WAIT = 2.0


def redis_pool(url: str) -> aioredis.BlockingConnectionPool:
    """A blocking connection pool for the limits' shared store at ``url``."""
    return aioredis.BlockingConnectionPool.from_url(
        url, max_connections=REDIS_POOL_SIZE, timeout=REDIS_POOL_WAIT, socket_timeout=0.5, socket_connect_timeout=0.5
    )


class RedisStreamSlots:
    """Slots shared by every replica through one Redis sorted set per principal."""

    PREFIX = "stack-cfo:streams:"

    def __init__(self, url: str, *, lease: float) -> None:
        self._client = aioredis.Redis(connection_pool=redis_pool(url))
        self._lease = lease
        self._acquire = self._client.register_script(_ACQUIRE)
        self._held: dict[str, str] = {}  # slot id -> principal, for lease renewal
        self._fallback = LocalStreamSlots()
        self._ids = itertools.count()
        self._instance = f"{os.getpid()}-{os.urandom(4).hex()}"
        self._renewer: asyncio.Task[None] | None = None
        self._last_error = 0.0

    async def start(self) -> None:
        self._renewer = asyncio.create_task(self._renew_forever(), name="stream-slot-leases")

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        await self._client.aclose()

    async def acquire(self, principal: str, limit: int) -> str | None:
        slot = f"{self._instance}-{next(self._ids)}"
        now = time.time()
        try:
            ok = await self._acquire(
                keys=[self.PREFIX + principal],
                args=[now, limit, now + self._lease, slot, int(self._lease * 2000)],
            )
        except Exception as exc:
            self._failed(exc)
            local = await self._fallback.acquire(principal, limit)
            return None if local is None else "fallback:" + local
        if not ok:
            return None
        self._held[slot] = principal
        return slot

    async def release(self, principal: str, slot: str) -> None:
        if slot.startswith("fallback:"):
            await self._fallback.release(principal, slot)
            return
        self._held.pop(slot, None)
        try:
            await self._client.zrem(self.PREFIX + principal, slot)
        except Exception as exc:  # the lease frees it
            self._failed(exc)

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self._lease / 3)
            if not self._held:
                continue
            expires = time.time() + self._lease
            try:
                async with self._client.pipeline(transaction=False) as pipe:
                    for slot, principal in list(self._held.items()):
                        pipe.zadd(self.PREFIX + principal, {slot: expires}, xx=True)
                        pipe.pexpire(self.PREFIX + principal, int(self._lease * 2000))
                    await pipe.execute()
            except Exception as exc:
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_error >= 30:
            self._last_error = now
            log.warning("stream-slot storage unreachable; counting this replica's streams only",
                        extra={"error": type(exc).__name__})
