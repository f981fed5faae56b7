"""The in-memory limits storage: the library hooks it relies on, and its cost per call."""

from __future__ import annotations

import asyncio
import time

from limits.aio.storage import MemoryStorage

from stack_cfo.api.auth import Principal
from stack_cfo.api.limits import CallLimiter, _SweptMemoryStorage
from stack_cfo.config import build_config


def test_the_library_hooks_we_override_still_exist() -> None:
    assert hasattr(MemoryStorage, "_MemoryStorage__schedule_expiry")
    for name in ("incr", "get", "get_expiry", "check", "reset", "clear"):
        assert getattr(_SweptMemoryStorage, name) is getattr(MemoryStorage, name), f"{name} wrapped twice"


async def test_expired_keys_are_swept_at_most_once_a_second() -> None:
    storage = _SweptMemoryStorage()
    for i in range(100):
        await storage.incr(f"k{i}", expiry=0.01)
    await asyncio.sleep(0.05)
    storage._last_sweep = 0.0  # let the next call sweep
    await storage.incr("trigger", expiry=60)
    await asyncio.sleep(0.05)
    assert set(storage.storage) == {"trigger"}


async def test_admitting_a_call_costs_microseconds_with_many_principals() -> None:
    cfg = build_config({"rate_limits": {"user": {"reads": "1000000/second;100000000/minute"}}}).rate_limits
    limiter = CallLimiter(cfg)
    await limiter.start()
    method = "/stack.cfo.v1.ChatService/GetSession"
    for i in range(5000):
        await limiter.admit(Principal(user_id=f"u{i}"), method)
    hot = Principal(user_id="hot")
    n = 2000
    started = time.perf_counter()
    for _ in range(n):
        await limiter.admit(hot, method)
        await asyncio.sleep(0)  # as between requests: the library's sweep task gets to run
    per_call = (time.perf_counter() - started) / n
    assert per_call < 200e-6, f"{per_call * 1e6:.0f} us per admitted call"
